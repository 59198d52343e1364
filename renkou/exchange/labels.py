"""Words for the exchange pages: canonical column names, outcomes' help, job steps."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

COLUMNS = {
    "certificate_no": _("Birth certificate number"),
    "birth_date": _("Birth date"),
    "sex": _("Sex"),
    "name": _("Name"),
    "mother_name": _("Mother's name"),
    "mother_id": _("Mother's identity number"),
    "father_name": _("Father's name"),
    "father_id": _("Father's identity number"),
    "address": _("Address"),
    "id_number": _("Identity number"),
    "death_date": _("Death date"),
    "ethnicity": _("Ethnicity"),
    "registered_on": _("Registered on"),
    "reason": _("Reason"),
    "cancelled_on": _("Cancelled on"),
    "guardian_name": _("Guardian's name"),
    "husband_name": _("Husband's name"),
    "husband_id": _("Husband's identity number"),
    "wife_name": _("Wife's name"),
    "wife_id": _("Wife's identity number"),
    "act": _("Marriage or divorce"),
}
STEPS = {
    "read": _("reading the file"),
    "validate": _("checking the rows"),
    "save": _("saving"),
    "exact": _("matching identity numbers"),
    "probabilistic": _("matching names and birth dates"),
}
SEXES = {"M": _("Male"), "F": _("Female")}


def column_label(name: str) -> str:
    """The label of a canonical column in the current language."""
    return str(COLUMNS.get(name, name))
