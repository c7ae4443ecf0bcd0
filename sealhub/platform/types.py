"""Input types shared by every context: the strict model base, instants, names, 64-bit ints.

The limits here are the documented input contract (docs/security.md): whatever passes them
can be stored, converted to UTC, serialised and compared on every supported database.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
)
from pydantic_core import CoreSchema

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# a year of room below the calendar's end, so windows and reminders added to an instant
# never overflow; nothing before the Unix epoch is a seal's business
INSTANT_MIN = datetime(1970, 1, 1, tzinfo=UTC)
INSTANT_MAX = datetime(9999, 1, 1, tzinfo=UTC)

_STRICT_SCALARS = frozenset({"int", "float", "bool", "str"})


def _tighten(node: Any) -> None:
    """Strict JSON scalars (no "3" or true for an int) and every int within 64 bits."""
    if isinstance(node, dict):
        kind = node.get("type")  # a dict where a model has a field named "type"
        if isinstance(kind, str) and kind in _STRICT_SCALARS:
            node["strict"] = True
        if kind == "int":
            if "ge" not in node and "gt" not in node:
                node["ge"] = INT64_MIN
            if "le" not in node and "lt" not in node:
                node["le"] = INT64_MAX
        for value in node.values():
            _tighten(value)
    elif isinstance(node, list):
        for value in node:
            _tighten(value)


class StrictModel(BaseModel):
    """The one base of every input body: unknown fields are an error, and JSON scalars are
    taken as sent (`"3"` or `true` is not an integer).

    Why not `ConfigDict(strict=True)`: FastAPI validates bodies in Python mode, where strict
    refuses the strings JSON must use for ids, instants and enum values. So the scalar
    schemas (int, float, bool, str) are made strict instead, and unbounded ints get 64-bit
    bounds, when the model's schema is built.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[BaseModel], handler: GetCoreSchemaHandler, /
    ) -> CoreSchema:
        schema = handler(source)
        _tighten(schema)
        return schema


# ---- instants ----


def _instant_input(value: Any) -> Any:
    # a number would be read as a Unix timestamp: JSON instants are ISO 8601 text
    if isinstance(value, datetime | str):
        return value
    raise ValueError("an instant is ISO 8601 text with an offset")


def _instant_range(value: datetime) -> datetime:
    # check the wall-clock year before converting: 9999-12-31T23:59-14:00 overflows in UTC
    if not 1970 <= value.year <= 9998 or not INSTANT_MIN <= value < INSTANT_MAX:
        raise ValueError("instant out of range (1970-01-01 to 9998-12-31, UTC)")
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_instant_input), AfterValidator(_instant_range)]
"""A timezone-aware instant between 1970-01-01 and 9998-12-31 (UTC)."""


# ---- names ----

# control (Cc), format (Cf: bidi overrides, zero-width), surrogates, private use, and line
# or paragraph separators: invisible or terminal-driving in logs, lists and seal imprints
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def check_name(value: str) -> str:
    """The name, or ValueError; for names that arrive outside a model (spreadsheet rows)."""
    for char in value:
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            raise ValueError(f"invisible or control character U+{ord(char):04X} in a name")
    return value


Name = Annotated[str, AfterValidator(check_name)]
"""Names and codes people read: no control, bidi-override or zero-width characters."""
