"""The names of the statistics: which indicators renkou computes, and the age groups they
use. Nothing here imports the engines (Ibis, DuckDB, Spark), so that the pages, forms and
lists that only name indicators start without them: a web process imports the engines only
if it counts.
"""

from __future__ import annotations

AGE_GROUP_WIDTH = 5
LAST_AGE_GROUP = 20  # 100 and over
FERTILE_GROUPS = range(3, 10)  # 15–19 … 45–49


def group_label(group: int) -> str:
    """``15_19`` for age group 3 (used in indicator names)."""
    return f"{group * 5}_{group * 5 + 4}"


INDICATORS: tuple[str, ...] = (
    "population_start",
    "population_end",
    "average_population",
    "average_population_person_years",
    "births",
    "births_male",
    "births_female",
    "crude_birth_rate",
    "deaths",
    "crude_death_rate",
    "natural_growth_rate",
    "sex_ratio_at_birth",
    "weighted_sex_ratio_at_birth",
    "parity_share_1",
    "parity_share_2",
    "parity_share_3plus",
    "women_15_49",
    "married_women_15_49",
    "general_fertility_rate",
    *(f"asfr_{group_label(g)}" for g in FERTILE_GROUPS),
    "total_fertility_rate",
    "total_fertility_rate_single_years",
    "infant_deaths",
    "infant_mortality_rate",
    "moves_in",
    "moves_out",
    "floating_in",
    "floating_out",
    "late_births_reported",
)
