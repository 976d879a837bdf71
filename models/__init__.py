"""Online ML and scoring models (anomaly detectors, scorers)."""
