"""A throw-away context whose handlers module fails to import (tests/test_worker.py)."""
