"""Masking of personal names and contacts on published lists (公示) and internal pages.

Identity numbers are masked by ``renkou.core.idnumber.mask`` (first 6 and last 4 kept);
names keep their first and last character (张*三, 欧**娜, 李*), as public notices do.
"""

from __future__ import annotations


def mask_name(name: str) -> str:
    """A name masked for a public list: first and last character kept, ``*`` between."""
    text = "".join(name.split())
    if len(text) <= 1:
        return "*" * len(text)
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]


def mask_contact(contact: str) -> str:
    """A telephone number or address masked for display: the last 4 characters kept."""
    text = "".join(contact.split())
    if len(text) <= 4:
        return "*" * len(text)
    return "*" * (len(text) - 4) + text[-4:]


def mask_account(account: str) -> str:
    """A bank account masked: only its last 4 digits shown (as banks print them)."""
    digits = "".join(account.split())
    return f"{'*' * max(len(digits) - 4, 0)}{digits[-4:]}"
