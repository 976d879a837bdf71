"""The Redis receiver and the live feed it keeps: see ``feed.py``."""
