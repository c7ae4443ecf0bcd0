"""Directory tests: org tree, roles, members, API keys."""
