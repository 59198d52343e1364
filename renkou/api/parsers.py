"""The API's JSON parser: DRF's, with a depth limit so that no body can exhaust the stack.

Python's JSON decoder recurses once per level and raises RecursionError (a server error)
past about 1,000; no field of the API nests deeper than a few levels, so a body nested
beyond ``MAX_DEPTH`` is refused as a parse error (400, the API's error shape).

JSON may also carry a lone UTF-16 surrogate escaped (``"\\ud800"``): Python decodes it into a
string no database or answer can encode, so a body holding one is refused as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Arrays and objects inside one another; the deepest body the API takes has three.
MAX_DEPTH = 32


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in a decoded JSON value (a scalar is 0)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, Mapping) else item
        if isinstance(item, Mapping | list):
            deepest = max(deepest, depth)
            stack.extend((c, depth + 1) for c in children if isinstance(c, Mapping | list))
    return deepest


def json_strings_encodable(value: Any) -> bool:
    """Whether every key and string of a decoded JSON value is valid Unicode (no lone surrogate)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


class DepthLimitedJSONParser(JSONParser):
    """JSON bodies nested at most ``MAX_DEPTH`` deep; anything else is a 400 parse error."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_too_deep()) from None
        if json_depth(data) > MAX_DEPTH:
            raise ParseError(_too_deep())
        if not json_strings_encodable(data):
            raise ParseError(
                _("The JSON body holds text that is not valid Unicode (a lone surrogate).")
            )
        return data


def _too_deep() -> str:
    return str(_("The JSON body is nested more than %(depth)s levels deep.") % {"depth": MAX_DEPTH})
