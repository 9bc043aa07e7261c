"""A registry of named choices (devices, views, ...): an unknown name fails with the list of names."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from physical.checks import check_choice

T = TypeVar("T")

__all__ = ["Registry"]


class Registry(Generic[T]):
    """Ordered mapping of name to entry; ``get`` raises :class:`~physical.checks.InputError` on unknown names.

    >>> r = Registry[int]("colour"); r.add("red", 1); r.get("red")
    1
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> T:
        if name in self._entries:
            raise KeyError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""
        return lambda entry: self.add(name, entry)

    def get(self, name: str) -> T:
        check_choice(name, self.kind, self._entries)
        return self._entries[name]

    def names(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
