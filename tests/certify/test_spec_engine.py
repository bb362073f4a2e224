"""The linear engine on VNN-LIB properties (certify/engines/linear/spec.py) and the runner
(certify/spec_run.py): every verdict agrees with brute force on an exact grid and is accepted
by the kernel; guided and exact-leaf searches agree; budgets turn into UNKNOWN."""

from __future__ import annotations

import json
from fractions import Fraction as F

import pytest

from certify.engines.linear import spec as engine
from certify.kernel import SpecJudge, fails_at, parse_network, parse_spec, spec_layers
from certify.network import Network
from certify.spec_run import run_properties

from .test_spec import clamp_case, grid, net_text, prop, random_case

SEEDS = range(40)


def _net(nt: str) -> Network:
    return Network.from_json(json.loads(nt))


@pytest.mark.parametrize("seed", SEEDS)
def test_engine_verdicts_agree_with_brute_force_and_the_kernel(seed):
    nt, pt = random_case(seed)
    spec = parse_spec(pt)
    goal, groups = spec_layers(parse_network(nt)[0], spec)
    bad = next((x for x in grid(spec, 9) if fails_at(goal, groups, x)), None)
    judge = SpecJudge(nt, [pt])
    seen = set()
    for guided in (True, False):
        r = engine.check_spec(_net(nt), spec, timeout=3, guided=guided)
        _, st, why = judge.check_entry(0, r.entry)
        if r.status == "PROVED":
            assert bad is None, "PROVED with a failing grid point"
        if r.status != "UNKNOWN":
            assert st == r.status, why  # the kernel accepts every verdict the engine gives
        seen.add(r.status)
    assert not {"PROVED", "REFUTED"} <= seen  # the two searches never contradict
    if bad is not None:
        assert "PROVED" not in seen


def test_the_random_cases_reach_every_verdict_and_both_leaf_depths():
    got = {"PROVED": 0, "REFUTED": 0, "cut": 0}
    for seed in SEEDS:
        nt, pt = random_case(seed)
        r = engine.check_spec(_net(nt), parse_spec(pt), timeout=3)
        got[r.status] = got.get(r.status, 0) + 1
        got["cut"] += any("cut" in n for n in r.entry.get("proof", []))
    assert got["PROVED"] >= 5 and got["REFUTED"] >= 5 and got["cut"] >= 3, got


def test_a_proof_that_needs_cuts_is_found_and_checked():
    nt, pt, spec, _ = clamp_case()
    r = engine.check_spec(_net(nt), spec, timeout=20)
    assert r.status == "PROVED" and any("cut" in n for n in r.entry["proof"])
    rep = run_properties(_net(nt), [("clamp", pt)], timeout=20)
    assert [x.status for x in rep.results] == ["PROVED"] and rep.exit_code() == 0
    assert rep.results[0].kernel.startswith("proof checked")


def test_a_false_property_is_refuted_with_an_exact_point():
    nt = net_text([([[F(1)], [F(1)]], [F(0), F(-1)]), ([[F(1), F(-1)]], [F(0)])])
    pt = prop(1, 1, [("-1", "2")], "(assert (>= Y_0 1))")  # the clamp reaches 1 on [1, 2]
    rep = run_properties(_net(nt), [("p", pt)], timeout=20)
    r = rep.results[0]
    assert r.status == "REFUTED" and rep.exit_code() == 1
    x = [F(v) for v in r.entry["counterexample"]]
    assert F(1) <= x[0] <= F(2)


def test_neuron_splits_beyond_the_cut_dimension(monkeypatch):
    """With input cuts off (CUT_DIMS = 0: as for MNIST's 784 inputs) the search splits
    neurons, and the kernel checks that tree too."""
    monkeypatch.setattr(engine, "CUT_DIMS", 0)
    found = 0
    for seed in SEEDS:
        nt, pt = random_case(seed)
        spec = parse_spec(pt)
        r = engine.check_spec(_net(nt), spec, timeout=3)
        assert not any("cut" in n for n in r.entry.get("proof", []))
        if r.status != "UNKNOWN":
            assert SpecJudge(nt, [pt]).check_entry(0, r.entry)[1] == r.status
        found += any("split" in n for n in r.entry.get("proof", []))
    assert found >= 1


def test_budgets_turn_into_unknown():
    nt, pt, spec, _ = clamp_case()
    r = engine.check_spec(_net(nt), spec, max_nodes=1)
    assert r.status == "UNKNOWN" and "budget" in r.reason
    r = engine.check_spec(_net(nt), spec, timeout=0)
    assert r.status == "UNKNOWN" and "time" in r.reason
    rep = run_properties(_net(nt), [("p", pt)], timeout=0)
    assert rep.exit_code() == 2
    assert rep.bundle()["properties"][0] == {"property_sha256": spec.sha256, "verdict": "UNKNOWN"}


def test_the_kernel_check_counts_against_the_budget(monkeypatch):
    """A kernel check that runs past the property's deadline gives UNKNOWN, never PROVED."""
    import certify.spec_run as sr
    from certify.engines.linear.prepare import OutOfBudget

    def tick_now(t0, timeout):
        def tick():
            raise OutOfBudget("time budget exhausted in the bound computation")

        return tick

    nt, pt, spec, _ = clamp_case()
    monkeypatch.setattr(sr, "budget_tick", tick_now)
    rep = sr.run_properties(_net(nt), [("clamp", pt)], timeout=20)
    r = rep.results[0]
    assert r.status == "UNKNOWN" and "kernel's check" in r.reason and rep.exit_code() == 2
    assert rep.bundle()["properties"][0]["verdict"] == "UNKNOWN"
