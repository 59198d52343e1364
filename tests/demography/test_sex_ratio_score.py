"""The weighted SRB as offices score it (parts cut to two decimals), and the band test."""

from __future__ import annotations

import pytest

from renkou.demography.errors import DemographyError
from renkou.demography.sex_ratio import band_position, weighted_sex_ratio_score


def test_the_summary_example_scores_as_printed() -> None:
    score = weighted_sex_ratio_score([(128 + 125 + 71, 141 + 126 + 68, 0.4), (84, 69 + 3, 0.6)])
    assert score.parts == (38.68, 70.00)
    assert score.total == 108.68
    assert score.ratios[0] == pytest.approx(324 / 335 * 100)
    # Half-up rounding would print 38.69 and 108.69: the parts are cut, not rounded.
    assert round(0.4 * 324 / 335 * 100, 2) == 38.69
    assert round(score.exact, 2) == 108.69


def test_a_part_exactly_on_two_decimals_is_not_cut_below_itself() -> None:
    # 0.3 × 66.666… is exactly 20; in floating point it is 19.99999…, which a cut of the
    # float would print as 19.99.
    assert 0.3 * (2 / 3 * 100) < 20
    assert weighted_sex_ratio_score([(2, 3, 0.3), (1, 1, 0.7)]).parts == (20.0, 70.0)


def test_weights_must_add_up_and_girls_are_needed() -> None:
    with pytest.raises(DemographyError):
        weighted_sex_ratio_score([(10, 10, 0.5), (10, 10, 0.4)])
    with pytest.raises(DemographyError):
        weighted_sex_ratio_score([(10, 0, 1.0)])


@pytest.mark.parametrize(
    ("low", "high", "band", "expected"),
    [
        (103.0, 107.0, (103, 107), "within"),
        (106.6, 135.1, (103, 107), "uncertain"),
        (107.0, 120.0, (103, 107), "uncertain"),  # touching is overlapping
        (107.1, 120.0, (103, 107), "above"),
        (90.0, 102.9, (103, 107), "below"),
        (107.1, 120.0, (103, 110), "uncertain"),  # another band, another answer
    ],
)
def test_band_position_flags_only_an_interval_that_excludes_the_band(low, high, band, expected):
    assert band_position(low, high, *band) == expected
