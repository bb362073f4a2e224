"""One entry point for every builder: ``construct(ds, radius, method, seed)`` → (network, report).

The report is the record ``robustmem construct --json`` prints: actual sizes (params, nonzero
params, depth, width, bits), the regime, the THEORY formula with its value (rates with
constants 1, logs dropped) and the ratio actual/formula, per-stage counts and the seed.
``auto`` picks by regime: small → ``small`` (falls back to ``large`` if the data violate the
small builder's contract); moderate → ``moderate`` (grouping ``auto``: the smaller of the
paper's grouping and the cover by the exact size formula) or the exact ``large``, whichever
has fewer parameters, decided by the size formulas (``_auto_moderate``; the notes give the
counts);
large/none → ``large`` (exact for
every ρ < 1).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from certify.dataset import Dataset
from certify.errors import InputError
from certify.network import Network
from certify.run import Radius

METHODS = ("auto", "small", "moderate", "large", "baseline")


def rho_float(radius: Radius) -> float:
    """ρ = μ/ε as a float (for formulas and the regime of a --mu query)."""
    if radius.rho is not None:
        return float(radius.rho)
    q = radius.radius_power / radius.epsilon_power
    return float(q) if radius.p is None else float(q) ** (1.0 / radius.p)


def gamma(p: int | None, d: int) -> float:
    """γ_p(d) = d^|1/2 − 1/p| (ℓp radius → the ℓ2 radius KMY Thm C.11 builds at)."""
    inv = 0.0 if p is None else 1.0 / p
    return d ** abs(0.5 - inv)


def regime_of(ds: Dataset, radius: Radius) -> str | None:
    """The bounds calculator's regime at (N, d, ρ, p); exact when ρ was given, from a
    rational approximation of ρ = μ/ε otherwise."""
    from bounds.point import Point
    from bounds.query import query

    rho = radius.rho
    if rho is None:
        rho = Fraction(rho_float(radius)).limit_denominator(1 << 40)
        if not 0 < rho < 1:
            return None
    pv = float("inf") if radius.p is None else Fraction(radius.p)
    return query(Point(ds.N, ds.d, rho, pv)).regime


def _large_size_lower(ds: Dataset, radius: Radius, project: str) -> int:
    """A lower bound of ``build_large``'s parameter count, from its layer widths
    [d, m, m+C'+F_1, m+C'+1, …, m+C'+F_B, m+C'+1, C', 1] (B = points off the majority label,
    C' = classes − 1) with every facet count F_k ≥ 1, and m = d where its projection rule
    keeps the input (ℓp ≠ ℓ2, or d < N and d < 600 ln N), m ≥ 1 otherwise: the documented
    size formula :func:`constructions.large.large_size` with every F_k = 1."""
    from constructions.large import CASE_LN, large_size

    N, d = ds.N, ds.d
    counts: dict[int, int] = {}
    for y in ds.y:
        counts[y] = counts.get(y, 0) + 1
    B, C1 = N - max(counts.values()), len(counts) - 1
    keeps = project in ("auto", "none") and (radius.p != 2 or (d < N and d < CASE_LN * math.log(N)))
    m = d if keeps or project == "none" else 1
    return large_size(d, m, C1, [1] * B)


def _auto_moderate(
    ds, radius, eta, project, memorizer, seed, notes, grouping="auto"
) -> tuple[str, dict[str, Any]]:
    """``auto`` in the moderate regime, by the size formulas: the moderate network's exact
    count (``moderate_size``: its plan, nothing built) against a lower bound of the exact
    ``large`` network's (:func:`_large_size_lower`). Moderate below that bound: only moderate
    is built. Otherwise large is built and kept unless moderate's exact count is smaller (then
    moderate is built too — the only case that builds both); the exact one wins a tie.
    Measured (bench/RESULTS_regimes.md, "moderate builder rate"): at ρ = √(ρ₁ρ₂), d = 4,
    moderate with the paper's grouping is the smaller from N₀ = 512 on, with the default
    grouping (auto: the smaller of paper and cover) from N₀ = 64 on (N = 32 … 1024 measured)."""
    from constructions.large import build_large
    from constructions.moderate import build_moderate, moderate_size

    mproj = project if project in ("auto", "none", "random", "adaptive") else "auto"
    lproj = project if project in ("auto", "none", "span", "random", "span-random") else "auto"
    kw = {"project": mproj, "memorizer": memorizer, "seed": seed, "grouping": grouping}
    try:
        pm = moderate_size(ds, radius.radius_power, radius.p, eta, **kw)
    except InputError as e:
        notes.append(f"auto: the moderate builder refused ({e}); built large (exact)")
        return "large", {}
    low = _large_size_lower(ds, radius, lproj)
    if pm < low:
        notes.append(
            f"auto: moderate ({pm} parameters by its exact formula, error ≤ η = {eta} per ball) "
            f"is below the exact large builder's lower bound {low}: built moderate only; use "
            "--method large for an exact network"
        )
        return "moderate", {
            "moderate": build_moderate(ds, radius.radius_power, radius.p, eta, **kw)
        }
    large = build_large(ds, radius.radius_power, radius.p, project=lproj, seed=seed)
    pl = large[0].num_params()
    if pm < pl:
        notes.append(
            f"auto: moderate ({pm} parameters, error ≤ η = {eta} per ball) is smaller than the "
            f"exact large builder ({pl}; its lower bound {low} did not decide); use --method "
            "large for an exact network"
        )
        return "moderate", {
            "moderate": build_moderate(ds, radius.radius_power, radius.p, eta, **kw)
        }
    notes.append(
        f"auto: the exact large builder ({pl} parameters) is not larger than moderate ({pm} by "
        f"its exact formula, error ≤ η = {eta}; not built): built large"
    )
    return "large", {"large": large}


def construct(
    ds: Dataset,
    radius: Radius,
    method: str = "auto",
    *,
    seed: int = 0,
    project: str = "auto",
    memorizer: str = "auto",
    eta: Fraction | str = "1/10",
    threshold: bool = False,
    grouping: str = "auto",
) -> tuple[Network, dict[str, Any]]:
    """Build a robust memorizer of ``ds`` for ``radius`` and return it with its report.

    ``project``: auto (each builder follows the paper's cases), none, span (large), random,
    adaptive (small). ``memorizer`` (small, moderate): auto (the smaller by exact size), plain,
    sqrt. ``threshold`` (moderate only): step units make every ball exact (docs/threshold.md).
    ``grouping`` (moderate, and auto in the moderate regime): auto (the smaller by exact size),
    paper (KMY B.13's consecutive groups), cover (a greedy cover of the data, beyond the
    paper)."""
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if threshold and method != "moderate":
        raise InputError("threshold (step units) is available with method moderate only")
    if grouping not in ("auto", "paper", "cover"):
        raise InputError(f"grouping must be auto, paper or cover, got {grouping!r}")
    if grouping != "auto" and method not in ("auto", "moderate"):
        raise InputError("grouping applies to method moderate (and auto) only")
    if radius.epsilon_power is None:
        raise InputError(
            "a robust memorizer needs at least two classes (ε and the regime are undefined "
            "for a single class)"
        )
    N, d, C = ds.N, ds.d, len(ds.classes)
    regime = regime_of(ds, radius)
    rho = rho_float(radius)
    notes: list[str] = []
    chosen = method
    extra: dict[str, Any] = {}
    prebuilt: dict[str, Any] = {}
    if method == "auto":
        chosen = "small" if regime == "small" else "large"
        if regime == "moderate":
            chosen, prebuilt = _auto_moderate(
                ds, radius, eta, project, memorizer, seed, notes, grouping
            )
    if chosen == "small":
        from constructions.small import build_small

        try:
            net, srep = build_small(
                ds,
                radius.radius_power,
                radius.p,
                project=project,
                memorizer=memorizer,
                seed=seed,
            )
        except InputError as e:
            if method != "auto":
                raise
            notes.append(f"small builder refused ({e}); fell back on large")
            chosen = "large"
        else:
            stages = dict(srep.stages)
            formula_text = "√N  (KMY Thm 4.2(i), rate with constants 1)"
            formula = math.sqrt(N)
            seed_used: int | None = srep.seed
            notes.extend(srep.notes)
            extra = {"m": srep.m, "memorizer": srep.memorizer, "keys": srep.keys}
    if chosen == "large":
        from constructions.large import build_large

        if "large" in prebuilt:
            net, lrep = prebuilt["large"]
        else:
            net, lrep = build_large(ds, radius.radius_power, radius.p, project=project, seed=seed)
        stages = dict(lrep.stages)
        g = gamma(radius.p, d)
        formula_text = "N·d²·(γρ)⁴ + d  (KMY Thm 4.2(iii) / C.11(iii), constants 1)"
        formula = N * d * d * (g * rho) ** 4 + d
        seed_used = lrep.seed
        notes.extend(lrep.notes)
        extra = {
            "projection": lrep.projection,
            "m": lrep.m,
            "blocks": lrep.blocks,
            "facets_max": lrep.max_facets,
            "facets_mean": round(lrep.mean_facets, 3),
            "majority_label": lrep.majority_label,
        }
    elif chosen == "moderate":
        from constructions.moderate import build_moderate

        if "moderate" in prebuilt:
            net, mrep = prebuilt["moderate"]
        else:
            if project not in ("auto", "none", "random", "adaptive"):
                raise InputError(
                    f"the moderate builder's project must be auto, none, random or adaptive, "
                    f"got {project!r}"
                )
            net, mrep = build_moderate(
                ds,
                radius.radius_power,
                radius.p,
                eta,
                threshold=threshold,
                project=project,
                memorizer=memorizer,
                grouping=grouping,
                seed=seed,
            )
        stages = dict(mrep.stages)
        g = gamma(radius.p, d)
        formula_text = "N·d^(1/4)·(γρ)^(1/2) + d  (KMY Thm 4.2(ii) / C.11(ii), constants 1)"
        formula = N * d**0.25 * (g * rho) ** 0.5 + d
        seed_used = mrep.seed
        notes.extend(mrep.notes)
        extra = {
            "m": mrep.m,
            "projection": mrep.projection,
            "memorizers": {k: mrep.memorizers.count(k) for k in ("plain", "sqrt")},
            "bits_grid": mrep.bits,
            "eta": str(mrep.eta),
            "threshold": threshold,
            "grouping": mrep.grouping,
            "group_size": mrep.group_size,
            "groups": mrep.groups,
            "error_bound_max": str(mrep.max_error_bound),
            "error_bound_max_float": float(mrep.max_error_bound),
            "balls_with_error_bound_zero": sum(1 for e in mrep.error_bounds if e == 0),
        }
    elif chosen == "baseline":
        from constructions.baseline import build_baseline

        net, _ = build_baseline(ds, radius.radius_power, radius.p)
        stages = {
            "bumps_layer1": (d + 1) * 2 * N * d,
            "bumps_layer2": (2 * N * d + 1) * N,
            "class_clip": (N + 1) * 2 * C,
            "output": 2 * C + 1,
        }
        formula_text = "(d+1)·2Nd + (2Nd+1)·N + (N+1)·2C + 2C + 1  (exact count of this design)"
        formula = float(sum(stages.values()))
        seed_used = None
    params = net.num_params()
    report: dict[str, Any] = {
        "method": chosen,
        "requested_method": method,
        "regime": regime,
        "N": N,
        "d": d,
        "classes": C,
        "params": params,
        "params_nonzero": net.num_nonzero(),
        "depth": net.depth,
        "width": net.width,
        "bits": net.bit_complexity(),
        "formula": formula_text,
        "formula_value": formula,
        "ratio": params / formula if formula else None,
        "stages": stages,
        "seed": seed_used,
        "notes": notes,
        **extra,
    }
    return net, report
