"""Smart-seal devices (the devices context lands with its own issue; only the pure
protocol channel is here so far)."""
