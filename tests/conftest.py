"""Cross-service tests: the platform runs as separate processes against the real servers."""
