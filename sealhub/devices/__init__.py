"""The smart-seal fleet: device twin, the MQTT protocol, commands, authorisations,
fingerprints, telemetry, stamp events, media upload, alarms from devices, offline bundles and
firmware updates. `protocol/` is the pure, shared definition of the device protocol."""
