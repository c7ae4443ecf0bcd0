"""Locale negotiation: Simplified Chinese by default, English available."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SUPPORTED = ("zh-CN", "en")


def negotiate(accept_language: str | None, default: str = "zh-CN") -> str:
    """Pick zh-CN or en from an Accept-Language header."""
    if not accept_language:
        return default
    best: tuple[float, str] | None = None
    for part in accept_language.split(","):
        piece = part.strip()
        if not piece:
            continue
        lang, _, q = piece.partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        lang = lang.strip().lower()
        chosen = "en" if lang.startswith("en") else "zh-CN" if lang.startswith("zh") else None
        if chosen and (best is None or weight > best[0]):
            best = (weight, chosen)
    return best[1] if best else default


def label(zh: str, en: str, locale: str) -> str:
    return en if locale.startswith("en") else zh


def label_table(table: Mapping[Any, tuple[str, str, str]]) -> list[dict[str, Any]]:
    """`{StrEnum member: (zh, en, tag colour)}` as the list /meta/enums serves."""
    return [
        {"value": str(value), "zh": zh, "en": en, "color": color}
        for value, (zh, en, color) in table.items()
    ]
