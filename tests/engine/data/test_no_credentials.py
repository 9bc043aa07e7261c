"""No B2 key in the repository: the seed wrote its keys into its source; here they come from the environment."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
# B2 application keys are 31 characters starting with K and three digits; key IDs are 25 hex digits.
KEY = re.compile(r"\bK\d{3}[A-Za-z0-9+/]{27}\b")
KEY_ID = re.compile(r"\b00[0-9a-f]{23}\b")
SKIP = {".git", ".venv", "node_modules", "__pycache__", ".pytest_cache"}


def _text_files():
    for path in REPO.rglob("*"):
        if path.is_file() and not SKIP.intersection(path.relative_to(REPO).parts) and path.stat().st_size < 2_000_000:
            if path.suffix.lower() in {".py", ".md", ".toml", ".txt", ".json", ".cfg", ".ini", ".yaml", ".yml", ".sh", ".sql"}:
                yield path


def test_patterns_catch_a_key_of_the_seeds_shape():
    assert KEY.search("application_key = 'K003" + "A" * 27 + "'")
    assert KEY_ID.search("'003d" + "0" * 21 + "'")


def test_no_b2_key_or_key_id_in_the_repository():
    found = []
    for path in _text_files():
        text = path.read_text(encoding="utf-8", errors="ignore")
        for m in list(KEY.finditer(text)) + list(KEY_ID.finditer(text)):
            found.append(f"{path.relative_to(REPO)}: {m.group()[:6]}…")
    assert not found, found
