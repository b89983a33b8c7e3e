"""The feedback stream as data for builds: reading, folding in, replaying and exporting it."""
