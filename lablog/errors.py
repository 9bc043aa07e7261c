"""The lab log's one user-error type.

``LabLogError`` is a ``ValueError``: the command line prints it as one ``error: ...`` line with exit code 2.
It is raised for anything the user can fix — a bad metric value, a refused SQL statement, a tampered
artifact, a lab log that is busy for longer than the lock timeout — with a message that says what to do.
"""

from __future__ import annotations

__all__ = ["LabLogError"]


class LabLogError(ValueError):
    """Something about the lab log the user can fix; the message says what was expected."""
