"""`shoprec reindex`: changing the live version's products in place."""
