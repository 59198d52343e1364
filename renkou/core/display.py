"""Cheaper ``get_FOO_display`` for models shown in long lists.

Django's version rebuilds a dict of the field's choices, hashing every lazily translated
label, on each call: a list of 60 events spent most of its time there. Here the dict of
value → label is built once per field; the label is still translated at each call.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.encoding import force_str

_LABELS: dict[int, dict[Any, Any]] = {}


class FastChoiceDisplay(models.Model):
    """Base for models whose choice fields are displayed often."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field[Any, Any]) -> str:
        labels = _LABELS.get(id(field))
        if labels is None:
            labels = {value: label for value, label in field.flatchoices}
            _LABELS[id(field)] = labels
        value = getattr(self, field.attname)
        return force_str(labels.get(value, value), strings_only=True)
