"""The conformance kit: plays the platform's side of the device protocol against a device
under test and reports pass or fail clause by clause of docs/device-protocol.md.

It is a tool, not part of the running platform: besides `devices/gateway.py` it is the one
module of this context that speaks MQTT itself (as the platform would), so that a device
maker can run it with nothing but a broker."""
