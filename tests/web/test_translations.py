"""The Chinese catalogue is complete, and the compiled .mo matches the .po."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import renkou

LOCALE = Path(renkou.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def po_entries() -> list[tuple[str, str, bool]]:
    """(msgid, first msgstr, fuzzy) for every entry but the header; a context prefixes
    the msgid as gettext stores it (``context\x04msgid``)."""
    entries = []
    for block in (LOCALE / "django.po").read_text(encoding="utf-8").split("\n\n"):
        lines = block.splitlines()
        ids, strs, part = [], [], None
        for line in lines:
            if line.startswith("msgid "):
                part = ids
            elif line.startswith(("msgstr ", "msgstr[0] ")):
                part = strs
            elif line.startswith(("msgid_plural", "msgstr[")):
                part = None
            if part is not None and '"' in line:
                part.append(re.search(r'"(.*)"', line).group(1))
        msgid = "".join(ids)
        context = re.search(r'^msgctxt "(.*)"$', block, re.M)
        if context and msgid:
            msgid = f"{context.group(1)}\x04{msgid}"
        if msgid:
            entries.append((msgid, "".join(strs), "#, fuzzy" in block))
    return entries


def test_every_message_is_translated() -> None:
    entries = po_entries()
    assert len(entries) > 100
    assert [m for m, s, fuzzy in entries if not s or fuzzy] == []


def test_compiled_catalogue_is_up_to_date() -> None:
    with (LOCALE / "django.mo").open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    stale = [
        m
        for m, s, _ in po_entries()
        if "\\" not in m and "%(" not in m and _lookup(catalogue, m) != s
    ]
    assert stale == []


def _lookup(catalogue: gettext.GNUTranslations, key: str) -> str:
    if "\x04" in key:
        context, msgid = key.split("\x04", 1)
        return catalogue.pgettext(context, msgid)
    return catalogue.gettext(key)
