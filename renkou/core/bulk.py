"""The outcome of a bulk action: each item is done or refused by its own service call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language


@dataclass
class BulkResult:
    """What a bulk action did: items done, and items refused with the reason."""

    done: list[Any] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (item, reason)

    def refuse(self, item: Any, reason: str | Promise) -> None:
        """Record that ``item`` was not done, and why."""
        self.refused.append((str(item), str(reason)))


def problems_text(problems: Any) -> str:
    """The problems of a refusal (``EventRefused.problems``) in the current language."""
    zh = (get_language() or "zh-hans").startswith("zh")
    return "; ".join(p.message_zh if zh else p.message_en for p in problems)
