"""The agreement form and its rows of targets: shape only (the rules are the service's)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from renkou.analytics.models import Basis
from renkou.targets import catalogue
from renkou.targets.models import Direction, Rule
from renkou.targets.services import TargetSpec

NEW_ROWS = 20  # empty rows of a new agreement: weights must add up before it is saved
EXTRA_ROWS = 5  # empty rows below an agreement's targets


class AgreementForm(forms.Form):
    """The agreement's year, total of the weights, watch line and note."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    total_weight = forms.FloatField(label=_("Total of the weights"), initial=100)
    watch_line = forms.FloatField(
        label=_("Watch line"),
        initial=60,
        help_text=_("Units scoring below it are put on the watch list."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TargetForm(forms.Form):
    """One target. The indicator is text, so that a name renkou does not know reaches the
    service, which refuses it with its reason."""

    indicator = forms.CharField(label=_("Indicator"), required=False, max_length=40)
    basis = forms.ChoiceField(label=_("Basis"), choices=Basis.choices, initial=Basis.REGISTERED)
    target_value = forms.FloatField(label=_("Target"), required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    weight = forms.FloatField(label=_("Weight"), required=False)
    rule = forms.ChoiceField(label=_("Scoring rule"), choices=Rule.choices)
    floor = forms.FloatField(label=_("Floor"), required=False)
    lenient = forms.BooleanField(
        label=_("Not distinguishable rather than failed"), required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].widget = forms.Select(choices=[("", "—"), *catalogue.choices()])


def target_formset(extra: int = EXTRA_ROWS) -> Any:
    """The formset class of the target rows, with ``extra`` empty rows shown."""
    return forms.formset_factory(TargetForm, extra=extra, max_num=50, absolute_max=60)


TargetFormSet = target_formset()


def specs_from(formset: Any) -> list[TargetSpec]:
    """The filled rows of a valid formset as target specs (rows without an indicator are
    left out)."""
    specs = []
    for data in formset.cleaned_data:
        if not data or not data.get("indicator"):
            continue
        specs.append(
            TargetSpec(
                indicator=data["indicator"],
                target_value=data.get("target_value"),
                direction=data["direction"],
                weight=data.get("weight"),
                rule=data["rule"],
                floor=data.get("floor"),
                basis=data["basis"],
                lenient=bool(data.get("lenient")),
            )
        )
    return specs
