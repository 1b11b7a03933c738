"""clientapps domain."""
