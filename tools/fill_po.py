"""Fill msgstr of a .po file from a JSON object {msgid: msgstr} and clear fuzzy marks.

Usage: python tools/fill_po.py renkou/locale/zh_Hans/LC_MESSAGES/django.po strings.json

Entries whose msgid is in the JSON get that msgstr (overwriting a fuzzy guess); the
"#, fuzzy" flag and the "#| msgid" hint are removed from them. Other entries are untouched.
Prints the msgids still untranslated or fuzzy, so nothing is missed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def _unquote(lines: list[str]) -> str:
    return "".join(json.loads(line[line.index('"') :]) for line in lines if line.strip())


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def main(po_path: str, json_path: str) -> int:
    table: dict[str, str] = json.loads(Path(json_path).read_text(encoding="utf-8"))
    blocks = Path(po_path).read_text(encoding="utf-8").split("\n\n")
    missing = []
    out = []
    for block in blocks:
        lines = block.split("\n")
        id_at = next((i for i, ln in enumerate(lines) if ln.startswith("msgid ")), None)
        str_at = next((i for i, ln in enumerate(lines) if ln.startswith("msgstr ")), None)
        if id_at is None or str_at is None:
            out.append(block)
            continue
        msgid = _unquote(lines[id_at:str_at])
        if not msgid:
            out.append(block)
            continue
        msgstr = _unquote(lines[str_at:])
        fuzzy = any(ln.startswith("#,") and "fuzzy" in ln for ln in lines)
        if msgid in table:
            head = [ln for ln in lines[:id_at] if not ln.startswith("#|")]
            head = [
                re.sub(r",\s*fuzzy", "", ln) if ln.startswith("#,") else ln
                for ln in head
                if ln.strip() != "#, fuzzy"
            ]
            lines = [*head, *lines[id_at:str_at], f"msgstr {_quote(table[msgid])}"]
        elif not msgstr or fuzzy:
            missing.append(msgid)
        out.append("\n".join(lines))
    Path(po_path).write_text("\n\n".join(out), encoding="utf-8")
    for msgid in missing:
        print("untranslated:", msgid)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
