"""SealHub: the seal control platform (印控平台)."""

__version__ = "0.1.0"
