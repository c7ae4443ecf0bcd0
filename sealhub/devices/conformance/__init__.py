"""The conformance kit: plays the platform's side of the device protocol against a device
under test and reports pass or fail clause by clause of docs/device-protocol.md."""
