"""``robustmem demo``: a tour on scikit-learn's digits dataset (embedded in the package,
no network): exact separation ε for ℓ2 and ℓ∞, the bound table at ρ in every regime, plots."""

from __future__ import annotations

import json
import math
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from bounds.plot import plot_vs_rho
from bounds.point import INF, Point
from bounds.query import query
from bounds.report import text_table
from certify.dataset import Dataset


def load_digits_dataset() -> Dataset:
    """The 1797 8×8 digit images (integer pixels 0..16), labels shifted to 1..10."""
    from sklearn.datasets import load_digits

    data = load_digits()
    return Dataset.from_arrays(data.data.astype(int), data.target.astype(int) + 1)


def _sqrt_text(q: Fraction) -> str:
    """√q written exactly (q a non-negative rational)."""
    num, den = q.numerator, q.denominator
    rn, rd = math.isqrt(num), math.isqrt(den)
    if rn * rn == num and rd * rd == den:
        return str(Fraction(rn, rd))
    return f"sqrt({q})"


#: ρ values, one per regime, for N = 1797, d = 64 (checked against the exact regime below).
DEMO_RHOS = {
    "2": ["1/200000", "1/100", "1/2"],
    "inf": ["1/1000000", "1/1000", "1/20", "1/2"],
}


def _certify_subset(ds: Dataset, say) -> dict[str, Any]:
    """Build the baseline memorizer on the first digits and certify it exactly (ℓ∞, ρ = 1/2)."""
    from certify.run import certify, make_radius
    from constructions.baseline import build_baseline

    n = 8
    sub = Dataset.from_arrays([list(x) for x in ds.X[:n]], list(ds.y[:n]))
    rad = make_radius(sub, "inf", rho=Fraction(1, 2))
    net, rep = build_baseline(sub, rad.radius_power, None)
    say(
        f"\nconstruct + certify: baseline memorizer of the first {n} digits (ℓ∞, ρ = 1/2, "
        f"μ = {rad.radius_power}): {rep.params} parameters, depth {rep.depth}, width {rep.width}"
    )
    report = certify(net, sub, rad, engine="linear", timeout=60)
    c = report.counts
    say(
        f"  PROVED {c['PROVED']}  REFUTED {c['REFUTED']}  UNKNOWN {c['UNKNOWN']}  "
        f"(every PROVED re-checked by the trusted kernel; {report.seconds:.1f} s)"
    )
    return {"N": n, "p": "inf", "rho": "1/2", "params": rep.params, "counts": c}


def run_demo(out_dir: str | Path = "robustmem-demo", json_out: bool = False) -> int:
    say = (lambda *a: print(*a, file=sys.stderr)) if json_out else print
    say("robustmem demo — scikit-learn digits (embedded), exact arithmetic throughout\n")
    ds = load_digits_dataset()
    for note in getattr(ds, "notes", []):
        say(f"note: {note}")
    eps2_sq = ds.epsilon_power(2) / 1  # ε₂² (exact rational)
    eps_inf = ds.epsilon_inf()
    say(f"dataset: N = {ds.N} points, d = {ds.d}, {len(ds.classes)} classes")
    say(f"separation ε₂ = {_sqrt_text(eps2_sq)}  (ε₂² = {eps2_sq}, ≈ {math.sqrt(eps2_sq):.6g})")
    say(f"separation ε∞ = {eps_inf}  (≈ {float(eps_inf):.6g})\n")

    out: dict[str, Any] = {
        "dataset": "sklearn digits",
        "N": ds.N,
        "d": ds.d,
        "classes": len(ds.classes),
        "epsilon_2_squared": str(eps2_sq),
        "epsilon_inf": str(eps_inf),
        "queries": [],
        "plots": [],
    }
    for p_text, rhos in DEMO_RHOS.items():
        pv = INF if p_text == "inf" else Fraction(2)
        for r in rhos:
            rho = Fraction(r)
            res = query(Point(ds.N, ds.d, rho, pv))
            mu = (
                f"μ = ρ·ε∞ = {rho * eps_inf}"
                if pv == INF
                else (f"μ² = ρ²·ε₂² = {rho * rho * eps2_sq}")
            )
            say(text_table(res))
            say(f"  {'radius':<20} {mu}\n")
            out["queries"].append(res.to_json())
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    for p_text in DEMO_RHOS:
        pv = INF if p_text == "inf" else Fraction(2)
        path = plot_vs_rho(ds.N, ds.d, pv, out=target / f"bounds_p{p_text}.png")
        say(f"wrote {path}")
        out["plots"].append(str(path))
    out["certified"] = _certify_subset(ds, say)
    regimes = {q["regime"] for q in out["queries"]}
    say(f"\nregimes shown: {', '.join(sorted(regimes))}")
    say("next: 'robustmem bounds --help', 'robustmem plot --help', 'robustmem certify --help'")
    if json_out:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0
