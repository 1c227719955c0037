"""bench.run's orientation estimate (arithmetic only, never timing): partyflow's × raw as it
would be on the machine the issue's figures come from, Python time scaled by the references."""
from __future__ import annotations

import pytest

from bench.run import ORIENTATION, orientation_estimate


def test_on_the_orientation_machine_itself_the_estimate_is_the_measurement():
    # the references run exactly as the issue says: nothing to scale
    est = orientation_estimate(8_000, ORIENTATION["raw"], 15_000, ORIENTATION["orm"], ORIENTATION["spiff"])
    assert est["machine"] == {"raw": 1.0, "orm": 1.0, "spiff": 1.0}
    assert est["vs_raw_by_orm"] == est["vs_raw_by_spiff"] == pytest.approx(8_000 / 34_000, abs=1e-3)


def test_python_twice_as_slow_here_halves_only_the_python_share():
    raw, schema, ours = 34_000, 16_000, 6_000
    py_here = 1 / ours - 1 / schema
    # references whose Python takes twice as long as on the orientation machine
    orm = 1 / (2 * (1 / ORIENTATION["orm"] - 1 / ORIENTATION["raw"]) + 1 / raw)
    spiff = 1 / (2 * (1 / ORIENTATION["spiff"] - 1 / ORIENTATION["raw"]) + 1 / raw)
    est = orientation_estimate(ours, raw, schema, orm, spiff)
    expected = 1 / (1 / schema + py_here / 2) / ORIENTATION["raw"]
    assert est["vs_raw_by_orm"] == pytest.approx(expected, abs=1e-3)
    assert est["vs_raw_by_spiff"] == pytest.approx(expected, abs=1e-3)
    assert est["machine"]["orm"] < 0.6 and est["machine"]["spiff"] < 0.6
    # better than measured here, but never better than the database floor allows
    assert ours / raw < est["vs_raw_by_orm"] < schema / ORIENTATION["raw"]


def test_a_slower_database_here_is_scaled_like_the_raw_floor():
    # SQLite half as fast here (raw 17k), Python as fast: the references' Python times match the
    # orientation machine's, so only the database share shrinks, and against a raw floor twice as
    # fast the ratio there is lower than here
    raw, schema, ours = 17_000, 7_500, 3_000
    orm = 1 / (1 / ORIENTATION["orm"] - 1 / ORIENTATION["raw"] + 1 / raw)
    spiff = 1 / (1 / ORIENTATION["spiff"] - 1 / ORIENTATION["raw"] + 1 / raw)
    est = orientation_estimate(ours, raw, schema, orm, spiff)
    assert est["machine"]["raw"] == 0.5
    expected = 1 / (0.5 / schema + (1 / ours - 1 / schema)) / ORIENTATION["raw"]
    assert est["vs_raw_by_orm"] == pytest.approx(expected, abs=1e-3)
    assert est["vs_raw_by_spiff"] == pytest.approx(expected, abs=1e-3)
    assert est["vs_raw_by_orm"] < ours / raw


def test_python_budget_is_what_the_target_leaves_beyond_the_contract_floor():
    from bench.contract_floor import python_budget_us

    # raw 40k steps/s: 0.25 × raw is 10k/s, 100 µs a step; a floor at 20k/s takes 50 of them
    assert python_budget_us(40_000, 20_000) == pytest.approx(50.0)
    assert python_budget_us(40_000, 10_000) == pytest.approx(0.0, abs=1e-9)
    assert python_budget_us(40_000, 8_000) < 0  # the floor alone misses the target
