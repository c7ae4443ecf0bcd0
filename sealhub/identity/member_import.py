"""Bulk-adding members from an .xlsx or .csv sheet."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity import auth, common, errors, invitations, members, schemas, spreadsheet
from sealhub.identity.repository import RoleRepository, UnitRepository
from sealhub.platform import audit
from sealhub.platform.actor import Actor
from sealhub.platform.errors import AppError
from sealhub.platform.runtime import Runtime

IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_ROWS = 2000
IMPORT_HEADERS = ("姓名", "手机号", "角色", "部门代码")
_HEADER_ALIASES = {
    "姓名": "name",
    "name": "name",
    "手机号": "phone",
    "手机": "phone",
    "phone": "phone",
    "角色": "roles",
    "roles": "roles",
    "部门代码": "units",
    "units": "units",
}
_LIST_SPLIT = re.compile(r"[,，、;；\s]+")


# ---------------------------------------------------------------- import


def member_import_template() -> bytes:
    """An .xlsx with the import columns (姓名/手机号/角色/部门代码) and a sheet of notes."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "人员"
    ws.append(list(IMPORT_HEADERS))
    for column, width in zip("ABCD", (14, 18, 24, 24), strict=True):
        ws.column_dimensions[column].width = width
    notes = wb.create_sheet("说明")
    for line in (
        ("列", "说明"),
        ("姓名", "必填"),
        ("手机号", "必填，11 位手机号；已注册的手机号将收到邀请，本人接受后加入本组织"),
        ("角色", "可多个，用逗号或顿号分隔，填写角色名称；留空为普通用户"),
        ("部门代码", "可多个，用逗号分隔，第一个为主部门；留空为根组织"),
        ("密码", "新账号将生成临时密码，仅在导入结果中显示一次"),
    ):
        notes.append(list(line))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _split(text: str) -> list[str]:
    return [part for part in _LIST_SPLIT.split(text) if part]


async def import_members(
    session: AsyncSession, runtime: Runtime, actor: Actor, data: bytes
) -> schemas.ImportOut:
    """Create members from an .xlsx/.csv sheet; valid rows are added, others reported."""
    if not data:
        raise errors.ImportUnreadable(reason="empty")
    rows = await spreadsheet.read_table(data, max_rows=IMPORT_MAX_ROWS)
    numbered = [(n, r) for n, r in enumerate(rows, start=1) if any(r)]
    if not numbered:
        raise errors.ImportUnreadable(reason="no_rows")
    _, header = numbered[0]
    columns = {_HEADER_ALIASES.get(h.strip().lower(), ""): i for i, h in enumerate(header)}
    if "name" not in columns or "phone" not in columns:
        raise errors.ImportUnreadable(reason="missing_columns")
    body = numbered[1:]
    if len(body) > IMPORT_MAX_ROWS:
        raise errors.ImportTooManyRows(limit=IMPORT_MAX_ROWS)
    roles = list((await session.execute(RoleRepository(session, actor).tenant())).scalars())
    role_by_name = {r.name: r.id for r in roles} | {
        r.builtin_key: r.id for r in roles if r.builtin_key
    }
    unit_by_code = await UnitRepository(session, actor).ids_by_code()

    def col(row: list[str], key: str) -> str:
        i = columns.get(key)
        return row[i] if i is not None and i < len(row) else ""

    created: list[schemas.ImportedRow] = []
    problems: list[schemas.ImportRowError] = []
    seen: set[str] = set()
    plans: list[tuple[int, members.NewMember]] = []
    for number, row in body:
        try:
            name = col(row, "name")
            if not name or len(name) > 50:
                raise errors.ImportRowInvalid(reason="bad_name")
            phone = auth.normalize_phone(col(row, "phone"))
            if phone in seen:
                raise errors.ImportRowInvalid(reason="duplicate_phone")
            role_ids = []
            for role_name in _split(col(row, "roles")):
                if role_name not in role_by_name:
                    raise errors.ImportRowInvalid(reason="unknown_role", value=role_name)
                role_ids.append(role_by_name[role_name])
            unit_ids = []
            for code in _split(col(row, "units")):
                if code not in unit_by_code:
                    raise errors.ImportRowInvalid(reason="unknown_unit", value=code)
                unit_ids.append(unit_by_code[code])
            plan = await members.plan_member(
                session,
                actor,
                real_name=name,
                phone=phone,
                password=None,
                role_ids=role_ids,
                unit_ids=unit_ids,
            )
        except AppError as exc:
            problems.append(schemas.ImportRowError(row=number, message=exc.title(actor.locale)))
            continue
        seen.add(phone)
        plans.append((number, plan))
    # new accounts get temporary passwords; hashing them is the slow part of an import
    temps = {
        i: common.temporary_password() for i, (_, plan) in enumerate(plans) if plan.user is None
    }
    hashes = dict(zip(temps, await common.hash_many(list(temps.values())), strict=True))
    invited: list[schemas.ImportInvitedRow] = []
    for i, (number, plan) in enumerate(plans):
        if plan.user is not None:
            # an existing account is its owner's: they are invited and accept (or not)
            try:
                inv = await invitations.invite(
                    session,
                    runtime,
                    actor,
                    plan.user,
                    real_name=plan.real_name,
                    roles=plan.roles,
                    units=plan.units,
                )
            except AppError as exc:  # raised before anything is written
                problems.append(schemas.ImportRowError(row=number, message=exc.title(actor.locale)))
                continue
            invited.append(
                schemas.ImportInvitedRow(
                    row=number, invitation_id=inv.id, real_name=plan.real_name, phone=plan.phone
                )
            )
            continue
        member = await members.add_member(session, actor, plan, password_hash=hashes.get(i))
        created.append(
            schemas.ImportedRow(
                row=number,
                member_id=member.id,
                real_name=plan.real_name,
                phone=plan.phone,
                temporary_password=temps.get(i),
            )
        )
    problems.sort(key=lambda p: p.row)
    await audit.record(
        session,
        actor,
        "member.import",
        "membership",
        None,
        summary=audit.Summary(
            f"批量导入人员：成功 {len(created)} 行，邀请 {len(invited)} 行，"
            f"失败 {len(problems)} 行",
            f"Imported members: {len(created)} rows added, {len(invited)} invited, "
            f"{len(problems)} rows failed",
        ),
        after={
            "created": len(created),
            "invited": len(invited),
            "failed": [p.model_dump() for p in problems],
        },
    )
    auth.invalidate_org(session, runtime, actor.org_id)
    return schemas.ImportOut(created=created, errors=problems, invited=invited)
