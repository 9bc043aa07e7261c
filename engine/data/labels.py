"""Classification labels of a dataset: ``labels/*.dat``, one ``<name> <CODE>`` per line.

``name`` is the image file name without ``.tiff`` (a ``.tif``/``.tiff`` suffix is tolerated and removed);
``CODE`` is a class code. Blank lines and lines starting with ``#`` are ignored. The published Raw-Microscopy
file is ``labels/Ma190c_annotations.dat``; ``dataengine synthesize`` writes ``labels/annotations.dat``. Several
``.dat`` files are read in name order and must not label the same image twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from engine.errors import UserError
from engine.layout import LABEL_SUFFIX

__all__ = ["LABEL_CODES", "LabelLine", "read_label_file", "read_labels"]

# The Raw-Microscopy label codes (DOMAIN.md).
LABEL_CODES = ("BAS", "EBO", "EOS", "KSC", "LYA", "LYT", "MMZ", "MOB", "MON", "MYB", "MYO", "NGB", "NGS", "PMB", "PMO", "UNC")
_CODE = re.compile(r"^[A-Za-z0-9_+-]+$")


@dataclass(frozen=True)
class LabelLine:
    name: str
    code: str
    file: Path
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def read_label_file(path: str | Path, known_codes: tuple[str, ...] | None = LABEL_CODES) -> list[LabelLine]:
    """The labels in one ``.dat`` file; a malformed line raises ``UserError`` naming file and line.

    ``known_codes=None`` accepts any code made of letters, digits, ``_``, ``+`` and ``-``.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UserError(f"cannot read label file {path}: {exc.strerror}") from None
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 2:
            raise UserError(f"{path}:{number}: expected '<image name> <CLASS CODE>', got {raw.strip()!r}")
        name, code = fields
        for suffix in (".tiff", ".tif"):
            if name.lower().endswith(suffix):
                name = name[: -len(suffix)]
        if not name or "/" in name or name.startswith("."):
            raise UserError(f"{path}:{number}: expected a plain image name (no folders), got {fields[0]!r}")
        if known_codes is not None and code not in known_codes:
            raise UserError(f"{path}:{number}: unknown class code {code!r}; expected one of: {', '.join(known_codes)}")
        if known_codes is None and not _CODE.match(code):
            raise UserError(f"{path}:{number}: expected a class code of letters, digits, _ + -, got {code!r}")
        out.append(LabelLine(name, code, path, number))
    return out


def read_labels(labels_dir: str | Path, known_codes: tuple[str, ...] | None = LABEL_CODES) -> list[LabelLine]:
    """All labels in ``labels_dir/*.dat``; the same image labelled twice is an error naming both lines."""
    labels_dir = Path(labels_dir)
    if not labels_dir.is_dir():
        raise UserError(f"expected a labels folder {labels_dir} with {LABEL_SUFFIX} files; it is missing")
    files = sorted(p for p in labels_dir.iterdir() if p.is_file() and p.suffix.lower() == LABEL_SUFFIX and not p.name.startswith("."))
    if not files:
        raise UserError(f"no {LABEL_SUFFIX} label files in {labels_dir}")
    seen: dict[str, LabelLine] = {}
    out = []
    for f in files:
        for entry in read_label_file(f, known_codes):
            if entry.name in seen:
                raise UserError(f"{entry.where}: image {entry.name!r} is labelled again (first at {seen[entry.name].where})")
            seen[entry.name] = entry
            out.append(entry)
    if not out:
        raise UserError(f"the label files in {labels_dir} contain no labels")
    return out
