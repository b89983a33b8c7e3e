"""The contract between the writer (indexing) and the reader (service): settings, Redis key
layout, index schema, live-version metadata, event time decay."""
