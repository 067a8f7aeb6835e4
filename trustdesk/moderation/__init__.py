"""trustdesk/moderation."""
