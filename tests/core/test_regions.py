"""The shipped GB/T 2260 table: current and historical codes, names, provinces."""

from __future__ import annotations

import csv
import re

from renkou.core import regions

PROVINCE_PREFIXES = [
    *("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"),
    *("41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64"),
    *("65", "71", "81", "82"),
]


def _data_rows() -> list[dict[str, str]]:
    with regions.DATA_FILE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def test_file_states_its_source_and_columns():
    lines = regions.DATA_FILE.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# source:")
    header = next(line for line in lines if not line.startswith("#"))
    assert header == "code,name,valid_from_year,valid_to_year"


def test_every_row_is_well_formed():
    rows = _data_rows()
    assert len(rows) > 7000
    for row in rows:
        assert re.fullmatch(r"\d{6}", row["code"]), row
        assert row["name"].strip() == row["name"] and row["name"], row
        start = int(row["valid_from_year"])
        assert 1980 <= start <= 2030, row
        if row["valid_to_year"]:
            assert start <= int(row["valid_to_year"]) <= 2030, row


def test_holds_current_and_historical_codes():
    codes = regions.known_codes()
    current = {code for code in codes if regions.is_current(code)}
    assert len(current) > 3000
    assert len(codes) - len(current) > 2000  # thousands of abolished codes


def test_every_province_is_current():
    for prefix in PROVINCE_PREFIXES:
        assert regions.is_current(prefix + "0000"), prefix


def test_current_code():
    assert regions.is_known_region("110105")
    assert regions.region_name("110105") == "朝阳区"
    assert regions.province_of("110105") == "北京市"


def test_abolished_code_stays_known():
    # 宣武区 was merged into 西城区 in 2010.
    assert regions.is_known_region("110104")
    assert not regions.is_current("110104")
    assert regions.region_name("110104") == "宣武区"
    assert regions.history("110104")[-1].valid_to_year == 2009


def test_renamed_code_shows_latest_name_and_keeps_history():
    # 白云矿区 became 白云鄂博矿区 (Baotou); the code did not change.
    spans = regions.history("150206")
    assert [span.name for span in spans] == ["白云矿区", "白云鄂博矿区"]
    assert spans[0].valid_to_year is not None and spans[-1].is_current
    assert regions.region_name("150206") == "白云鄂博矿区"


def test_recent_codes_are_present():
    # Created in 2021 (洛阳市偃师区, 孟津区) and 2021-2022 (三明市沙县区).
    for code, name in [("410307", "偃师区"), ("410308", "孟津区"), ("350405", "沙县区")]:
        assert regions.region_name(code) == name
        assert regions.is_current(code)


def test_unknown_codes():
    for code in ["999999", "000000", "", "11010", "1101055", "abcdef"]:
        assert not regions.is_known_region(code)
        assert regions.region_name(code) is None
        assert regions.history(code) == ()
        assert not regions.is_current(code)


def test_province_of():
    assert regions.province_of("440305") == "广东省"
    assert regions.province_of("650000") == "新疆维吾尔自治区"
    assert regions.province_of("99") is None
    assert regions.province_of("1") is None
    assert regions.province_of(None) is None  # type: ignore[arg-type]


def test_table_is_loaded_once():
    assert regions.known_codes() is regions.known_codes()
