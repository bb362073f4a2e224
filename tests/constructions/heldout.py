"""Held-out construction check: fresh datasets from a seed, every builder, the real certifier,
and an independent exact re-sampler.

Everything that *judges* a network here is written from the file formats only (the
``robustmem-network/1`` JSON of README "Certify", the dataset CSV): the network is read from
its saved JSON file and evaluated in exact rational arithmetic (Python integers over a common
denominator, Fractions at the edges), ε and the ball radius are recomputed from the rows, and
sizes are counted from the JSON layers. Nothing is imported from robustmem's network
evaluation code or from the kernel. The builders and the certifier are called through the
public APIs behind ``robustmem construct`` (``constructions.build.construct``) and
``robustmem certify`` (``certify.run.certify`` with the CLI's kernel texts).

The seed: ``ROBUSTMEM_HELDOUT_SEED`` (an integer, or ``random`` for one drawn from
``os.urandom``: data nobody has seen), else DEFAULT_SEED (so CI is reproducible); it is
printed, so a failure can be rerun exactly (``ROBUSTMEM_HELDOUT_SEED=<seed> pytest ...``).
"""

from __future__ import annotations

import json
import math
import os
import random
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

SEED_ENV = "ROBUSTMEM_HELDOUT_SEED"
STRICT_ENV = "ROBUSTMEM_HELDOUT_STRICT"
"""Set to 1 to count the known certifier limitation below as a failure."""
KNOWN_THRESHOLD = (
    "known limitation (tests/constructions/test_heldout.py::test_regression_threshold_*): "
    "a --threshold moderate network whose other group's cell face crosses this ball — "
    "exact (every sample right, z3 finds no counterexample) but the kernel's closed-phase "
    "proofs cannot split the step discontinuity, so UNKNOWN, not PROVED"
)
BUILDERS = ("small", "moderate", "large", "baseline", "auto")


DEFAULT_SEED = 20261203  # CI's runs are reproducible; ROBUSTMEM_HELDOUT_SEED=random draws data


def session_seed() -> int:
    """The seed of this run: the environment's (an integer, or "random": a fresh one from
    os.urandom, data nobody has seen), else DEFAULT_SEED."""
    text = os.environ.get(SEED_ENV, "").strip()
    if text == "random":
        return int.from_bytes(os.urandom(6), "big")
    if text:
        return int(text, 0)
    return DEFAULT_SEED


# ------------------------------------------------------------------------- exact numbers

_INT = re.compile(r"-?[0-9]+")
_RATIO = re.compile(r"-?[0-9]+/[0-9]+")
_DECIMAL = re.compile(r"-?([0-9]+\.[0-9]*|\.[0-9]+)")


def parse_exact(v: Any) -> Fraction:
    """A number of the network / dataset formats: a JSON integer, or a string "p/q", "-p/q",
    an integer or an exact decimal. JSON floats (and bools) are refused."""
    if isinstance(v, (bool, float)):
        raise ValueError(f"not an exact number: {v!r}")
    if isinstance(v, int):
        return Fraction(v)
    if isinstance(v, str):
        s = v.strip()
        if _INT.fullmatch(s) or _RATIO.fullmatch(s) or _DECIMAL.fullmatch(s):
            q = Fraction(s)
            return q
    raise ValueError(f"not an exact number: {v!r}")


def text(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def sqrt_lower(q: Fraction, bits: int = 64) -> Fraction:
    """A rational ≤ √q, within 2^-bits·(1 + √q)."""
    if q < 0:
        raise ValueError("negative")
    scale = 1 << (2 * bits)
    return Fraction(math.isqrt(q.numerator * scale // q.denominator), 1 << bits)


# ------------------------------------------------------------------ independent evaluator


@dataclass
class ExactNet:
    """A network read from its JSON text: per layer the integer matrix and bias over one
    common denominator, and the activation of each hidden unit ("relu" / "step")."""

    input_dim: int
    layers: list[tuple[list[list[tuple[int, int]]], list[int], int, list[str]]]
    widths: list[int]
    params: int
    nonzero: int
    raw: dict

    @property
    def outputs(self) -> int:
        return self.widths[-1]

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def width(self) -> int:
        return max(self.widths[1:-1], default=0)


def load_exact_net(path: str | Path) -> ExactNet:
    raw = json.loads(Path(path).read_text())
    return exact_net(raw)


def exact_net(raw: dict) -> ExactNet:
    if raw.get("format") != "robustmem-network/1":
        raise ValueError(f"format {raw.get('format')!r}")
    d = raw["input_dim"]
    if not isinstance(d, int) or d < 1:
        raise ValueError("input_dim")
    layers = []
    widths = [d]
    params = nonzero = 0
    n_in = d
    L = len(raw["layers"])
    for k, layer in enumerate(raw["layers"]):
        W = [[parse_exact(v) for v in row] for row in layer["weight"]]
        b = [parse_exact(v) for v in layer["bias"]]
        if len(W) != len(b) or not W or any(len(row) != n_in for row in W):
            raise ValueError(f"layer {k}: shape")
        act = layer.get("activation", "relu")
        if k == L - 1:
            if "activation" in layer:
                raise ValueError("the last layer has no activation")
            acts = ["none"] * len(W)
        elif isinstance(act, str):
            acts = [act] * len(W)
        else:
            acts = list(act)
        if len(acts) != len(W) or any(a not in ("relu", "step", "none") for a in acts):
            raise ValueError(f"layer {k}: activation {act!r}")
        den = 1
        for row in W:
            for q in row:
                den = math.lcm(den, q.denominator)
        for q in b:
            den = math.lcm(den, q.denominator)
        rows = [[(j, int(q * den)) for j, q in enumerate(row) if q] for row in W]
        bias = [int(q * den) for q in b]
        layers.append((rows, bias, den, acts))
        params += (n_in + 1) * len(W)
        nonzero += sum(1 for row in W for q in row if q) + sum(1 for q in b if q)
        n_in = len(W)
        widths.append(n_in)
    return ExactNet(d, layers, widths, params, nonzero, raw)


def evaluate(net: ExactNet, x: tuple[Fraction, ...] | list[Fraction]) -> list[Fraction]:
    """f(x) exactly: the activations as integers over one common denominator."""
    if len(x) != net.input_dim:
        raise ValueError("dimension")
    den = 1
    for v in x:
        den = math.lcm(den, v.denominator)
    vec = [int(v * den) for v in x]
    for rows, bias, lden, acts in net.layers:
        new = []
        for row, bb, act in zip(rows, bias, acts):
            s = bb * den
            for j, w in row:
                s += w * vec[j]
            if act == "relu":
                s = max(s, 0)
            elif act == "step":  # H(t) = 1 if t ≥ 0 else 0, as a value over den·lden
                s = den * lden if s >= 0 else 0
            new.append(s)
        den *= lden
        g = math.gcd(den, *new)
        if g > 1:
            new = [v // g for v in new]
            den //= g
        vec = new
    return [Fraction(v, den) for v in vec]


def last_hidden(net: ExactNet, x) -> list[Fraction]:
    """The outputs of the last hidden layer (after its activation) at x."""
    body = ExactNet(net.input_dim, net.layers[:-1], net.widths[:-1], 0, 0, {})
    return evaluate(body, x)


def evaluate_slow(raw: dict, x) -> list[Fraction]:
    """The same function in plain Fractions, layer by layer (a cross-check of evaluate)."""
    v = list(x)
    L = len(raw["layers"])
    for k, layer in enumerate(raw["layers"]):
        act = layer.get("activation", "relu")
        out = []
        for i, (row, b) in enumerate(zip(layer["weight"], layer["bias"])):
            s = parse_exact(b) + sum(parse_exact(w) * t for w, t in zip(row, v))
            if k < L - 1:
                a = act if isinstance(act, str) else act[i]
                s = max(s, Fraction(0)) if a == "relu" else Fraction(int(s >= 0))
            out.append(s)
        v = out
    return v


def correct(out: list[Fraction], label: int) -> bool:
    """One output: f(x) = label exactly. C ≥ 2 outputs: a unique argmax at output label − 1."""
    if len(out) == 1:
        return out[0] == label
    k = label - 1
    if not 0 <= k < len(out):
        return False
    return all(out[k] > v for j, v in enumerate(out) if j != k)


# ------------------------------------------------------------------------ the geometry


def norm_value(v, p: int | None) -> Fraction:
    """‖v‖∞, ‖v‖₁, or ‖v‖₂² (p = 2: squared, to stay rational)."""
    if p is None:
        return max(abs(t) for t in v)
    if p == 1:
        return sum(abs(t) for t in v)
    if p == 2:
        return sum(t * t for t in v)
    raise ValueError(p)


def separation(points, labels, p: int | None) -> Fraction:
    """ε (p = ∞, 1) or ε² (p = 2), half the smallest distance between differently labelled
    points, over every pair (exact)."""
    best = None
    for i in range(len(points)):
        for j in range(i + 1, len(points)):
            if labels[i] != labels[j]:
                v = norm_value([a - b for a, b in zip(points[i], points[j])], p)
                best = v if best is None or v < best else best
    if best is None:
        raise ValueError("one class")
    return best / 4 if p == 2 else best / 2


def radius_value(points, labels, p: int | None, rho: Fraction) -> Fraction:
    """μ = ρ·ε (p = ∞, 1) or μ² = ρ²·ε² (p = 2)."""
    e = separation(points, labels, p)
    return rho * rho * e if p == 2 else rho * e


def inside(v, p: int | None, rv: Fraction) -> bool:
    """‖v‖_p < μ for the open ball (rv = μ, or μ² for p = 2)."""
    return norm_value(v, p) < rv


def gamma2(p: int | None, d: int) -> int:
    """γ_p(d)² = d^|1 − 2/p| for p ∈ {1, 2, ∞}."""
    return 1 if p == 2 else d


def regime(N: int, d: int, p: int | None, rho: Fraction) -> str:
    """README's regimes, decided exactly: small ρ ≤ 1/(5N√d·γ), moderate ρ ≤ 1/(5√d·γ),
    large ρ < 1/γ, none beyond (p ≠ 2)."""
    g2 = gamma2(p, d)
    r2 = rho * rho
    if 25 * N * N * d * g2 * r2 <= 1:
        return "small"
    if 25 * d * g2 * r2 <= 1:
        return "moderate"
    if r2 * g2 < 1:
        return "large"
    return "none"


def _rational_below(x: float, den: int = 1 << 30) -> Fraction:
    return Fraction(math.floor(x * den), den)


def _unit_dyadic(rng: random.Random, bits: int = 30) -> Fraction:
    """A dyadic in the open interval (−1, 1)."""
    m = 1 << bits
    return Fraction(rng.randint(-(m - 1), m - 1), m)


def _scale_into(v, p: int | None, rv: Fraction, t: Fraction) -> list[Fraction]:
    """λ·v with ‖λ·v‖ ≤ t·μ (t < 1): exact for p = ∞, 1; for p = 2 with a lower bound of
    the square root, so strictly inside."""
    n = norm_value(v, p)
    if n == 0:
        return [Fraction(0)] * len(v)
    lam = t * (sqrt_lower(rv / n) if p == 2 else rv / n)
    return [lam * a for a in v]


def sample_ball(
    rng: random.Random,
    center,
    p: int | None,
    rv: Fraction,
    *,
    uniform: int,
    boundary: int,
    toward=(),
    strict_uniform: bool = False,
) -> tuple[list[list[Fraction]], list[list[Fraction]]]:
    """Exact rational points strictly inside the open ball: ``uniform`` points (ℓ∞: uniform
    in the box scaled by 1 − 2^-k; ℓ2: Gaussian directions with radius U^(1/d); ℓ1:
    exponential spacings with radius U^(1/d)), and ``boundary`` points pushed to
    (1 − 2^-20) of the radius (ℓ∞ corners and faces, ℓ1 vertices, random directions), plus
    one pushed point toward each point of ``toward`` (the nearest other-label points).
    ``strict_uniform``: ℓ∞ points uniform in the whole box (k = 40), for statistics.
    Returns (uniform points, the rest); every point is checked inside exactly."""
    d = len(center)
    edge = 1 - Fraction(1, 1 << 20)
    uni: list[list[Fraction]] = []
    bnd: list[list[Fraction]] = []
    for _ in range(uniform):
        if p is None:
            k = 40 if strict_uniform else rng.randint(1, 40)
            s = (1 - Fraction(1, 1 << k)) * rv
            v = [s * _unit_dyadic(rng) for _ in range(d)]
        else:
            if p == 2:
                g = [rng.gauss(0.0, 1.0) for _ in range(d)]
            else:
                g = [rng.expovariate(1.0) * rng.choice((-1, 1)) for _ in range(d)]
            g = [Fraction(round(t * (1 << 30)), 1 << 30) for t in g]
            if not any(g):
                g[0] = Fraction(1)
            t = _rational_below(rng.random() ** (1.0 / d))
            t = min(t, 1 - Fraction(1, 1 << 30))
            v = _scale_into(g, p, rv, t)
        uni.append(v)
    for b in range(boundary):
        if p is None:
            if b % 2 == 0:  # a corner of the box
                v = [edge * rv * rng.choice((-1, 1)) for _ in range(d)]
            else:  # a face
                v = [rv * _unit_dyadic(rng) for _ in range(d)]
                v[rng.randrange(d)] = edge * rv * rng.choice((-1, 1))
        elif p == 1 and b % 2 == 0:  # a vertex of the cross-polytope
            v = [Fraction(0)] * d
            v[rng.randrange(d)] = edge * rv * rng.choice((-1, 1))
        else:
            g = [Fraction(round(rng.gauss(0.0, 1.0) * (1 << 30)), 1 << 30) for _ in range(d)]
            if not any(g):
                g[0] = Fraction(1)
            v = _scale_into(g, p, rv, edge)
        bnd.append(v)
    for q in toward:
        diff = [a - c for a, c in zip(q, center)]
        bnd.append(_scale_into(diff, p, rv, edge))
    out = []
    for group in (uni, bnd):
        pts = []
        for v in group:
            assert inside(v, p, rv), "sampler: a point outside the open ball"
            pts.append([c + a for c, a in zip(center, v)])
        out.append(pts)
    return out[0], out[1]


# --------------------------------------------------------------------------- datasets


@dataclass
class Case:
    """One held-out case: rows as written to the CSV (duplicates included), the norm, ρ, and
    the construct() arguments."""

    name: str
    method: str
    p: int | None
    rho: Fraction
    rows: list[tuple[tuple[Fraction, ...], int]]
    want_regime: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    features: list[str] = field(default_factory=list)

    @property
    def p_text(self) -> str:
        return "inf" if self.p is None else str(self.p)

    def unique(self) -> tuple[list[tuple[Fraction, ...]], list[int]]:
        """The points after merging repeats of one label (first occurrence kept)."""
        seen: dict[tuple, int] = {}
        pts, labs = [], []
        for x, y in self.rows:
            if x in seen:
                assert seen[x] == y, "generator: one point with two labels"
                continue
            seen[x] = y
            pts.append(x)
            labs.append(y)
        return pts, labs

    def describe(self) -> str:
        pts, labs = self.unique()
        return (
            f"{self.name}: method={self.method} p={self.p_text} rho={text(self.rho)} "
            f"N={len(pts)} (rows {len(self.rows)}) d={len(pts[0])} classes={sorted(set(labs))} "
            f"kwargs={self.kwargs} features={self.features}"
        )

    def csv_text(self, header: bool) -> str:
        d = len(self.rows[0][0])
        lines = [",".join(f"x{j + 1}" for j in range(d)) + ",label"] if header else []
        lines += [",".join(text(v) for v in x) + f",{y}" for x, y in self.rows]
        return "\n".join(lines) + "\n"


def random_rows(
    rng: random.Random, N: int, d: int, C: int, *, near_tie: bool, duplicate: bool
) -> tuple[list[tuple[tuple[Fraction, ...], int]], list[str]]:
    """N labelled points on a random grid (dyadic 2^-k or a random denominator q), labels a
    random set of C integers ≥ 1 (every class present); optionally a near tie (a point of
    another label 1/(q·2^t) away from one in one coordinate) and repeated rows."""
    features = []
    if rng.random() < 0.5:
        den = 1 << rng.randint(0, 6)
        features.append(f"grid 1/{den}")
    else:
        den = rng.choice((3, 5, 6, 7, 9, 10, 12))
        features.append(f"grid 1/{den}")
    span = rng.randint(max(2, N // 4), 4 * N)
    while (2 * span + 1) ** d < 2 * N:  # room for N distinct points
        span *= 2
    if rng.random() < 0.4:
        labels = sorted(rng.sample(range(1, 10), C))
        features.append(f"labels {labels}")
    else:
        labels = list(range(1, C + 1))
    off = [Fraction(rng.randint(-span, span), den) for _ in range(d)]
    pts: set[tuple[Fraction, ...]] = set()
    rows: list[tuple[tuple[Fraction, ...], int]] = []
    while len(rows) < N:
        x = tuple(off[j] + Fraction(rng.randint(-span, span), den) for j in range(d))
        if x in pts:
            continue
        pts.add(x)
        y = labels[len(rows)] if len(rows) < C else rng.choice(labels)
        rows.append((x, y))
    if near_tie:
        i = rng.randrange(len(rows))
        x, y = rows[i]
        t = rng.randint(4, 12)
        z = list(x)
        z[rng.randrange(d)] += Fraction(rng.choice((-1, 1)), den << t)
        z = tuple(z)
        if z not in pts:
            pts.add(z)
            rows.append((z, rng.choice([c for c in labels if c != y])))
            features.append(f"near tie at 2^-{t}/{den}")
    if duplicate:
        k = rng.randint(1, 2)
        for _ in range(k):
            rows.insert(rng.randrange(len(rows) + 1), rows[rng.randrange(len(rows))])
        features.append(f"{k} repeated row(s)")
    # no point with two labels (a replaced row may have collided)
    first: dict[tuple, int] = {}
    clean = []
    for x, y in rows:
        if first.setdefault(x, y) == y:
            clean.append((x, y))
    return clean, features


def _rho_in(rng: random.Random, N: int, d: int, p: int | None, which: str) -> Fraction:
    """A rational ρ strictly inside (or, for perfect squares d, sometimes exactly on the
    upper end of) the regime ``which`` at (N, d, p)."""
    g = math.sqrt(gamma2(p, d))
    r1 = 1 / (5 * N * math.sqrt(d) * g)
    r2 = 1 / (5 * math.sqrt(d) * g)
    top = 1 / g if p != 2 else 1.0
    # the ends ρ₁, ρ₂ exactly when they are rational (d a square for ℓ2; always for ℓ1, ℓ∞)
    root = math.isqrt(d) if p == 2 else d
    exact = p != 2 or root * root == d
    if which == "small":
        if exact and rng.random() < 0.25:
            return Fraction(1, 5 * N * root)
        lo, hi = r1 / 8, r1
    elif which == "moderate":
        if exact and rng.random() < 0.25:
            return Fraction(1, 5 * root)
        lo, hi = r1, r2
    else:
        lo, hi = r2, min(top, 1.0)
    for _ in range(100):
        x = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        rho = Fraction(x).limit_denominator(1 << 24)
        if 0 < rho < 1 and regime(N, d, p, rho) == which:
            return rho
    raise AssertionError(f"no rho in {which} at N={N} d={d} p={p}")


def _baseline_rho(rng: random.Random, pts, labs, p: int | None) -> Fraction:
    """ρ with the baseline's contract r₁ < ε∞ (with room for its rounded square root)."""
    einf = separation(pts, labs, None)
    if p is None:
        top = 1.0
    elif p == 1:
        top = float(einf / separation(pts, labs, 1))
    else:
        top = math.sqrt(float(einf * einf / separation(pts, labs, 2)))
    top = min(top, 1.0) * 0.97
    x = math.exp(rng.uniform(math.log(top / 50), math.log(top)))
    return Fraction(x).limit_denominator(1 << 20)


def make_case(rng: random.Random, name: str, method: str, p: int | None, *, big: bool) -> Case:
    """A fresh case for ``method`` at norm p: N, d, C, grid, near ties and repeats at random;
    ρ in the builder's regime (auto: any regime)."""
    N = rng.randint(24, 64) if big else rng.randint(8, 24)
    d = rng.randint(1, 6)
    C = rng.randint(2, 4)
    if method in ("small", "moderate") or (method == "auto" and rng.random() < 0.5):
        d = rng.randint(1, 4 if not big else 6)  # the lattice stages grow with d
    rows, feats = random_rows(
        rng, N, d, C, near_tie=rng.random() < 0.35, duplicate=rng.random() < 0.35
    )
    case = Case(name, method, p, Fraction(0), rows, features=feats)
    pts, labs = case.unique()
    n = len(pts)
    kwargs: dict[str, Any] = {"seed": rng.randint(0, 10**6)}
    if method == "small":
        which = "small"
        kwargs["memorizer"] = rng.choice(("auto", "plain", "sqrt"))
        if rng.random() < 0.25:
            kwargs["project"] = "adaptive"
    elif method == "moderate":
        which = "moderate"
        kwargs["grouping"] = rng.choice(("auto", "paper", "cover"))
        kwargs["memorizer"] = rng.choice(("auto", "plain", "sqrt"))
        if rng.random() < 0.2:
            kwargs["threshold"] = True
        kwargs["eta"] = rng.choice(("1/10", "1/4", "1/100"))
    elif method == "large":
        which = rng.choice(("small", "moderate", "large", "large"))
        if p is not None and p != 2 and rng.random() < 0.3:
            which = "large"
    elif method == "baseline":
        which = None
        kwargs.pop("seed")
    else:
        which = rng.choice(("small", "moderate", "large"))
    if which is None:
        rho = _baseline_rho(rng, pts, labs, p)
    elif method == "large" and which == "large" and rng.random() < 0.3:
        rho = Fraction(rng.choice((9, 19, 49, 99)), rng.choice((10, 20, 50, 100)))
        rho = min(rho, Fraction(99, 100))
        which = regime(n, d, p, rho)
    else:
        rho = _rho_in(rng, n, d, p, which)
    case.rho = rho
    case.want_regime = regime(n, d, p, rho)
    case.kwargs = kwargs
    return case


def default_plan(big: bool = False) -> list[tuple[str, int | None]]:
    """(builder, p) pairs: every builder at every norm it supports (moderate: ℓ2, ℓ∞;
    the others ℓ1, ℓ2, ℓ∞), auto once per regime in each norm on the slow plan."""
    plan: list[tuple[str, int | None]] = []
    for method in BUILDERS:
        ps: tuple[int | None, ...] = (2, None) if method == "moderate" else (1, 2, None)
        plan += [(method, p) for p in ps]
    if big:
        plan = plan * 3
    return plan


def generate(seed: int, *, big: bool = False) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for k, (method, p) in enumerate(default_plan(big)):
        sub = random.Random(rng.getrandbits(64))
        cases.append(make_case(sub, f"case{k}", method, p, big=big))
    return cases


# ----------------------------------------------------------------------- size formulas


def baseline_size(N: int, d: int, C: int) -> int:
    """(d+1)·2Nd + (2Nd+1)·N + (N+1)·2C + 2C + 1 (constructions/baseline.py's docstring)."""
    return (d + 1) * 2 * N * d + (2 * N * d + 1) * N + (N + 1) * 2 * C + 2 * C + 1


def large_widths_doc(d: int, m: int, c1: int, facets: list[int]) -> list[int]:
    """[d, m, a+F_1, a+1, …, a+F_B, a+1, C', 1], a = m + C' (constructions/large.py's doc)."""
    a = m + c1
    w = [d, m]
    for f in facets:
        w += [a + f, a + 1]
    return w + [c1, 1]


def chain_params(widths: list[int]) -> int:
    return sum((a + 1) * b for a, b in zip(widths, widths[1:]))


# ------------------------------------------------------------------------------ runner


@dataclass
class CaseResult:
    case: Case
    method: str = ""
    params: int = 0
    balls: int = 0
    proved: int = 0
    band_balls: int = 0
    samples: int = 0
    seconds_build: float = 0.0
    seconds_certify: float = 0.0
    seconds_sample: float = 0.0
    failures: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        self.failures.append(f"{self.case.describe()}\n    -> {what}")

    def line(self) -> str:
        return (
            f"{self.case.name} {self.case.method}->{self.method} p={self.case.p_text} "
            f"regime={self.case.want_regime} N={self.balls} params={self.params} "
            f"proved={self.proved}/{self.balls} band={self.band_balls} known={len(self.known)} "
            f"samples={self.samples} "
            f"build {self.seconds_build:.2f}s certify {self.seconds_certify:.2f}s "
            f"sample {self.seconds_sample:.2f}s  [{'; '.join(self.case.features)}]"
        )


def binomial_tail(n: int, k: int, q: float) -> float:
    """P(X ≥ k) for X ~ Bin(n, q)."""
    if k <= 0:
        return 1.0
    if q <= 0:
        return 0.0
    return sum(math.comb(n, j) * q**j * (1 - q) ** (n - j) for j in range(k, n + 1))


def run_case(
    case: Case,
    workdir: Path,
    *,
    uniform: int = 6,
    boundary: int = 6,
    timeout: float = 60.0,
    band_timeout: float = 1.0,
    engine: str = "auto",
) -> CaseResult:
    """Write the case's CSV, construct through constructions.build.construct, save the
    network JSON, check sizes and formulas, certify every ball (kernel-checked), and re-sample
    every ball with the independent evaluator on the saved file."""
    import time

    from certify.dataset import Dataset
    from certify.run import make_radius
    from constructions.build import construct

    res = CaseResult(case)
    rng = random.Random(f"{case.name}/{case.method}/{case.p_text}/{case.rho}")
    pts, labs = case.unique()
    N, d, C = len(pts), len(pts[0]), len(set(labs))
    csv = workdir / f"{case.name}.csv"
    csv.write_text(case.csv_text(header=rng.random() < 0.5))
    ds = Dataset.load(csv)
    # the reader: repeats merged, order kept (the balls' indices are the unique points')
    if ds.N != N or list(ds.X) != pts or list(ds.y) != labs:
        res.fail("the dataset reader's points differ from the generator's unique rows")
        return res
    if len(case.rows) > N and not any("merged" in n for n in ds.notes):
        res.fail("repeated rows merged without a note")
    radius = make_radius(ds, case.p_text, rho=text(case.rho))
    rv = radius_value(pts, labs, case.p, case.rho)
    eps = separation(pts, labs, case.p)
    if radius.radius_power != rv or radius.epsilon_power != eps:
        res.fail(
            f"ε/μ differ: robustmem ε^p={radius.epsilon_power} μ^p={radius.radius_power}, "
            f"independent ε^p={eps} μ^p={rv}"
        )
        return res
    kw = dict(case.kwargs)
    t0 = time.monotonic()
    try:
        net, rep = construct(ds, radius, case.method, **kw)
    except Exception as e:  # noqa: BLE001 - a refusal in the builder's own regime is a finding
        res.fail(f"construct raised {type(e).__name__}: {e}")
        return res
    res.seconds_build = time.monotonic() - t0
    res.method = chosen = rep["method"]
    res.balls = N
    path = workdir / f"{case.name}.json"
    path.write_text(net.to_json_text())
    ex = load_exact_net(path)
    res.params = ex.params

    # ---- sizes: the report against the file, and the builder's formula
    for key, val in (
        ("params", ex.params),
        ("params_nonzero", ex.nonzero),
        ("depth", ex.depth),
        ("width", ex.width),
    ):
        if rep[key] != val:
            res.fail(f"report {key} = {rep[key]} but the saved file has {val}")
    if net.num_params() != ex.params:
        res.fail(f"num_params() = {net.num_params()} but the file has {ex.params}")
    if ex.input_dim != d or ex.outputs != 1:
        res.fail(f"input_dim {ex.input_dim} / outputs {ex.outputs}")
    if rep["regime"] != case.want_regime:
        res.fail(f"regime {rep['regime']!r}, independently {case.want_regime!r}")
    if case.method != "auto" and chosen != case.method:
        res.fail(f"asked for {case.method}, built {chosen}")
    if case.method == "auto":
        allowed = {
            "small": ("small", "large"),
            "moderate": ("moderate", "large"),
        }.get(case.want_regime, ("large",))
        if chosen not in allowed:
            res.fail(f"auto in regime {case.want_regime} built {chosen}")
        refused = any("small builder refused" in n for n in rep["notes"])
        if case.want_regime == "small" and chosen == "large" and not refused:
            res.fail("auto fell back on large without saying why")
    error_bounds = [Fraction(0)] * N
    same = None
    if chosen == "baseline":
        want = baseline_size(N, d, C)
        if ex.params != want:
            res.fail(f"baseline: {ex.params} parameters, its formula {want}")
    elif chosen == "large":
        from constructions.large import build_large, large_size

        n2, lrep = build_large(
            ds,
            radius.radius_power,
            radius.p,
            project=kw.get("project", "auto"),
            seed=kw.get("seed", 0),
        )
        same = n2.to_json() == ex.raw
        widths = large_widths_doc(d, lrep.m, C - 1, lrep.facets)
        if ex.widths != widths:
            res.fail(f"large: widths {ex.widths}, the documented layout {widths}")
        want = chain_params(widths)
        if ex.params != want or large_size(d, lrep.m, C - 1, lrep.facets) != want:
            res.fail(f"large: {ex.params} parameters, its formula {want}")
        if len(lrep.facets) != N - max(labs.count(c) for c in set(labs)):
            res.fail(f"large: {len(lrep.facets)} blocks for {N} points")
    elif chosen == "moderate":
        from constructions.moderate import build_moderate, moderate_size

        mkw = {
            "project": kw.get("project", "auto"),
            "memorizer": kw.get("memorizer", "auto"),
            "grouping": kw.get("grouping", "auto"),
            "seed": kw.get("seed", 0),
        }
        eta = Fraction(kw.get("eta", "1/10"))
        thr = kw.get("threshold", False)
        n2, mrep = build_moderate(ds, radius.radius_power, radius.p, eta, thr, **mkw)
        same = n2.to_json() == ex.raw
        want = moderate_size(ds, radius.radius_power, radius.p, eta, threshold=thr, **mkw)
        if ex.params != want:
            res.fail(f"moderate: {ex.params} parameters, moderate_size {want}")
        error_bounds = list(mrep.error_bounds)
        if len(error_bounds) != N or max(error_bounds) > eta or min(error_bounds) < 0:
            res.fail(f"moderate: error bounds {error_bounds} against η = {eta}")
        if thr and max(error_bounds) != 0:
            res.fail("moderate --threshold: a nonzero error bound")
        if case.method == "auto":  # auto keeps the smaller; the exact large wins a tie
            from constructions.large import build_large

            pl = build_large(ds, radius.radius_power, radius.p, seed=kw.get("seed", 0))[0]
            if not ex.params < pl.num_params():
                res.fail(f"auto chose moderate ({ex.params}) over large ({pl.num_params()})")
    elif chosen == "small":
        st = rep["stages"]
        if st.get("total_after_merging") != ex.params:
            res.fail(f"small: stages {st} against {ex.params} parameters")
        if rep["memorizer"] == "plain" and st["memorizer"] != 12 * rep["keys"] + 1:
            res.fail(f"small: plain memorizer {st['memorizer']} ≠ 12·{rep['keys']} + 1")
        if not 1 <= rep["keys"] <= N:  # points of one label may share a cell
            res.fail(f"small: {rep['keys']} grid keys for {N} points")
        if st["projection"] != (d + 1) * rep["m"]:
            res.fail(f"small: projection stage {st['projection']} ≠ (d+1)·m")
    if same is False:
        res.fail(f"{chosen}: rebuilding with the same arguments gives another network")
    if case.method == "auto" and chosen == "large" and case.want_regime == "moderate":
        from constructions.moderate import moderate_size

        try:
            pm = moderate_size(
                ds,
                radius.radius_power,
                radius.p,
                Fraction(kw.get("eta", "1/10")),
                seed=kw.get("seed", 0),
            )
        except Exception:  # noqa: BLE001 - moderate refuses (e.g. ℓ1): large is right
            pm = None
        if pm is not None and pm < ex.params:
            res.fail(f"auto chose large ({ex.params}) over a smaller moderate ({pm})")

    check_balls(
        res,
        path,
        csv,
        ds,
        radius,
        error_bounds,
        uniform=uniform,
        boundary=boundary,
        timeout=timeout,
        band_timeout=band_timeout,
        engine=engine,
    )
    return res


def check_balls(
    res: CaseResult,
    path: Path,
    csv: Path,
    ds,
    radius,
    error_bounds: list[Fraction],
    *,
    uniform: int = 6,
    boundary: int = 6,
    timeout: float = 60.0,
    band_timeout: float = 1.0,
    engine: str = "auto",
    seed: object = None,
) -> None:
    """Certify every ball of the network *file* at ``path`` (the kernel reads that text) and
    re-sample every ball with the independent evaluator on the same file. A ball with
    error bound 0 must be PROVED and right at every sample; a band ball (moderate builder,
    bound > 0) must keep its sampled error consistent with its bound."""
    import time

    from certify.io import load_network
    from certify.run import certify
    from robustmem.cmd_certify import kernel_texts

    case = res.case
    pts, labs = case.unique()
    N = len(pts)
    rv = radius_value(pts, labs, case.p, case.rho)
    ex = load_exact_net(path)
    net = load_network(path)
    rng = random.Random(f"{case.name}/{case.p_text}/{case.rho}/{seed}")
    t0 = time.monotonic()
    net_text, data_text, _ = kernel_texts(str(path), str(csv), net, ds)
    if case.kwargs.get("threshold"):  # the known limitation below costs the whole budget
        timeout = min(timeout, 5.0)
    exact_balls = [i for i in range(N) if error_bounds[i] == 0]
    band_balls = [i for i in range(N) if error_bounds[i] > 0]
    results = []
    for todo, limit in ((exact_balls, timeout), (band_balls, band_timeout)):
        if todo:  # band balls (error ≤ η, no proof promised) get a short budget
            report = certify(
                net,
                ds,
                radius,
                engine=engine,
                timeout=limit,
                net_text=net_text,
                data_text=data_text,
                indices=None if len(todo) == N else todo,
            )
            results += report.results
    res.seconds_certify = time.monotonic() - t0
    by_index = {r.index: r for r in results}
    if sorted(by_index) != list(range(N)):
        res.fail(f"certify returned balls {sorted(by_index)}")
        return
    for i in range(N):
        r = by_index[i]
        band = error_bounds[i] > 0
        res.band_balls += band
        res.proved += r.status == "PROVED"
        if r.status == "REFUTED":
            x = [Fraction(v) for v in r.counterexample]
            diff = [a - b for a, b in zip(x, pts[i])]
            if not inside(diff, case.p, rv) or correct(evaluate(ex, x), labs[i]):
                res.fail(f"ball {i}: REFUTED with a point that is not a counterexample: {x}")
        known = (
            r.status == "UNKNOWN"
            and case.kwargs.get("threshold")
            and os.environ.get(STRICT_ENV, "") != "1"
        )
        if known and not band:
            res.known.append(f"ball {i}: {r.reason} — {KNOWN_THRESHOLD}")
        elif r.status != "PROVED" and not band:
            res.fail(f"ball {i} (label {labs[i]}, x = {pts[i]}): {r.status}: {r.reason}")

    # ---- re-sample every ball with the independent evaluator
    t0 = time.monotonic()
    for i in range(N):
        others = [j for j in range(N) if labs[j] != labs[i]]
        dist = sorted(
            (norm_value([a - b for a, b in zip(pts[i], pts[j])], case.p), j) for j in others
        )
        toward = [pts[j] for _, j in dist[:2]]
        band = error_bounds[i] > 0  # sampled more: their check is statistical
        uni, bnd = sample_ball(
            rng,
            pts[i],
            case.p,
            rv,
            uniform=4 * uniform if band else uniform,
            boundary=boundary,
            toward=toward,
            strict_uniform=band,
        )
        if not band:
            pool = [list(pts[i]), *uni, *bnd]
            for x in pool:
                res.samples += 1
                out = evaluate(ex, x)
                if not correct(out, labs[i]):
                    diff = [a - b for a, b in zip(x, pts[i])]
                    res.fail(
                        f"ball {i} (label {labs[i]}, x = {[text(v) for v in pts[i]]}): f = "
                        f"{[text(v) for v in out]} at {[text(v) for v in x]} (offset "
                        f"{[float(v) for v in diff]}; ‖·‖ = {float(norm_value(diff, case.p))} "
                        f"vs μ{'²' if case.p == 2 else ''} = {float(rv)}); certifier said "
                        f"{by_index[i].status}"
                    )
                    break
        else:  # a band ball of the moderate builder: error ≤ its bound (≤ η) in measure
            wrong = 0
            for x in uni:
                res.samples += 1
                wrong += not correct(evaluate(ex, x), labs[i])
            tail = binomial_tail(len(uni), wrong, float(error_bounds[i]))
            if tail < 1e-9:
                res.fail(
                    f"band ball {i}: {wrong}/{len(uni)} uniform samples wrong against the "
                    f"error bound {float(error_bounds[i]):.3g} (tail {tail:.2g})"
                )
    res.seconds_sample = time.monotonic() - t0
