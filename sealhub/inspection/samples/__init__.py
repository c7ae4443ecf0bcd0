"""Generated sample contracts and their "photographs" (the inspection corpus and the demo)."""
