"""The moderate builder's grouping default (issue 13): ``grouping="auto"`` is the smaller of
the paper's grouping (KMY B.13, kept as ``"paper"``) and the cover by the exact size formula;
``construct`` and ``robustmem construct --grouping`` pass it through."""

from __future__ import annotations

import json
from fractions import Fraction as F

import pytest

from certify.errors import InputError
from certify.run import make_radius
from constructions.build import construct
from constructions.moderate import build_moderate, moderate_size, plan_moderate
from tests.constructions.test_moderate_rate import (
    _every_ball_within_eta,
    bench_data,
    dyadic_data,
)

ETA = F(1, 10)

CASES = [
    (40, 2, "2", F(1, 40)),
    (40, 2, "inf", F(1, 60)),
    (60, 3, "2", F(1, 12)),
    (24, 2, "inf", F(1, 11)),
    (64, 4, "2", F(1, 200)),
]


@pytest.mark.parametrize("N, d, p, rho", CASES)
def test_default_grouping_is_the_smaller_plan(N, d, p, rho):
    ds = dyadic_data(N, d)
    rad = make_radius(ds, p, rho=rho)
    sizes = {
        g: moderate_size(ds, rad.radius_power, rad.p, ETA, grouping=g) for g in ("paper", "cover")
    }
    want = "cover" if sizes["cover"] < sizes["paper"] else "paper"
    net, rep = build_moderate(ds, rad.radius_power, rad.p, ETA)
    assert rep.grouping == want and net.num_params() == sizes[want] == min(sizes.values())
    assert moderate_size(ds, rad.radius_power, rad.p, ETA) == sizes[want]
    plan = plan_moderate(ds, rad.radius_power, rad.p, ETA)
    assert plan.grouping == want and plan.params == sizes[want]
    assert rep.max_error_bound <= ETA
    assert any("paper grouping" in n for n in rep.notes)
    assert any("cover grouping" in n for n in rep.notes)
    # the paper's grouping stays available: consecutive groups of at most g points
    _, prep = build_moderate(ds, rad.radius_power, rad.p, ETA, grouping="paper")
    assert prep.grouping == "paper" and prep.groups == -(-N // prep.group_size)


def test_the_paper_grouping_wins_where_it_is_smaller():
    """bench (c1), N = 256, ρ ≈ 3.9e-4: one group either way, the paper's plan is 38 smaller
    (another translation, other cell indices to memorize); on a tie (N = 64) the paper's is
    kept."""
    ds = bench_data(256)
    rad = make_radius(ds, "2", rho=F(3945, 10**7))
    plan = plan_moderate(ds, rad.radius_power, 2, ETA)
    cover = plan_moderate(ds, rad.radius_power, 2, ETA, grouping="cover")
    assert plan.grouping == "paper" and plan.params == 5704 < cover.params == 5742
    ds = dyadic_data(64, 4)
    rad = make_radius(ds, "2", rho=F(1, 200))
    plan = plan_moderate(ds, rad.radius_power, 2, ETA)
    cover = plan_moderate(ds, rad.radius_power, 2, ETA, grouping="cover")
    assert plan.grouping == "paper" and plan.params == cover.params


def test_grouping_is_checked():
    ds = dyadic_data(40, 2)
    rad = make_radius(ds, "2", rho=F(1, 40))
    with pytest.raises(InputError, match="grouping must be"):
        build_moderate(ds, rad.radius_power, rad.p, ETA, grouping="best")
    with pytest.raises(InputError, match="grouping"):
        construct(ds, rad, "large", grouping="cover")
    with pytest.raises(InputError, match="grouping must be"):
        construct(ds, rad, "moderate", grouping="best")


def test_construct_reports_the_grouping():
    ds = dyadic_data(40, 2)
    rad = make_radius(ds, "2", rho=F(1, 40))
    _, paper = construct(ds, rad, "moderate", grouping="paper")
    _, auto = construct(ds, rad, "moderate")
    assert paper["grouping"] == "paper" and paper["groups"] > 1
    assert auto["grouping"] == "cover" and auto["params"] < paper["params"]


def _cli(capsys, *argv):
    from robustmem.cli import main

    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def data_csv(tmp_path):
    ds = dyadic_data(40, 2)
    lines = [",".join([*(str(v) for v in x), str(y)]) for x, y in zip(ds.X, ds.y)]
    path = tmp_path / "data.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("grouping", ["paper", "cover", "auto"])
def test_cli_grouping(capsys, tmp_path, data_csv, grouping):
    out = tmp_path / "net.json"
    argv = ["construct", data_csv, "--rho", "1/40", "--p", "2", "-o", out, "--json"]
    code, text, err = _cli(capsys, *argv, "--method", "moderate", "--grouping", grouping)
    assert code == 0, err
    rep = json.loads(text)
    assert rep["grouping"] == ("cover" if grouping == "auto" else grouping)
    assert out.exists()


@pytest.mark.parametrize("method", ["large", "small", "baseline"])
def test_cli_grouping_needs_moderate_or_auto(capsys, tmp_path, data_csv, method):
    out = tmp_path / "net.json"
    argv = ["construct", data_csv, "--rho", "1/40", "-o", out, "--method", method]
    code, _, err = _cli(capsys, *argv, "--grouping", "cover")
    assert code == 3 and "--grouping applies only with" in err
    assert not out.exists()


def test_cli_memorizer_applies_to_moderate(capsys, tmp_path, data_csv):
    out = tmp_path / "net.json"
    argv = ["construct", data_csv, "--rho", "1/40", "-o", out, "--json", "--method", "moderate"]
    code, text, err = _cli(capsys, *argv, "--memorizer", "plain", "--grouping", "paper")
    assert code == 0, err
    assert json.loads(text)["memorizers"]["sqrt"] == 0


@pytest.mark.slow  # ~20 s on 2 cores
def test_default_grouping_with_bands_is_certified():
    """ℓ2, N = 24, d = 2 at ρ ≈ 0.14 (bench: cover K = 2, paper several times larger): every
    ball PROVED or certify's sound error bound ≤ η."""
    ds = dyadic_data(24, 2)
    rad = make_radius(ds, "2", rho=F(1386, 10000))
    net, rep = build_moderate(ds, rad.radius_power, rad.p, ETA)
    assert rep.grouping == "cover" and rep.groups >= 2 and any(e > 0 for e in rep.error_bounds)
    _every_ball_within_eta(net, rep, ds, rad)
