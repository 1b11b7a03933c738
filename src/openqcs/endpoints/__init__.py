"""Endpoints (entry points to processors), default endpoints, engagements with CURVE credentials."""
