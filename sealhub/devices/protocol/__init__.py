"""The device protocol: pure code shared by the platform and the simulator."""
