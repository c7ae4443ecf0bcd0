"""Hostile files fail fast and never slow sign-ins: size, time and memory limits."""

from __future__ import annotations

import asyncio
import io
import time
import zipfile

import pytest
from openpyxl import Workbook

from sealhub.identity import spreadsheet
from sealhub.identity.errors import ImportUnreadable
from sealhub.platform import untrusted
from tests.builders import login, register_org

_BOMB: bytes | None = None


def xlsx_bomb() -> bytes:
    """A real workbook whose first sheet inflates to ~200 MiB of XML (~0.2 MiB on disk)."""
    global _BOMB
    if _BOMB is None:
        wb = Workbook()
        wb.active.append(["姓名", "手机号"])
        plain = io.BytesIO()
        wb.save(plain)
        out = io.BytesIO()
        with (
            zipfile.ZipFile(plain) as src,
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst,
        ):
            for item in src.infolist():
                if item.filename != "xl/worksheets/sheet1.xml":
                    dst.writestr(item, src.read(item))
                    continue
                row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
                with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                    sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/')
                    sheet.write(b'spreadsheetml/2006/main"><sheetData>')
                    chunk = row * 20_000
                    for _ in range(200 * 1024 * 1024 // len(chunk)):
                        sheet.write(chunk)
                    sheet.write(b"</sheetData></worksheet>")
        _BOMB = out.getvalue()
    return _BOMB


# parsers for the pool must be importable by the child: module-level functions


def _echo(data: bytes, suffix: str) -> str:
    return data.decode() + suffix


def _spin(data: bytes) -> None:
    while True:
        pass


def _hog(data: bytes) -> int:
    blocks = []
    while True:
        blocks.append(bytearray(64 * 1024 * 1024))


def _refuse(data: bytes) -> None:
    raise ImportUnreadable(reason="test")


def _crash(data: bytes) -> None:
    raise KeyError("broken parser")


async def test_result_and_business_errors_come_back():
    assert await untrusted.run(_echo, b"ab", "c") == "abc"
    with pytest.raises(ImportUnreadable) as err:
        await untrusted.run(_refuse, b"x")
    assert err.value.params == {"reason": "test"}
    with pytest.raises(untrusted.Unreadable):
        await untrusted.run(_crash, b"x")


async def test_time_limit_kills_a_runaway_parser():
    start = time.perf_counter()
    with pytest.raises(untrusted.TooComplex) as err:
        await untrusted.run(_spin, b"x", limits=untrusted.Limits(seconds=1.0))
    assert err.value.params["reason"] == "time"
    assert time.perf_counter() - start < 3


async def test_memory_limit_stops_a_greedy_parser():
    start = time.perf_counter()
    with pytest.raises(untrusted.TooComplex) as err:
        await untrusted.run(_hog, b"x", limits=untrusted.Limits(seconds=10, memory_mb=256))
    assert err.value.params["reason"] == "memory"
    assert time.perf_counter() - start < 5


async def test_input_size_limit_before_any_work():
    from sealhub.platform.errors import PayloadTooLarge

    with pytest.raises(PayloadTooLarge):
        await untrusted.run(_echo, b"x" * 11, "", limits=untrusted.Limits(max_input_bytes=10))


async def test_zip_bomb_refused_from_its_directory():
    bomb = xlsx_bomb()
    assert len(bomb) < 2 * 1024 * 1024
    start = time.perf_counter()
    with pytest.raises(untrusted.TooComplex):
        await spreadsheet.read_table(bomb)
    assert time.perf_counter() - start < 0.5


async def test_csv_and_xlsx_still_read():
    rows = await spreadsheet.read_table("姓名,手机号\n张三,13900000000\n".encode("gb18030"))
    assert rows == [["姓名", "手机号"], ["张三", "13900000000"]]
    wb = Workbook()
    wb.active.append(["姓名", "手机号"])
    wb.active.append(["李四", 13900000001])
    buf = io.BytesIO()
    wb.save(buf)
    assert (await spreadsheet.read_table(buf.getvalue()))[1] == ["李四", "13900000001"]


async def test_bombs_through_the_import_route_fail_fast_while_sign_in_stays_fast(client, app):
    admin = await register_org(client, app)
    bomb = xlsx_bomb()

    async def upload() -> tuple[int, str, float]:
        start = time.perf_counter()
        r = await admin.call(
            "POST", "/api/v1/members/import", files={"file": ("m.xlsx", bomb)}, expect=None
        )
        return r.status_code, r.json()["code"], time.perf_counter() - start

    async def sign_in() -> float:
        await asyncio.sleep(0.05)
        start = time.perf_counter()
        await login(client, admin.phone)
        return time.perf_counter() - start

    *uploads, signed = await asyncio.gather(*(upload() for _ in range(6)), sign_in())
    for status, code, took in uploads:
        assert (status, code) == (422, "upload.too_complex")
        assert took < 2, f"a bomb took {took:.1f} s to refuse"
    assert signed < 2, f"sign-in took {signed:.1f} s beside six bombs"


async def test_slow_parses_do_not_slow_sign_in(client, app):
    admin = await register_org(client, app)
    slow = [
        asyncio.ensure_future(untrusted.run(_spin, b"x", limits=untrusted.Limits(seconds=1.5)))
        for _ in range(4)
    ]
    await asyncio.sleep(0.2)
    start = time.perf_counter()
    await login(client, admin.phone)
    took = time.perf_counter() - start
    results = await asyncio.gather(*slow, return_exceptions=True)
    assert all(isinstance(r, untrusted.TooComplex) for r in results), results
    assert took < 2, f"sign-in took {took:.1f} s beside runaway parsers"
