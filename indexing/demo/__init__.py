"""The synthetic demo shop behind data/ (`scripts/make_demo_data.py`)."""
