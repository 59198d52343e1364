"""The registration form of a case: shape only (the rules are the service's)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from renkou.cases.choices import Category, Channel


class CaseForm(forms.Form):
    """Register a case: channel, day received, category, unit, petitioner, request."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    received_on = forms.DateField(
        label=_("Day received"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    orgunit = forms.ChoiceField(label=_("Unit concerned"))
    petitioner_name = forms.CharField(
        label=_("Petitioner's name"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    petitioner_phone = forms.CharField(
        label=_("Telephone"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    request = forms.CharField(
        label=_("Request"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["orgunit"].choices = units
        if not self.is_bound:
            self.fields["token"].initial = uuid.uuid4().hex
