"""Coded values of the register, with their labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    """性别."""

    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class HukouType(models.TextChoices):
    """户口性质: rural or urban registration (benefit rules use it)."""

    RURAL = "rural", _("Rural")
    URBAN = "urban", _("Urban")


class MaritalStatus(models.TextChoices):
    """婚姻状况."""

    SINGLE = "single", _("Never married")
    MARRIED = "married", _("Married")
    DIVORCED = "divorced", _("Divorced")
    WIDOWED = "widowed", _("Widowed")


class PersonStatus(models.TextChoices):
    """Whether the person is in the population."""

    ALIVE = "alive", _("Alive")
    DEAD = "dead", _("Dead")
    EMIGRATED = "emigrated", _("Emigrated")


class Relation(models.TextChoices):
    """Relation to the head of household (与户主关系)."""

    HEAD = "head", _("Head")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Sibling")
    IN_LAW = "in_law", _("Child-in-law")
    OTHER = "other", _("Other")


class EventKind(models.TextChoices):
    """Kinds of change (变动)."""

    ENROL = "enrol", _("Enrolment (initial load)")
    BIRTH = "birth", _("Birth")
    DEATH = "death", _("Death")
    MOVE_IN = "move_in", _("Moved in")
    MOVE_OUT = "move_out", _("Moved out")
    HUKOU_IN = "hukou_in", _("Household registration transferred in")
    HUKOU_OUT = "hukou_out", _("Household registration transferred out")
    MARRIAGE = "marriage", _("Marriage")
    DIVORCE = "divorce", _("Divorce")
    # The spouse's death ends the marriage: recorded for the survivor when the death is applied.
    WIDOWHOOD = "widowhood", _("Widowed")
    CORRECTION = "correction", _("Correction")


class EventStatus(models.TextChoices):
    """Where an event is in review: submitted → reviewed → applied, or rejected."""

    SUBMITTED = "submitted", _("Submitted")
    REVIEWED = "reviewed", _("Reviewed")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")


class Source(models.TextChoices):
    """Where an event was reported from."""

    VILLAGE = "village", _("Village report")
    HOSPITAL = "hospital", _("Hospital")
    POLICE = "police", _("Police")
    SCHOOL = "school", _("School")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
    API = "api", _("API")
    LOAD = "load", _("Initial load")
