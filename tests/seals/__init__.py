"""Seal registry, lifecycle and custody tests."""
