"""processors domain."""
