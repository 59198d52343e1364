"""Every count and rate of the hand-built register, against answers worked out by hand.

See tests/analytics/hand_register.py for who is who. Instants: the population at the end
of 2024 is at 2025-01-01 00:00, so D1 (died 2024-12-31) is out and T1/T2 are in.
"""

from __future__ import annotations

import json

import pytest

from renkou.analytics import indicators
from renkou.analytics.engines import DuckDBEngine
from renkou.analytics.periods import parse
from renkou.analytics.snapshot import snapshot_refresh
from tests.analytics.hand_register import A1, A2, B1, COUNTY, TOWNSHIP_A, TOWNSHIP_B, hand_register

PERIODS = [
    "2023",
    "2024",
    "2024Q1",
    "2024Q2",
    "2024Q3",
    "202412",
    "2023OctS1",
    "2023OctS2",
    "2023Oct",
]


_COMPUTED: dict[tuple[str, str, str, str], tuple] = {}


@pytest.fixture
def figures(db, tmp_path):
    """The figures, computed by the first test that asks and kept for the others (each
    test's register is rolled back; the figures are plain tuples)."""
    if not _COMPUTED:
        hand_register(tmp_path / "load")
        snapshot_refresh(tmp_path / "snap")
        periods = [parse(p) for p in PERIODS]
        rows = indicators.compute(DuckDBEngine(), tmp_path / "snap", periods)
        _COMPUTED.update({(r[0], r[1], r[2], r[3]): r for r in rows})
    return _COMPUTED


def val(figures, indicator, unit, period="2024", basis="registered"):
    return figures[(indicator, unit, period, basis)][4]


def row(figures, indicator, unit, period="2024", basis="registered"):
    return figures[(indicator, unit, period, basis)]


def test_population_at_start_and_end_registered(figures):
    # A1 at 2024-01-01: M1 M2 O2 M3 D1; at 2025-01-01: M1 C1 M2 O2 C2 M3 T1 T2 G1 (D1 died
    # on the last day; G1 came with the merger of A2)
    assert val(figures, "population_start", A1) == 5
    assert val(figures, "population_end", A1) == 9
    assert val(figures, "population_start", A2) == 1
    assert val(figures, "population_end", A2) == 0
    assert val(figures, "population_start", TOWNSHIP_A) == 6
    assert val(figures, "population_end", TOWNSHIP_A) == 9
    # B1: M4 V1 M6 L1 (born 2023) at both ends; I1 was born and died inside the year
    assert val(figures, "population_start", B1) == 4
    assert val(figures, "population_end", B1) == 4
    assert val(figures, "population_start", COUNTY) == 10
    assert val(figures, "population_end", COUNTY) == 13
    assert val(figures, "population_end", "33") == 13
    assert val(figures, "average_population", COUNTY) == 11.5


def test_population_at_start_and_end_resident(figures):
    # A1 lives: M1 M2 O2 M3 D1 W1 at the start; at the end M1 C1 M2 O2 C2 G1 W1, and the
    # twins: born in B1 on 15 July, registered in A1, away from A1 less than six months at
    # the year's end (their six months are full at the end of 15 January 2025)
    assert val(figures, "population_start", A1, basis="resident") == 6
    assert val(figures, "population_end", A1, basis="resident") == 9
    # V1 left B1 on 1 January: still there at 2024-01-01 00:00
    assert val(figures, "population_start", B1, basis="resident") == 4
    # M4 M6 L1 plus M3, who moved on 30 June: six months full at the end of 30 December
    assert val(figures, "population_end", B1, basis="resident") == 4
    # at the end of Q3 (2024-10-01 00:00): M1 C1 M2 O2 C2 D1 G1 W1, and M3 (away from A1
    # three months) and the twins (two and a half) still A1's
    assert val(figures, "population_end", A1, "2024Q3", basis="resident") == 11


def test_person_years_are_exact_days_lived(figures):
    # A1 registered in 2024 (366 days): 4 whole years (M1 M2 O2 M3) + D1 whole (alive through
    # 31 Dec) + C1 from 1 Apr (275) + C2 from 2 Apr (274) + twins from 16 Jul (169 each)
    # + G1 from 2 Jul (183)
    days = 4 * 366 + 366 + 275 + 274 + 2 * 169 + 183
    assert row(figures, "average_population_person_years", A1)[4] == pytest.approx(days / 366)
    # G1's other 183 days were in A2
    assert val(figures, "average_population_person_years", A2) == pytest.approx(183 / 366)


def test_births_across_period_boundaries(figures):
    assert val(figures, "births", COUNTY, "2024Q1") == 2  # I1 (10 Feb), C1 (31 Mar)
    assert val(figures, "births", COUNTY, "2024Q2") == 1  # C2 (1 Apr)
    assert val(figures, "births", COUNTY, "2024") == 5
    assert val(figures, "births", COUNTY, "2023OctS1") == 3  # L1, I1, C1
    assert val(figures, "births", COUNTY, "2023OctS2") == 3  # C2, T1, T2
    assert val(figures, "births", COUNTY, "2023Oct") == 6
    # population at the end of Q1 counts C1, born on its last day; I1 is alive then
    assert val(figures, "population_end", COUNTY, "2024Q1") == 12
    assert val(figures, "population_end", COUNTY, "2024Q2") == 12  # I1 died, C2 born


def test_births_by_registered_place_and_by_residence(figures):
    # the twins are registered in A1 with their mother, and live in B1 with her
    assert val(figures, "births", A1) == 4
    assert val(figures, "births", B1) == 1
    assert val(figures, "births", A1, basis="resident") == 2
    assert val(figures, "births", B1, basis="resident") == 3


def test_late_reported_birth(figures):
    # L1 born 2023-11-10, reported 2024-02-01: a 2023 birth, reported late in 2024's Q1
    assert val(figures, "births", B1, "2023") == 1
    assert val(figures, "late_births_reported", B1, "2024") == 1
    assert val(figures, "late_births_reported", B1, "2024Q1") == 1
    assert val(figures, "late_births_reported", COUNTY, "2024") == 1
    # reported inside the half-year it happened in: not late there
    assert val(figures, "late_births_reported", B1, "2023OctS1") == 0


def test_deaths_on_the_last_day_and_infant_deaths(figures):
    assert val(figures, "deaths", A1) == 1
    assert val(figures, "deaths", A1, "202412") == 1
    assert val(figures, "population_end", A1, "202412") == 9
    assert val(figures, "population_start", A1, "202412") == 10
    assert val(figures, "infant_deaths", B1) == 1
    assert val(figures, "infant_deaths", COUNTY) == 1
    assert val(figures, "infant_mortality_rate", COUNTY) == pytest.approx(1 / 5 * 1000)


def test_rates_from_the_demography_library(figures):
    cbr = row(figures, "crude_birth_rate", COUNTY)
    assert cbr[4:8] == (pytest.approx(5 / 11.5 * 1000), 5, 11.5, 5)
    assert cbr[8] < cbr[4] < cbr[9]  # interval around the rate
    assert val(figures, "crude_death_rate", COUNTY) == pytest.approx(2 / 11.5 * 1000)
    assert val(figures, "natural_growth_rate", COUNTY) == pytest.approx(3 / 11.5 * 1000)
    srb = row(figures, "sex_ratio_at_birth", COUNTY)  # boys C1 T1; girls C2 T2 I1
    assert srb[4:8] == (pytest.approx(200 / 3), 2, 3, 5)
    assert srb[8] < 200 / 3 < srb[9]
    assert val(figures, "parity_share_1", COUNTY) == pytest.approx(60.0)  # C1 T1 I1
    assert val(figures, "parity_share_2", COUNTY) == pytest.approx(40.0)  # C2 T2
    assert val(figures, "parity_share_3plus", COUNTY) == 0


def test_fertility_by_mothers_age(figures):
    # A1 registered women 15–49: M1 M2 M3 at both ends; births 4 → GFR 4 / 3 × 1000
    assert val(figures, "women_15_49", A1) == 3
    assert val(figures, "general_fertility_rate", A1) == pytest.approx(4 / 3 * 1000)
    # M1 is 29 at the start and 30 at the end (25–29 → 30–34); M2 33 → 34; M3 38 → 39.
    # Births: C1 to M1 at 29, C2 to M2 at 33, the twins to M3 at 39.
    assert val(figures, "asfr_25_29", A1) == pytest.approx(1 / 0.5 * 1000)
    assert val(figures, "asfr_30_34", A1) == pytest.approx(1 / 1.5 * 1000)
    assert val(figures, "asfr_35_39", A1) == pytest.approx(2 / 1 * 1000)
    # no women of 20–24 in A1: the rate is undefined (it adds nothing to the TFR)
    assert val(figures, "asfr_20_24", A1) is None
    tfr = 5 * (2000 + 1000 / 1.5 + 2000) / 1000
    assert val(figures, "total_fertility_rate", A1) == pytest.approx(tfr)


def test_moves_count_only_across_the_unit_boundary(figures):
    # registered: only G1's transfer A2 → A1, inside township A
    assert val(figures, "moves_in", A1) == 1
    assert val(figures, "moves_out", A2) == 1
    assert val(figures, "moves_in", TOWNSHIP_A) == 0
    # residence: M3 A1 → B1, G1 A2 → A1, V1 B1 → elsewhere
    assert val(figures, "moves_in", A1, basis="resident") == 1
    assert val(figures, "moves_out", A1, basis="resident") == 1
    assert val(figures, "moves_out", TOWNSHIP_A, basis="resident") == 1
    assert val(figures, "moves_in", TOWNSHIP_B, basis="resident") == 1
    assert val(figures, "moves_out", TOWNSHIP_B, basis="resident") == 1
    assert val(figures, "moves_in", COUNTY, basis="resident") == 0
    assert val(figures, "moves_out", COUNTY, basis="resident") == 1


def test_floating_population_at_period_end(figures):
    assert val(figures, "floating_in", COUNTY) == 1  # W1
    assert val(figures, "floating_out", COUNTY) == 1  # V1
    assert val(figures, "floating_in", A1) == 1  # W1
    assert val(figures, "floating_out", A1) == 3  # M3 and the twins live in B1
    assert val(figures, "floating_in", B1) == 3
    assert val(figures, "floating_out", B1) == 1
    # at the end of 2023 M3 still lived in A1 and V1 in B1
    assert val(figures, "floating_out", A1, "2023") == 0
    assert val(figures, "floating_out", COUNTY, "2023") == 0


def test_every_indicator_for_every_unit_period_and_basis(figures):
    cells = {(k[1], k[2], k[3]) for k in figures}
    assert len(cells) == 8 * len(PERIODS) * 2  # 8 units
    names = {k[0] for k in figures}
    assert names == set(indicators.INDICATORS)


def test_population_pyramid_at_period_end(figures):
    # A1 registered at 2025-01-01: boys C1 T1 (0–4), O2 (5–9); girls C2 T2 (0–4), M1 M2
    # (30–34), M3 (35–39), G1 (60–64)
    end = row(figures, "population_end", A1)
    pyramid = json.loads(end[10])
    boys, girls = [0] * 21, [0] * 21
    boys[0], boys[1] = 2, 1
    girls[0], girls[6], girls[7], girls[12] = 2, 2, 1, 1
    assert pyramid == {"M": boys, "F": girls}
    assert sum(pyramid["M"]) + sum(pyramid["F"]) == end[4] == 9
    # the county's pyramid is the sum of its villages'
    county = json.loads(row(figures, "population_end", COUNTY)[10])
    b1 = json.loads(row(figures, "population_end", B1)[10])
    assert county["F"] == [a + b for a, b in zip(pyramid["F"], b1["F"], strict=True)]


def test_married_women_by_living_children(figures):
    def married(unit, period="2024", basis="registered"):
        r = row(figures, "married_women_15_49", unit, period, basis)
        assert r[4] == sum(json.loads(r[10]))
        return json.loads(r[10])

    # end of 2024: M1 (C1), M2 (O2, C2), M3 (twins) in A1; M6 married on 2024-09-01 (L1);
    # M4 divorced on 2024-07-10; G1 is widowed and over 49; W1 is not married
    assert married(A1) == [0, 1, 2, 0]
    assert married(B1) == [0, 1, 0, 0]
    assert married(COUNTY) == [0, 2, 2, 0]
    assert married(A1, basis="resident") == [0, 1, 1, 0]
    assert married(B1, basis="resident") == [0, 1, 1, 0]
    # end of June: the twins not yet born, I1 (M4's only child) dead, M4 still married
    assert married(A1, "2024Q2") == [1, 1, 1, 0]
    assert married(B1, "2024Q2") == [1, 0, 0, 0]
    # end of March: C1 born on the 31st counts, C2 born on 1 April not yet; I1 alive
    assert married(A1, "2024Q1") == [1, 2, 0, 0]
    assert married(B1, "2024Q1") == [0, 1, 0, 0]


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The textbook Wilson interval, written out here."""
    p = k / n
    centre = p + z * z / (2 * n)
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def test_bounded_rates_have_wilson_intervals_and_growth_and_tfr_have_intervals(figures):
    from scipy.stats import chi2, norm

    # infant mortality: 1 infant death (I1) among 5 births, as a proportion per 1000
    imr = row(figures, "infant_mortality_rate", COUNTY)
    low, high = _wilson(1, 5)
    assert imr[8:10] == (pytest.approx(low * 1000), pytest.approx(high * 1000))
    assert 0 <= imr[8] < imr[4] < imr[9] <= 1000
    # parity shares of all 5 births: 3 first (C1 T1 I1), 2 second (C2 T2), none third
    for name, k in (("parity_share_1", 3), ("parity_share_2", 2), ("parity_share_3plus", 0)):
        share = row(figures, name, COUNTY)
        assert share[4:7] == (pytest.approx(k / 5 * 100), k, 5)
        low, high = _wilson(k, 5)
        assert share[8:10] == (pytest.approx(low * 100, abs=1e-9), pytest.approx(high * 100))
    # natural growth: births 5 and deaths 2 over 11.5 persons, each count's exact (Garwood)
    # interval at 97.5 % so that both hold together at 95 %
    tail = 0.0125
    b_low, b_high = chi2.ppf(tail, 2 * 5) / 2, chi2.ppf(1 - tail, 2 * 5 + 2) / 2
    d_low, d_high = chi2.ppf(tail, 2 * 2) / 2, chi2.ppf(1 - tail, 2 * 2 + 2) / 2
    growth = row(figures, "natural_growth_rate", COUNTY)
    assert growth[8] == pytest.approx((b_low - d_high) / 11.5 * 1000, rel=1e-6)
    assert growth[9] == pytest.approx((b_high - d_low) / 11.5 * 1000, rel=1e-6)
    # TFR of A1: births 1, 1, 2 to average women 0.5, 1.5, 1 (groups 25–29, 30–34, 35–39);
    # variance 5² × Σ births / women²
    tfr = 5 * (1 / 0.5 + 1 / 1.5 + 2 / 1)
    spread = norm.ppf(0.975) * (25 * (1 / 0.25 + 1 / 2.25 + 2 / 1)) ** 0.5
    fertility = row(figures, "total_fertility_rate", A1)
    assert fertility[4] == pytest.approx(tfr)
    assert fertility[8:10] == (pytest.approx(max(0.0, tfr - spread)), pytest.approx(tfr + spread))
