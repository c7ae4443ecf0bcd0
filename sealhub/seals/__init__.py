"""The seal registry: physical, electronic and smart seals, their types, keepers, status
lifecycle (active, suspended, reported lost, revoked, destroyed) and the custody of
physical seals (hand-out and return)."""
