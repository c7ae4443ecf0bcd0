"""Smart-seal devices: the fleet, its twin, commands, stamp events, alarms and the protocol."""
