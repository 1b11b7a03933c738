"""Cross-cutting HTTP concerns, written once: errors, auth, lists, account headers, contract."""
