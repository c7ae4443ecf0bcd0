"""docs/adr/0001-naming.md: one `<resource>.<word>` scheme for every dotted name we store."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sealhub import contexts
from sealhub.identity.permissions import CATALOGUE as PERMISSIONS
from sealhub.platform.errors import CATALOGUE as ERRORS

contexts.modules("errors")  # every context's codes, whatever this process imported before

ROOT = Path(__file__).resolve().parents[1] / "sealhub"
RESOURCES = {
    "org",
    "unit",
    "member",
    "role",
    "apikey",
    "invitation",
    "integration",
    "auth",
    "seal",
    "flow",
    "request",
    "audit",
    "device",
    "command",
    "esign",
    "evidence",
    "inspection",
    "alert",
    "common",
    "upload",
    "storage",
    "platform",  # jobs of the plumbing (`platform.purge`)
}
NAME = re.compile(r"^([a-z]+)\.([a-z][a-z0-9_]*)$")
# the spellings the ADR retired; none may be written again
RETIRED = re.compile(
    r"^(seals|requests|flows|identity)\.(?!id$)[a-z_]+$|^org\.unit_(create|update|delete|move|logo|supervisors)$"
    r"|^integration\.apikey_[a-z_]+$"
)


def _resource(name: str) -> str:
    match = NAME.match(name)
    assert match, f"{name!r} is not <resource>.<word>"
    return match.group(1)


def test_error_codes_follow_the_scheme() -> None:
    bad = {code for code in ERRORS if _resource(code) not in RESOURCES}
    assert not bad, f"error codes outside the resource vocabulary: {sorted(bad)}"


def test_permissions_follow_the_scheme() -> None:
    bad = {p.key for p in PERMISSIONS if _resource(p.key) not in RESOURCES}
    assert not bad, f"permissions outside the resource vocabulary: {sorted(bad)}"


def test_request_approve_is_gone() -> None:
    # it was granted but checked nowhere: approval authority is the flow's
    assert "request.approve" not in {p.key for p in PERMISSIONS}


def _literals() -> list[tuple[str, int, str]]:
    found = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append((str(path.relative_to(ROOT)), node.lineno, node.value))
    return found


def test_no_retired_name_is_written_anywhere() -> None:
    hits = [f"{p}:{line} {value}" for p, line, value in _literals() if RETIRED.match(value)]
    assert not hits, "retired names (see docs/adr/0001-naming.md):\n" + "\n".join(hits)


CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def test_english_titles_never_carry_chinese() -> None:
    # `reason` parameters are codes with zh/en text on the error class, never prose
    bad = []
    for code, cls in ERRORS.items():
        if CJK.search(cls.en):
            bad.append(f"{code}: {cls.en}")
        for reason, (_, en) in cls.reasons.items():
            title = cls(reason=reason, step="s", value="v", count=0, left=0, current="x").title(
                "en"
            )
            if CJK.search(title):
                bad.append(f"{code}/{reason}: {title}")
    assert not bad, bad


def test_reason_codes_render_in_both_languages() -> None:
    from sealhub.requests.errors import UseNotAllowed

    err = UseNotAllowed(reason="used_up", left=2)
    assert err.title("en") == "The application does not allow this use: not enough presses left (2)"
    assert err.title("zh-CN") == "申请单不允许这次用印：用印次数不足（剩余 2 次）"


def test_reason_arguments_are_declared_codes() -> None:
    """`reason=` is a code some error class translates, never prose or an f-string."""
    declared = {reason for cls in ERRORS.values() for reason in cls.reasons}
    bad = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg != "reason":
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if isinstance(kw.value, ast.JoinedStr):
                    bad.append(f"{where}: an f-string")
                elif isinstance(kw.value, ast.Constant) and kw.value.value not in declared:
                    bad.append(f"{where}: {kw.value.value!r} is in no error's reasons table")
    assert not bad, "\n".join(bad)
