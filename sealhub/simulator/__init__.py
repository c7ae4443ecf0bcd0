"""Virtual smart seals speaking the real device protocol (`sealhub.devices.protocol`) over a
real MQTT client: one or thousands in one asyncio process (`sealhub simulate`)."""
