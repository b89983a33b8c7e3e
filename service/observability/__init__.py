"""What operators see of the running service: Prometheus metrics and one log line per request."""
