"""robustmem vs Marabou on public VNN-COMP 2021 networks (a benchmark, not a test).

    python bench/bench_real.py [--quick] [--acas] [--mnist] [--mnist-clipped]
                               [--timeout 60] [--seed 0] [--out bench/RESULTS_real.md]

The networks and properties are the public VNN-COMP 2021 files in ``../shared/benchmarks``
(relative to the repository root; ``--data`` overrides). Without that directory, or without
maraboupy (``pip install maraboupy``), the script prints why and exits 0. With no set flag,
every set runs; ``--quick`` runs a small subset (ACAS Xu 1_1 at r = 0.001 and 0.005 with 5
points; MNIST images 0 and 1 at ε = 0.03).

Sets:

1. ``--acas``: ACAS Xu argmax local robustness. Nets 1_1, 2_1, 3_3, 4_5; per net 20 points
   drawn uniformly from the dyadic grid 2^-16·ℤ inside the normalised input box of
   ``acasxu/prop_1.vnnlib`` (read from the file; a point is an integer k uniform in
   [⌈lo·2^16⌉, ⌊hi·2^16⌋] per coordinate, ``random.Random(seed·100 + net number)``, the
   net number being 0..3 in the order above, so ``--quick`` uses the first points of the
   full run). Label = argmax of the EXACT network output at the point (a tie: the point is
   skipped). The ACAS Xu advisory is the argmin of the outputs; this benchmark asks the
   argmax question robustmem certifies. Radii r = 0.001, 0.005, 0.02 (normalised units).
2. ``--mnist`` (a): MNIST 256x2, ε = 0.03 and 0.05, the 15 images of ``prop_K_EPS.vnnlib``:
   the UNCLIPPED ℓ∞ ball around the image, label from the property's output constraint
   (``(>= Y_j Y_k)``: robustmem's class y = k + 1, i.e. the digit + 1).
   The image is recovered from the clipped box: x = (lo + hi)/2 when 0 < lo and hi < 1,
   lo + ε when hi = 1, hi − ε when lo = 0, where ε is the box's half-width as WRITTEN in the
   file (the least upper bound of the pixels with lo = 0, float32(EPS) printed as a decimal,
   e.g. 0.029999999329447746 for 0.03; checked to be within 10^-7 of the name's EPS). The
   recovery is checked to round-trip: max(0, x − ε) and min(1, x + ε) give the file's box
   back within 10^-6 (the files' boxes were computed in float32; the maximum deviation is
   printed). robustmem's radius is that ε.
3. ``--mnist-clipped`` (b): the official clipped boxes, for Marabou only here (robustmem's
   ``certify --vnnlib`` runs on them in bench/bench_vnnlib.py; this column says "n/a").
   Marabou's sat points are checked exactly against the official (closed) property, and,
   where set (a) ran on the same image, against robustmem's (a) verdict: an exactly checked
   point strictly inside the open unclipped ball with argmax ≠ label contradicts a PROVED.

How each ball is run and compared:

* robustmem: ``certify.run.check_one`` (the search, then the trusted kernel on every PROVED
  and REFUTED claim), engine ``--engine`` (default ``auto``, as the CLI), per-ball budget
  ``--timeout``, in a forked child with ``resource.setrlimit(RLIMIT_AS, 4 GiB)``: a
  MemoryError is "UNKNOWN (memory)"; a child killed by a signal is a crash (SIGABRT from a
  failed allocation in a C extension is labelled "memory?"); a child still running
  ``--timeout`` + 30 s after it started is killed and reported "UNKNOWN (overran its
  timeout)". CPU seconds: ``time.process_time()`` around ``check_one`` inside the child (for
  a killed child: its rusage from ``os.wait4``). Peak memory: the child's ``ru_maxrss``
  as the kernel reports it for the child (the parent's RSS at fork is printed alongside).
  Per network, ``prepare`` and the kernel's parse of the network are done once in the
  parent (a warm-up ball of radius 2^-30 at the first point) and inherited by the children;
  their CPU is reported separately.
* Marabou 2.0: ``bench_peers.MarabouWorker`` (a forked worker running ``Marabou.read_onnx``
  on the ORIGINAL .onnx file + ``solve`` on a VNN-LIB property; CPU seconds of the worker
  process over both calls, every thread counted, so it can exceed the timeout, which
  Marabou applies to the solve's wall time; killed after its timeout + 15 s and reported
  "hung"). Properties
  for sets 1 and 2 are ``certify.vnnlib.vnnlib_property`` (the CLOSED box [c − r, c + r],
  unsafe set "some Y_j ≥ Y_label"); every number is a finite decimal, so they are exact.
* The questions differ by the boundary: robustmem asks argmax = label on the OPEN ball,
  Marabou whether a point of the CLOSED box has some Y_j ≥ Y_label. So: robustmem REFUTED
  (an exact, kernel-checked point of the open ball) with Marabou unsat is a disagreement.
  Marabou sat is re-checked exactly: its float point, or the point pulled towards the
  centre by a factor 1 − 2^-20 or 1 − 2^-10 (Marabou's points sit on the box's faces), must
  be in the open ball with argmax ≠ label (ties count) — a "real" counterexample. Only a
  real counterexample against robustmem PROVED is a disagreement; a sat point that is not
  real (on the boundary, or within Marabou's float tolerance only) is "unconfirmed".
* Marabou/robustmem CPU ratio: sums over the balls both decide.

Exit status 1 if any disagreement was found, else 0.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import pickle
import random
import re
import resource
import select
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fractions import Fraction as F
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "benchmarks"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import bench_peers  # noqa: E402
from bench_peers import HAVE_MARABOU, MarabouWorker  # noqa: E402

from certify import kernel  # noqa: E402
from certify.ball import Ball, argmax_holds  # noqa: E402
from certify.io import atomic_write_text  # noqa: E402
from certify.vnnlib import decimal_text, vnnlib_property  # noqa: E402

ACAS_NETS = ("1_1", "2_1", "3_3", "4_5")
ACAS_RADII = ("0.001", "0.005", "0.02")
ACAS_POINTS = 20
ACAS_BITS = 16
MNIST_EPS = ("0.03", "0.05")
MNIST_IMAGES = tuple(range(15))
MEM_LIMIT = 4 << 30
NA_RM = "n/a (see bench_vnnlib.py)"
RM_GRACE = 30  # wall seconds past --timeout before a robustmem child is killed
ROUNDTRIP_TOL = F(1, 10**6)
PULLS = (None, 20, 10)  # the point itself, then pulled towards the centre by 1 − 2^-k


def acas_path(data: Path, net: str) -> Path:
    return data / "acasxu" / f"ACASXU_run2a_{net}_batch_2000.onnx"


def mnist_net_path(data: Path) -> Path:
    return data / "mnistfc" / "mnist-net_256x2.onnx"


def mnist_prop_path(data: Path, image: int, eps: str) -> Path:
    return data / "mnistfc" / f"prop_{image}_{eps}.vnnlib"


# ------------------------------------------------------------------ pure helpers


@dataclass
class VnnBox:
    """The input box of a VNN-LIB property (exact rationals) and, for the VNN-COMP argmax
    form ``(or (and (>= Y_j Y_k)) ...)``, the label k + 1 (None otherwise)."""

    lo: list[F]
    hi: list[F]
    label: int | None
    outputs: int


def parse_vnnlib_box(text: str) -> VnnBox:
    """The box ``lo ≤ X_i ≤ hi`` of a VNN-LIB property and the argmax label of its output
    constraint, as the trusted kernel reads the property (certify.kernel.parse_spec: numbers
    exact, the tightest bound wins). The label is k + 1 when every conjunction of the unsafe
    set is one row Y_j − Y_k ≥ 0 with the same k (the VNN-COMP argmax form), else None.
    Raises ValueError for a property the kernel refuses (a missing bound, an empty box)."""
    try:
        spec = kernel.parse_spec(text)
    except kernel.Rejected as e:
        raise ValueError(str(e)) from None

    def frac(q) -> F:
        return F(int(q.p), int(q.q))

    rhs = set()
    for g in spec.groups:
        a = [frac(v) for v in g[0][0]] if len(g) == 1 and g[0][1] == 0 else []
        if sorted(a) != [-1] + [0] * (len(a) - 2) + [1]:
            rhs.add(None)
        else:
            rhs.add(a.index(-1))
    label = rhs.pop() + 1 if len(rhs) == 1 and None not in rhs else None
    return VnnBox([frac(v) for v in spec.lo], [frac(v) for v in spec.hi], label, spec.n_out)


def box_half_width(box: VnnBox, eps_name: F) -> F:
    """ε as written in a clipped-ball property: the least upper bound among the coordinates
    whose lower bound is 0 (a pixel x < ε has the box [0, x + ε], so the least is that of a
    pixel 0), else ``eps_name``. It must be within 10^-7 of ``eps_name``."""
    ups = [h for lo, h in zip(box.lo, box.hi) if lo == 0 and h < 1]
    eps = min(ups) if ups else eps_name
    if abs(eps - eps_name) > F(1, 10**7):
        raise ValueError(f"half-width {eps} is not the property's ε = {eps_name}")
    return eps


def recover_center(lo: list[F], hi: list[F], eps: F) -> list[F]:
    """The image whose ε-ball clipped to [0, 1] is the box [lo, hi]:
    (lo + hi)/2 inside, lo + ε where hi = 1, hi − ε where lo = 0."""
    out = []
    for a, b in zip(lo, hi):
        if b == 1 and a == 0:
            raise ValueError("a coordinate spans all of [0, 1]: ε ≥ 1/2 is not recoverable")
        out.append(a + eps if b == 1 else b - eps if a == 0 else (a + b) / 2)
    return out


def clipped_box(center: list[F], eps: F) -> tuple[list[F], list[F]]:
    return [max(F(0), c - eps) for c in center], [min(F(1), c + eps) for c in center]


def roundtrip_error(center: list[F], eps: F, lo: list[F], hi: list[F]) -> F:
    """max |clip(c ± ε) − box| over coordinates and both sides."""
    lo2, hi2 = clipped_box(center, eps)
    return max(abs(a - b) for a, b in zip(lo2 + hi2, lo + hi))


def acas_points(seed: int, lo: list[F], hi: list[F], n: int, bits: int = ACAS_BITS):
    """n points uniform on the grid 2^-bits·ℤ inside the box [lo, hi] (exact Fractions)."""
    rng = random.Random(seed)
    s = 1 << bits
    ranges = [(math.ceil(a * s), math.floor(b * s)) for a, b in zip(lo, hi)]
    return [tuple(F(rng.randint(a, b), s) for a, b in ranges) for _ in range(n)]


def exact_label(net, x) -> int | None:
    """argmax of the exact output at x, as a class 1..C; None on a tie."""
    v = net.evaluate_vector(list(x))
    top = max(v)
    return None if v.count(top) > 1 else v.index(top) + 1


def real_counterexample(net, center, r: F, label: int, xs):
    """Marabou's float point xs re-checked exactly: the first of xs, xs pulled towards the
    centre by 1 − 2^-20, by 1 − 2^-10, that lies in the open ℓ∞ ball (center, r) with
    argmax ≠ label (ties count).
    Returns (point or None, description)."""
    x0 = [F(v) for v in xs]
    for k in PULLS:
        x = x0 if k is None else [c + (1 - F(1, 1 << k)) * (a - c) for a, c in zip(x0, center)]
        if max(abs(a - c) for a, c in zip(x, center)) >= r:
            continue
        if not argmax_holds(net.evaluate_vector(x), label):
            return x, "as given" if k is None else f"pulled inside by 2^-{k}"
    dist = max(abs(a - c) for a, c in zip(x0, center))
    ok = argmax_holds(net.evaluate_vector(x0), label)
    why = "argmax = label there (float tolerance)" if ok else "violation only on the boundary"
    return None, f"not real: ‖x − c‖∞ = {float(dist):.6g} vs r = {float(r):.6g}; {why}"


def box_counterexample(net, box, label: int, xs) -> bool:
    """Marabou's point exactly in the closed box with some Y_j ≥ Y_label (the official,
    closed VNN-COMP property)."""
    x = [F(v) for v in xs]
    if not all(a <= t <= b for t, a, b in zip(x, box.lo, box.hi)):
        return False
    return not argmax_holds(net.evaluate_vector(x), label)


def unavailable(data: Path, have_marabou: bool) -> str | None:
    """Why the benchmark cannot run (None if it can)."""
    if not data.is_dir():
        return (
            f"{data} is missing (the public VNN-COMP 2021 benchmarks, see "
            "../shared/benchmarks/README.md)"
        )
    need = [acas_path(data, n) for n in ACAS_NETS] + [data / "acasxu" / "prop_1.vnnlib"]
    need += [mnist_net_path(data)]
    gone = [str(p.relative_to(data)) for p in need if not p.is_file()]
    if gone:
        return f"{data} lacks {', '.join(gone)}"
    if not have_marabou:
        return "maraboupy is not importable (pip install maraboupy; CPython 3.10/3.11 wheels)"
    return None


# ------------------------------------------------------------------ running robustmem


@dataclass
class RmOutcome:
    status: str  # PROVED / REFUTED / UNKNOWN
    reason: str
    cpu: float
    maxrss_kib: int
    counterexample: tuple | None = None
    crash: str = ""


def _rm_child(wfd: int, net, ball: Ball, engine: str, timeout: float, prep, mem: int) -> None:
    from certify.run import check_one

    out: dict = {}
    try:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        t0 = time.process_time()
        try:
            res = check_one(net, ball, engine, timeout, prep)
            out = {
                "status": res.status,
                "reason": res.reason,
                "ce": res.counterexample,
                "engine": res.engine,
            }
        except MemoryError:
            out = {"status": "UNKNOWN", "reason": "memory (4 GiB address-space limit)"}
        except Exception as e:  # a robustmem crash: record it
            tb = traceback.extract_tb(e.__traceback__)[-1]
            out = {
                "status": "UNKNOWN",
                "reason": "crash",
                "crash": f"{type(e).__name__}: {str(e)[:300]} at {tb.filename}:{tb.lineno}",
            }
        out["cpu"] = time.process_time() - t0
        out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        data = pickle.dumps(out)
        view = memoryview(data)
        while view:
            view = view[os.write(wfd, view) :]
    finally:
        os._exit(0)


def run_robustmem(net, ball: Ball, engine: str, timeout: float, prep, mem: int) -> RmOutcome:
    """One ball in a forked child under RLIMIT_AS = mem (see the module docstring)."""
    sys.stdout.flush()
    sys.stderr.flush()
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        _rm_child(wfd, net, ball, engine, timeout, prep, mem)
    os.close(wfd)
    deadline = time.monotonic() + timeout + RM_GRACE
    chunks, killed = [], False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                killed = True
                break
            ready, _, _ = select.select([rfd], [], [], left)
            if ready:
                b = os.read(rfd, 1 << 16)
                if not b:
                    break
                chunks.append(b)
    except BaseException:  # interrupted: do not leave the child running
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.close(rfd)
        _, status, ru = os.wait4(pid, 0)
    ru_cpu = ru.ru_utime + ru.ru_stime
    if killed:
        return RmOutcome(
            "UNKNOWN",
            f"overran its {timeout:g} s timeout (killed after {timeout + RM_GRACE:g} s wall)",
            ru_cpu,
            ru.ru_maxrss,
        )
    if not chunks:
        sig = -os.waitstatus_to_exitcode(status)
        name = signal.Signals(sig).name if sig > 0 else f"exit code {-sig}"
        memo = " (memory? an allocation failed under the 4 GiB limit)" if name == "SIGABRT" else ""
        return RmOutcome(
            "UNKNOWN", f"crash: {name}{memo}", ru_cpu, ru.ru_maxrss, crash=f"child died: {name}"
        )
    out = pickle.loads(b"".join(chunks))
    reason = out["reason"] if out["status"] == "UNKNOWN" else out.get("engine", "")
    return RmOutcome(
        out["status"], reason, out["cpu"], out["rss"], out.get("ce"), out.get("crash", "")
    )


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def setup_network(path: Path, first_point, engine: str):
    """Load, prepare, and warm up (kernel parse) a network in this process: (net, prep,
    CPU seconds, note)."""
    from certify.engines.linear import prepare
    from certify.io import load_network
    from certify.run import check_one

    t0 = time.process_time()
    net = load_network(path)
    prep = prepare(net)
    note = ""
    try:
        lab = exact_label(net, first_point) or 1
        r = check_one(net, Ball(tuple(first_point), lab, None, F(1, 1 << 30)), engine, 30, prep)
        note = f"warm-up ball {r.status}"
    except Exception as e:  # recorded, not fixed
        note = f"warm-up crashed: {type(e).__name__}: {str(e)[:200]}"
    return net, prep, time.process_time() - t0, note


# ------------------------------------------------------------------ records


@dataclass
class BallRow:
    set: str
    name: str
    label: int
    rm: RmOutcome | None  # None: not run (set b)
    mar: str = "-"
    mar_cpu: float = 0.0
    mar_ce: str = ""  # re-check of Marabou's sat point
    verdict: str = "-"  # agree / consistent ... / DISAGREE ...


@dataclass
class SetStats:
    name: str
    rows: list[BallRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def marabou_status(v: str) -> str:
    return v if v in ("sat", "unsat") else "unknown"


def compare(row: BallRow, real: bool) -> None:
    """Fold robustmem's and Marabou's verdicts into ``row.verdict`` (``real``: Marabou's sat
    point is a real counterexample on the open ball)."""
    rm, m = row.rm.status, marabou_status(row.mar)
    if rm == "UNKNOWN" or m == "unknown":
        row.verdict = "-"
    elif (rm, m) == ("PROVED", "unsat"):
        row.verdict = "agree"
    elif (rm, m) == ("REFUTED", "sat"):
        row.verdict = "agree" if real else "agree (Marabou's point unconfirmed)"
    elif rm == "REFUTED":  # an exact kernel-checked point of the open ball ⊂ the closed box
        row.verdict = "DISAGREE: robustmem REFUTED (exact point), Marabou unsat"
    elif real:
        row.verdict = "DISAGREE: robustmem PROVED, Marabou sat with a real counterexample"
    else:
        row.verdict = "consistent: Marabou sat only on the closed boundary / a tie"


def summarise(st: SetStats) -> dict:
    rows = st.rows
    ran = [r for r in rows if r.rm is not None]
    rm = Counter(r.rm.status for r in ran)
    mc = Counter(marabou_status(r.mar) for r in rows)
    both = [
        r for r in ran if r.rm.status != "UNKNOWN" and marabou_status(r.mar) in ("sat", "unsat")
    ]
    agree = [r for r in both if not r.verdict.startswith("DISAGREE")]
    reasons = Counter(_short_reason(r.rm.reason) for r in ran if r.rm.status == "UNKNOWN")
    rcpu = [r.rm.cpu for r in ran]
    mcpu = [r.mar_cpu for r in rows]
    b_rm, b_m = sum(r.rm.cpu for r in both), sum(r.mar_cpu for r in both)
    return {
        "balls": len(rows),
        "rm": (f"{rm['PROVED']}/{rm['REFUTED']}/{rm['UNKNOWN']}" if ran else NA_RM),
        "mar": f"{mc['unsat']}/{mc['sat']}/{mc['unknown']}",
        "mar_real": sum(r.mar_ce.startswith("real") for r in rows),
        "both": len(both),
        "agree": f"{len(agree)}/{len(both)}" if ran else "n/a",
        "bad": [r for r in rows if r.verdict.startswith("DISAGREE")],
        "rm_cpu": _mean_max(rcpu) if ran else "n/a",
        "mar_cpu": _mean_max(mcpu),
        "ratio": f"{b_m / b_rm:.2f} ({b_m:.2f}/{b_rm:.2f})" if both and b_rm > 0 else "-",
        "rss": f"{max(r.rm.maxrss_kib for r in ran) / 1024:.0f}" if ran else "n/a",
        "reasons": "; ".join(f"{k} ×{v}" for k, v in reasons.most_common()) or "-",
    }


def _mean_max(xs: list[float]) -> str:
    return f"{sum(xs) / len(xs):.2f} ({max(xs):.2f})" if xs else "-"


def _short_reason(reason: str) -> str:
    reason = re.sub(r"\d+(\.\d+)?", "N", reason)
    return reason[:90] + ("…" if len(reason) > 90 else "")


# ------------------------------------------------------------------ the sets


def marabou_ball(worker, onnx: Path, prop_text: str, tmp: Path, timeout: int):
    p = tmp / "prop.vnnlib"
    p.write_text(prop_text)
    return worker.solve(onnx, p, timeout)


def run_acas(a, worker, tmp: Path, out: list[SetStats]) -> None:
    box = parse_vnnlib_box((a.data / "acasxu" / "prop_1.vnnlib").read_text())
    print(
        f"== ACAS Xu argmax robustness; points on the 2^-{ACAS_BITS} grid in prop_1's box "
        f"lo = {[str(v) for v in box.lo]}, hi = {[str(v) for v in box.hi]}",
        flush=True,
    )
    for net_name in a.nets:
        k = ACAS_NETS.index(net_name)
        seed = a.seed * 100 + k
        pts = acas_points(seed, box.lo, box.hi, a.points)
        path = acas_path(a.data, net_name)
        net, prep, setup, note = setup_network(path, pts[0], a.engine)
        labelled = [(i, x, exact_label(net, x)) for i, x in enumerate(pts)]
        ties = [i for i, _, lab in labelled if lab is None]
        base = rss_mib()
        msg = (
            f"net {net_name}: seed {seed}, {len(pts)} points, {len(ties)} skipped (ties); "
            f"setup (load + prepare + kernel warm-up) {setup:.2f} s CPU ({note}); "
            f"parent RSS at fork {base:.0f} MiB"
        )
        print("  " + msg, flush=True)
        for r_text in a.radii:
            r = F(r_text)
            st = SetStats(f"ACAS Xu {net_name} r={r_text}")
            st.notes.append(msg)
            for i, x, lab in labelled:
                if lab is None:
                    continue
                row = BallRow(st.name, f"{net_name} #{i}", lab, None)
                row.rm = run_robustmem(
                    net, Ball(x, lab, None, r, i), a.engine, a.timeout, prep, MEM_LIMIT
                )
                if row.rm.crash:
                    st.notes.append(f"robustmem CRASH on {row.name}: {row.rm.crash}")
                text, exact = vnnlib_property(x, r, lab, classes=net.output_dim)
                if not exact:
                    st.notes.append(f"{row.name}: the VNN-LIB box was rounded outward")
                verdict, xs, row.mar_cpu = marabou_ball(worker, path, text, tmp, int(a.timeout))
                row.mar = verdict
                real = False
                if verdict == "sat":
                    pt, how = real_counterexample(net, x, r, lab, xs)
                    real = pt is not None
                    row.mar_ce = f"real ({how})" if real else how
                compare(row, real)
                _progress(row)
                st.rows.append(row)
            out.append(st)


def run_mnist(a, worker, tmp: Path, out: list[SetStats], unclipped: bool, clipped: bool):
    path = mnist_net_path(a.data)
    print(f"== MNIST 256x2 (unclipped: {unclipped}, clipped: {clipped})", flush=True)
    net = prep = None
    for eps_text in a.eps:
        sa = SetStats(f"MNIST 256x2 ε={eps_text} (a) unclipped")
        sb = SetStats(f"MNIST 256x2 ε={eps_text} (b) clipped box")
        worst = F(0)
        proved: dict[int, tuple] = {}
        for img in a.images:
            prop = mnist_prop_path(a.data, img, eps_text)
            box = parse_vnnlib_box(prop.read_text())
            eps = box_half_width(box, F(eps_text))
            center = recover_center(box.lo, box.hi, eps)
            err = roundtrip_error(center, eps, box.lo, box.hi)
            worst = max(worst, err)
            if err > ROUNDTRIP_TOL:
                raise ValueError(f"{prop.name}: the recovered image does not round-trip ({err})")
            lab = box.label
            if net is None:
                net, prep, setup, note = setup_network(path, center, a.engine)
                msg = (
                    f"setup (load + prepare + kernel warm-up) {setup:.2f} s CPU ({note}); "
                    f"parent RSS at fork {rss_mib():.0f} MiB"
                )
                print("  " + msg, flush=True)
                sa.notes.append(msg)
            if exact_label(net, center) != lab:
                sa.notes.append(f"image {img}: the exact argmax at the image is not label {lab}")
            if unclipped:
                row = BallRow(sa.name, f"img {img} ε={eps_text}", lab, None)
                ball = Ball(tuple(center), lab, None, eps, img)
                row.rm = run_robustmem(net, ball, a.engine, a.timeout, prep, MEM_LIMIT)
                if row.rm.crash:
                    sa.notes.append(f"robustmem CRASH on {row.name}: {row.rm.crash}")
                text, exact = vnnlib_property(center, eps, lab, classes=net.output_dim)
                if not exact:
                    sa.notes.append(f"{row.name}: the VNN-LIB box was rounded outward")
                verdict, xs, row.mar_cpu = marabou_ball(worker, path, text, tmp, int(a.timeout))
                row.mar = verdict
                real = False
                if verdict == "sat":
                    pt, how = real_counterexample(net, center, eps, lab, xs)
                    real = pt is not None
                    row.mar_ce = f"real ({how})" if real else how
                compare(row, real)
                proved[img] = (row.rm.status, center, eps, lab)
                _progress(row)
                sa.rows.append(row)
            if clipped:
                row = BallRow(sb.name, f"img {img} ε={eps_text}", lab, None)
                verdict, xs, row.mar_cpu = worker.solve(path, prop, int(a.timeout))
                row.mar = verdict
                if verdict == "sat":
                    ok = box_counterexample(net, box, lab, xs)
                    row.mar_ce = "real (exact, closed official box)" if ok else "not exact"
                    if img in proved:  # cross-check against robustmem's (a) verdict
                        st_a, c, e, lb = proved[img]
                        pt, how = real_counterexample(net, c, e, lb, xs)
                        if pt is not None and st_a == "PROVED":
                            row.verdict = (
                                "DISAGREE: robustmem PROVED (a), Marabou's (b) point is a real "
                                f"counterexample in the open unclipped ball ({how})"
                            )
                        elif pt is not None:
                            row.verdict = f"consistent with (a) {st_a}"
                _progress(row)
                sb.rows.append(row)
        note = (
            f"ε = {decimal_text(eps, 'down')[0]} as written in the files (name: {eps_text}); "
            f"image recovery round-trips within {float(worst):.3g} "
            f"(tolerance {float(ROUNDTRIP_TOL):g})"
        )
        for s, on in ((sa, unclipped), (sb, clipped)):
            if on:
                s.notes.append(note)
                out.append(s)


def _progress(row: BallRow) -> None:
    rm = "n/a" if row.rm is None else f"{row.rm.status} {row.rm.cpu:.2f}s"
    print(
        f"    {row.name:<14} y={row.label:<2} robustmem {rm:<16} Marabou {row.mar} "
        f"{row.mar_cpu:.2f}s {row.mar_ce} {row.verdict if row.verdict != '-' else ''}",
        flush=True,
    )


# ------------------------------------------------------------------ report


def markdown(sets: list[SetStats], header: list[str]) -> tuple[str, int]:
    lines = list(header)
    lines += [
        "",
        "## Summary",
        "",
        "robustmem: PROVED/REFUTED/UNKNOWN; Marabou: unsat/sat/unknown (timeout, hung, error); "
        "CPU s per ball: mean (max); the ratio is over the balls both decide "
        "(Marabou s / robustmem s in brackets).",
        "",
        "| set | balls | robustmem P/R/U | Marabou u/s/? | Marabou sat real | both decided | "
        "agree | robustmem CPU s | Marabou CPU s | Marabou/robustmem CPU | robustmem peak "
        "RSS MiB | robustmem UNKNOWN reasons |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    bad = []
    for st in sets:
        s = summarise(st)
        bad += s["bad"]
        lines.append(
            f"| {st.name} | {s['balls']} | {s['rm']} | {s['mar']} | {s['mar_real']} | "
            f"{s['both']} | {s['agree']} | {s['rm_cpu']} | {s['mar_cpu']} | {s['ratio']} | "
            f"{s['rss']} | {s['reasons']} |"
        )
    lines += ["", "## Per ball", ""]
    lines += [
        "| set | ball | label | robustmem | CPU s | RSS MiB | reason / engine | Marabou | "
        "CPU s | Marabou sat point | comparison |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for st in sets:
        for r in st.rows:
            rm = r.rm
            cells = (
                [rm.status, f"{rm.cpu:.2f}", f"{rm.maxrss_kib / 1024:.0f}", _cell(rm.reason)]
                if rm
                else [NA_RM, "-", "-", "-"]
            )
            lines.append(
                f"| {st.name} | {r.name} | {r.label} | " + " | ".join(cells) + f" | {r.mar} | "
                f"{r.mar_cpu:.2f} | {_cell(r.mar_ce) or '-'} | {r.verdict} |"
            )
    lines += ["", "## Notes", ""]
    for st in sets:
        for n in dict.fromkeys(st.notes):
            lines.append(f"- {st.name}: {n}")
    lines.append("")
    lines.append(
        "ALL DECIDED VERDICTS AGREE"
        if not bad
        else f"**{len(bad)} DISAGREEMENT(S)**: " + "; ".join(f"{r.name}: {r.verdict}" for r in bad)
    )
    return "\n".join(lines) + "\n", len(bad)


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")[:120]


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--acas", action="store_true", help="set 1: ACAS Xu")
    ap.add_argument("--mnist", action="store_true", help="set 2(a): MNIST unclipped balls")
    ap.add_argument("--mnist-clipped", action="store_true", help="set 2(b): official clipped boxes")
    ap.add_argument("--quick", action="store_true", help="a small subset of each set")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per ball, each tool")
    ap.add_argument("--engine", choices=("auto", "linear", "z3"), default="auto")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--nets", nargs="+", choices=ACAS_NETS, help="ACAS Xu nets")
    ap.add_argument("--radii", nargs="+", help="ACAS Xu radii (decimals)")
    ap.add_argument("--points", type=int, help=f"ACAS Xu points per net ({ACAS_POINTS})")
    ap.add_argument("--eps", nargs="+", choices=MNIST_EPS, help="MNIST ε")
    ap.add_argument("--images", nargs="+", type=int, help="MNIST images 0..14")
    ap.add_argument("--data", type=Path, default=DATA, help="the benchmarks directory")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "RESULTS_real.md")
    a = ap.parse_args(argv)
    if not (a.acas or a.mnist or a.mnist_clipped):
        a.acas = a.mnist = a.mnist_clipped = True
    q = a.quick
    a.nets = a.nets or (["1_1"] if q else list(ACAS_NETS))
    a.radii = a.radii or (["0.001", "0.005"] if q else list(ACAS_RADII))
    a.points = a.points or (5 if q else ACAS_POINTS)
    a.eps = a.eps or (["0.03"] if q else list(MNIST_EPS))
    a.images = a.images if a.images is not None else ([0, 1] if q else list(MNIST_IMAGES))
    return a


def provenance() -> str:
    """The commit, and whether the code the benchmark imports had uncommitted changes."""
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "certify", "bench/bench_peers.py")
    n = len(dirty.splitlines())
    return f"commit {head}" + (f" (+ {n} uncommitted changes in certify/)" if n else "")


def main(argv=None) -> int:
    a = parse_args(argv)
    why = unavailable(a.data, HAVE_MARABOU)
    if why:
        print(f"bench_real: skipped: {why}")
        return 0
    if threading.current_thread() is threading.main_thread():  # SIGTERM: clean up workers
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cmd = "python bench/bench_real.py " + " ".join(sys.argv[1:] if argv is None else argv)
    t0 = time.perf_counter()
    prov = provenance()
    print(f"bench_real: {cmd.strip()}; {prov}; {bench_peers.versions()}", flush=True)
    sets: list[SetStats] = []
    worker = MarabouWorker()
    with tempfile.TemporaryDirectory(prefix="bench_real_") as tmp, contextlib.ExitStack() as es:
        es.callback(worker.close)
        if a.acas:
            run_acas(a, worker, Path(tmp), sets)
        if a.mnist or a.mnist_clipped:
            run_mnist(a, worker, Path(tmp), sets, a.mnist, a.mnist_clipped)
    wall = time.perf_counter() - t0
    header = [
        "# robustmem vs Marabou on VNN-COMP 2021 ACAS Xu and MNIST 256x2 (bench/bench_real.py)",
        "",
        f"Command: `{cmd.strip()}` (from the repository root); "
        f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; wall time {wall:.0f} s.",
        "",
        f"Code: {prov}. Versions: {bench_peers.versions()}; engine `{a.engine}`, per-ball timeout "
        f"{a.timeout:g} s for each tool, robustmem children under RLIMIT_AS = 4 GiB, seed "
        f"{a.seed} (ACAS Xu net k of {', '.join(ACAS_NETS)} uses random.Random(seed·100 + k)).",
        "",
        "The machine was shared with other work (2 cores): absolute times are noisy; CPU "
        "seconds (not wall) are reported to limit the effect. Methods: see the docstring of "
        "bench/bench_real.py (ACAS Xu points on the 2^-16 grid inside prop_1.vnnlib's box; "
        "MNIST images recovered from the clipped boxes; robustmem's ball is open, Marabou's "
        "box closed; Marabou's sat points re-checked exactly).",
    ]
    text, nbad = markdown(sets, header)
    print()
    print(text)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(a.out, text)
    print(f"written to {a.out}")
    return 1 if nbad else 0


if __name__ == "__main__":
    sys.exit(main())
