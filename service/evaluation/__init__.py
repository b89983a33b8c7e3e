"""Offline evaluation (`shoprec evaluate`): split, metrics, baselines, service path, report."""
