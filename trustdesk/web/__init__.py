"""trustdesk/web."""
