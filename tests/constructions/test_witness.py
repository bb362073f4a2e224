"""Lower-bound witnesses (THEORY.md §2): D*, LB-width pairs and the LB-VC construction.

Every witness is re-verified here with code independent of constructions.witness: exact norms
written out below, W x − W x' recomputed from the network's Fraction layers, f evaluated by
Network.evaluate, ball membership also through certify.ball.Ball and Dataset.in_ball, and
robust memorizers certified by the certify runner.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction as F

import pytest

from certify.ball import Ball
from certify.dataset import Dataset
from certify.errors import InputError
from certify.network import Network
from certify.run import certify, make_radius
from constructions.baseline import build_baseline
from constructions.witness import (
    build_dstar_memorizer,
    build_vc_memorizer,
    dstar_dataset,
    dstar_points,
    first_layer_rank,
    parse_signs,
    vc_check,
    vc_dataset,
    vc_k,
    width_bound,
    width_witness,
)

# ----------------------------------------------------------------------------- helpers


def pnorm_power(v, p):
    """‖v‖_p^p (integer p) or ‖v‖_∞ (p None), written out independently."""
    if p is None:
        return max(abs(a) for a in v)
    total = F(0)
    for a in v:
        total += abs(a) ** p
    return total


def rank_exact(rows):
    """Rank by plain Gaussian elimination over Fractions (independent of flint)."""
    M = [list(map(F, r)) for r in rows]
    rank, col, ncols = 0, 0, len(M[0]) if M else 0
    while rank < len(M) and col < ncols:
        piv = next((i for i in range(rank, len(M)) if M[i][col] != 0), None)
        if piv is None:
            col += 1
            continue
        M[rank], M[piv] = M[piv], M[rank]
        for i in range(len(M)):
            if i != rank and M[i][col] != 0:
                f = M[i][col] / M[rank][col]
                M[i] = [a - f * b for a, b in zip(M[i], M[rank])]
        rank += 1
        col += 1
    return rank


def random_net(rng: random.Random, d: int, first_rows):
    """A random integer ReLU network whose first-layer weight is ``first_rows``."""
    m = len(first_rows)
    h = rng.randint(1, 4)
    W2 = [[rng.randint(-3, 3) for _ in range(m)] for _ in range(h)]
    W3 = [[rng.randint(-3, 3) for _ in range(h)]]
    b1 = [F(rng.randint(-4, 4), rng.randint(1, 4)) for _ in range(m)]
    b2 = [F(rng.randint(-4, 4), 2) for _ in range(h)]
    return Network([first_rows, W2, W3], [b1, b2, [F(rng.randint(-2, 4))]], input_dim=d)


def low_rank_rows(rng: random.Random, m: int, d: int, r: int):
    """m×d integer rows of rank ≤ r (products of random m×r and r×d factors)."""
    A = [[rng.randint(-3, 3) for _ in range(r)] for _ in range(m)]
    B = [[rng.randint(-3, 3) for _ in range(d)] for _ in range(r)]
    return [[sum(A[i][k] * B[k][j] for k in range(r)) for j in range(d)] for i in range(m)]


def assert_verified(net: Network, N: int, rho: F, p, w) -> None:
    """The full claim of a witness, checked from scratch."""
    d = net.input_dim
    mu = rho / 2
    bound_power = mu if p is None else mu**p
    assert w.found and 1 <= w.j <= min(N - 1, d)
    x, xp = w.x, w.x_prime
    ej = tuple(F(int(k == w.j - 1)) for k in range(d))
    zero = tuple(F(0) for _ in range(d))
    # strictly inside the open balls (own norm code, then the certifier's Ball, then Dataset)
    assert pnorm_power([a - b for a, b in zip(x, ej)], p) < bound_power
    assert pnorm_power(xp, p) < bound_power
    assert Ball(ej, 2, p, bound_power).contains(x)
    assert Ball(zero, 1, p, bound_power).contains(xp)
    ds = dstar_dataset(N, d)
    i_ej, i_0 = ds.X.index(ej), ds.X.index(zero)
    assert ds.y[i_ej] == 2 and ds.y[i_0] == 1
    assert ds.in_ball(x, i_ej, rho, "inf" if p is None else p)
    assert ds.in_ball(xp, i_0, rho, "inf" if p is None else p)
    # equal first-layer images, exactly
    W = net.layers[0].weight
    for row in W:
        assert sum(a * (u - v) for a, u, v in zip(row, x, xp)) == 0
    # equal outputs, and the reported misclassification is right
    fx, fxp = net.evaluate(x), net.evaluate(xp)
    assert fx == fxp == w.value
    expected = {(True, True): "both", (True, False): "x", (False, True): "x_prime"}
    assert (fx != 2, fxp != 1) in expected
    assert w.misclassified == expected[(fx != 2, fxp != 1)]
    assert w.rank == rank_exact(W)


# ----------------------------------------------------------------------------- D*


@pytest.mark.parametrize("N,d", [(2, 1), (3, 4), (5, 4), (9, 3), (4, 3)])
def test_dstar_matches_theory(N, d):
    X, y = dstar_points(N, d)
    t = min(N - 1, d)
    assert len(X) == N and y.count(1) == 1 and y.count(2) == N - 1
    e = [tuple(F(int(k == j)) for k in range(d)) for j in range(t)]
    assert X[:t] == e and X[t] == tuple([F(0)] * d)
    assert X[t + 1 :] == [tuple([F(k)] + [F(0)] * (d - 1)) for k in range(2, N - d + 1)]
    ds = dstar_dataset(N, d)
    for p in (1, 2, 3):
        assert ds.epsilon_power(p) == F(1, 2) ** p  # ε_{D*,p} = ½ for every p
    assert ds.epsilon_inf() == F(1, 2)


def test_width_bound_values():
    assert width_bound(5, 4, F(9, 10), 2) == F(81, 25)  # ρ² t
    assert width_bound(5, 4, F(9, 10), 3) == F(81, 25)
    assert width_bound(5, 4, F(9, 10), 1) == F(81, 100)  # ρ² t / d
    assert width_bound(5, 4, F(3, 4), None) == 4  # t for ℓ∞, ρ > ½
    assert width_bound(5, 4, F(1, 2), None) == F(1)  # ρ = ½: still ρ² t
    assert width_bound(20, 4, F(1, 2), 2) == 1  # t = d when N − 1 > d
    assert width_bound(3, 10, F(1, 2), 2) == F(1, 2)  # t = N − 1


# ----------------------------------------------------------------------------- LB-width


@pytest.mark.parametrize("seed", range(24))
def test_random_narrow_networks_always_yield_verified_witnesses(seed):
    rng = random.Random(seed)
    p = [1, 2, 3, None][seed % 4]
    d = rng.randint(2, 6)
    N = rng.randint(2, 2 * d + 2)
    t = min(N - 1, d)
    rho = F(rng.randint(80, 99), 100)
    w = width_bound(N, d, rho, p)
    # largest rank strictly below the bound (for ℓ1, w = ρ²t/d < 1: only rank 0 qualifies)
    r = max(math.ceil(w) - 1, 0)
    m = rng.randint(max(r, 1), r + 3)  # the width may exceed the rank
    rows = low_rank_rows(rng, m, d, r) if r else [[0] * d for _ in range(m)]
    net = random_net(rng, d, rows)
    assert rank_exact(rows) <= r < w
    res = width_witness(net, N, rho=rho, p="inf" if p is None else p, search=False)
    assert res.guaranteed and res.bound == w and t >= 1
    assert_verified(net, N, rho, p, res)


@pytest.mark.parametrize("seed", range(8))
def test_linf_above_half_uses_the_linf_argument(seed):
    # rank t − 1 is far above the ℓ2 bound ρ²t for ρ near ½, yet ℓ∞ guarantees a witness
    rng = random.Random(100 + seed)
    d = rng.randint(3, 6)
    N = d + 1 + rng.randint(0, 3)
    rho = F(rng.randint(51, 60), 100)
    t = min(N - 1, d)
    assert t - 1 >= rho * rho * t  # the ℓ2 argument alone gives nothing
    rows = low_rank_rows(rng, t - 1 + rng.randint(0, 2), d, t - 1)
    net = random_net(rng, d, rows)
    res = width_witness(net, N, rho=rho, p="inf", search=False)
    assert res.guaranteed and res.bound == t
    assert_verified(net, N, rho, None, res)


def test_linf_kernel_construction_where_projection_fails():
    # Null W = span(1,1,1,1): the ℓ2 residual (3/4, −1/4, −1/4, −1/4) has ℓ∞ norm 3/4 > 2μ,
    # the ℓ∞ construction r = e_1 − z/2 has ℓ∞ norm ½ < 2μ = ρ
    rows = [[1, -1, 0, 0], [0, 1, -1, 0], [0, 0, 1, -1]]
    net = random_net(random.Random(0), 4, rows)
    rho = F(11, 20)
    res = width_witness(net, 5, rho=rho, p="inf", search=False)
    assert res.method == "linf-kernel"
    assert res.x == (F(3, 4), F(1, 4), F(1, 4), F(1, 4))
    assert res.x_prime == (F(1, 4), F(-1, 4), F(-1, 4), F(-1, 4))
    assert_verified(net, 5, rho, None, res)


def test_zero_rank_and_single_layer_networks():
    rng = random.Random(3)
    net0 = random_net(rng, 3, [[0, 0, 0], [0, 0, 0]])
    res = width_witness(net0, 4, rho="1/2", p=2)
    assert res.rank == 0 and res.x == (1, 0, 0) and res.x_prime == (0, 0, 0)
    assert_verified(net0, 4, F(1, 2), 2, res)
    affine = Network([[[1, 2, 3]]], [[1]], input_dim=3)  # f = x1 + 2x2 + 3x3 + 1, rank 1
    res = width_witness(affine, 4, rho="9/10", p=2)
    assert res.guaranteed and res.bound == F(243, 100)
    assert_verified(affine, 4, F(9, 10), 2, res)


@pytest.mark.parametrize("p", ["inf", "1", "2"])
def test_witness_agrees_with_the_certifier(p):
    # the certifier, run independently on D*, must not prove the ball the witness breaks
    rng = random.Random(7)
    d, N, rho = 4, 5, F(9, 10)
    pn = None if p == "inf" else int(p)
    r = math.ceil(width_bound(N, d, rho, pn)) - 1
    net = random_net(rng, d, low_rank_rows(rng, r + 1, d, r))
    res = width_witness(net, N, rho=rho, p=p)
    assert_verified(net, N, rho, pn, res)
    ds = dstar_dataset(N, d)
    rep = certify(net, ds, make_radius(ds, p, rho=rho), engine="linear", timeout=30)
    broken = ds.X.index(tuple(F(int(k == res.j - 1)) for k in range(d)))
    if res.misclassified == "x_prime":
        broken = ds.X.index(tuple([F(0)] * d))
    assert rep.results[broken].status != "PROVED"


@pytest.mark.parametrize("N,d", [(5, 4), (9, 3), (3, 4)])
@pytest.mark.parametrize("p", ["inf", "2", "1"])
def test_memorizers_of_dstar_meet_the_bound(N, d, p):
    """Theory and constructions agree: certified robust memorizers of D* have first-layer
    width (and rank) ≥ w, and no witness exists for them."""
    rho = F(3, 4)
    pn = None if p == "inf" else int(p)
    ds = dstar_dataset(N, d)
    rad = make_radius(ds, p, rho=rho)
    baseline, _ = build_baseline(ds, rad.radius_power, rad.p)
    narrow = build_dstar_memorizer(N, d, rho)
    for net in (baseline, narrow):
        rep = certify(net, ds, rad, engine="linear", timeout=30)
        assert rep.counts["PROVED"] == N
        w = width_bound(N, d, rho, pn)
        assert net.widths[1] >= rank_exact(net.layers[0].weight) >= w
        assert first_layer_rank(net) == rank_exact(net.layers[0].weight)
        res = width_witness(net, N, rho=rho, p=p)
        assert not res.found and not res.guaranteed
    assert narrow.widths[1] == min(N - 1, d)


@pytest.mark.parametrize("N,d", [(5, 4), (9, 3), (3, 4)])
@pytest.mark.parametrize("p,rho", [("inf", F(3, 4)), ("2", F(9, 10)), ("1", F(3, 4))])
def test_p4_large_memorizers_of_dstar_meet_the_bound(N, d, p, rho):
    """The regime-(iii) builder (P4), certified on D*, has first-layer rank ≥ w."""
    large = pytest.importorskip("constructions.large")
    pn = None if p == "inf" else int(p)
    ds = dstar_dataset(N, d)
    rad = make_radius(ds, p, rho=rho)
    net, _ = large.build_large(ds, rad.radius_power, rad.p)
    rep = certify(net, ds, rad, engine="linear", timeout=30)
    assert rep.counts["PROVED"] == N
    rank = rank_exact(net.layers[0].weight)
    assert net.widths[1] >= rank >= width_bound(N, d, rho, pn)
    assert not width_witness(net, N, rho=rho, p=p).found


@pytest.mark.parametrize("seed", range(6))
def test_vc_reduction_on_p4_large_memorizers(seed):
    large = pytest.importorskip("constructions.large")
    rng = random.Random(50 + seed)
    p = ["2", "1", "inf"][seed % 3]
    d, N = rng.randint(2, 4), rng.randint(4, 7)
    rho = F(rng.randint(60, 95), 100)
    con = vc_dataset(N, d, rho, p, seed=seed)
    ds = con.dataset()
    rad = make_radius(ds, p, rho=rho)
    net, _ = large.build_large(ds, rad.radius_power, rad.p)
    assert certify(net, ds, rad, engine="linear", timeout=30).counts["PROVED"] == N
    chk = vc_check(net, con)
    assert chk.holds, (con.signs, chk.values)
    for s, pt in zip(con.signs, con.points):
        assert (2 * net.evaluate(pt) - 3) * s > 0


def test_linf_bound_is_tight_and_one_less_fails():
    # ℓ∞, ρ > ½: the width-t memorizer is certified, dropping one coordinate gives a witness
    N, d, rho = 6, 4, F(3, 4)
    assert width_bound(N, d, rho, None) == d
    ds = dstar_dataset(N, d)
    narrow = build_dstar_memorizer(N, d, rho, rows=[0, 1, 3])
    res = width_witness(narrow, N, rho=rho, p="inf")
    assert res.guaranteed
    assert_verified(narrow, N, rho, None, res)
    rep = certify(narrow, ds, make_radius(ds, "inf", rho=rho), engine="linear", timeout=30)
    assert rep.counts["REFUTED"] >= 1


def test_no_witness_when_none_exists():
    # Null W = span(e_3 + e_4): min_c ‖e_3 − c(e_3 + e_4)‖_1 = 1 ≥ 2μ = 0.9 (and e_1, e_2 are in
    # the row space): no pair with W x = W x' exists in ℓ1, exact or searched
    rows = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, -1]]
    net = random_net(random.Random(5), 4, rows)
    rho = F(9, 10)
    for search in (False, True):
        res = width_witness(net, 5, rho=rho, p=1, search=search)
        assert not res.found and not res.guaranteed and res.x is None
    # in ℓ3 (bound ρ²t = 3.24 > rank 3) the projection residual works
    assert_verified(net, 5, rho, 3, width_witness(net, 5, rho=rho, p=3))


def test_kernel_search_beyond_the_guarantee_is_rechecked_exactly():
    # Null W = span((4, 1, 0, 0)); ‖e_1 − c(4, 1, 0, 0)‖_1 = |1 − 4c| + |c|: the ℓ2 projection
    # (c = 4/17) gives 5/17 ≈ 0.294, the ℓ1 optimum (c = ¼) gives ¼. With 2μ = ρ = 0.27 only
    # the float-guided LP finds the pair; the rank is far above the ℓ1 bound ρ²t/d.
    rows = [[1, -4, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    net = random_net(random.Random(9), 4, rows)
    rho = F(27, 100)
    assert not width_witness(net, 5, rho=rho, p=1, search=False).found
    res = width_witness(net, 5, rho=rho, p=1)
    assert res.found and not res.guaranteed and res.method == "kernel-search" and res.j == 1
    assert_verified(net, 5, rho, 1, res)
    assert res.distance_power == F(1, 8)  # ‖r/2‖_1 with r = e_1 − ¼(4, 1, 0, 0)


def test_width_input_errors():
    net = build_dstar_memorizer(5, 4, "1/2")
    with pytest.raises(InputError, match="rho"):
        width_witness(net, 5, rho="1", p=2)
    with pytest.raises(InputError, match="rho"):
        width_witness(net, 5, rho="0", p=2)
    with pytest.raises(InputError, match="exactly one"):
        width_witness(net, 5, p=2)
    with pytest.raises(InputError, match="mu"):
        width_witness(net, 5, mu="1/2", p=2)
    with pytest.raises(InputError, match="N must be at least 2"):
        width_witness(net, 1, rho="1/2", p=2)
    with pytest.raises(InputError, match="norm exponent"):
        width_witness(net, 5, rho="1/2", p="two")
    assert width_witness(net, 5, mu="1/4", p=2).rho == F(1, 2)


# ----------------------------------------------------------------------------- LB-VC


def test_vc_k_values():
    assert vc_k(5, F(4, 5), 2) == 2  # 1/(1 − 16/25) = 25/9
    assert vc_k(5, F(9, 10), 1) == 5  # min(d, 10)
    assert vc_k(20, F(9, 10), 1) == 10
    assert vc_k(5, F(1, 2), 1) == 2  # boundary: 1/(1 − ½) = 2 exactly
    assert vc_k(5, F(1, 3), 2) == 1
    assert vc_k(5, F(99, 100), None) == 1  # ℓ∞: only the classical bound


@pytest.mark.parametrize(
    "N,d,rho,p",
    [
        (6, 3, F(4, 5), 2),
        (7, 3, F(4, 5), 2),
        (8, 4, F(9, 10), 1),
        (5, 2, F(1, 2), 1),  # μ^p = k − 1 exactly: X on the ball boundaries
        (6, 3, F(9, 10), 3),
        (6, 3, F(3, 4), None),
        (4, 5, F(19, 20), 2),  # k capped at d
    ],
)
def test_vc_construction_geometry(N, d, rho, p):
    rng = random.Random(N * 100 + d)
    con = vc_dataset(N, d, rho, "inf" if p is None else p, seed=rng.randint(0, 999))
    k, L = con.k, N // 2
    assert len(con.points) == len(con.signs) == L * k and len(con.X) == N
    ds = con.dataset()
    assert ds.N == N and set(ds.y) == {1, 2}
    if p is None:
        assert k == 1 and ds.epsilon_inf() == 1
        mu_power = rho
    else:
        assert 1 <= k <= d and k <= 1 / (1 - rho**p)
        assert ds.epsilon_power(p) == k  # ε_{D,p} = k^{1/p}
        mu_power = rho**p * k
        assert mu_power >= k - 1  # μ ≥ (k − 1)^{1/p}
    # each shattered point lies at distance (k−1)^{1/p} from the data point of its sign's label
    for idx, (pt, s) in enumerate(zip(con.points, con.signs)):
        lab = 2 if s > 0 else 1
        dists = [(pnorm_power([a - b for a, b in zip(pt, x)], p), y) for x, y in zip(ds.X, ds.y)]
        near = [y for dist, y in dists if dist <= mu_power]
        assert near == [lab], (idx, near)  # in the closed ball of exactly one point: label s
        on_sphere = min(dist for dist, y in dists if y == lab)
        assert on_sphere == (k - 1 if p is not None else (0 if k == 1 else 1))


@pytest.mark.parametrize("seed", range(6))
def test_vc_reduction_holds_on_certified_memorizers(seed):
    rng = random.Random(seed)
    p = ["2", "1", "inf"][seed % 3]
    d = rng.randint(2, 4)
    N = rng.randint(4, 7)
    rho = F(rng.randint(60, 95), 100)
    con = vc_dataset(N, d, rho, p, seed=seed)
    ds = con.dataset()
    net = build_vc_memorizer(con)
    rep = certify(net, ds, make_radius(ds, p, rho=rho), engine="auto", timeout=30)
    assert rep.counts["PROVED"] == N  # a certified ρ-robust memorizer ...
    chk = vc_check(net, con)
    assert chk.holds and chk.memorizes_data  # ... realises the sign pattern
    for v, s, pt in zip(chk.values, con.signs, con.points):
        assert (2 * net.evaluate(pt) - 3) * s > 0 and v == net.evaluate(pt)
    # and a memorizer of another pattern fails on this one where they differ
    flipped = list(con.signs)
    flipped[0] = -flipped[0]
    other = vc_dataset(N, d, rho, p, signs=flipped)
    bad = vc_check(net, other)
    assert not bad.holds and 0 in bad.mismatches


def test_vc_reduction_on_boundary_case_and_odd_N():
    con = vc_dataset(5, 2, "1/2", 1, signs="-+-+")  # k = 2, μ = 1 = k − 1
    assert con.k == 2 and con.X[-1] == (F(16), F(0)) and con.y[-1] == 1
    net = build_vc_memorizer(con)
    ds = con.dataset()
    assert certify(net, ds, make_radius(ds, 1, rho="1/2"), engine="linear").counts["PROVED"] == 5
    assert vc_check(net, con).holds


def test_signs_parsing_and_errors():
    assert parse_signs("+-+") == (1, -1, 1)
    assert parse_signs("+1,-1") == (1, -1)
    for bad in ("", "+-x", "abc"):
        with pytest.raises(InputError, match="string of"):
            parse_signs(bad)
    with pytest.raises(InputError, match="give exactly 4"):
        vc_dataset(4, 3, "4/5", 2, signs="+-+")
    with pytest.raises(InputError, match="exactly one"):
        vc_dataset(4, 3, "4/5", 2)
    with pytest.raises(InputError, match="exactly one"):
        vc_dataset(4, 3, "4/5", 2, signs="++++", seed=1)
    with pytest.raises(InputError, match="d must be at least 2"):
        vc_dataset(4, 1, "1/2", 2, seed=1)
    with pytest.raises(InputError, match="rho"):
        vc_dataset(4, 3, "3/2", 2, seed=1)
    con = vc_dataset(4, 3, "4/5", 2, seed=1)
    with pytest.raises(InputError, match="input dimension"):
        vc_check(build_dstar_memorizer(4, 4, "1/2"), con)
    assert vc_dataset(4, 3, "4/5", 2, seed=1) == con  # deterministic per seed
    assert Dataset(list(con.X), list(con.y)).N == 4
