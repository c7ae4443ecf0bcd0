"""Labels and colours of every lifecycle, served once so the console never restates them."""

from __future__ import annotations

import importlib
from typing import Any

from sealhub import __version__
from sealhub.api.common import api_router
from sealhub.identity.models import MemberStatus
from sealhub.platform.actor import DataScope
from sealhub.platform.i18n import label_table

router = api_router("/meta", tags=["meta"])

_IDENTITY: dict[str, list[dict[str, Any]]] = {
    "member_status": label_table(
        {
            MemberStatus.ACTIVE: ("正常", "Active", "success"),
            MemberStatus.PENDING: ("待审核", "Pending", "warning"),
            MemberStatus.DISABLED: ("已停用", "Disabled", "info"),
        }
    ),
    "data_scope": label_table(
        {
            DataScope.SELF: ("仅本人", "Self only", "info"),
            DataScope.UNIT: ("本部门", "Own unit", "primary"),
            DataScope.UNIT_AND_BELOW: ("本部门及下级", "Unit and below", "warning"),
            DataScope.ORG: ("全组织", "Whole organisation", "danger"),
        }
    ),
}
# contexts that publish `enum_labels()` in their schemas module
_LABEL_MODULES = ("sealhub.seals.schemas", "sealhub.requests.schemas")


def all_labels() -> dict[str, list[dict[str, Any]]]:
    labels = dict(_IDENTITY)
    for name in _LABEL_MODULES:
        module = importlib.import_module(name)
        labels.update(module.enum_labels())
    return labels


@router.get("/enums")
async def enums() -> dict[str, list[dict[str, Any]]]:
    """Every status, kind and type with zh/en labels and a tag colour."""
    return all_labels()


@router.get("/version")
async def version() -> dict[str, str]:
    return {"version": __version__}
