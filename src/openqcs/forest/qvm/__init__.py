"""The QVM-compatible simulator service: ``app`` (ASGI), ``handlers`` (request types), ``server`` (start/stop)."""
