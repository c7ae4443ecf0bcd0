"""Device and command lifecycles (pure: no I/O)."""

from __future__ import annotations

from enum import StrEnum

from sealhub.devices.errors import InvalidCommandTransition, InvalidDeviceTransition
from sealhub.platform.lifecycle import Lifecycle


class DeviceStatus(StrEnum):
    PROVISIONED = "provisioned"  # credentials issued, never connected
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DECOMMISSIONED = "decommissioned"


class DeviceAction(StrEnum):
    ACTIVATE = "activate"  # first hello
    SUSPEND = "suspend"
    RESUME = "resume"
    DECOMMISSION = "decommission"


DEVICE_STATUS: Lifecycle[DeviceStatus, DeviceAction] = Lifecycle(
    "device_status",
    states={
        DeviceStatus.PROVISIONED: ("已登记", "Provisioned", "info"),
        DeviceStatus.ACTIVE: ("在用", "Active", "success"),
        DeviceStatus.SUSPENDED: ("停用", "Suspended", "warning"),
        DeviceStatus.DECOMMISSIONED: ("已退役", "Decommissioned", "danger"),
    },
    moves={
        (DeviceStatus.PROVISIONED, DeviceAction.ACTIVATE): DeviceStatus.ACTIVE,
        (DeviceStatus.PROVISIONED, DeviceAction.SUSPEND): DeviceStatus.SUSPENDED,
        (DeviceStatus.ACTIVE, DeviceAction.SUSPEND): DeviceStatus.SUSPENDED,
        (DeviceStatus.SUSPENDED, DeviceAction.RESUME): DeviceStatus.ACTIVE,
        (DeviceStatus.PROVISIONED, DeviceAction.DECOMMISSION): DeviceStatus.DECOMMISSIONED,
        (DeviceStatus.ACTIVE, DeviceAction.DECOMMISSION): DeviceStatus.DECOMMISSIONED,
        (DeviceStatus.SUSPENDED, DeviceAction.DECOMMISSION): DeviceStatus.DECOMMISSIONED,
    },
    error=InvalidDeviceTransition,
)

# a device in these states may connect and take commands
CONNECTABLE = frozenset({DeviceStatus.PROVISIONED, DeviceStatus.ACTIVE})


class CommandState(StrEnum):
    QUEUED = "queued"  # waiting for the device to be online
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    DONE = "done"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


class CommandAction(StrEnum):
    SEND = "send"
    ACKNOWLEDGE = "acknowledge"
    FINISH = "finish"
    FAIL = "fail"
    TIME_OUT = "time_out"
    CANCEL = "cancel"
    RETRY = "retry"


_Q, _S, _A = CommandState.QUEUED, CommandState.SENT, CommandState.ACKNOWLEDGED
_OPEN = (_Q, _S, _A)
_ENDED = (CommandState.FAILED, CommandState.TIMED_OUT, CommandState.CANCELLED)

COMMAND_STATE: Lifecycle[CommandState, CommandAction] = Lifecycle(
    "command_state",
    states={
        CommandState.QUEUED: ("排队中", "Queued", "info"),
        CommandState.SENT: ("已下发", "Sent", "primary"),
        CommandState.ACKNOWLEDGED: ("已确认", "Acknowledged", "primary"),
        CommandState.DONE: ("已完成", "Done", "success"),
        CommandState.FAILED: ("失败", "Failed", "danger"),
        CommandState.TIMED_OUT: ("超时", "Timed out", "warning"),
        CommandState.CANCELLED: ("已取消", "Cancelled", "info"),
    },
    moves={
        (_Q, CommandAction.SEND): _S,
        (_S, CommandAction.SEND): _S,  # resent on reconnect: same id, the device dedupes
        # a device may answer a command it had before a restart: ack from any open state
        **{(s, CommandAction.ACKNOWLEDGE): _A for s in _OPEN},
        **{(s, CommandAction.FINISH): CommandState.DONE for s in _OPEN},
        **{(s, CommandAction.FAIL): CommandState.FAILED for s in _OPEN},
        **{(s, CommandAction.TIME_OUT): CommandState.TIMED_OUT for s in _OPEN},
        (_Q, CommandAction.CANCEL): CommandState.CANCELLED,
        (_S, CommandAction.CANCEL): CommandState.CANCELLED,
        **{(s, CommandAction.RETRY): _Q for s in _ENDED},
    },
    error=InvalidCommandTransition,
)

OPEN_COMMANDS = frozenset(_OPEN)


class CommandKind(StrEnum):
    AUTHORISE = "authorise"
    REVOKE = "revoke"
    LOCK = "lock"
    UNLOCK = "unlock"  # temporary, with a reason
    MODE = "mode"
    FINGERPRINT_ENROL = "fingerprint_enrol"
    FINGERPRINT_DELETE = "fingerprint_delete"
    CAMERA = "camera"
    CONFIG = "config"
    TIME_SYNC = "time_sync"
    REBOOT = "reboot"


# kinds a member may send by hand (authorisations come from approved applications)
MANUAL_KINDS = frozenset(CommandKind) - {CommandKind.AUTHORISE}
