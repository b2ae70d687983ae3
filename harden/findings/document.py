"""Typed access to a parsed findings document, where every shape problem becomes a FindingsError.

Scanner output is untrusted input: a reader meeting a missing key or a value of the wrong type
must report it in one line naming the place, and never let a KeyError or TypeError escape.
This module must never know any scanner's format; the readers say which keys they need.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from harden.findings.model import Severity

T = TypeVar("T")

_TYPE_NAMES = {dict: "an object", list: "an array", str: "a string", int: "an integer"}


class FindingsError(Exception):
    """A findings file harden cannot read; its text is always a single line."""

    def __init__(self, message: str) -> None:
        # Messages quote values from the file; a newline in one must not break the one-line rule.
        super().__init__(" ".join(message.split()))


def _is(value: object, kind: type) -> bool:
    # JSON true/false parse as bool, which Python counts as int; a line number is never a bool.
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def as_object(value: object, where: str) -> Mapping[str, Any]:
    """The value itself, when it is a JSON object."""
    if not isinstance(value, Mapping):
        raise FindingsError(f"{where} is not an object")
    return value


def required(obj: Mapping[str, Any], key: str, kind: type[T], where: str) -> T:
    """obj[key], which must be present and of the given JSON type."""
    if key not in obj:
        raise FindingsError(f"{where} has no {key!r}")
    value = obj[key]
    if not _is(value, kind):
        raise FindingsError(f"{where}.{key} is not {_TYPE_NAMES.get(kind, kind.__name__)}")
    return value


def optional(obj: Mapping[str, Any], key: str, kind: type[T], where: str, default: T) -> T:
    """obj[key] when present and not null, else the default; a present value must have the type."""
    if obj.get(key) is None:
        return default
    return required(obj, key, kind, where)


def objects(value: list[Any], where: str) -> list[Mapping[str, Any]]:
    """The items of a JSON array, each of which must be an object."""
    return [as_object(item, f"{where}[{index}]") for index, item in enumerate(value)]


def object_list(obj: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    """The objects in obj[key], an array that may be absent (then empty)."""
    return objects(optional(obj, key, list, where, []), f"{where}.{key}")


def severity(text: str, where: str) -> Severity:
    """A severity word as a scanner spelled it ('HIGH', 'error', 'critical', ...)."""
    try:
        return Severity.parse(text)
    except ValueError:
        raise FindingsError(f"{where}: {text!r} is not a severity") from None
