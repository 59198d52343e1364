"""Errors raised by ``renkou.demography``: one base class, a subclass for undefined statistics."""

from __future__ import annotations


class DemographyError(ValueError):
    """An argument a demographic statistic cannot be computed from.

    Raised for negative counts, NaN or infinite values, a confidence level outside (0, 1),
    weights that do not sum to 1 and the like. ``argument`` names the offending argument (or
    is ``None`` when no single argument is at fault), so that a form or an import report can
    point at it.
    """

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


class UndefinedStatisticError(DemographyError):
    """A statistic whose denominator is zero, so it has no value (e.g. a sex ratio with no girls).

    Kept apart from other errors because a report usually shows such a cell as "—" rather than
    failing, while a negative or NaN input is a bug upstream.
    """
