"""Progress bars on stderr (tqdm); ``quiet=True`` silences them, and so does a stderr that is not a terminal
(logs and pipes get no carriage-return noise, and an ``error:`` line stays one line)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")

__all__ = ["progress"]


def progress(items: Iterable[T], *, desc: str, total: int | None = None, quiet: bool = False, unit: str = "it") -> Iterator[T]:
    return iter(tqdm(items, desc=desc, total=total, disable=True if quiet else None, file=sys.stderr, unit=unit, dynamic_ncols=True, leave=False))
