"""Shared plumbing that knows no context: settings, runtime, database, cache, jobs, events."""
