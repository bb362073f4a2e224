"""Benchmark of robustmem against peers (not a test).

    python bench/bench_peers.py [--quick] [--timeout 20] [--marabou-timeout 30] [--seed 0]

Every ratio below is measured in one run, on the same instances, one process, one core.

1. robustmem (``certify(..., engine="linear")``: every PROVED re-checked by the trusted
   kernel) vs Marabou (ℓ∞, complete, via ``export_vnnlib`` and ``Marabou.read_onnx`` +
   ``solve``). Instance sets: the ``large`` and ``baseline`` builders on small random integer
   datasets, at ρ = 1/2 (μ = ε∞/2: every ball PROVED) and at μ = 3ε∞/2 (some or all REFUTED),
   and random ReLU networks with a saturating output f = 1 + relu(h) − relu(h − 1) (h a
   random ReLU network with dyadic weights, labels y_i = round(f(x_i))), so that some balls
   are constant (PROVED) and some are not (REFUTED).
   Marabou does not read strict comparisons, so the properties use the unsafe set
   |Y_0 − y| ≥ δ with δ = 1/64 (docs/interop.md; the test suite does the same): Marabou's
   sat ⟹ REFUTED, and robustmem's PROVED ⟹ Marabou's unsat. A REFUTED ball on which
   Marabou answers unsat is consistent only if |f − y| < δ on the whole box; such balls are
   counted as "δ-gap" (not a disagreement) when robustmem's exact counterexample has
   |f(x') − y| < δ, and as a DISAGREEMENT otherwise. Agreement is checked against
   robustmem's linear verdict, or its z3 engine's where the linear engine is UNKNOWN (the
   time ratios use the linear engine alone). Marabou's counterexamples are re-evaluated
   exactly (box up to 1e-6, |f − y| ≥ δ − 1e-6).
   Times are CPU seconds of the process doing the work (robust to other load on the
   machine). Marabou's is read_onnx + solve per ball in a forked worker that is killed
   after its timeout + 15 s ("hung": Marabou 2.0 sometimes overruns timeoutInSeconds); the
   VNN-LIB export is not counted. robustmem's is ``certify``'s in-process path, network
   preparation and kernel checks included.
2. robustmem linear vs robustmem's whole-ball z3 encoding (``engine="z3"``, PROVED balls
   re-derived by the linear engine for a kernel certificate, as ``certify`` does) on the same
   balls: times, ratio, agreement.
3. Certification time against the number of balls: the ``large`` builder at ρ = 1/2 on
   random data (d = 2) with N = 16 … 256 points, certified with the linear engine; the
   network grows with N, so the time is balls × per-ball cost; the log-log slope is fitted
   by least squares.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import math
import os
import platform
import random
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from fractions import Fraction as F
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from certify.dataset import Dataset  # noqa: E402
from certify.engines.linear import prepare  # noqa: E402
from certify.network import Network  # noqa: E402
from certify.run import balls, check_one, make_radius  # noqa: E402
from certify.vnnlib import export_vnnlib  # noqa: E402
from constructions.build import construct  # noqa: E402

DELTA = F(1, 64)
TOL = F(1, 10**6)
HAVE_MARABOU = importlib.util.find_spec("maraboupy") is not None


# ------------------------------------------------------------------ instances


def dataset(seed: int, N: int, d: int, classes: int = 2, dyadic: bool = False) -> Dataset:
    """N distinct random integer points in [0, 4N)^d with random labels (≥ 2 classes).

    ``dyadic``: redraw until ε∞ is a power of two, so that the builders' weights (which
    divide by μ = ρε) are dyadic and the ONNX export Marabou reads is exact."""
    rng = np.random.default_rng(seed)
    while True:
        X = rng.integers(0, 4 * N, size=(N, d))
        y = rng.integers(1, classes + 1, size=N)
        if len({tuple(r) for r in X}) == N and len(set(y.tolist())) > 1:
            ds = Dataset.from_arrays(X, y)
            if not dyadic or _power_of_two(ds.epsilon_inf()):
                return ds


def _power_of_two(q: F) -> bool:
    return all(n > 0 and n & (n - 1) == 0 for n in (q.numerator, q.denominator))


def saturating_net(seed: int, d: int, depth: int, width: int, scale: int = 2) -> Network:
    """f = 1 + relu(h) − relu(h − 1), h a random ReLU network with weights in (1/4)ℤ ∩ [−1, 1]
    and output layer scaled by ``scale``: f ∈ [1, 2], constant where h ≤ 0 or h ≥ 1."""
    rng = random.Random(seed)
    widths = [d] + [width] * depth + [1]
    layers = []
    for a, b in zip(widths, widths[1:]):
        layers.append(
            {
                "weight": [[F(rng.randint(-4, 4), 4) for _ in range(a)] for _ in range(b)],
                "bias": [F(rng.randint(-4, 4), 4) for _ in range(b)],
            }
        )
    v, c = layers[-1]["weight"][0], layers[-1]["bias"][0]
    v = [scale * w for w in v]
    c = scale * c
    layers[-1] = {"weight": [v, v], "bias": [c, c - 1]}  # relu(h), relu(h − 1)
    layers.append({"weight": [[1, -1]], "bias": [1]})
    js = {
        "format": "robustmem-network/1",
        "input_dim": d,
        "layers": [
            {
                "weight": [[str(w) for w in row] for row in L["weight"]],
                "bias": [str(b) for b in L["bias"]],
            }
            for L in layers
        ],
    }
    return Network.from_json(js)


def random_points(seed: int, net: Network, N: int, d: int, box: int) -> Dataset | None:
    """N distinct integer points in [−box, box]^d labelled round(f(x)) (ties up), f ∈ [1, 2]."""
    rng = np.random.default_rng(seed)
    pts: list[tuple[int, ...]] = []
    seen = set()
    while len(pts) < N:
        x = tuple(int(v) for v in rng.integers(-box, box + 1, size=d))
        if x not in seen:
            seen.add(x)
            pts.append(x)
    ys = [math.floor(net.evaluate(list(x)) + F(1, 2)) for x in pts]
    if len(set(ys)) < 2:
        return None
    return Dataset([list(x) for x in pts], ys)


def random_instance(seed: int, d: int, depth: int, width: int, N: int) -> tuple[Network, Dataset]:
    """The first seed (from ``seed`` on) whose labels have each class at least N/4 times."""
    for s in range(seed, seed + 1000):
        net = saturating_net(s, d, depth, width)
        ds = random_points(s, net, N, d, 4)
        if ds is not None and min(ds.y.count(1), ds.y.count(2)) >= N // 4:
            return net, ds
    raise RuntimeError("no balanced random instance found")


@dataclass
class Instance:
    name: str
    net: Network
    ds: Dataset
    mu: F


@dataclass
class SetResult:
    name: str
    balls: int
    lin: list[str] = field(default_factory=list)
    lin_s: float = 0.0
    lin_t: list[float] = field(default_factory=list)
    z3: list[str] = field(default_factory=list)
    z3_s: float = 0.0
    mar: list[str] = field(default_factory=list)
    mar_t: list[float] = field(default_factory=list)
    mar_agree: int = 0
    mar_decided: int = 0
    mar_gap: int = 0

    @property
    def mar_s(self) -> float:
        return sum(self.mar_t)

    mar_bad: list[str] = field(default_factory=list)
    inexact: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    z3_agree: int = 0
    z3_decided: int = 0
    z3_bad: list[str] = field(default_factory=list)


def instance_sets(quick: bool, seed: int) -> list[tuple[str, list[Instance]]]:
    """(set name, instances). Each instance is one network, one dataset, one ℓ∞ radius."""
    out: list[tuple[str, list[Instance]]] = []
    sizes = [(8, 2), (12, 2)] if quick else [(8, 2), (16, 2), (24, 3), (32, 3)]
    for method in ("large", "baseline"):
        for tag, factor in (("ρ=1/2", F(1, 2)), ("μ=3ε/2", F(3, 2))):
            insts = []
            for k, (N, d) in enumerate(sizes):
                ds = dataset(seed + 100 * k + N * 7 + d, N, d, dyadic=True)
                eps = ds.epsilon_inf()
                net, _ = construct(ds, make_radius(ds, "inf", rho=F(1, 2)), method)
                insts.append(Instance(f"{method} N={N} d={d}", net, ds, eps * factor))
            out.append((f"{method} {tag}", insts))
    rnd = (
        [(2, 1, 8, 12), (3, 2, 8, 12)]
        if quick
        else [(2, 1, 8, 16), (3, 2, 8, 16), (4, 2, 16, 16), (4, 3, 16, 16)]
    )
    for mu in (F(1, 4), F(1, 2)):
        insts = []
        for k, (d, depth, width, N) in enumerate(rnd):
            net, ds = random_instance(seed + 1000 * k, d, depth, width, N)
            insts.append(Instance(f"random d={d} L={depth} w={width}", net, ds, mu))
        out.append((f"random-ReLU μ={mu}", insts))
    return out


# ------------------------------------------------------------------ Marabou


@contextlib.contextmanager
def quiet_fds():
    """Silence fd 1 and 2 (Marabou's C++ core prints 'Property: ...' past sys.stdout)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


def marabou_verdict(onnx_path, vnnlib_path, timeout: int) -> tuple[str, list[float] | None]:
    """Marabou on one exported ball: ("sat", x) / ("unsat", None) / (other, None)."""
    with warnings.catch_warnings(), quiet_fds():
        warnings.simplefilter("ignore")
        from maraboupy import Marabou

        net = Marabou.read_onnx(str(onnx_path))
        opts = Marabou.createOptions(verbosity=0, timeoutInSeconds=timeout)
        verdict, vals, _ = net.solve(propertyFilename=str(vnnlib_path), options=opts, verbose=False)
    if verdict == "sat":
        return verdict, [vals[v] for v in np.asarray(net.inputVars[0]).flatten()]
    return verdict, None


def _marabou_loop(conn) -> None:
    with warnings.catch_warnings(), quiet_fds():  # import once, outside the timed solves
        warnings.simplefilter("ignore")
        import maraboupy.Marabou  # noqa: F401
    while True:
        job = conn.recv()
        if job is None:
            return
        t0 = time.process_time()
        verdict, xs = marabou_verdict(*job)
        conn.send((verdict, xs, time.process_time() - t0))


class MarabouWorker:
    """Marabou in a forked worker process, so that a solve call that overruns its own
    ``timeoutInSeconds`` (it happens: Marabou 2.0 sometimes never returns, in C++ where no
    signal reaches it) is killed after ``timeout + GRACE`` seconds and reported as "hung"."""

    GRACE = 15

    def __init__(self) -> None:
        self.proc = None
        self.conn = None
        self.hung = 0

    def _start(self) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_marabou_loop, args=(child,), daemon=True)
        self.proc.start()

    def solve(self, onnx_path, vnnlib_path, timeout: int):
        """(verdict, counterexample or None, CPU seconds of the solve)."""
        if self.proc is None:
            self._start()
        self.conn.send((str(onnx_path), str(vnnlib_path), timeout))
        if self.conn.poll(timeout + self.GRACE):
            return self.conn.recv()
        self.close(kill=True)
        self.hung += 1
        return "hung", None, float(timeout + self.GRACE)

    def close(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.proc = None


def compare_marabou(
    inst: Instance, results, outdir: Path, timeout: int, sr: SetResult, worker=None
) -> None:
    """Run Marabou on every ball of ``inst`` and fold the comparison with robustmem's verdicts
    ``results`` (BallResult per ball, in order) into ``sr``."""
    ex = export_vnnlib(inst.net, inst.ds, inst.mu, outdir, delta=DELTA)
    if not ex.exact:  # rounded outward / to nearest float64: Marabou answers a nearby question
        onnx = "exact" if ex.onnx_exact else f"inexact ({ex.inexact_params} weights rounded)"
        props = all(m["exact"] for m in ex.instances)
        sr.inexact.append(
            f"{inst.name}: ONNX {onnx}, properties {'exact' if props else 'rounded outward'}"
        )
    for meta, res in zip(ex.instances, results):
        i = meta["index"]
        own = worker is None
        w = MarabouWorker() if own else worker
        try:
            verdict, xs, secs = w.solve(outdir / ex.onnx, outdir / meta["vnnlib"], timeout)
        finally:
            if own:
                w.close()
        sr.mar_t.append(secs)
        sr.mar.append(verdict)
        if verdict == "hung":
            sr.unknown.append(
                f"{inst.name} ball {i}: Marabou HUNG past its {timeout} s timeout; killed after "
                f"{timeout + MarabouWorker.GRACE} s (counted as that many seconds)"
            )
        c, y = inst.ds.X[i], inst.ds.y[i]
        where = f"{inst.name} ball {i} (μ={inst.mu})"
        if verdict == "sat":
            x = [F(v) for v in xs]
            inside = max(abs(a - b) for a, b in zip(x, c)) <= inst.mu + TOL
            far = abs(inst.net.evaluate(x) - y) >= DELTA - TOL
            if not (inside and far):
                sr.mar_bad.append(f"{where}: Marabou's counterexample fails the exact re-check")
        if verdict not in ("sat", "unsat") or res.status == "UNKNOWN":
            continue
        sr.mar_decided += 1
        if (res.status, verdict) in (("PROVED", "unsat"), ("REFUTED", "sat")):
            sr.mar_agree += 1
        elif res.status == "REFUTED" and verdict == "unsat":
            # consistent iff |f − y| < δ on the whole box; robustmem's witness must be inside
            dev = abs(inst.net.evaluate([F(v) for v in res.counterexample]) - y)
            if dev < DELTA:
                sr.mar_gap += 1
                sr.mar_agree += 1
                sr.unknown.append(
                    f"{where}: δ-gap: robustmem ({res.engine}) REFUTED with |f(x') − y| = "
                    f"{float(dev):.3g} < δ, Marabou unsat (consistent)"
                )
            else:
                sr.mar_bad.append(
                    f"{where}: robustmem REFUTED with |f(x') − y| = {dev} ≥ δ, Marabou unsat"
                )
        else:
            sr.mar_bad.append(f"{where}: robustmem {res.status}, Marabou {verdict}")


def z3_compare(lin, z3r, name: str, sr: SetResult) -> None:
    for a, b in zip(lin, z3r):
        if "UNKNOWN" in (a.status, b.status):
            continue
        sr.z3_decided += 1
        if a.status == b.status:
            sr.z3_agree += 1
        else:
            sr.z3_bad.append(f"{name} ball {a.index}: linear {a.status}, z3 {b.status}")


def certify_cpu(net: Network, ds: Dataset, mu: F, engine: str, timeout: float):
    """``certify(net, ds, μ, engine=..., timeout=...)``'s in-process path (jobs = 1: prepare
    the network once, then ``check_one`` per ball, each PROVED gated by the kernel), timed in
    CPU seconds of this process: (results, total seconds, seconds per ball). CPU time, not
    wall time, so that other load on the machine does not skew the ratios (Marabou and z3 run
    in this process too)."""
    rad = make_radius(ds, "inf", mu=mu)
    t0 = time.process_time()
    prep = prepare(net)
    results, per = [], []
    for b in balls(ds, rad):
        t1 = time.process_time()
        results.append(check_one(net, b, engine, timeout, prep))
        per.append(time.process_time() - t1)
    return results, time.process_time() - t0, per


def run_set(
    name: str, insts: list[Instance], timeout: float, mar_timeout: int, use_marabou: bool
) -> SetResult:
    sr = SetResult(name, sum(i.ds.N for i in insts))
    worker = MarabouWorker() if use_marabou else None
    with tempfile.TemporaryDirectory(prefix="bench_peers_") as tmp, contextlib.ExitStack() as st:
        if worker is not None:
            st.callback(worker.close)
        for k, inst in enumerate(insts):
            lin, lin_s, lin_t = certify_cpu(inst.net, inst.ds, inst.mu, "linear", timeout)
            z3r, z3_s, _ = certify_cpu(inst.net, inst.ds, inst.mu, "z3", timeout)
            sr.lin += [r.status for r in lin]
            sr.lin_s += lin_s
            sr.lin_t += lin_t
            sr.z3 += [r.status for r in z3r]
            sr.z3_s += z3_s
            z3_compare(lin, z3r, inst.name, sr)
            if use_marabou:  # robustmem's verdict: linear's, or z3's where linear is UNKNOWN
                best = [b if a.status == "UNKNOWN" else a for a, b in zip(lin, z3r)]
                compare_marabou(inst, best, Path(tmp) / str(k), mar_timeout, sr, worker)
            base = len(sr.lin) - len(lin)
            for j, (a, b) in enumerate(zip(lin, z3r)):
                if a.status == "UNKNOWN":
                    mar = (
                        f", Marabou {sr.mar[base + j]} in {sr.mar_t[base + j]:.2f} s"
                        if use_marabou
                        else ""
                    )
                    sr.unknown.append(
                        f"{inst.name} ball {a.index}: linear UNKNOWN after "
                        f"{lin_t[j]:.1f} s ({a.reason[:60]}){mar}, z3 engine {b.status}"
                    )
    return sr


def both_decided(sr: SetResult) -> tuple[int, float, float]:
    """Balls decided by robustmem linear and by Marabou: (count, robustmem s, Marabou s)."""
    pick = [
        k
        for k, (a, b) in enumerate(zip(sr.lin, sr.mar))
        if a != "UNKNOWN" and b in ("sat", "unsat")
    ]
    return len(pick), sum(sr.lin_t[k] for k in pick), sum(sr.mar_t[k] for k in pick)


def _count(statuses: list[str]) -> str:
    """P/R/U counts of robustmem verdicts, u/s/? counts of Marabou's."""
    if any(s in ("sat", "unsat") for s in statuses):
        other = sum(s not in ("sat", "unsat") for s in statuses)
        return f"{statuses.count('unsat')}u/{statuses.count('sat')}s/{other}?"
    return "/".join(f"{statuses.count(s)}{s[0]}" for s in ("PROVED", "REFUTED", "UNKNOWN"))


# ------------------------------------------------------------------ parts 1 and 2


def part12(quick: bool, timeout: float, mar_timeout: int, seed: int) -> list[SetResult]:
    use_marabou = HAVE_MARABOU
    print("== 1-2. robustmem linear vs Marabou and vs robustmem's z3 engine, same balls (ℓ∞)")
    if not use_marabou:
        print("   (maraboupy is not importable: the Marabou columns are skipped)")
    print(
        f"   δ = {DELTA} in the VNN-LIB unsafe set; per-ball timeouts: robustmem {timeout:g} s, "
        f"Marabou {mar_timeout} s (wall); times below are CPU seconds of this process"
    )
    hdr = (
        f"{'instance set':<22} {'balls':>5} {'linear':>12} {'lin s':>7} {'Marabou':>12} "
        f"{'Mar s':>7} {'Mar/lin':>7} {'agree':>7} {'δgap':>4} {'z3':>12} {'z3 s':>7} "
        f"{'z3/lin':>6} {'agree':>7}"
    )
    print(hdr)
    results = []
    for name, insts in instance_sets(quick, seed):
        sr = run_set(name, insts, timeout, mar_timeout, use_marabou)
        results.append(sr)
        mar = (
            f"{_count(sr.mar):>12} {sr.mar_s:>7.2f} {sr.mar_s / sr.lin_s:>7.2f} "
            f"{sr.mar_agree:>3}/{sr.mar_decided:<3} {sr.mar_gap:>4}"
            if use_marabou
            else f"{'-':>12} {'-':>7} {'-':>7} {'-':>7} {'-':>4}"
        )
        print(
            f"{name:<22} {sr.balls:>5} {_count(sr.lin):>12} {sr.lin_s:>7.2f} {mar} "
            f"{_count(sr.z3):>12} {sr.z3_s:>7.2f} {sr.z3_s / sr.lin_s:>6.2f} "
            f"{sr.z3_agree:>3}/{sr.z3_decided:<3}",
            flush=True,
        )
        if sr.inexact:
            print(
                f"   note: {len(sr.inexact)} of {len(insts)} exports inexact: "
                + "; ".join(sr.inexact)
            )
        for msg in sr.unknown:
            print(f"   note: {msg}")
        for msg in sr.mar_bad + sr.z3_bad:
            print(f"   !!! DISAGREEMENT: {msg}", flush=True)
    tot = {k: sum(getattr(s, k) for s in results) for k in ("balls", "lin_s", "z3_s", "mar_s")}
    agree = {k: sum(getattr(s, k) for s in results) for k in ("mar_agree", "mar_decided")}
    z3a = sum(s.z3_agree for s in results), sum(s.z3_decided for s in results)
    bad = sum(len(s.mar_bad) + len(s.z3_bad) for s in results)
    print(
        f"total: {tot['balls']} balls; robustmem linear {tot['lin_s']:.2f} s, z3 engine "
        f"{tot['z3_s']:.2f} s (z3/linear = {tot['z3_s'] / tot['lin_s']:.2f}; agree "
        f"{z3a[0]}/{z3a[1]} decided)"
    )
    con = [s for s in results if not s.name.startswith("random")]
    rnd = [s for s in results if s.name.startswith("random")]
    for label, grp in (("constructed", con), ("random-ReLU", rnd)):
        lin_s, z3_s = sum(s.lin_s for s in grp), sum(s.z3_s for s in grp)
        print(
            f"  {label}: z3 engine {z3_s:.2f} s vs linear {lin_s:.2f} s "
            f"(z3/linear = {z3_s / lin_s:.2f})"
        )
    if use_marabou:
        for label, grp in (("constructed", con), ("random-ReLU", rnd), ("all", results)):
            lin_s, mar_s = sum(s.lin_s for s in grp), sum(s.mar_s for s in grp)
            bd = [both_decided(s) for s in grp]
            n, bl, bm = sum(b[0] for b in bd), sum(b[1] for b in bd), sum(b[2] for b in bd)
            unk = sum(s.lin.count("UNKNOWN") for s in grp)
            print(
                f"  {label}: {sum(s.balls for s in grp)} balls, Marabou {mar_s:.2f} s vs "
                f"robustmem {lin_s:.2f} s (Marabou/robustmem = {mar_s / lin_s:.2f}; robustmem "
                f"UNKNOWN: {unk}); on the {n} balls both decided: {bm:.2f} s vs {bl:.2f} s "
                f"(ratio {bm / bl:.2f})"
            )
        gaps = sum(s.mar_gap for s in results)
        print(
            f"  Marabou vs robustmem (linear; z3 engine where linear is UNKNOWN): agree on "
            f"{agree['mar_agree']}/{agree['mar_decided']} balls both decided ({gaps} of them "
            "δ-gap)"
        )
    print("ALL DECIDED VERDICTS AGREE" if bad == 0 else f"!!! {bad} DISAGREEMENT(S), see above")
    return results


# ------------------------------------------------------------------ part 3


def loglog_slope(ns: list[int], ts: list[float]) -> float:
    """Least-squares slope of log t against log N."""
    x = np.log(np.asarray(ns, dtype=float))
    y = np.log(np.asarray(ts, dtype=float))
    return float(np.polyfit(x, y, 1)[0])


def part3(
    quick: bool, timeout: float, seed: int, ns: list[int] | None = None
) -> tuple[list[int], list[float], float]:
    print("\n== 3. certification time vs number of balls (large builder, ρ = 1/2, d = 2, ℓ∞)")
    if ns is None:
        ns = [16, 32, 64] if quick else [16, 32, 64, 128, 256]
    ts = []
    print(f"{'N':>5} {'params':>7} {'CPU s':>8} {'ms/ball':>8}  verdicts")
    for N in ns:
        ds = dataset(seed + N, N, 2)
        rad = make_radius(ds, "inf", rho=F(1, 2))
        net, _ = construct(ds, rad, "large")
        res, secs, _ = certify_cpu(net, ds, rad.radius_power, "linear", timeout)
        ts.append(secs)
        st = [r.status for r in res]
        print(
            f"{N:>5} {net.num_params():>7} {secs:>8.2f} {1000 * secs / N:>8.1f}  {_count(st)}",
            flush=True,
        )
    slope = loglog_slope(ns, ts)
    print(f"fitted log-log slope (seconds ~ N^s): s = {slope:.2f}")
    return ns, ts, slope


def versions() -> str:
    import z3

    try:
        from importlib.metadata import version

        mv = version("maraboupy")
    except Exception:
        mv = "not installed"
    return (
        f"python {platform.python_version()}, z3 {z3.get_version_string()}, maraboupy {mv}, "
        f"{os.cpu_count()} cores, {platform.machine()}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="small sizes only (< 60 s)")
    ap.add_argument("--timeout", type=float, default=20.0, help="robustmem seconds per ball")
    ap.add_argument("--marabou-timeout", type=int, default=30, help="Marabou seconds per ball")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    t0 = time.perf_counter()
    print(f"bench_peers {'--quick ' if a.quick else ''}seed={a.seed}; {versions()}")
    part12(a.quick, a.timeout, a.marabou_timeout, a.seed)
    part3(a.quick, a.timeout, a.seed)
    print(f"\nwall time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
