"""Offline validation shared by the build's tuner and `shoprec evaluate`: the time split, the
ranking metrics and the in-memory baselines (pure numpy/pandas, no Redis, no service code)."""
