"""etl/ingest."""
