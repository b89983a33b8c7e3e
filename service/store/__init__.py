"""Read access to what indexing wrote (catalog, user state, vector search) and the answer cache."""
