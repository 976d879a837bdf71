"""Notification routing: incidents to receivers, deduplicated, throttled and silenced."""
