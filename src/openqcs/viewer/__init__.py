"""viewer domain."""
