"""The HTTP edge: parse, call one service function, return."""
