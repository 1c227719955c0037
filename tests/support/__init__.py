"""Test support: real servers on loopback for the notification channels (see http_sink)."""
