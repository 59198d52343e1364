"""Translations of several versions of a .po file as one JSON object {msgid: msgstr}.

Usage: python tools/po_union.py OUT.json FILE_OR_GIT_REF:PATH ...

For merging branches that each added strings: collect the translations of both sides, take
the catalogue of one, re-extract with ``make messages``, then fill it with
``tools/fill_po.py``. Fuzzy and empty entries are left out; a later source wins.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _unquote(lines: list[str]) -> str:
    return "".join(json.loads(line[line.index('"') :]) for line in lines if line.strip())


def entries(text: str) -> dict[str, str]:
    """msgid → msgstr of the translated, non-fuzzy entries of a .po text."""
    out: dict[str, str] = {}
    for block in text.split("\n\n"):
        lines = [ln for ln in block.split("\n") if not ln.startswith("#~")]
        id_at = next((i for i, ln in enumerate(lines) if ln.startswith("msgid ")), None)
        str_at = next((i for i, ln in enumerate(lines) if ln.startswith("msgstr ")), None)
        if id_at is None or str_at is None:
            continue
        if any(ln.startswith("#,") and "fuzzy" in ln for ln in lines):
            continue
        msgid, msgstr = _unquote(lines[id_at:str_at]), _unquote(lines[str_at:])
        if msgid and msgstr:
            out[msgid] = msgstr
    return out


def read(source: str) -> str:
    """A file's text, or ``REF:PATH`` from git."""
    if Path(source).exists():
        return Path(source).read_text(encoding="utf-8")
    return subprocess.run(
        ["git", "show", source], check=True, capture_output=True, text=True
    ).stdout


def main(out: str, *sources: str) -> int:
    table: dict[str, str] = {}
    for source in sources:
        table.update(entries(read(source)))
    Path(out).write_text(json.dumps(table, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"{len(table)} translations from {len(sources)} sources")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
