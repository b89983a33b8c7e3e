"""A full build of a catalog version: vectors, product hashes, histories, then the switch to it."""
