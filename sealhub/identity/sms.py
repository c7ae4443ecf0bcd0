"""SMS providers: the console/log one for local use and a capturing one for tests.

The capturing provider appends to a JSON-lines file so tests in another process
(two servers behind one Redis) can read the codes.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import orjson

from sealhub.platform import clock
from sealhub.platform.ports import SmsSender

log = logging.getLogger("sealhub.sms")

TEMPLATES = {
    "sms.register": "【SealHub】您的注册验证码为 {code}，5 分钟内有效。",
    "sms.reset": "【SealHub】您正在重置密码，验证码为 {code}，5 分钟内有效。",
    "sms.login": "【SealHub】您的登录验证码为 {code}，5 分钟内有效。",
    "sms.esign": "【SealHub】您正在使用电子印章盖章，意愿认证验证码为 {code}，5 分钟内有效。",
    "sms.invite": "【SealHub】{org} 邀请您加入，接受邀请的验证码为 {code}；不认识请忽略。",
}


class ConsoleSms:
    async def send(self, phone: str, template: str, params: dict[str, str]) -> None:
        text = TEMPLATES.get(template, template).format(**params)
        log.warning("sms (console provider)", extra={"phone": phone, "text": text})


class CaptureSms:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    async def send(self, phone: str, template: str, params: dict[str, str]) -> None:
        line = orjson.dumps(
            {"at": clock.now().isoformat(), "phone": phone, "template": template, "params": params}
        )
        await asyncio.to_thread(self._append, line + b"\n")

    def _append(self, line: bytes) -> None:
        with self.path.open("ab") as fh:
            fh.write(line)

    def last_code(self, phone: str) -> str | None:
        if not self.path.exists():
            return None
        code = None
        for raw in self.path.read_bytes().splitlines():
            item = orjson.loads(raw)
            if item["phone"] == phone:
                code = item["params"].get("code")
        return code


def make_sms(provider: str, data_dir: Path) -> SmsSender:
    if provider == "console":
        return ConsoleSms()
    if provider == "capture":
        return CaptureSms(data_dir / "sms-capture.jsonl")
    raise ValueError(f"unknown SMS provider: {provider}")
