"""The vector models: content embedders (TF-IDF+SVD, sentence embeddings), CF item vectors."""
