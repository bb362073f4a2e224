"""``robustmem certify NET --vnnlib P...`` and ``robustmem check NET CERT --vnnlib P...``:
VNN-LIB properties (a box and a disjunction of linear output constraints) decided and
re-checked by the trusted kernel (certify/kernel/spec.py), which reads every property itself.
"""

from __future__ import annotations

import argparse
import json
import sys

from robustmem.exits import UsageError

VNNLIB_HELP = """\
VNN-LIB properties (--vnnlib P1.vnnlib [P2 ...], e.g. the VNN-COMP ACAS Xu and MNIST files):
each declares inputs X_i with a lower and an upper bound (a closed box) and an unsafe output
set (the other asserts: linear comparisons of the Y_j, and/or). PROVED: no point of the box
reaches the unsafe set (VNN-COMP "unsat"); REFUTED: an exact point of the box that does
("sat"), re-evaluated by the kernel in rational arithmetic; UNKNOWN otherwise. The kernel
parses every property and re-checks every proof (input cuts and neuron splits, leaves by
outward-rounded bound propagation) before anything is printed. No dataset, --rho, --mu, --p
or --error: the box is the property's. --timeout is per property.
"""

# options of ball certification that mean nothing for a VNN-LIB property
_BALL_ONLY = (
    ("rho", "--rho"),
    ("mu", "--mu"),
    ("error", "--error"),
    ("samples", "--samples"),
    ("error_budget", "--error-budget"),
    ("scheduler", "--scheduler"),
    ("jobs", "--jobs"),
)


def refuse_ball_options(args: argparse.Namespace) -> None:
    for name, opt in _BALL_ONLY:
        if getattr(args, name, None) not in (None, False):
            raise UsageError(f"{opt} does not apply with --vnnlib (the box is the property's)")
    if getattr(args, "p", "2") not in (None, "2"):
        raise UsageError("--p does not apply with --vnnlib (the property's box is its input set)")
    if getattr(args, "engine", "auto") == "z3":
        raise UsageError("--vnnlib properties are decided by the linear engine; drop --engine z3")
    if getattr(args, "executor", "local") != "local":
        raise UsageError("--vnnlib properties run on this machine; drop --executor")


def _properties(paths):
    from certify import kernel
    from certify.spec_run import read_properties

    try:
        return read_properties(paths)
    except OSError as e:
        raise UsageError(f"cannot read a property: {e}") from None
    except kernel.Rejected as e:
        raise UsageError(f"not a VNN-LIB property robustmem reads: {e}") from None


def certify_vnnlib(args: argparse.Namespace) -> int:
    from certify import kernel
    from certify.io import check_output, load_network, write_output
    from certify.spec_run import run_properties

    if args.data is not None:
        raise UsageError(
            f"certify --vnnlib takes no dataset ({args.data}): the properties are the input"
        )
    refuse_ball_options(args)
    if args.memory is not None:
        import os

        from certify.budget import MEMORY_ENV
        from robustmem.argspec import at_least

        at_least(args.memory, "--memory", 64, "MiB per property")
        os.environ[MEMORY_ENV] = str(args.memory)
    inputs = [args.net, *args.vnnlib]
    for target in (args.output, args.cert):
        if target is not None:
            check_output(target, inputs=inputs)
    net = load_network(args.net)
    props = _properties(args.vnnlib)
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(props), desc="certify", unit="property", file=sys.stderr, disable=None)

    def progress(i, r) -> None:
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(r.status, refresh=False)

    try:
        rep = run_properties(net, props, timeout=args.timeout, progress=progress)
    except kernel.Rejected as e:
        raise UsageError(f"the kernel cannot read the network with these properties: {e}") from None
    finally:
        if bar is not None:
            bar.close()
    if args.output:
        write_output(args.output, json.dumps(rep.to_json(), indent=1) + "\n", inputs=inputs)
    if args.cert:
        write_output(args.cert, json.dumps(rep.bundle()) + "\n", inputs=[*inputs, args.output])
    if args.json:
        print(json.dumps(rep.to_json(), indent=1))
        return rep.exit_code()
    print(
        f"robustmem certify  network {rep.network_sha256[:12]}  {len(props)} VNN-LIB "
        f"propert{'y' if len(props) == 1 else 'ies'}  engine = linear"
    )
    for r in rep.results:
        vnn = {"PROVED": "unsat", "REFUTED": "sat"}.get(r.status, "unknown")
        print(f"  {r.file}: {r.status} ({vnn})  {r.reason}  [{r.seconds:.2f} s, {r.nodes} nodes]")
        if r.status == "REFUTED":
            from certify.kernel import number

            pt = ", ".join(f"{float(number(v)):.6g}" for v in r.entry["counterexample"][:6])
            more = ", ..." if len(r.entry["counterexample"]) > 6 else ""
            print(f"{'':6}x = ({pt}{more})  (exact value in --json / --cert)")
    s = rep.to_json()["summary"]
    print(f"  PROVED {s['PROVED']}  REFUTED {s['REFUTED']}  UNKNOWN {s['UNKNOWN']}")
    if args.output:
        print(f"  report written to {args.output}")
    if args.cert:
        print(
            f"  certificates written to {args.cert} (check: robustmem check NET CERT --vnnlib ...)"
        )
    return rep.exit_code()


def check_vnnlib(args: argparse.Namespace) -> int:
    """``check NET CERT --vnnlib P...``: the kernel re-checks a robustmem-vnnlib/1 bundle."""
    from certify import kernel
    from certify.io import load_network

    cert = args.data
    if cert is None or args.cert is not None:
        raise UsageError("check --vnnlib takes NET CERT (the bundle) and the property files")
    refuse_ball_options(args)
    props = _properties(args.vnnlib)
    net_text = load_network(args.net).to_json_text()
    try:
        judge = kernel.SpecJudge(net_text, [t for _, t in props])
    except kernel.Rejected as e:
        raise UsageError(f"the kernel cannot read the network with these properties: {e}") from None
    try:
        with open(cert, "rb") as fh:
            raw = fh.read()
    except OSError as e:
        raise UsageError(f"cannot read certificate {cert}: {e}") from None
    try:
        obj = kernel.load_json(raw)
    except kernel.Rejected as e:
        raise UsageError(f"{cert} is not a certificate bundle: {e}") from None
    if not isinstance(obj, dict) or obj.get("format") != kernel.spec.FORMAT:
        raise UsageError(
            f"{cert} is not a {kernel.spec.FORMAT} bundle (write one with certify --vnnlib --cert)"
        )
    try:
        verdict = judge.check_bundle(obj)
    except kernel.Rejected as e:
        print(f"robustmem check: certificate rejected: {e}")
        return 1
    names = [n for n, _ in props]
    ok = not verdict.problems and all(st in ("PROVED", "REFUTED") for _, st, _ in verdict.balls)
    if args.json:
        out = {
            "ok": ok,
            "verdict": verdict.verdict,
            "problems": verdict.problems,
            "properties": [
                {"file": names[i], "status": st, "message": m} for i, st, m in verdict.balls
            ],
        }
        print(json.dumps(out, indent=1))
    else:
        for i, st, m in verdict.balls:
            print(f"  {names[i]}: {st:<8} {m}")
        for pr in verdict.problems:
            print(f"  bundle: {pr}")
        print(f"robustmem check: kernel verdict {verdict.verdict} for {len(names)} properties")
    return 0 if ok else 1
