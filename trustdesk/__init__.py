"""TrustDesk read side: warehouse access, metrics, moderation, auth and page helpers."""
