"""Hypothesis strategies for every protocol body, derived from the dataclasses' type hints."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from hypothesis import strategies as st

from sealhub.devices.protocol import messages as m

ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
text = st.text(max_size=12)
json_leaf = st.none() | st.booleans() | ints | text
free_json = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)


def for_type(tp: Any) -> st.SearchStrategy[Any]:
    if tp is int:
        return ints
    if tp is str:
        return text
    if tp is bool:
        return st.booleans()
    if tp is Any:
        return free_json
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return st.none() | for_type(inner)
    if origin is tuple:
        return st.lists(for_type(args[0]), max_size=4).map(tuple)
    if origin is dict:
        return st.dictionaries(text, for_type(args[1]), max_size=3)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return body(tp)
    raise TypeError(tp)


def body(cls: type[Any]) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    if cls is m.Command:
        return st.sampled_from(sorted(m.COMMAND_ARGS)).flatmap(
            lambda name: st.builds(
                m.Command,
                id=text,
                name=st.just(name),
                args=body(m.COMMAND_ARGS[name]),
                expires=ints,
            )
        )
    if cls is m.Record:
        return st.sampled_from(sorted(m.RECORD_DATA)).flatmap(
            lambda kind: st.builds(
                m.Record,
                n=st.integers(1, 2**40),
                prev=st.text("0123456789abcdef", min_size=64, max_size=64),
                at=ints,
                type=st.just(kind),
                data=body(m.RECORD_DATA[kind]),
            )
        )
    return st.builds(cls, **{f.name: for_type(hints[f.name]) for f in dataclasses.fields(cls)})


kinds = st.sampled_from(sorted(m.KINDS))


def any_message() -> st.SearchStrategy[tuple[str, Any]]:
    """(direction, body) of any kind."""
    return kinds.flatmap(lambda dk: body(m.KINDS[dk]).map(lambda b: (dk[0], b)))
