"""Devices' front door: the fleet, commands, fingerprints, device events.

One module per use-case cluster; callers keep `from sealhub.devices import service`.
"""

from sealhub.devices.service.bundles import Imported, import_bundle, import_bundle_as_system
from sealhub.devices.service.commands import (
    cancel_command,
    create_command,
    delete_fingerprint,
    enrol_fingerprint,
    list_commands,
    list_fingerprints,
    retry_command,
)
from sealhub.devices.service.fleet import (
    bind,
    bindings,
    decommission,
    device_events,
    get_device,
    list_devices,
    mosquitto_passwords,
    provision,
    request_events,
    resume,
    suspend,
    telemetry,
    transfer,
    unbind,
)
from sealhub.devices.service.media import (
    application_codes,
    offline_code,
    photo,
    receive_upload,
)

__all__ = [
    "Imported",
    "application_codes",
    "bind",
    "bindings",
    "cancel_command",
    "create_command",
    "decommission",
    "delete_fingerprint",
    "device_events",
    "enrol_fingerprint",
    "get_device",
    "import_bundle",
    "import_bundle_as_system",
    "list_commands",
    "list_devices",
    "list_fingerprints",
    "mosquitto_passwords",
    "offline_code",
    "photo",
    "provision",
    "receive_upload",
    "request_events",
    "resume",
    "retry_command",
    "suspend",
    "telemetry",
    "transfer",
    "unbind",
]
