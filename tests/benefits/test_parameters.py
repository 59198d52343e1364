"""Dated parameters: the value in force on a date, and the history an administrator sees."""

import datetime
import shutil

from renkou.benefits.parameters import DEFAULT_DIRECTORY, all_parameters, history, value_at

D = datetime.date


def test_special_assistance_death_450_then_590_from_2022_07_01():
    assert value_at("special_assistance.death_per_month", D(2022, 6, 30)) == 450
    assert value_at("special_assistance.death_per_month", D(2022, 7, 1)) == 590
    assert [(h.start, h.value) for h in history("special_assistance.death_per_month")] == [
        (D(2016, 1, 1), 450),
        (D(2022, 7, 1), 590),
    ]


def test_childcare_not_in_force_before_2025():
    assert not value_at("childcare.in_force", D(2024, 12, 31))
    assert value_at("childcare.in_force", D(2025, 1, 1))


def test_every_parameter_listed_with_a_description():
    rows = all_parameters()
    assert len(rows) == 12  # 11 of the programmes, notice.min_days
    assert all(description and dated for _path, description, dated in rows)


def test_an_administrators_edit_takes_effect(tmp_path, monkeypatch):
    copy = tmp_path / "params"
    shutil.copytree(DEFAULT_DIRECTORY, copy)
    monkeypatch.setenv("RENKOU_BENEFIT_PARAMETERS", str(copy))
    path = copy / "rural_reward" / "amount_per_year.yaml"
    path.write_text(path.read_text() + "  2026-01-01: {value: 1800}\n")
    assert value_at("rural_reward.amount_per_year", D(2026, 3, 1)) == 1800
    assert value_at("rural_reward.amount_per_year", D(2025, 3, 1)) == 1440
