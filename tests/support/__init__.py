"""Test support: real servers on loopback — the notification channels' receiver (http_sink) and an
S3-protocol server for the object store (s3_server)."""
