"""robustmem vs Marabou on the official VNN-COMP 2021 properties (a benchmark, not a test).

``python bench/bench_vnnlib.py [--acas] [--mnist] [--timeout S] [--images K] [--out FILE]``
reads ``../shared/benchmarks`` (skips cleanly when it or maraboupy is absent):

* ``--acas``: ACAS Xu property 1 on every network present, and property 7 on the networks
  the instances CSV pairs it with (of those present);
* ``--mnist``: MNIST 256x2, ``prop_K_EPS.vnnlib`` for K < ``--images`` and EPS 0.03, 0.05
  (the official clipped boxes).

robustmem: ``certify.spec_run.run_properties`` (the linear engine, every verdict re-checked by
the trusted kernel, which parses the property itself) in a forked child under RLIMIT_AS =
4 GiB, CPU seconds and peak RSS of the child (from reading the .onnx file on; the libraries,
onnx among them, are imported once in the parent, as Marabou's are), and the part after the
per-network set-up (``spec_run.PropertyRunner``: what a run of many properties pays once).
Marabou 2.0: ``bench_peers.MarabouWorker`` (``Marabou.read_onnx`` + its own VNN-LIB reader),
CPU seconds of the solve; its "sat" points
are re-checked exactly against the property by the kernel's exact evaluation (floats on the
box's faces may fail by rounding: such a point is "unconfirmed"). Ratio: Marabou CPU /
robustmem CPU summed over the properties both decide.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import pickle
import resource
import select
import signal
import sys
import time
from datetime import datetime, timezone
from fractions import Fraction as F
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_peers  # noqa: E402
from bench_peers import HAVE_MARABOU, MarabouWorker  # noqa: E402

from certify import kernel  # noqa: E402
from certify.io import atomic_write_text, load_network  # noqa: E402

DATA = ROOT.parent / "shared" / "benchmarks"
MEM = 4 << 30
GRACE = 20


def instances(data: Path, acas: bool, mnist: bool, images: int) -> list[tuple[Path, Path]]:
    out = []
    if acas:
        nets = sorted((data / "acasxu").glob("ACASXU_*.onnx"))
        out += [(n, data / "acasxu" / "prop_1.vnnlib") for n in nets]
        with open(data / "acasxu" / "acasxu_instances.csv") as fh:
            pairs = {(r[0], r[1]) for r in csv.reader(fh) if r}
        out += [
            (n, data / "acasxu" / "prop_7.vnnlib")
            for n in nets
            if (n.name, "prop_7.vnnlib") in pairs
        ]
    if mnist:
        net = data / "mnistfc" / "mnist-net_256x2.onnx"
        for eps in ("0.03", "0.05"):
            out += [(net, data / "mnistfc" / f"prop_{k}_{eps}.vnnlib") for k in range(images)]
    return out


def _child(wfd, net_path: Path, prop: Path, timeout: float) -> None:
    from certify.spec_run import PropertyRunner, read_properties

    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEM, MEM))
        t0 = time.process_time()
        setup = None
        try:
            run = PropertyRunner(load_network(net_path), read_properties([prop]))
            setup = time.process_time() - t0  # once per network in a run of many properties
            r = run.decide(0, timeout=timeout)
            out = {"status": r.status, "reason": r.reason, "nodes": r.nodes}
        except MemoryError:
            out = {"status": "UNKNOWN", "reason": "memory (4 GiB limit)", "nodes": 0}
        out["cpu"] = time.process_time() - t0
        out["setup"] = setup
        out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        data = pickle.dumps(out)
        view = memoryview(data)
        while view:
            view = view[os.write(wfd, view) :]
    finally:
        os._exit(0)


def run_robustmem(net_path: Path, prop: Path, timeout: float) -> dict:
    sys.stdout.flush()
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        _child(wfd, net_path, prop, timeout)
    os.close(wfd)
    deadline = time.monotonic() + timeout + GRACE
    chunks = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                break
            ready, _, _ = select.select([rfd], [], [], left)
            if ready:
                b = os.read(rfd, 1 << 16)
                if not b:
                    break
                chunks.append(b)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.close(rfd)
        _, _, ru = os.wait4(pid, 0)
    if not chunks:
        return {
            "status": "UNKNOWN",
            "reason": "killed or crashed",
            "cpu": ru.ru_utime + ru.ru_stime,
            "setup": None,
            "rss": ru.ru_maxrss,
            "nodes": 0,
        }
    return pickle.loads(b"".join(chunks))


def marabou_sat_confirmed(net_path: Path, prop: Path, ce) -> str:
    """Marabou's float point re-checked exactly (the kernel's evaluation and box)."""
    if not ce:
        return "no point"
    spec = kernel.parse_spec(prop.read_text())
    layers, _ = kernel.parse_network(load_network(net_path).to_json_text())
    goal, groups = kernel.spec_layers(layers, spec)
    x = [kernel.exact(F(float(v))) for v in ce[: len(spec.lo)]]
    if not kernel.Box(spec.lo, spec.hi).contains(x):
        return "outside the box"
    return "confirmed" if kernel.fails_at(goal, groups, x) else "unconfirmed"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--acas", action="store_true")
    ap.add_argument("--mnist", action="store_true")
    ap.add_argument("--images", type=int, default=15)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--no-marabou", action="store_true")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS_vnnlib.md")
    a = ap.parse_args(argv)
    if not a.acas and not a.mnist:
        a.acas = a.mnist = True
    if not a.data.is_dir():
        print(f"bench_vnnlib: skipped: {a.data} is absent")
        return 0
    use_marabou = HAVE_MARABOU and not a.no_marabou
    cmd = "python bench/bench_vnnlib.py " + " ".join(sys.argv[1:] if argv is None else argv)
    rows = []
    worker = MarabouWorker() if use_marabou else None
    # the libraries are imported once, here, and inherited by every child (as Marabou's
    # worker imports maraboupy once, outside its timed solves): `import onnx` alone is ~1 s
    import certify.spec_run  # noqa: F401
    from certify.onnx_io import _onnx

    _onnx()
    t0 = time.perf_counter()
    try:
        for net, prop in instances(a.data, a.acas, a.mnist, a.images):
            rm = run_robustmem(net, prop, a.timeout)
            mv, mcpu, conf = "-", None, ""
            if worker is not None:
                mv, ce, mcpu = worker.solve(net, prop, int(a.timeout))
                if mv == "sat":
                    conf = marabou_sat_confirmed(net, prop, ce)
            row = (net.name, prop.name, rm, mv, mcpu, conf)
            rows.append(row)
            print(
                f"{net.name} {prop.name}: robustmem {rm['status']} {rm['cpu']:.1f} s "
                f"({rm['nodes']} nodes, {rm['rss'] / 1024:.0f} MiB) {rm['reason'][:60]}; "
                f"Marabou {mv} {'' if mcpu is None else f'{mcpu:.1f} s'} {conf}",
                flush=True,
            )
    finally:
        if worker is not None:
            worker.close()
    wall = time.perf_counter() - t0
    lines = [
        "# robustmem vs Marabou on official VNN-COMP 2021 properties (bench/bench_vnnlib.py)",
        "",
        f"Command: `{cmd.strip()}`; {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')};"
        f" wall {wall:.0f} s; {bench_peers.versions()}; per-property timeout {a.timeout:g} s for"
        " each tool; 2 cores shared with other work (CPU seconds reported).",
        "",
        "robustmem CPU s: the whole child (reading the .onnx file, the network text, the"
        " kernel's parse of it and of the property, the engine's preparation, then the search and"
        " the kernel's check); in brackets the part after that set-up, which a run of"
        " `certify NET --vnnlib P1 P2 ...` pays once per network. Marabou CPU s: read_onnx + solve"
        " per property.",
        "",
        "| network | property | robustmem | CPU s (after set-up) | nodes | peak MiB | Marabou |"
        " CPU s | agree |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    both_rm = both_m = both_dec = 0.0
    decided = {"robustmem": 0, "Marabou": 0}
    disagree = 0
    for net, prop, rm, mv, mcpu, conf in rows:
        rs = {"PROVED": "unsat", "REFUTED": "sat"}.get(rm["status"], "unknown")
        ok = ""
        if rs != "unknown":
            decided["robustmem"] += 1
        if mv in ("sat", "unsat"):
            decided["Marabou"] += 1
        if rs != "unknown" and mv in ("sat", "unsat"):
            ok = "yes" if rs == mv else "NO"
            disagree += rs != mv
            both_rm += rm["cpu"]
            both_dec += rm["cpu"] - (rm.get("setup") or 0.0)
            both_m += mcpu or 0.0
        dec = "" if rm.get("setup") is None else f" ({rm['cpu'] - rm['setup']:.1f})"
        lines.append(
            f"| {net} | {prop} | {rs} | {rm['cpu']:.1f}{dec} | {rm['nodes']} "
            f"| {rm['rss'] / 1024:.0f} "
            f"| {mv}{f' ({conf})' if conf else ''} "
            f"| {'' if mcpu is None else f'{mcpu:.1f}'} | {ok} |"
        )
    ratio = both_m / both_rm if both_rm else float("nan")
    ratio_dec = both_m / both_dec if both_dec else float("nan")
    lines += [
        "",
        f"Decided: robustmem {decided['robustmem']}, Marabou {decided['Marabou']} of {len(rows)};"
        f" disagreements {disagree}; on the properties both decide, CPU robustmem {both_rm:.1f} s,"
        f" Marabou {both_m:.1f} s, ratio Marabou/robustmem {ratio:.2f}; robustmem after its"
        f" per-network set-up {both_dec:.1f} s, ratio {ratio_dec:.2f}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    atomic_write_text(a.out, text)
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
