"""Alerts: conditions other contexts raise (a tampered device, a page that differs), one per
condition and object however often it repeats, with their lifecycle (open, acknowledged,
resolved); and, later, the channels that carry them and other events out."""
