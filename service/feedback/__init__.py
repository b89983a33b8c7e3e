"""POST /feedback: the durable log entry and its live effects."""
