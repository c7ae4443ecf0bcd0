"""A throw-away context with only a job, in tasks.py (tests/test_worker.py)."""
