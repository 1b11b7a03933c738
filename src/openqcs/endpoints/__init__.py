"""endpoints domain."""
