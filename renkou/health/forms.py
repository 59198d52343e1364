"""Forms of the service pages: shape only (the services check the rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from renkou.health.models import FigureKind
from renkou.health.programmes import programme_choices


class RecordForm(forms.Form):
    """Open a service record: the programme, the partner, the date and the consents."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    programme = forms.ChoiceField(label=_("Programme"), choices=programme_choices())
    man_id_number = forms.CharField(
        label=_("Partner's identity number"), max_length=18, required=False
    )
    opened_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    consent_on = forms.DateField(
        label=_("Consented on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    consent_scope = forms.CharField(
        label=_("Consented to"),
        max_length=200,
        initial=_("Keeping this service record for the service only"),
    )
    consent_given = forms.BooleanField(
        label=_("Everyone in the record has given written consent"), required=True
    )


class StepForm(forms.Form):
    """Record one step."""

    step = forms.CharField(max_length=20)
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    institution = forms.CharField(label=_("Institution"), max_length=40)
    staff_name = forms.CharField(label=_("Staff member"), max_length=50)
    outcome = forms.CharField(required=False, max_length=20)
    advice = forms.CharField(label=_("Advice"), required=False, max_length=1000)


class FigureForm(forms.Form):
    """Enter one yearly figure of a unit."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=_("Figure"), choices=FigureKind.choices)
    value = forms.IntegerField(label=_("Number"), min_value=0)
