"""Personalized plan versus baselines."""
