"""Smoke test of bench/bench_regimes.py on small sizes (fast)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from certify.run import make_radius
from constructions.moderate import build_moderate
from tests.bench_loader import load_bench

NS = [16, 32, 64]
FIG_N = 24


def _load():
    return load_bench("bench_regimes")


@pytest.fixture(scope="module")
def bench():
    return _load()


@pytest.fixture(scope="module")
def nres(bench):
    res = bench.n_sweep(NS, log=lambda *a, **k: None)
    return res, bench.n_slopes(res)


@pytest.fixture(scope="module")
def rres(bench):
    res = bench.rho_sweep(FIG_N, bench.D, points=6, log=lambda *a, **k: None)
    return res, bench.rho_slopes(res)


def test_sweep_is_in_the_moderate_regime(bench):
    bench.check_moderate(NS, bench.D, bench.RHO_N)
    with pytest.raises(AssertionError):
        bench.check_moderate([16], bench.D, Fraction(1, 2))  # regime (iii)
    with pytest.raises(AssertionError):
        bench.check_moderate([16], bench.D, Fraction(1, 1000))  # regime (i): ρ₁ = 1/160


def test_built_counts_are_network_counts(nres, rres, bench):
    (res, _), (rr, _) = nres, rres
    rows = [r for rs in res["rows"].values() for r in rs]
    rows += [r for rs in rr["rows"].values() for r in rs]
    assert len(rows) >= 6 + 12
    for r in rows:
        assert r["params"] == r["num_params"] > 0
        assert 0 < r["nonzero"] <= r["params"]
    # independent rebuilds reproduce the recorded moderate counts (paper's and default grouping)
    ds = bench.dataset(32, bench.D, bench.SEED)
    rad = make_radius(ds, "2", rho=bench.RHO_N)
    net, rep = build_moderate(ds, rad.radius_power, 2, bench.ETA, grouping="paper")
    (row,) = [r for r in res["rows"]["moderate-paper"] if r["N"] == 32]
    assert net.num_params() == row["params"] and rep.groups == row["groups"] == 2
    net, rep = build_moderate(ds, rad.radius_power, 2, bench.ETA)
    (row,) = [r for r in res["rows"]["moderate"] if r["N"] == 32]
    assert net.num_params() == row["params"] and rep.grouping == row["grouping"] == "cover"


def test_n_slopes(nres):
    res, sl = nres
    assert all(math.isfinite(v) for v in sl.values()), sl
    mod = res["rows"]["moderate-paper"]
    assert [r["groups"] for r in mod] == [1, 2, 4]  # g = 16 at ρ = 1/50, d = 4
    # the paper's grouping: the groups' own sizes grow about linearly in N; nonzero too
    assert 0.7 < sl["moderate-paper Σ groups"] < 1.5, sl
    assert 0.7 < sl["moderate-paper nonzero"] < 1.5, sl
    # the groups run in sequence (running max): all parameters grow linearly too, and the
    # width does not grow with the number of groups
    assert 0.7 < sl["moderate-paper params"] < 1.5, sl
    assert all(r["params"] >= r["group_networks"] for r in mod)
    assert sl["moderate-paper width"] < 0.3, sl
    # the default grouping (the smaller of paper and cover): one cover group at these N, so
    # only its √|I| memorizer grows — never larger than the paper's, and sublinear in N
    default = res["rows"]["moderate"]
    assert [r["N"] for r in default] == [r["N"] for r in mod]
    assert all(a["params"] <= b["params"] for a, b in zip(default, mod))
    assert sl["moderate params"] < 0.7, sl


def test_rho_sweep_builders(rres, bench):
    res, sl = rres
    rows = res["rows"]
    regimes = {r["rho"]: r["regime_query"] for r in rows["large"]}
    assert set(regimes.values()) == {"small", "moderate", "large"}
    # large: every ρ; small: at least every ρ of regime (i); baseline: ρ-independent
    assert len(rows["large"]) == len(regimes)
    small_rhos = {r["rho"] for r in rows["small"]}
    assert {q for q, g in regimes.items() if g == "small"} <= small_rhos
    assert len({r["params"] for r in rows["baseline"]}) == 1
    # moderate only at ρ ≤ ρ₂, never in regime (iii); default grouping never above the paper's
    for m in bench.MODERATES:
        assert rows[m] and all(r["regime_query"] != "large" for r in rows[m])
        assert all(r["error_bound_max"] <= 0.1 for r in rows[m])  # η = 1/10
    paper = {r["rho"]: r["params"] for r in rows["moderate-paper"]}
    assert all(r["params"] <= paper[r["rho"]] for r in rows["moderate"])


def test_moderate_sublinear_in_inverse_rho(rres, bench):
    res, sl = rres
    mod = sorted(res["rows"]["moderate-paper"], key=lambda r: r["rho"])
    ps = [r["params"] for r in mod]
    assert ps == sorted(ps)  # paper's grouping: more groups as ρ grows, never fewer parameters
    inv = [1 / float(r["rho"]) for r in mod]
    # as a function of 1/ρ the size does not grow at all (slope ≤ 0 < 1)
    assert bench.slope(inv, ps) <= 1e-9
    assert math.isfinite(sl["moderate in (ii)"]) and math.isfinite(sl["large in (iii)"])


def test_figure_written(rres, bench, tmp_path):
    res, _ = rres
    out = bench.plot(res, tmp_path / "sub" / "fig.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert 10_000 < len(data) < 300_000
    assert not list(out.parent.glob(".*tmp*"))


def test_rate_and_crossover_report_the_default_grouping(bench):
    res = bench.rate_sweep([32], bench.D, points=3, log=lambda *a, **k: None)
    (sw,) = res["sweeps"]
    for r in sw["rows"]:
        assert r["paper"] == r["paper built"] and r["cover"] == r["cover built"]
        assert r["paper η-bound"] <= 0.1 and r["cover η-bound"] <= 0.1
    assert math.isfinite(sw["slope default"]) and sw["slope default"] <= sw["slope paper"] + 1e-9
    cross = bench.crossover([32, 64], bench.D, log=lambda *a, **k: None)
    for r in cross["rows"]:
        assert r["paper"] == r["paper formula"] and r["default"] == min(r["paper"], r["cover"])
        if r["auto"] == "moderate":
            assert r["auto params"] == r["default"] < r["large"]
        else:
            assert r["auto params"] == r["large"] <= r["default"]
    assert "N0 default" in cross


def test_projection_section_counts_and_sizes(bench):
    """Part (d) on one small case: the paper's rule keeps m = d, the adaptive projection
    has m < d, a smaller exact formula, and its built network has exactly that count."""
    res = bench.projection_sweep([(24, 64)], log=lambda *a, **k: None)
    (r,) = res["rows"]
    assert r["paper m"] == 64 and r["adaptive_m"] < 64
    assert r["adaptive_built"] == r["adaptive"] < r["none"]
    assert r["adaptive_eta_bound"] <= 0.1
    assert r["large_rank"] <= 23 and r["large_span_lower"] < r["large_none_lower"]


@pytest.mark.slow  # ~20 s on 2 cores
def test_projected_moderate_network_is_certified(bench):
    """(d'): the adaptive projection's network, one cover group (no bands), every ball
    PROVED by certify (kernel-checked)."""
    c = bench.projection_certified(24, 64)
    assert c["m"] < c["d"] and c["params"] < c["none"]
    assert c["counts"] == {"PROVED": 24, "REFUTED": 0, "UNKNOWN": 0}, c


@pytest.mark.slow  # ~12 s: certify at 2 s per ball, then the error measurement
def test_error_section_on_a_small_banded_network(bench):
    """Part (e) on N = 24, d = 2: every ball PROVED or measured, the bound ≤ η, and the
    Monte-Carlo errors never exceed what the sound bound allows."""
    res = bench.error_measurement(24, 2, Fraction(1, 12), log=lambda *a, **k: None)
    assert res["groups"] >= 2 and sum(res["counts"].values()) == 24
    assert res["counts"]["REFUTED"] == 0
    assert res["max_bound"] <= 0.1
    for r in res["rows"]:
        if r["status"] == "PROVED":
            assert r["error_upper_bound"] == "0" and r["mc_samples"] == 0
        else:
            assert r["mc_samples"] == 200 and r["mc_ci95"][0] <= r["error_upper_bound_float"]
