"""A strict DER check of bytes against an asn1crypto schema, naming the failing field.

asn1crypto parses a SEQUENCE's children all at once and its errors do not say which field
broke; this walk uses asn1crypto's TLV parser and value decoders element by element, so a
bad certificate in a list is reported as `...certList[1]`, not as "the seal is bad".
"""

from __future__ import annotations

from typing import Any

from asn1crypto import core as a
from asn1crypto import parser

from sealhub.esign.ses.errors import SesMalformed

MAX_DEPTH = 32


def _tlv(data: bytes, pos: int, path: str) -> tuple[int, bool, int, int, bytes]:
    """(class, constructed, tag, end position, contents) of the element at `pos`."""
    try:
        class_, method, tag, header, contents, trailer = parser.parse(data[pos:])
    except (ValueError, TypeError) as exc:
        raise SesMalformed(path=path, reason="truncated") from exc
    if trailer:
        raise SesMalformed(path=path, reason="not_der")
    _check_minimal_length(header, path)
    return class_, method == 1, tag, pos + len(header) + len(contents), contents


def _check_minimal_length(header: bytes, path: str) -> None:
    i = 1
    if header[0] & 0x1F == 0x1F:
        while header[i] & 0x80:
            i += 1
        i += 1
    first = header[i]
    if first == 0x80:
        raise SesMalformed(path=path, reason="not_der")
    if first > 0x80:
        value = header[i + 1 :]
        if value[0] == 0 or (len(value) == 1 and value[0] < 0x80):
            raise SesMalformed(path=path, reason="not_der")


def _children(contents: bytes, path: str) -> list[tuple[int, bool, int, bytes, bytes]]:
    out: list[tuple[int, bool, int, bytes, bytes]] = []
    pos = 0
    while pos < len(contents):
        class_, constructed, tag, end, inner = _tlv(contents, pos, f"{path}[{len(out)}]")
        out.append((class_, constructed, tag, contents[pos:end], inner))
        pos = end
    return out


def _expected(spec: type[Any], params: dict[str, Any]) -> tuple[int, int] | None:
    if "explicit" in params:
        return 2, int(params["explicit"])
    if "implicit" in params:
        return 2, int(params["implicit"])
    if issubclass(spec, a.Any | a.Choice):
        return None
    return int(spec.class_), int(spec.tag)


def _matches(spec: type[Any], params: dict[str, Any], class_: int, tag: int) -> bool:
    expected = _expected(spec, params)
    if expected is not None:
        return expected == (class_, tag)
    if issubclass(spec, a.Choice):
        return any(
            (int(alt.class_), int(alt.tag)) == (class_, tag) for _, alt, *_ in spec._alternatives
        )
    return True


def check(spec: type[Any], data: bytes, path: str) -> None:
    """Raise `SesMalformed` with the field path unless `data` is exactly one valid element."""
    class_, constructed, tag, end, contents = _tlv(data, 0, path)
    if end != len(data):
        raise SesMalformed(path=path, reason="trailing_data")
    _element(spec, {}, class_, constructed, tag, data, contents, path, 0)


def _element(
    spec: type[Any],
    params: dict[str, Any],
    class_: int,
    constructed: bool,
    tag: int,
    raw: bytes,
    contents: bytes,
    path: str,
    depth: int,
) -> None:
    if depth > MAX_DEPTH:
        raise SesMalformed(path=path, reason="too_large")
    if not _matches(spec, params, class_, tag):
        raise SesMalformed(path=path, reason="unexpected_tag")
    if "explicit" in params:
        inner = _children(contents, path)
        if len(inner) != 1:
            raise SesMalformed(path=path, reason="unexpected_field")
        c, cons, t, r, cont = inner[0]
        _element(spec, {}, c, cons, t, r, cont, path, depth + 1)
        return
    if issubclass(spec, a.Any):
        return
    if issubclass(spec, a.Choice):
        for _, alt, *_ in spec._alternatives:
            if (int(alt.class_), int(alt.tag)) == (class_, tag):
                _element(alt, {}, class_, constructed, tag, raw, contents, path, depth + 1)
                return
        raise SesMalformed(path=path, reason="unexpected_tag")
    if issubclass(spec, a.Sequence):
        if not constructed:
            raise SesMalformed(path=path, reason="not_der")
        _sequence(spec, contents, path, depth)
        return
    if issubclass(spec, a.SequenceOf):
        if not constructed:
            raise SesMalformed(path=path, reason="not_der")
        for i, (c, cons, t, r, cont) in enumerate(_children(contents, path)):
            _element(spec._child_spec, {}, c, cons, t, r, cont, f"{path}[{i}]", depth + 1)
        return
    if constructed:
        raise SesMalformed(path=path, reason="not_der")
    try:
        value = spec.load(raw, strict=True)
        value.native  # noqa: B018 - decoding is the check
        if isinstance(value, a.Boolean) and contents not in (b"\x00", b"\xff"):
            raise ValueError("BOOLEAN must be 00 or FF in DER")
        if isinstance(value, a.Integer) and (
            not contents
            or (len(contents) > 1 and contents[0] == 0 and contents[1] < 0x80)
            or (len(contents) > 1 and contents[0] == 0xFF and contents[1] >= 0x80)
        ):
            raise ValueError("non-minimal INTEGER")
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError) as exc:
        raise SesMalformed(path=path, reason="bad_value") from exc


def _sequence(spec: type[Any], contents: bytes, path: str, depth: int) -> None:
    children = _children(contents, path)
    i = 0
    for field in spec._fields:
        name, fspec = field[0], field[1]
        params: dict[str, Any] = field[2] if len(field) > 2 else {}
        here = f"{path}.{name}"
        if i < len(children) and _matches(fspec, params, children[i][0], children[i][2]):
            c, cons, t, r, cont = children[i]
            _element(fspec, params, c, cons, t, r, cont, here, depth + 1)
            i += 1
        elif params.get("optional") or "default" in params:
            continue
        elif i >= len(children):
            raise SesMalformed(path=here, reason="missing")
        else:
            raise SesMalformed(path=here, reason="unexpected_tag")
    if i < len(children):
        raise SesMalformed(path=f"{path}[{i}]", reason="unexpected_field")
