"""reservations domain."""
