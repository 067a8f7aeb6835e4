"""trustdesk/accounts."""
