"""The `sealhub` command."""
