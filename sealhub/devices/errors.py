"""Device errors, each with a stable code."""

from __future__ import annotations

from typing import ClassVar

from sealhub.platform.errors import AppError, Conflict, InvalidTransition, NotFound


class DeviceNotFound(NotFound):
    code = "device.not_found"
    status = 404
    zh = "设备不存在"
    en = "Device not found"


class CommandNotFound(NotFound):
    code = "command.not_found"
    status = 404
    zh = "设备指令不存在"
    en = "Device command not found"


class FingerprintNotFound(NotFound):
    code = "device.fingerprint_not_found"
    status = 404
    zh = "指纹不存在"
    en = "Fingerprint not found"


class MediaNotFound(NotFound):
    code = "device.no_such_photo"
    status = 404
    zh = "该设备没有这张照片"
    en = "No such photo from this device"


class UploadNotFound(NotFound):
    code = "device.upload_not_found"
    status = 404
    zh = "上传地址无效"
    en = "Unknown upload URL"


class InvalidDeviceTransition(InvalidTransition):
    code = "device.invalid_transition"
    status = 409
    zh = "设备当前状态“{current}”不能执行“{action}”"
    en = "A device cannot {action} while {current}"


class InvalidCommandTransition(InvalidTransition):
    code = "command.invalid_transition"
    status = 409
    zh = "指令当前状态“{current}”不能执行“{action}”"
    en = "A command cannot {action} while {current}"


class SerialTaken(Conflict):
    code = "device.serial_taken"
    status = 409
    zh = "序列号为“{serial}”的设备已登记"
    en = "A device with serial {serial} is already registered"


class BadClaimCode(AppError):
    code = "device.bad_claim_code"
    status = 422
    zh = "设备认领码无效：{reason}"
    en = "Invalid claim code: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "format": ("格式不正确", "malformed"),
        "qr": ("二维码内容无法识别", "the QR payload is not a SealHub device code"),
        "mismatch": ("与设备不符", "it does not match the device"),
    }


class BadPublicKey(AppError):
    code = "device.bad_public_key"
    status = 422
    zh = "设备公钥无效（应为 32 字节 Ed25519 公钥的十六进制）"
    en = "Invalid device public key (32-byte Ed25519 key in hex expected)"


class SealNotSmart(AppError):
    code = "device.seal_not_smart"
    status = 422
    zh = "只能绑定智能印章"
    en = "Only smart seals can be bound to a device"


class SealBoundElsewhere(Conflict):
    code = "device.seal_bound_elsewhere"
    status = 409
    zh = "该印章已绑定到另一台设备（{serial}），请先解绑"
    en = "The seal is bound to another device ({serial}); unbind it first"


class NotBound(AppError):
    code = "device.not_bound"
    status = 409
    zh = "设备未绑定印章"
    en = "The device holds no seal"


class DeviceInactive(AppError):
    code = "device.inactive"
    status = 409
    zh = "设备当前状态“{current}”，不能接收指令"
    en = "The device is {current} and takes no commands"


class BadCommand(AppError):
    code = "command.invalid"
    status = 422
    zh = "指令无效：{reason}"
    en = "Invalid command: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "kind": ("不支持的指令类型 {kind}", "unknown command kind {kind}"),
        "params": ("参数不符合协议：{problem}", "parameters do not fit the protocol: {problem}"),
        "slot": ("指纹槽位应为 0–99", "fingerprint slots are 0-99"),
        "slot_taken": ("槽位 {slot} 已被占用", "slot {slot} is taken"),
        "not_member": ("指纹须绑定本组织的成员", "a fingerprint belongs to a member"),
    }


class UnitNotFound(AppError):
    code = "device.unit_not_found"
    status = 422
    zh = "所属部门不存在"
    en = "The owning organisation unit does not exist"


class NotMember(AppError):
    code = "device.not_member"
    status = 422
    zh = "只能为本组织的在职成员签发开锁码"
    en = "Unlock codes are issued for active members of the organisation only"


class UploadRefused(AppError):
    code = "device.upload_refused"
    status = 403
    zh = "上传被拒绝：{reason}"
    en = "Upload refused: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "expired": ("上传地址已过期", "the upload URL expired"),
        "used": ("该地址已使用", "the URL was already used"),
        "sha256": ("内容的 SHA-256 与声明不符", "the content's SHA-256 differs from the grant"),
        "size": ("内容大小与声明不符", "the content's size differs from the grant"),
    }


class BundleRejected(AppError):
    code = "device.bundle_rejected"
    status = 422
    zh = "离线记录包被拒绝（位置 {position}，第 {line} 行）：{reason}"
    en = "Offline bundle rejected at {position} (line {line}): {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "malformed": ("格式错误", "malformed"),
        "foreign": ("不是本设备的记录包", "not this device's bundle"),
        "bad_signature": ("设备签名无效", "the device signature does not verify"),
        "order": ("记录顺序错乱或缺号", "records out of order or missing"),
        "chain": ("记录被篡改（哈希链断开）", "a record was changed (the hash chain breaks)"),
        "truncated": ("记录包不完整", "the bundle is truncated"),
        "extra": ("记录多于声明", "more records than declared"),
        "too_large": ("记录包过大", "the bundle is too large"),
        "conflict": ("与已入库的同号记录不同", "differs from the stored record of that number"),
    }
