"""Index-time tuning of a build on its own log (see tuner.py)."""
