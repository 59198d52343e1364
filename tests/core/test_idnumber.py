"""Identity numbers: GB 11643-1999 check character, dates, regions, 15-digit upgrade, errors."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renkou.core import idnumber, regions
from renkou.core.idnumber import (
    IdNumber,
    InvalidIdNumber,
    check_character,
    is_valid,
    parse,
    upgrade15,
)

TODAY = date(2025, 6, 30)
STANDARD_EXAMPLE = "11010519491231002X"  # the example printed in GB 11643-1999

KNOWN = sorted(regions.known_codes())
CURRENT = [code for code in KNOWN if regions.is_current(code)]
# A code that was never in any list: the first-level "99" does not exist.
UNKNOWN_REGION = "999999"

region_codes = st.sampled_from(KNOWN)
birth_dates = st.dates(min_value=date(1850, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


def make(region: str, born: date, sequence: int) -> str:
    """A valid 18-character number from its parts."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def error_code(text: object, **kwargs) -> str:
    with pytest.raises(InvalidIdNumber) as info:
        parse(text, **kwargs)
    return info.value.code


# --- the standard's example and the check character --------------------------------------


def test_standard_example_parses():
    parsed = parse(STANDARD_EXAMPLE, today=TODAY)
    assert parsed.number == STANDARD_EXAMPLE
    assert parsed.region_code == "110105"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sequence == 2
    assert parsed.sex == "F"
    assert parsed.check == "X"
    assert parsed.region_name == "朝阳区"
    assert parsed.province_name == "北京市"


def test_check_character_of_standard_example():
    assert check_character(STANDARD_EXAMPLE[:17]) == "X"


def test_check_character_by_hand():
    # Σ digit·weight mod 11 computed independently of the module for a second number.
    first17 = "44030519900101123"
    total = sum(int(d) * w for d, w in zip(first17, idnumber.WEIGHTS, strict=True))
    assert check_character(first17) == "10X98765432"[total % 11]


@pytest.mark.parametrize("bad", ["1101051949123100", "110105194912310021", "1101051949123100A", 17])
def test_check_character_refuses_anything_but_17_digits(bad):
    with pytest.raises(InvalidIdNumber):
        check_character(bad)


def test_every_remainder_maps_to_its_character():
    # Vary the sequence until each of the 11 remainders has been produced once.
    seen = {}
    for seq in range(1000):
        first17 = f"11010519491231{seq:03d}"
        total = sum(int(d) * w for d, w in zip(first17, idnumber.WEIGHTS, strict=True))
        seen[total % 11] = check_character(first17)
    assert seen == dict(enumerate("10X98765432"))


# --- normalisation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "11010519491231002x",
        " 11010519491231002X ",
        "110105 19491231 002X",
        "110105\t19491231\u3000002x\n",
        "１１０１０５１９４９１２３１００２ｘ",  # full-width, as a Chinese input method types it
    ],
)
def test_lower_case_x_spaces_and_full_width_are_accepted(text):
    parsed = parse(text, today=TODAY)
    assert parsed.number == STANDARD_EXAMPLE
    assert parsed.check == "X"


def test_number_given_as_int_is_accepted():
    number = make("110105", date(1980, 5, 17), 123)
    assert number[-1] != "X"
    assert parse(int(number), today=TODAY).number == number


# --- dates ------------------------------------------------------------------------------


def test_1850_is_the_earliest_birth_date():
    assert parse(make("110105", date(1850, 1, 1), 1), today=TODAY).birth_date == date(1850, 1, 1)
    assert error_code(make("110105", date(1849, 12, 31), 1), today=TODAY) == "birth_date"


def test_2100_is_refused_as_future_unless_today_is_later():
    number = make("110105", date(2100, 1, 1), 1)
    assert error_code(number, today=TODAY) == "future_birth_date"
    assert parse(number, today=date(2100, 1, 1)).birth_date == date(2100, 1, 1)


def test_born_today_is_accepted_and_tomorrow_is_not_by_default():
    today = date.today()
    assert parse(make("110105", today, 1)).birth_date == today
    assert error_code(make("110105", today + timedelta(days=1), 1)) == "future_birth_date"


@pytest.mark.parametrize("s8", ["19000229", "20230229", "20230230", "19491331", "19490001"])
def test_impossible_calendar_dates_are_refused(s8):
    first17 = f"110105{s8}002"
    number = first17 + check_character(first17)
    assert error_code(number, today=TODAY) == "birth_date"


def test_feb_29_of_a_leap_year_is_accepted():
    assert parse(make("110105", date(2000, 2, 29), 7), today=TODAY).birth_date == date(2000, 2, 29)
    assert parse(make("110105", date(1904, 2, 29), 7), today=TODAY).birth_date == date(1904, 2, 29)


# --- regions ----------------------------------------------------------------------------


def test_abolished_region_code_is_accepted():
    # 110103 崇文区 (Beijing) was merged into 东城区 in 2010; numbers issued before keep it.
    assert regions.is_known_region("110103")
    assert not regions.is_current("110103")
    parsed = parse(make("110103", date(1975, 3, 8), 35), today=TODAY)
    assert parsed.region_code == "110103"
    assert parsed.region_name == "崇文区"
    assert parsed.sex == "M"


def test_unknown_region_is_refused_unless_the_check_is_off():
    number = make(UNKNOWN_REGION, date(1975, 3, 8), 35)
    assert error_code(number, today=TODAY) == "region"
    parsed = parse(number, today=TODAY, check_region=False)
    assert parsed.region_code == UNKNOWN_REGION
    assert parsed.region_name is None


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("1101051949123100", "length"),
        ("1101051949123100200X", "length"),
        ("11010519491231002A", "characters"),
        ("1101051949123100-X", "characters"),
        ("11010519491231X02X", "characters"),
        ("11010519491231002٣", "characters"),  # an Arabic-Indic digit is a digit, but not ours
        ("1101054912310A2", "characters"),
        (3.5, "characters"),
        ("110105194912310021", "checksum"),
    ],
)
def test_error_codes(text, code):
    assert error_code(text, today=TODAY) == code


def test_error_carries_both_languages_and_the_value_without_leaking_it():
    with pytest.raises(InvalidIdNumber) as info:
        parse("110105194912310021", today=TODAY)
    error = info.value
    assert isinstance(error, ValueError)
    assert error.code == "checksum"
    assert error.value == "110105194912310021"
    assert str(error) == f"{error.message_zh} / {error.message_en}"
    assert "校验码" in error.message_zh
    assert "check character" in error.message_en
    # The message names the number masked, and the offending check character.
    assert "110105********0021" in error.message_en
    assert "'1'" in error.message_en
    assert "110105194912310021" not in str(error)


def test_date_and_region_errors_name_the_offending_part():
    first17 = "11010520000230001"
    with pytest.raises(InvalidIdNumber) as info:
        parse(first17 + check_character(first17), today=TODAY)
    assert info.value.code == "birth_date"
    assert "20000230" in info.value.message_zh
    assert "20000230" in info.value.message_en
    with pytest.raises(InvalidIdNumber) as info:
        parse(make(UNKNOWN_REGION, date(1990, 1, 1), 1), today=TODAY)
    assert UNKNOWN_REGION in info.value.message_zh
    assert UNKNOWN_REGION in info.value.message_en


def test_character_error_names_character_and_position():
    with pytest.raises(InvalidIdNumber) as info:
        parse("11010519491231O02X", today=TODAY)  # letter O typed for zero
    assert "'O'" in info.value.message_en
    assert "position 15" in info.value.message_en
    assert "第 15 位" in info.value.message_zh


def test_error_survives_pickling():
    with pytest.raises(InvalidIdNumber) as info:
        parse("", today=TODAY)
    original = info.value
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is InvalidIdNumber
    assert (copy.code, copy.message_zh, copy.message_en, copy.value) == (
        "empty",
        original.message_zh,
        original.message_en,
        "",
    )
    assert str(copy) == str(original)


def test_every_error_code_is_declared():
    assert set(InvalidIdNumber.CODES) == {
        "empty",
        "length",
        "characters",
        "checksum",
        "birth_date",
        "future_birth_date",
        "region",
    }


# --- the value object --------------------------------------------------------------------


def test_id_number_is_frozen_and_its_repr_is_masked():
    parsed = parse(STANDARD_EXAMPLE, today=TODAY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.number = "x"  # type: ignore[misc]
    assert repr(parsed) == "IdNumber(110105********002X)"
    assert STANDARD_EXAMPLE not in str(parsed)
    assert parsed == parse(STANDARD_EXAMPLE.lower(), today=TODAY)
    assert isinstance(parsed, IdNumber)


def test_is_valid():
    assert is_valid(STANDARD_EXAMPLE, today=TODAY)
    assert not is_valid("110105194912310021", today=TODAY)
    assert not is_valid(make(UNKNOWN_REGION, date(1990, 1, 1), 1), today=TODAY)
    assert is_valid(make(UNKNOWN_REGION, date(1990, 1, 1), 1), today=TODAY, check_region=False)


# --- 15-digit numbers --------------------------------------------------------------------


def test_upgrade15_inserts_19_and_adds_the_check_character():
    assert upgrade15("110105491231002") == STANDARD_EXAMPLE
    assert parse("110105491231002", today=TODAY).number == STANDARD_EXAMPLE


@pytest.mark.parametrize("bad", ["11010549123100", "1101054912310021", "11010549123100A", None])
def test_upgrade15_refuses_anything_but_15_digits(bad):
    with pytest.raises(InvalidIdNumber):
        upgrade15(bad)


# --- properties -------------------------------------------------------------------------


@given(region=region_codes, born=birth_dates, sequence=sequences)
def test_any_valid_number_parses_and_round_trips(region, born, sequence):
    number = make(region, born, sequence)
    parsed = parse(number, today=TODAY)
    assert parsed.number == number
    assert parsed.region_code == region
    assert parsed.birth_date == born
    assert parsed.sequence == sequence
    assert parsed.sex == ("M" if sequence % 2 else "F")
    assert parsed.check == number[17]
    assert make(parsed.region_code, parsed.birth_date, parsed.sequence) == number
    assert parse(number.lower(), today=TODAY) == parsed


@given(
    region=region_codes,
    born=birth_dates,
    sequence=sequences,
    position=st.integers(min_value=0, max_value=17),
    data=st.data(),
)
def test_changing_any_single_character_fails_the_checksum(region, born, sequence, position, data):
    # Every weight is non-zero mod 11 (a prime), so one changed digit always changes the sum.
    number = make(region, born, sequence)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    assert error_code(changed, today=TODAY) == "checksum"


@given(
    region=st.sampled_from(CURRENT),
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
    sequence=sequences,
)
def test_15_digit_upgrade_agrees_with_the_18_digit_number(region, born, sequence):
    old = f"{region}{born:%y%m%d}{sequence:03d}"
    upgraded = upgrade15(old)
    from_old = parse(old, today=TODAY)
    assert upgraded == make(region, born, sequence)
    assert from_old == parse(upgraded, today=TODAY)
    assert from_old.birth_date == born
    assert from_old.sex == ("M" if sequence % 2 else "F")


@given(
    st.one_of(
        st.text(),
        st.text(alphabet="0123456789Xx ", max_size=20),
        st.text(alphabet="0123456789", min_size=15, max_size=18),
        st.integers(),
        st.none(),
        st.binary(),
        st.floats(),
    )
)
def test_arbitrary_input_raises_nothing_but_invalid_id_number(value):
    try:
        parsed = parse(value, today=TODAY)
    except InvalidIdNumber as error:
        assert error.code in InvalidIdNumber.CODES
        assert error.message_zh
        assert error.message_en
    else:
        assert isinstance(parsed, IdNumber)
        assert len(parsed.number) == 18
        assert is_valid(parsed.number, today=TODAY)
