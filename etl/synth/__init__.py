"""etl/synth."""
