"""Data in: the log contract, the synthetic world, validated loads and the marts."""
