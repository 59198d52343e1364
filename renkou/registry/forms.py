"""Forms of the village change report (人口信息变动单): shape only; services enforce rules."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from renkou.registry.choices import Sex

KINDS = ("birth", "death", "move_in", "move_out", "marriage", "divorce", "correction")
# Fields a village may correct; birth date and sex go with the identity number and need the
# township to correct them together (not offered here yet).
CORRECTABLE = (("name", _("Name")), ("ethnicity", _("Ethnicity (2-digit code)")))


class DateInput(forms.DateInput):
    """A native date picker (works on phones)."""

    input_type = "date"


class ChangeForm(forms.Form):
    """Fields every change has: where, when, and a token that makes a double submit harmless."""

    token = forms.CharField(widget=forms.HiddenInput)
    village = forms.ChoiceField(label=_("Village"))
    effective_date = forms.DateField(label=_("Date of the change"), widget=DateInput)
    needs_person = True

    def __init__(self, *args: Any, villages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = villages
        if len(villages) == 1:
            self.fields["village"].initial = villages[0][0]
        self.fields["token"].initial = uuid.uuid4().hex
        if self.needs_person:
            # "id@version": the version the reporter saw, so a stale form is refused.
            self.fields["person"] = forms.RegexField(
                label=_("Person"),
                regex=r"^\d+@\d+$",
                widget=forms.HiddenInput,
                error_messages={"required": _("Choose the person from the search results.")},
            )
        self.order_fields(["token", "person", "village", "effective_date"])


class BirthForm(ChangeForm):
    """出生: the child's particulars and the parents from the register."""

    needs_person = False
    name = forms.CharField(label=_("Child's name"), max_length=50)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    id_number = forms.CharField(
        label=_("Identity number (if issued)"), max_length=18, required=False
    )
    mother = forms.IntegerField(label=_("Mother"), required=False, widget=forms.HiddenInput)
    father = forms.IntegerField(label=_("Father"), required=False, widget=forms.HiddenInput)


class DeathForm(ChangeForm):
    """死亡."""


class MoveInForm(ChangeForm):
    """迁入: the person now lives in the chosen village."""


class MoveOutForm(ChangeForm):
    """迁出: to another village of ours or to a region elsewhere."""

    destination = forms.RegexField(
        label=_("Moved to (12-digit village code or 6-digit region code)"),
        regex=r"^(\d{6}|\d{12})$",
        error_messages={"invalid": _("Enter a 12-digit village code or a 6-digit region code.")},
    )


class MarriageForm(ChangeForm):
    """结婚."""

    spouse = forms.IntegerField(label=_("Spouse"), required=False, widget=forms.HiddenInput)


class DivorceForm(MarriageForm):
    """离婚."""


class CorrectionForm(ChangeForm):
    """更正: one field, its right value, and why."""

    field = forms.ChoiceField(label=_("Field to correct"), choices=CORRECTABLE)
    value = forms.CharField(label=_("Correct value"), max_length=50)
    reason = forms.CharField(label=_("Reason"), max_length=200)


FORMS: dict[str, type[ChangeForm]] = {
    "birth": BirthForm,
    "death": DeathForm,
    "move_in": MoveInForm,
    "move_out": MoveOutForm,
    "marriage": MarriageForm,
    "divorce": DivorceForm,
    "correction": CorrectionForm,
}


class RejectForm(forms.Form):
    """The reason a reviewer gives when sending a change back."""

    reason = forms.CharField(
        label=_("Reason for rejection"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
