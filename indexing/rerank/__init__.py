"""The learned re-ranker: training data from the tuner's held-out window, LightGBM
lambdarank, and the model kept in Redis with the version (see trainer.py)."""
