"""The OpenFisca-core evaluation of docs/benefits.md: special assistance (death) for 12 months.

Run ``python bench/openfisca_eval.py 1000000``: OpenFisca ``Variable``s with a dated parameter
against the same expressions in numpy, on random facts for N persons.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

PARAMETER = """description: special assistance, death category, yuan per person per month
values:
  2016-01-01: {value: 450}
  2022-07-01: {value: 590}
"""


def main(n: int) -> None:
    """Time OpenFisca and numpy on ``n`` persons and check they agree."""
    started = time.perf_counter()
    import numpy as np
    from openfisca_core.entities import build_entity
    from openfisca_core.periods import DateUnit
    from openfisca_core.simulation_builder import SimulationBuilder
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    import_s = time.perf_counter() - started
    person = build_entity(key="person", plural="persons", label="person", is_person=True)

    def var(name: str, kind: type, period: DateUnit, formula=None) -> type:
        attrs = {"value_type": kind, "entity": person, "definition_period": period}
        attrs["label"] = name
        if formula:
            attrs["formula"] = formula
        return type(name, (Variable,), attrs)

    def special_death(p, period, parameters):
        ok = (p("mother_age", period) >= 49) * p("only_child_died", period)
        return ok * np.logical_not(p("has_other_child", period)) * parameters(period).death

    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "death.yaml").write_text(PARAMETER)
        tbs = TaxBenefitSystem([person])
        tbs.add_variables(
            var("mother_age", int, DateUnit.MONTH),
            var("only_child_died", bool, DateUnit.ETERNITY),
            var("has_other_child", bool, DateUnit.ETERNITY),
            var("special_death", float, DateUnit.MONTH, special_death),
        )
        tbs.load_parameters(tmp)
    rng = np.random.default_rng(1)
    age, died, other = rng.integers(20, 90, n), rng.random(n) < 0.01, rng.random(n) < 0.3
    started = time.perf_counter()
    sim = SimulationBuilder().build_default_simulation(tbs, n)
    sim.set_input("only_child_died", "eternity", died)
    sim.set_input("has_other_child", "eternity", other)
    total = 0.0
    for month in range(1, 13):
        sim.set_input("mother_age", f"2022-{month:02d}", age)
        total += float(sim.calculate("special_death", f"2022-{month:02d}").sum())
    openfisca_s = time.perf_counter() - started
    started = time.perf_counter()
    direct = sum(
        float(((age >= 49) & died & ~other).sum()) * (590 if month >= 7 else 450)
        for month in range(1, 13)
    )
    numpy_s = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"n={n} import {import_s:.2f} s, OpenFisca 12 months {openfisca_s:.3f} s,"
        f" numpy {numpy_s:.3f} s, same total: {total == direct} ({total:.0f}), peak {rss:.0f} MB"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
