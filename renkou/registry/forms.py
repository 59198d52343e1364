"""Forms of the village change report (人口信息变动单): shape only; services enforce rules."""

from __future__ import annotations

import datetime
import uuid
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkou.registry.choices import EventKind, HukouType, MaritalStatus, Relation, Sex

KINDS = (
    "birth",
    "death",
    "move_in",
    "arrival",
    "move_out",
    "marriage",
    "divorce",
    "correction",
)
# Kinds of report that are not an event kind of their own: an arrival from outside is a
# move-in that enters a new person (or moves one already in the register).
REPORT_LABELS = {"arrival": _("Arrival from outside (流入)")}
# Fields a correction (更正) can change (services.CORRECTION_FIELDS says how).
CORRECTABLE = (
    ("id_number", _("Identity number")),
    ("birth_date", _("Birth date")),
    ("sex", _("Sex")),
    ("ethnicity", _("Ethnicity (2-digit code)")),
    ("name", _("Name")),
    ("mother", _("Mother")),
    ("father", _("Father")),
    ("hukou_type", _("Registration type")),
    ("hukou_place", _("Registered place")),
)


class DateInput(forms.DateInput):
    """A native date picker (works on phones)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        # The browser's date input takes (and sends) ISO dates whatever the page's language.
        super().__init__(attrs, format or "%Y-%m-%d")


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


class ArrivalForm(ChangeForm):
    """流入: a person registered elsewhere now lives in the chosen village; a person already
    in the register (by identity number) is moved, anyone else entered."""

    needs_person = False
    id_number = forms.CharField(label=_("Identity number"), max_length=18)
    name = forms.CharField(label=_("Name"), max_length=50)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    birth_date = forms.DateField(label=_("Birth date"), widget=DateInput)
    hukou_region = forms.RegexField(
        label=_("Registered place (6-digit region code)"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("Enter the 6-digit region code of the registered place.")},
    )
    hukou_type = forms.ChoiceField(
        label=_("Registration type"),
        choices=[("", "—"), *HukouType.choices],
        required=False,
    )
    ethnicity = forms.RegexField(
        label=_("Ethnicity (2-digit code)"),
        regex=r"^\d{2}$",
        required=False,
        error_messages={"invalid": _("Enter the 2-digit code of the ethnicity.")},
    )
    marital_status = forms.ChoiceField(
        label=_("Marital status"), choices=[("", "—"), *MaritalStatus.choices], required=False
    )
    phone = forms.CharField(label=_("Phone"), max_length=24, required=False)
    household = forms.CharField(
        label=_("Household number (a new number opens a household)"),
        max_length=40,
        required=False,
    )
    relation_to_head = forms.ChoiceField(
        label=_("Relation to head"), choices=[("", "—"), *Relation.choices], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["effective_date"].label = _("Date of arrival")


def kind_label(kind: str) -> Any:
    """What a kind of report is called on the pages."""
    return REPORT_LABELS.get(kind) or EventKind(kind).label


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


def _correction_inputs() -> dict[str, forms.Field]:
    """The input for each correctable field (only the chosen one is on the form)."""
    return {
        "id_number": forms.CharField(label=_("Correct identity number"), max_length=18),
        "birth_date": forms.DateField(label=_("Correct birth date"), widget=DateInput),
        "sex": forms.ChoiceField(
            label=_("Correct sex"), choices=Sex.choices, widget=forms.RadioSelect
        ),
        "ethnicity": forms.RegexField(
            label=_("Correct ethnicity (2-digit code)"),
            regex=r"^\d{2}$",
            error_messages={"invalid": _("Enter the 2-digit code of the ethnicity.")},
        ),
        "name": forms.CharField(label=_("Correct name"), max_length=50),
        "mother": forms.IntegerField(widget=forms.HiddenInput, required=False),
        "father": forms.IntegerField(widget=forms.HiddenInput, required=False),
        "hukou_type": forms.ChoiceField(
            label=_("Correct registration type"),
            choices=HukouType.choices,
            widget=forms.RadioSelect,
        ),
        "hukou_place": forms.RegexField(
            label=_("Correct registered place (12-digit village code or 6-digit region code)"),
            regex=r"^(\d{6}|\d{12})$",
            error_messages={
                "invalid": _("Enter a 12-digit village code or a 6-digit region code.")
            },
        ),
    }


# The form's input of each field, where it differs from the field's own name.
INPUT_OF_FIELD = {
    "id_number": "new_id_number",
    "birth_date": "new_birth_date",
    "sex": "new_sex",
    "name": "new_name",
}


class CorrectionForm(ChangeForm):
    """更正: one field of the person, its right value, and why.

    Only the chosen field's input is on the form (``choose``); ``cleaned_data["value"]`` is
    that input as text, which the service checks. A client of the API sends ``value``.
    """

    field = forms.ChoiceField(
        label=_("Field to correct"), choices=CORRECTABLE, widget=forms.HiddenInput
    )
    value = forms.CharField(required=False, max_length=50, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["effective_date"].initial = timezone.localdate
        self.fields["effective_date"].help_text = _("The day the correction is made.")
        chosen = self.data.get("field") if self.is_bound else None
        self.choose(chosen or "name")

    def choose(self, field: str | None) -> None:
        """Put the input of ``field`` on the form (and take the others off)."""
        if field not in dict(CORRECTABLE):
            return
        self.chosen = field
        self.initial["field"] = field
        inputs = _correction_inputs()
        for code in inputs:
            self.fields.pop(INPUT_OF_FIELD.get(code, code), None)
        self.fields.pop("unlink", None)
        self.fields.pop("with_id_facts", None)
        self.fields[self.input_name] = inputs[field]
        if self.is_bound and self.data.get("value"):
            self.fields[self.input_name].required = False  # an API client sends ``value``
        if field in ("mother", "father"):
            self.fields["unlink"] = forms.BooleanField(
                label=_("Remove the link: this parent is not in the register"), required=False
            )
        if field == "id_number":
            self.fields["with_id_facts"] = forms.BooleanField(
                label=_("Also correct the birth date and sex from the identity number"),
                required=False,
            )
        self.order_fields(
            ["token", "person", "village", "effective_date", "field", self.input_name]
        )

    def field_links(self) -> list[tuple[str, Any, str, bool]]:
        """(field, label, query, chosen) to switch the form to another field, keeping the
        person and the village chosen."""
        keep = {}
        for name in ("person", "village"):
            value = self.data.get(name) if self.is_bound else self.initial.get(name)
            if value:
                keep[name] = str(value)
        return [
            (code, label, urlencode({**keep, "field": code}), code == self.chosen)
            for code, label in CORRECTABLE
        ]

    @property
    def input_name(self) -> str:
        """The name of the chosen field's input on the form."""
        return INPUT_OF_FIELD.get(self.chosen, self.chosen)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        raw = data.get(self.input_name)
        if isinstance(raw, datetime.date):
            raw = raw.isoformat()
        text = "" if raw is None else str(raw).strip()
        if self.chosen in ("mother", "father"):
            if data.get("unlink"):
                text = ""
            elif not text and not data.get("value"):
                self.add_error(None, _("Choose the parent from the search results."))
        data["value"] = text or (data.get("value") or "").strip()
        return data


FORMS: dict[str, type[ChangeForm]] = {
    "birth": BirthForm,
    "death": DeathForm,
    "move_in": MoveInForm,
    "arrival": ArrivalForm,
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
