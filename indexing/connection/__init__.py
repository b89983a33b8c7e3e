"""How both sides reach Redis: the configured URL, or the embedded Redis with the query engine."""
