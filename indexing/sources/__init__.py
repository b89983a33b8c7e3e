"""Where the shop's rows come from besides CSV files: PostgreSQL tables and queries, read as
the CSV loader reads rows (indexing.load.row_source picks the reader by the source's form)."""
