"""User errors of the engine layer.

``UserError`` (a ``ValueError``) is raised for anything the user can fix: a missing file, a malformed file,
a bad flag value. The command line prints every ``ValueError`` — the physical layer's ``InputError``, the
lab log's errors and these — as one ``error: ...`` line and exits with code 2.
"""

from __future__ import annotations


class UserError(ValueError):
    """Something the user can fix; the message says what was expected."""
