"""Held-out construction check (issue 13): every builder on fresh data nobody has seen,
certified ball by ball (kernel-checked), and re-sampled with an independent exact evaluator.

The data come from a seed: ``ROBUSTMEM_HELDOUT_SEED`` (an integer, or ``random`` for a fresh
one from os.urandom), else a fixed default (CI is reproducible). It is printed when the tests
start and is part of every failure message, so

    ROBUSTMEM_HELDOUT_SEED=<seed> python3 -m pytest -q tests/constructions/test_heldout.py

reruns a failure exactly. ``-m slow`` runs the larger plan (3 rounds, N up to ~64).
The helpers (generator, evaluator, samplers, formulas) are in ``heldout.py``.
"""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest

from tests.constructions import heldout as H

SEED = H.session_seed()
_HERE = Path(__file__)
with contextlib.suppress(ValueError):  # a path relative to where pytest runs, if it can be
    _HERE = _HERE.relative_to(Path.cwd())
RERUN = f"{H.SEED_ENV}={SEED} python3 -m pytest -q {_HERE.as_posix()}"


def _banner(capsys, what: str) -> None:
    with capsys.disabled():
        print(f"\n[heldout] {what}: seed {SEED}  (rerun: {RERUN})", flush=True)


def _run(cases, tmp_path: Path, capsys, **kw) -> list[H.CaseResult]:
    out = []
    for case in cases:
        res = H.run_case(case, tmp_path, **kw)
        with capsys.disabled():
            print(f"[heldout]   {res.line()}", flush=True)
            for k in res.known:
                print(f"[heldout]     KNOWN {k}", flush=True)
        out.append(res)
    return out


def _assert_clean(results: list[H.CaseResult], what: str) -> None:
    failures = [f for r in results for f in r.failures]
    balls = sum(r.balls for r in results)
    samples = sum(r.samples for r in results)
    assert not failures, (
        f"held-out check failed ({what}), seed {SEED} — rerun: {RERUN}\n"
        f"{len(failures)} failure(s) over {len(results)} cases, {balls} balls, "
        f"{samples} samples:\n" + "\n".join(failures)
    )


# ------------------------------------------------------------- the evaluator and samplers


README_NET = {  # README "Certify": f = 1 on x ≤ 1, x on [1, 2], 2 on x ≥ 2
    "format": "robustmem-network/1",
    "input_dim": 1,
    "layers": [
        {"weight": [[1], [1]], "bias": [-1, -2]},
        {"weight": [[1, -1]], "bias": [1]},
    ],
}


def test_independent_evaluator_reads_the_network_format():
    ex = H.exact_net(README_NET)
    assert (ex.params, ex.nonzero, ex.depth, ex.width, ex.outputs) == (7, 7, 2, 2, 1)
    for x, want in ((-3, 1), (1, 1), (F(3, 2), F(3, 2)), (2, 2), (F(77, 3), 2)):
        assert H.evaluate(ex, [F(x)]) == [F(want)] == H.evaluate_slow(README_NET, [F(x)])
    # strings "p/q", "-p/q", decimals; step units (H(0) = 1); an argmax output
    raw = {
        "format": "robustmem-network/1",
        "input_dim": 2,
        "layers": [
            {
                "weight": [["1/3", "-0.5"], [1, "-2/7"], [0, 1]],
                "bias": ["0.25", 0, "-1/2"],
                "activation": ["relu", "step", "relu"],
            },
            {"weight": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "bias": [0, 0, "1/1000"]},
        ],
    }
    ex = H.exact_net(raw)
    x = [F(3, 4), F(1, 2)]
    out = H.evaluate(ex, x)
    assert out == [F(1, 4) + F(1, 4) - F(1, 4), F(1), F(1, 1000)] == H.evaluate_slow(raw, x)
    assert H.correct(out, 2) and not H.correct(out, 1) and not H.correct(out, 3)
    assert H.evaluate(ex, [F(2, 7), F(1)])[1] == 1  # step at exactly 0: H(0) = 1
    assert not H.correct([F(1), F(1)], 1)  # ties fail
    with pytest.raises(ValueError):
        H.exact_net({**README_NET, "layers": [{"weight": [[0.5]], "bias": [0]}]})


@pytest.mark.parametrize("p", [None, 1, 2])
def test_samples_are_strictly_inside_and_reach_the_boundary(p):
    rng = random.Random(SEED)
    c = (F(1, 3), F(-2), F(5, 7))
    rv = F(3, 8) if p != 2 else F(9, 64)
    far = (F(4), F(-2), F(5, 7))
    uni, bnd = H.sample_ball(rng, c, p, rv, uniform=50, boundary=50, toward=[far])
    edge = 1 - F(1, 1 << 19)
    for x in uni + bnd:
        assert H.norm_value([a - b for a, b in zip(x, c)], p) < rv
    for x in bnd:  # pushed to (1 − 2^-20) of the radius
        n = H.norm_value([a - b for a, b in zip(x, c)], p)
        assert n > (edge * edge if p == 2 else edge) * rv
    # the point toward the other one lies on the segment
    toward = bnd[-1]
    t = (toward[0] - c[0]) / (far[0] - c[0])
    assert 0 < t < 1 and list(toward) == [a + t * (b - a) for a, b in zip(c, far)]


def test_generator_covers_every_builder_norm_and_regime():
    cases = H.generate(SEED)
    pairs = {(c.method, c.p) for c in cases}
    for method in H.BUILDERS:
        norms = (2, None) if method == "moderate" else (1, 2, None)
        assert {(method, p) for p in norms} <= pairs
    for c in cases:
        pts, labs = c.unique()
        assert 1 <= len(pts[0]) <= 6 and 2 <= len(set(labs)) <= 4 and 8 <= len(pts) <= 30
        if c.method in ("small", "moderate"):
            assert c.want_regime == c.method
    big = H.generate(SEED, big=True)
    assert {c.want_regime for c in big if c.method in ("auto", "large")} >= {
        "small",
        "moderate",
        "large",
    }


# ------------------------------------------------------------------ the held-out runs


@pytest.mark.parametrize("method", H.BUILDERS)
def test_heldout_builder(method, tmp_path, capsys):
    _banner(capsys, f"builder {method}")
    cases = [c for c in H.generate(SEED) if c.method == method]
    results = _run(cases, tmp_path, capsys)
    _assert_clean(results, f"builder {method}")
    assert all(r.balls > 0 and r.samples >= r.balls for r in results)


@pytest.mark.slow
def test_heldout_builders_larger(tmp_path, capsys):
    _banner(capsys, "slow plan")
    results = _run(H.generate(SEED, big=True), tmp_path, capsys, uniform=10, boundary=10)
    _assert_clean(results, "slow plan")


# ----------------------------------------------------------------------------- the CLI


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "robustmem", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_cli_construct_certify_check(tmp_path, capsys):
    _banner(capsys, "CLI")
    rng = random.Random(SEED ^ 0xC11)
    method = rng.choice(("auto", "large", "baseline", "small"))
    p = rng.choice((1, 2, None))
    case = H.make_case(rng, "cli", method, p, big=False)
    if len(case.rows) == len(case.unique()[0]):  # a repeated row for the reader's note
        case.rows.append(case.rows[0])
    pts, labs = case.unique()
    data = tmp_path / "data.csv"
    data.write_text(case.csv_text(header=True))
    common = ["--rho", H.text(case.rho), "--p", case.p_text]
    args = ["construct", "data.csv", *common, "--method", method, "-o", "net.json", "--json"]
    if method != "baseline":
        args += ["--seed", str(case.kwargs["seed"])]
    r = _cli(*args, cwd=tmp_path)
    where = f"seed {SEED} ({RERUN}); {case.describe()}"
    assert r.returncode == 0, f"{where}\n{r.stderr}"
    assert "merged" in r.stderr, where  # the repeated row, merged with a note
    rep = json.loads(r.stdout)
    ex = H.load_exact_net(tmp_path / "net.json")
    assert rep["params"] == ex.params and rep["depth"] == ex.depth, where
    assert rep["regime"] == case.want_regime and rep["N"] == len(pts), where
    if method != "auto":
        assert rep["method"] == method, where
    if rep["method"] == "baseline":
        assert ex.params == H.baseline_size(len(pts), len(pts[0]), len(set(labs))), where

    cert_args = ["certify", "net.json", "data.csv", *common, "--json", "-q", "--cert", "cert.json"]
    r = _cli(*cert_args, cwd=tmp_path)
    assert r.returncode == 0, f"{where}\n{r.stdout[-2000:]}\n{r.stderr}"
    cert_rep = json.loads(r.stdout)
    assert cert_rep["counts"] == {"PROVED": len(pts), "REFUTED": 0, "UNKNOWN": 0}, where
    assert F(cert_rep["epsilon_power"]) == H.separation(pts, labs, case.p), where
    assert F(cert_rep["radius_power"]) == H.radius_value(pts, labs, case.p, case.rho), where
    assert [b["verdict"] for b in cert_rep["balls"]] == ["PROVED"] * len(pts), where

    r = _cli("check", "net.json", "data.csv", "cert.json", "--json", "-q", cwd=tmp_path)
    assert r.returncode == 0, f"{where}\n{r.stdout[-2000:]}\n{r.stderr}"
    chk = json.loads(r.stdout)
    assert chk["ok"] and chk["counts"]["PROVED"] == len(pts), where

    # the re-sampler agrees on the CLI's file
    rv = H.radius_value(pts, labs, case.p, case.rho)
    for i in range(len(pts)):
        uni, bnd = H.sample_ball(rng, pts[i], case.p, rv, uniform=3, boundary=3)
        for x in [list(pts[i]), *uni, *bnd]:
            assert H.correct(H.evaluate(ex, x), labs[i]), f"{where}: ball {i} at {x}"

    # a tampered copy: the output layer's bias moved by 1/3 — refuted, and the old bundle
    # no longer checks against it
    raw = json.loads((tmp_path / "net.json").read_text())
    last = raw["layers"][-1]
    last["bias"][0] = H.text(H.parse_exact(last["bias"][0]) + F(1, 3))
    (tmp_path / "bad.json").write_text(json.dumps(raw))
    r = _cli("certify", "bad.json", "data.csv", *common, "--json", "-q", cwd=tmp_path)
    assert r.returncode == 1, f"{where}\n{r.stderr}"
    bad = json.loads(r.stdout)
    assert bad["counts"]["REFUTED"] == len(pts), where
    bex = H.load_exact_net(tmp_path / "bad.json")
    for b in bad["balls"]:
        x = [F(v) for v in b["counterexample"]]
        i = b["index"]
        assert not H.correct(H.evaluate(bex, x), labs[i]), where
        diff = [a - c for a, c in zip(x, pts[i])]
        assert H.inside(diff, case.p, H.radius_value(pts, labs, case.p, case.rho)), where
    r = _cli("check", "bad.json", "data.csv", "cert.json", "--json", "-q", cwd=tmp_path)
    assert r.returncode == 1 and not json.loads(r.stdout)["ok"], where


# ------------------------------------------------------------ the check can fail


def _built(tmp_path: Path, method: str, p, rng) -> tuple[H.CaseResult, Path, Path, object]:
    """A fresh held-out case built and checked clean; returns its result, network file,
    dataset file and radius."""
    from certify.dataset import Dataset
    from certify.run import make_radius

    case = H.make_case(rng, f"neg_{method}", method, p, big=False)
    res = H.run_case(case, tmp_path)
    assert not res.failures, f"seed {SEED} ({RERUN}):\n" + "\n".join(res.failures)
    csv = tmp_path / f"{case.name}.csv"
    ds = Dataset.load(csv)
    radius = make_radius(ds, case.p_text, rho=H.text(case.rho))
    return res, tmp_path / f"{case.name}.json", csv, (ds, radius)


def test_tampered_bump_face_is_caught_at_the_boundary(tmp_path, capsys):
    """One face of one baseline bump moved inward by r₁/2 (one bias): the centre stays right,
    so only points near that face are wrong — the re-sampler must find one and the certifier
    must refuse the ball (REFUTED, with a counterexample the evaluator confirms)."""
    _banner(capsys, "tampered bump face")
    rng = random.Random(SEED ^ 0xBAD)
    res, path, csv, (ds, radius) = _built(tmp_path, "baseline", None, rng)
    case = res.case
    pts, labs = case.unique()
    N, d = len(pts), len(pts[0])
    raw = json.loads(path.read_text())
    i, k = rng.randrange(N), rng.randrange(d)
    unit = 2 * d * i + 2 * k  # u⁺_{ik} = x_k − x_ik − r₁ (constructions/baseline.py)
    b = raw["layers"][0]["bias"]
    r1 = -H.parse_exact(b[unit]) - pts[i][k]
    assert r1 == H.radius_value(pts, labs, None, case.rho) > 0
    b[unit] = H.text(H.parse_exact(b[unit]) + r1 / 2)
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(raw))
    ex = H.load_exact_net(bad)
    assert H.correct(H.evaluate(ex, list(pts[i])), labs[i])  # the centre is still right
    out = H.CaseResult(case)
    H.check_balls(out, bad, csv, ds, radius, [F(0)] * N, uniform=20, boundary=20)
    mine = [f for f in out.failures if f"ball {i} (label" in f]
    assert any(": f = " in f for f in mine), f"seed {SEED}: the re-sampler missed it"
    assert any("REFUTED" in f for f in mine), f"seed {SEED}: the certifier did not refute"
    assert all(f"ball {i} " in f for f in out.failures), out.failures  # only that ball


def test_tampered_output_weight_is_caught(tmp_path, capsys):
    """A weight of the output layer changed by 1/7 on a large / small / moderate network —
    one whose unit is nonzero at some data point, so that ball's label moves: the
    re-sampler and the certifier must both see it."""
    _banner(capsys, "tampered output weight")
    rng = random.Random(SEED ^ 0x0FF)
    method = rng.choice(("large", "small", "moderate"))
    res, path, csv, (ds, radius) = _built(tmp_path, method, rng.choice((2, None)), rng)
    pts, _ = res.case.unique()
    raw = json.loads(path.read_text())
    ex = H.exact_net(raw)
    i = rng.randrange(len(pts))
    hidden = H.last_hidden(ex, list(pts[i]))
    live = [j for j, v in enumerate(hidden) if v != 0]
    assert live, f"seed {SEED}: no live unit before the output at point {i}"
    j = rng.choice(live)
    row = raw["layers"][-1]["weight"][0]
    row[j] = H.text(H.parse_exact(row[j]) + F(1, 7))
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(raw))
    out = H.CaseResult(res.case)
    H.check_balls(out, bad, csv, ds, radius, [F(0)] * len(pts))
    mine = [f for f in out.failures if f"ball {i} (label" in f]
    assert any(": f = " in f for f in mine), f"seed {SEED}: the re-sampler missed ball {i}"
    assert any(("REFUTED" in f or "UNKNOWN" in f) for f in mine), (
        f"seed {SEED}: the certifier proved ball {i} of a tampered network"
    )


# ------------------------------------------------------------ regressions (held-out finds)

# Found by the held-out check, seed 38 (default plan, case4; the same with seed 31337 in the
# slow plan, case4, balls 13 and 55): the moderate builder with --threshold, the paper's
# grouping (5 groups), ℓ∞, d = 1. Another group's cell face crosses the ball of x = 10/3
# (at x ≈ 3.33151); the network is exact there (the floor's step units flip, f stays 1), but
# `certify` (linear: time budget after 300 nodes; z3: "unsat", yet no certificate) leaves the
# ball UNKNOWN, against README's "every ball is PROVED" for --threshold.
THRESHOLD_ROWS = "5/3,1 28/9,2 -16/9,3 5/3,1 1,2 -43/9,3 -64/9,3 2/9,3 -5/9,2 -4/3,2 -50/9,2 "
THRESHOLD_ROWS += "22/9,2 25/9,1 -20/9,1 7/3,2 -13/9,3 10/3,1 26/9,1"
THRESHOLD_CASE = dict(
    p=None,
    rho=F(2450375, 16195114),
    kwargs={"seed": 734191, "grouping": "paper", "memorizer": "auto", "threshold": True,
            "eta": "1/100"},
)  # fmt: skip


def _threshold_case(tmp_path: Path):
    from certify.dataset import Dataset
    from certify.run import make_radius
    from constructions.build import construct

    rows = [(tuple(F(v) for v in r.split(",")[:-1]), int(r.split(",")[-1])) for r in
            THRESHOLD_ROWS.split()]  # fmt: skip
    case = H.Case("seed38_case4", "moderate", THRESHOLD_CASE["p"], THRESHOLD_CASE["rho"], rows,
                  "moderate", dict(THRESHOLD_CASE["kwargs"]))  # fmt: skip
    csv = tmp_path / "thr.csv"
    csv.write_text(case.csv_text(header=False))
    ds = Dataset.load(csv)
    radius = make_radius(ds, "inf", rho=H.text(case.rho))
    net, rep = construct(ds, radius, "moderate", **case.kwargs)
    path = tmp_path / "thr.json"
    path.write_text(net.to_json_text())
    return case, csv, path, ds, radius, net, rep


def test_regression_threshold_seed38_is_exact(tmp_path):
    """The network itself is right: error bound 0, and the exact evaluator agrees on a dense
    grid across the ball of x = 10/3 (through the crossing face) and at every sample."""
    case, csv, path, ds, radius, net, rep = _threshold_case(tmp_path)
    assert rep["groups"] == 5 and rep["error_bound_max"] == "0" and rep["threshold"]
    ex = H.load_exact_net(path)
    x0, mu = F(10, 3), radius.radius_power
    assert ds.X[15] == (x0,) and ds.y[15] == 1
    for k in range(400):
        assert H.correct(H.evaluate(ex, [x0 - mu + mu * F(2 * k + 1, 400)]), 1)
    uni, bnd = H.sample_ball(random.Random(SEED), (x0,), None, mu, uniform=40, boundary=20)
    assert all(H.correct(H.evaluate(ex, x), 1) for x in uni + bnd)


@pytest.mark.xfail(
    strict=True,
    reason="certifier limitation on step discontinuities inside a ball (seed 38; see above)",
)
def test_regression_threshold_seed38_is_proved(tmp_path):
    from certify.run import certify

    case, csv, path, ds, radius, net, rep = _threshold_case(tmp_path)
    report = certify(net, ds, radius, engine="auto", timeout=8, indices=[15])
    assert report.results[0].status == "PROVED", report.results[0].reason
