"""Short names of the logic-check rules, for lists and filters (the messages say the detail)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

RULE_NAMES: dict[str, str | Promise] = {
    "Q-ID-UNREADABLE": _("Identity number unreadable"),
    "Q-ID-FORMAT": _("Identity number malformed"),
    "Q-ID-CHECKSUM": _("Identity number check character wrong"),
    "Q-ID-BIRTH-DATE": _("Birth date differs from the identity number"),
    "Q-ID-SEX": _("Sex differs from the identity number"),
    "Q-ID-REGION": _("Identity number region code unknown"),
    "Q-ID-DUPLICATE": _("Identity number held by several persons"),
    "Q-ID-MISSING-ADULT": _("Adult without an identity number"),
    "Q-DATE-BIRTH-FUTURE": _("Birth date in the future"),
    "Q-DATE-DEATH-FUTURE": _("Death date in the future"),
    "Q-DATE-DEATH-BEFORE-BIRTH": _("Death before birth"),
    "Q-STATUS-DEAD-NO-DATE": _("Dead without a death date"),
    "Q-STATUS-DATE-NOT-DEAD": _("Death date but not dead"),
    "Q-AGE-OVER-110": _("Aged over 110"),
    "Q-AGE-IMPOSSIBLE": _("Impossible age"),
    "Q-EVENT-AFTER-DEATH": _("Change after death"),
    "Q-EVENT-BEFORE-BIRTH": _("Change before birth"),
    "Q-EVENT-REPORTED-BEFORE": _("Reported before it happened"),
    "Q-EVENT-UNIT-INVALID": _("Change at a unit not existing that day"),
    "Q-FAM-BEFORE-MOTHER": _("Born before the mother"),
    "Q-FAM-MOTHER-AGE": _("Mother's age at the birth impossible"),
    "Q-FAM-MOTHER-AGE-UNUSUAL": _("Mother's age at the birth unusual"),
    "Q-FAM-BEFORE-FATHER": _("Born before the father"),
    "Q-FAM-FATHER-AGE": _("Father too young at the birth"),
    "Q-FAM-MOTHER-SEX": _("Mother not female"),
    "Q-FAM-FATHER-SEX": _("Father not male"),
    "Q-FAM-OWN-PARENT": _("Own parent"),
    "Q-FAM-MOTHER-DEAD": _("Mother dead before the birth"),
    "Q-FAM-FATHER-DEAD": _("Father dead long before the birth"),
    "Q-PARITY-TOO-LOW": _("Birth order too low"),
    "Q-PARITY-DUPLICATE": _("Birth order repeated"),
    "Q-PARITY-GAP": _("Gap in birth orders"),
    "Q-BIRTH-SPACING": _("Births too close together"),
    "Q-BIRTH-SPACING-SHORT": _("Births close together"),
    "Q-DUP-NO-ID": _("Possibly entered twice"),
    "Q-MAR-UNDER-AGE": _("Married below the legal age"),
    "Q-MAR-TWICE": _("Married again without a divorce"),
    "Q-RES-MISSING": _("Residence missing"),
    "Q-HUKOU-MISSING": _("Registered place missing"),
    "Q-RES-NOT-VILLAGE": _("Residence not a village"),
    "Q-RES-UNIT-CLOSED": _("Residence unit abolished"),
    "Q-HUKOU-UNIT-CLOSED": _("Registered place abolished"),
    "Q-PLACE-REGION-UNKNOWN": _("Place code unknown"),
    "Q-HH-NO-HEAD": _("Household without a head"),
    "Q-HH-TWO-HEADS": _("Household with several heads"),
    "Q-REQ-NAME": _("Name missing"),
    "Q-REQ-SEX": _("Sex missing"),
    "Q-REQ-BIRTH-DATE": _("Birth date missing"),
    "Q-REQ-ETHNICITY": _("Ethnicity missing"),
    "Q-REQ-ID-NUMBER": _("Identity number missing"),
    "Q-REQ-HUKOU-TYPE": _("Registration type missing"),
    "Q-REQ-MARITAL": _("Marital status missing"),
    "Q-REQ-RELATION": _("Relation to the head missing"),
}


def rule_name(code: str) -> str:
    """The rule's short name in the current language (the code itself if unknown)."""
    name = RULE_NAMES.get(code)
    return str(name) if name else code
