"""trustdesk/data."""
