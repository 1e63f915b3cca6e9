"""Typed button actions: a class per action, whose instance packs into a button payload and back.

In the spirit of aiogram's CallbackData: `GradeQueue(assignment_id=12).pack()` is `"trq:12"`, and
`GradeQueue.parse("trq:12")` gives the instance again. The wire format is `prefix` or
`prefix:arg:arg`, fields in declaration order; trailing optional fields left at None are not
written, so `GradeQueue()` packs to `"trq"`; one left at None before a set field is written empty
(`top::5`). Payloads already sent to people keep working as long as a class keeps its prefix and
its fields' order.

A field is an int, a str (without ':'), a str-valued Enum, or one of these or None. Anything that
does not fit (a tampered payload, an older format, a wrong count of arguments) raises ActionError,
which the router answers with its stale-button reply: refuse, never guess.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
from dataclasses import dataclass
from typing import Any, ClassVar, Self, Union, dataclass_transform, get_args, get_origin, get_type_hints

from bot.core.messages import Button

SEPARATOR = ":"
MAX_PAYLOAD_BYTES = 64  # Telegram's limit on callback_data
_PREFIX = re.compile(r"[a-z][a-z0-9_]*")
_INT = re.compile(r"-?(0|[1-9][0-9]*)")


class ActionError(ValueError):
    """A payload that is not a valid action: unknown prefix, wrong argument count or type."""


@dataclass(frozen=True)
class _Field:
    name: str
    kind: type  # int, str or an Enum subclass
    optional: bool


def _field_kind(hint: Any, where: str) -> tuple[type, bool]:
    optional = False
    if get_origin(hint) in (Union, types.UnionType):
        parts = [a for a in get_args(hint) if a is not type(None)]
        if len(parts) != 1 or len(get_args(hint)) != 2:
            raise TypeError(f"{where}: only `X | None` unions are allowed")
        hint, optional = parts[0], True
    if hint in (int, str) or (isinstance(hint, type) and issubclass(hint, enum.Enum)):
        return hint, optional
    raise TypeError(f"{where}: a field must be int, str or an Enum, not {hint!r}")


@dataclass_transform(frozen_default=True)
class Action:
    """The base of every action: `class GradeQueue(Action, prefix="trq")` with annotated fields
    becomes a frozen dataclass, registered under its prefix."""

    prefix: ClassVar[str]
    keeps_dialog: ClassVar[bool] = False  # pressed during a dialog, it does not end it (help, cancel)
    _fields: ClassVar[tuple[_Field, ...]]

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _PREFIX.fullmatch(prefix) or len(prefix) > MAX_PAYLOAD_BYTES:
            raise TypeError(f"{cls.__name__}: bad or missing prefix {prefix!r}")
        cls.prefix = prefix
        dataclass(frozen=True)(cls)  # in place: the class stays the one being defined
        cls._fields = _read_fields(cls)  # a wrong field type fails at import, not on a press
        registry.add(cls)

    @classmethod
    def fields(cls) -> tuple[_Field, ...]:
        return cls._fields

    def pack(self) -> str:
        if not self._fields:  # the prefix alone, checked when the class was made
            return self.prefix
        # Kept on the instance: a menu's actions are made once and packed on every menu shown; the
        # fields of a frozen action never change, and eq, hash and repr read only the fields.
        packed: str | None = self.__dict__.get("_packed")
        if packed is None:
            packed = self._pack()
            object.__setattr__(self, "_packed", packed)
        return packed

    def _pack(self) -> str:
        parts = [self.prefix]
        values = [getattr(self, f.name) for f in self.fields()]
        while values and values[-1] is None:
            values.pop()  # trailing optional fields left out
        for f, value in zip(self.fields(), values, strict=False):
            text = "" if value is None else str(value.value) if isinstance(value, enum.Enum) else str(value)
            if SEPARATOR in text or (text == "" and not f.optional):
                raise ValueError(f"{self!r}: {f.name} may not be {text!r}")
            parts.append(text)
        payload = SEPARATOR.join(parts)
        if len(payload.encode()) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload over {MAX_PAYLOAD_BYTES} bytes: {payload!r}")
        return payload

    @classmethod
    def parse(cls, payload: str) -> Self:
        prefix, *args = payload.split(SEPARATOR)
        if prefix != cls.prefix:
            raise ActionError(f"{payload!r} is not a {cls.__name__}")
        fields = cls.fields()
        required = sum(not f.optional for f in fields)
        if not required <= len(args) <= len(fields):
            raise ActionError(f"{payload!r}: {cls.__name__} takes {required} to {len(fields)} arguments")
        values = {f.name: _read(f, text, payload) for f, text in zip(fields, args, strict=False)}
        return cls(**values)

    def button(self, label: str) -> Button:
        return Button(label, self.pack())


def _read_fields(cls: type[Action]) -> tuple[_Field, ...]:
    hints = get_type_hints(cls)
    found: list[_Field] = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]  # a dataclass since __init_subclass__
        kind, optional = _field_kind(hints[f.name], f"{cls.__name__}.{f.name}")
        if found and found[-1].optional and not optional:
            raise TypeError(f"{cls.__name__}.{f.name}: a required field after an optional one")
        found.append(_Field(f.name, kind, optional))
    return tuple(found)


def _read(f: _Field, text: str, payload: str) -> Any:
    if text == "":
        if f.optional:
            return None
        raise ActionError(f"{payload!r}: {f.name} is empty")
    if f.kind is int:
        if not _INT.fullmatch(text):
            raise ActionError(f"{payload!r}: {f.name} is not a number")
        return int(text)
    if f.kind is str:
        return text
    try:
        return f.kind(text)
    except ValueError:
        raise ActionError(f"{payload!r}: {f.name} is not a {f.kind.__name__}") from None


class Registry:
    """Every action class by its prefix; two classes may not share one."""

    def __init__(self) -> None:
        self._by_prefix: dict[str, type[Action]] = {}

    def add(self, cls: type[Action]) -> None:
        known = self._by_prefix.get(cls.prefix)
        # The same class defined again (a module imported twice) replaces itself; another is refused.
        if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
            raise TypeError(f"prefix {cls.prefix!r} of {cls.__name__} is taken by {known.__name__}")
        self._by_prefix[cls.prefix] = cls

    def parse(self, payload: str) -> Action:
        cls = self._by_prefix.get(payload.partition(SEPARATOR)[0])
        if cls is None:
            raise ActionError(f"{payload!r}: no such action")
        return cls.parse(payload)

    def classes(self) -> list[type[Action]]:
        return list(self._by_prefix.values())


registry = Registry()


def link_button(label: str, url: str) -> Button:
    """A button that opens a link; its payload is never sent back, so it names no action."""
    return Button(label, "url", url=url)
