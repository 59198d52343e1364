"""Demographic schedules by single year of age: fertility, mortality, marriage, migration.

Levels are chosen so that a county with China's 2020 age structure shows, over 2021-2025,
a TFR near 1.2, a crude death rate near 7.5 ‰ and a mean age of mothers near 29
(national figures for those years: TFR ~1.0-1.3, CDR 7.2-7.9 ‰).
"""

from __future__ import annotations

import math

import numpy as np

AGES = np.arange(121)
MAX_AGE = 120

TFR = 1.2
LEGAL_MARRIAGE_AGE = {0: 20, 1: 22}  # sex 0 = female, 1 = male (婚姻法 / 民法典 art. 1047)
MOTHER_AGE = (15, 49)  # births are simulated to women of these ages only

# Birth spacing: no woman gives birth twice within this many days.
MIN_BIRTH_GAP_DAYS = 300

# Parity progression weights, index = births so far (3 = three or more). Historic ones shape
# who the mothers of today's children are; the window ones shape births since the three-child
# policy (2021): about 45 % first, 40 % second, 15 % third or later.
HISTORIC_PARITY_WEIGHTS = {
    1980: (1.0, 0.9, 0.6, 0.3),  # children born before 1980
    2016: (1.0, 0.45, 0.08, 0.02),  # one-child era (Zhejiang: second child in some cases)
    9999: (1.0, 0.8, 0.15, 0.05),  # universal two-child policy, 2016-
}
WINDOW_PARITY_WEIGHTS = (1.0, 1.0, 0.15, 0.045)
# Relative chance of a birth for a woman who is not married, against a married one.
UNMARRIED_BIRTH_WEIGHT = 0.03

# Sex ratio at birth (boys per 100 girls) by birth order 1, 2, 3+; overall about 110.
SRB_BY_ORDER = (107.0, 110.0, 122.0)


def _gamma_shape(mean_age: float, sd: float, lo: int, hi: int) -> np.ndarray:
    """A gamma density over ages ``lo``..``hi``, shifted to start at 14, summing to 1."""
    m = mean_age - 14.0
    theta = sd * sd / m
    k = m / theta
    out = np.zeros(len(AGES))
    for a in range(lo, hi + 1):
        x = a + 0.5 - 14.0
        out[a] = math.exp((k - 1) * math.log(x) - x / theta - math.lgamma(k) - k * math.log(theta))
    return out / out.sum()


def asfr(tfr: float = TFR) -> np.ndarray:
    """Age-specific fertility rates (births per woman-year) by single year of age."""
    return tfr * _gamma_shape(27.9, 4.4, *MOTHER_AGE)


def historic_birth_age_shape() -> np.ndarray:
    """Relative chance of a birth by mother's age, for children born before the window."""
    return _gamma_shape(26.5, 4.6, 17, 45)


def mortality(sex: int) -> np.ndarray:
    """Annual probability of dying by single year of age (Gompertz-Makeham above age 25)."""
    a = AGES.astype(float)
    level, background = (0.0104, 0.00035) if sex == 1 else (0.0061, 0.00018)
    mu = level * np.exp(0.095 * (a - 60.0)) + background
    q = 1.0 - np.exp(-mu)
    q[0] = 0.0056 if sex == 1 else 0.0048  # infant mortality ~5 ‰ (2020: 5.4 ‰)
    q[1:5] = 0.0003
    q[5:15] = 0.0002
    q[15:25] = np.maximum(q[15:25], 0.0004 if sex == 1 else 0.0002)
    return np.minimum(q, 0.6)


def ever_married(sex: int) -> np.ndarray:
    """Share ever married by age (2020 census shape; nobody under the legal age)."""
    a = AGES.astype(float)
    if sex == 0:
        p = 0.985 / (1.0 + np.exp(-(a - 25.2) / 2.3))
    else:
        p = 0.965 / (1.0 + np.exp(-(a - 27.3) / 2.9))
    p[: LEGAL_MARRIAGE_AGE[sex] + 1] = 0.0
    return p


def widowed_given_married(sex: int) -> np.ndarray:
    """Share widowed among the ever married, by age (women outlive their older husbands)."""
    a = AGES.astype(float)
    mid, scale = (77.0, 6.5) if sex == 0 else (85.0, 6.5)
    p = 1.0 / (1.0 + np.exp(-(a - mid) / scale))
    p[a < 30] = 0.0
    return p


def divorced_given_married(sex: int) -> np.ndarray:
    """Share divorced (and not remarried) among the ever married, by age."""
    a = AGES.astype(float)
    p = 0.035 * np.exp(-(((a - 45.0) / 14.0) ** 2))
    p[a < 22] = 0.0
    return p


def first_marriage_hazard(sex: int) -> np.ndarray:
    """Annual chance that a never-married person of this age marries."""
    a = AGES.astype(float)
    if sex == 0:
        h = 0.26 * np.exp(-(((a - 27.0) / 4.5) ** 2)) + 0.012
    else:
        h = 0.22 * np.exp(-(((a - 29.0) / 5.0) ** 2)) + 0.01
    h[: LEGAL_MARRIAGE_AGE[sex]] = 0.0
    h[a > 60] = 0.0
    return h


DIVORCE_RATE = 0.006  # per married couple per year


def step_profile(points: dict[int, float]) -> np.ndarray:
    """A step profile by age from ``{first age of step: value}``."""
    out = np.zeros(len(AGES))
    keys = sorted(points)
    for i, k in enumerate(keys):
        hi = keys[i + 1] if i + 1 < len(keys) else len(AGES)
        out[k:hi] = points[k]
    return out


# Relative chance, by age at the window's start, of being a migrant registered elsewhere
# (流入): young workers and their children; few elderly.
INFLOW_PROFILE = step_profile(
    {0: 0.10, 5: 0.09, 10: 0.08, 15: 0.10, 20: 0.20, 25: 0.24, 30: 0.22, 35: 0.18,
     40: 0.15, 45: 0.12, 50: 0.08, 55: 0.05, 60: 0.03, 65: 0.015}
)  # fmt: skip
# Relative chance, by age, that an adult registered here lives elsewhere (流出).
OUTFLOW_PROFILE = step_profile(
    {0: 0.0, 15: 0.12, 20: 0.26, 25: 0.26, 30: 0.21, 35: 0.16, 40: 0.12, 45: 0.10,
     50: 0.05, 60: 0.02}
)  # fmt: skip
INFLOW_SHARE = 0.112  # of all persons
OUTFLOW_SHARE = 0.07  # of all persons (registered here, living elsewhere)
