"""trustdesk/analytics."""
