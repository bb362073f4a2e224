"""``robustmem certify`` and ``robustmem check``: decide every ball, and re-check bundles.

Both end in the trusted kernel (:mod:`certify.kernel`): a PROVED or REFUTED printed here is
one the kernel accepted on this process, from the network and dataset text it parsed itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction

from robustmem.argspec import add_net_data_args, at_least, only_with, positive_finite
from robustmem.exits import UsageError

# --------------------------------------------------------------------------------- certify
CERTIFY_HELP = """\
Prove that a ReLU network is constant (= the label) on every open robustness ball of a
dataset, or find an exact counterexample. Exact rational arithmetic throughout: a float may
propose a point, never decide a verdict.

  NET   a robustmem-network/1 JSON file
        {"format": "robustmem-network/1", "input_dim": d,
         "layers": [{"weight": [[...], ...], "bias": [...]}, ...]}
        (ReLU after every layer but the last; one output for a memorizer, C ≥ 2 outputs
        for a classifier, certified as argmax f = y; numbers as JSON integers or strings
        "p/q" / exact decimals "0.125"), or an .onnx model (Gemm/MatMul/Add/Relu/...,
        float weights taken exactly; see docs/interop.md)
  DATA  a CSV file (x_1,...,x_d,label per row, optional header, labels integers ≥ 1, values
        decimals or p/q) or an .npz file with arrays X (N×d) and y (N)

The radius is μ = ρ·ε_{D,p} (--rho) or given directly (--mu); balls are open.

engines: linear (bound propagation + branch and bound + exact leaf checks), z3 (whole-ball
SMT: LRA for ℓ1/ℓ∞, NRA for ℓ2), auto (linear, then z3 on what stays UNKNOWN).

exit codes: 0 every ball PROVED, 1 some ball REFUTED, 2 some UNKNOWN (none refuted),
3 bad input (one line, nothing written), 4 a bug (please report it), 130 interrupted
(SIGINT), 143 terminated (SIGTERM); on 130/143 every worker process is stopped and no
output is written. --timeout covers each ball's search and the kernel's re-check: a claim
found past it is UNKNOWN.

VNN-LIB properties: robustmem certify NET --vnnlib P1.vnnlib [P2.vnnlib ...]
  Each property declares inputs X_i with a lower and an upper bound (a closed box) and an
  unsafe output set (linear comparisons of the Y_j, and/or). PROVED: no point of the box
  reaches it (VNN-COMP "unsat"); REFUTED: an exact point of the box that does ("sat");
  checked by the kernel, which reads every property itself. No dataset, --rho, --mu, --p or
  --error; --timeout is per property. Re-check: robustmem check NET CERT --vnnlib P...

examples:
  robustmem certify net.json data.csv --rho 1/2 --p inf
  robustmem certify net.json data.npz --mu 0.01 --p 2 --engine z3 --timeout 30 --json
  robustmem certify net.json data.csv --rho 0.3 --jobs 2 -o report.json
  robustmem certify acas_1_1.onnx --vnnlib prop_1.vnnlib prop_7.vnnlib --cert c.json
  robustmem certify net.json data.csv --rho 0.3 --executor dask --scheduler tcp://host:8786

executors: local (default: --jobs forked processes on this machine) or dask (a Dask
distributed cluster at --scheduler ADDRESS; without an address, a local cluster of --jobs
workers; needs pip install 'robustmem[dask]'). Results are identical whatever the executor;
a ball whose worker is lost is retried once, then reported UNKNOWN, never dropped.
"""


def _error_summary(net, ds, radius, rep, args) -> dict:
    """Per-ball error measurement (--error): sound bound and Monte-Carlo estimate."""
    from certify.error import estimate_error
    from certify.run import balls

    bl = balls(ds, radius)
    rows = []
    it = rep.results
    if not args.quiet:
        from tqdm import tqdm

        it = tqdm(it, desc="error", unit="ball", file=sys.stderr, disable=None)
    for r in it:
        e = estimate_error(
            net,
            bl[r.index],
            proved=r.status == "PROVED",
            samples=args.samples,
            budget=args.error_budget,
            seconds=args.timeout,  # --timeout is per ball for the error bound too
        )
        rows.append(e.to_json())
    ub = [r["error_upper_bound_float"] for r in rows]
    mc = [r["mc_estimate"] for r in rows]
    return {
        "max_upper_bound": max(ub),
        "mean_upper_bound": sum(ub) / len(ub),
        "max_mc": max(mc),
        "mean_mc": sum(mc) / len(mc),
        "samples": args.samples,
        "balls": rows,
    }


def cmd_certify(args: argparse.Namespace) -> int:
    from certify.dataset import Dataset
    from certify.io import check_output, load_network, write_output
    from certify.run import certify, make_radius

    if args.vnnlib:
        from robustmem.cmd_vnnlib import certify_vnnlib

        return certify_vnnlib(args)
    if args.data is None:
        raise UsageError("certify needs NET DATA (a dataset), or NET --vnnlib P.vnnlib ...")
    if (args.rho is None) == (args.mu is None):
        raise UsageError("give exactly one of --rho R or --mu M")
    positive_finite(args.timeout, "--timeout", "seconds per ball")
    for opt, n in (("--samples", args.samples), ("--error-budget", args.error_budget)):
        at_least(n, opt, 1)
        only_with(n is not None and not args.error, opt, "--error")
    args.samples = 200 if args.samples is None else args.samples
    args.error_budget = 48 if args.error_budget is None else args.error_budget
    at_least(args.jobs, "--jobs", 1, "worker processes")
    only_with(
        args.jobs is not None and args.scheduler is not None,
        "--jobs",
        "a local executor or a local Dask cluster (no --scheduler)",
        "the cluster at --scheduler has its own workers; drop --jobs",
    )
    at_least(args.memory, "--memory", 64, "MiB per ball")
    if args.memory is not None:
        import os

        from certify.budget import MEMORY_ENV

        os.environ[MEMORY_ENV] = str(args.memory)  # worker processes inherit it
    if args.scheduler is not None and args.executor != "dask":
        raise UsageError("--scheduler ADDRESS needs --executor dask")
    inputs = [args.net, args.data]
    for target in (args.output, args.cert):  # every output refused now, before any work
        if target is not None:
            check_output(target, inputs=inputs)
    if args.output and args.cert and check_output(args.output) == check_output(args.cert):
        raise UsageError(f"-o {args.output} and --cert {args.cert} name the same file")
    from certify.run import property_of

    net = load_network(args.net)
    ds = Dataset.load(args.data)
    net_text, data_text, notes = kernel_texts(args.net, args.data, net, ds)
    radius = make_radius(ds, args.p, rho=args.rho, mu=args.mu)
    if args.error and radius.p not in (None, 1, 2):
        raise UsageError(f"--error supports p = 1, 2 and inf, not p = {radius.p}")
    if net.input_dim == ds.d:
        property_of(net, ds)  # labels outside 1..C: refused before any note or work
    for note in [*getattr(ds, "notes", []), *notes]:  # after the input errors: one line each
        print(f"note: {note}", file=sys.stderr)

    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=ds.N, desc="certify", unit="ball", file=sys.stderr, disable=None)

    def progress(r) -> None:
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(r.status, refresh=False)

    try:
        rep = certify(
            net,
            ds,
            radius,
            engine=args.engine,
            timeout=args.timeout,
            jobs=min(args.jobs or 1, max(ds.N, 1)),  # a ceiling: no more workers than balls
            progress=progress,
            executor=args.executor,
            scheduler=args.scheduler,
            net_text=net_text,
            data_text=data_text,
        )
    finally:
        if bar is not None:
            bar.close()
    err = _error_summary(net, ds, radius, rep, args) if args.error else None
    if args.output:
        rep.save(args.output, inputs=inputs)
    if args.cert:
        bundle = json.dumps(rep.certificate_bundle(ds)) + "\n"
        write_output(args.cert, bundle, inputs=[*inputs, args.output])
    if args.json:
        out = rep.to_json()
        if err is not None:
            out["error"] = err
        print(json.dumps(out, indent=1))
    else:
        from certify.numbers import display_number

        c = rep.counts
        given = (
            f"rho = {display_number(radius.rho)}"
            if radius.rho is not None
            else f"mu = {display_number(radius.mu)}"
        )
        size = (
            f"radius = {display_number(radius.radius_power)}"
            if radius.p is None
            else f"radius^{radius.p} = {display_number(radius.radius_power)}"
        )
        print(
            f"robustmem certify  network {rep.network_hash[:12]}  dataset {rep.dataset_hash[:12]}"
            f"  N = {ds.N}  d = {ds.d}  p = {'inf' if radius.p is None else radius.p}  "
            f"{given}  ({size})  engine = {args.engine}"
        )
        for r in rep.results:
            if r.status != "PROVED" or args.verbose:
                line = f"  ball {r.index:>5}: {r.status:<8} {r.reason}"
                if r.counterexample is not None:
                    line += f"\n{'':14}" + counterexample_text(r.counterexample, r.value)
                print(line)
        print(
            f"  PROVED {c['PROVED']}  REFUTED {c['REFUTED']}  UNKNOWN {c['UNKNOWN']}"
            f"   ({rep.seconds:.2f} s)"
        )
        if err is not None:
            print(
                f"  error measure: sound upper bound max {err['max_upper_bound']:.4g}, mean "
                f"{err['mean_upper_bound']:.4g}; Monte Carlo ({err['samples']} exact samples "
                f"per ball) max {err['max_mc']:.4g}, mean {err['mean_mc']:.4g}"
            )
        if args.output:
            print(f"  report written to {args.output}")
        if args.cert:
            print(f"  certificates written to {args.cert} (check: robustmem check)")
    return rep.exit_code


def counterexample_text(x, value, limit: int = 6) -> str:
    """ "x' = (...), f(x') = v" with exact numbers when they are short, else with a decimal
    view (5 significant digits, correctly rounded; the exact values are in --json, -o and
    --cert)."""
    from fractions import Fraction

    from certify.numbers import decimal_text, format_number

    vals = [Fraction(v) for v in x]
    if isinstance(value, (tuple, list)):  # a classifier's outputs
        out = [Fraction(v) for v in value]
    else:
        out = [] if value is None else [Fraction(value)]
    exact = all(len(str(format_number(v))) <= 12 for v in vals[:limit] + out[:limit])
    show = (lambda v: str(format_number(v))) if exact else (lambda v: decimal_text(v))
    pt = ", ".join(show(v) for v in vals[:limit])
    more = f", ... ({len(vals)} coordinates)" if len(vals) > limit else ""
    if isinstance(value, (tuple, list)):
        fx = "(" + ", ".join(show(v) for v in out[:limit]) + (", ...)" if len(out) > limit else ")")
    else:
        fx = show(out[0]) if out else "?"
    if exact:
        return f"x' = ({pt}{more}), f(x') = {fx}"
    return f"x' ≈ ({pt}{more}), f(x') ≈ {fx}  (exact values: --json, -o, --cert)"


CHECK_HELP = """\
Re-check a certificate bundle (written by 'robustmem certify --cert FILE') with the small
trusted kernel (certify/kernel/): it reads the network JSON, the dataset CSV and the bundle
itself, in exact rational arithmetic, with no solver and nothing from the search engines.
Every PROVED ball must come with a proof tree that the kernel re-derives (bounds, affine
pieces, Motzkin or ℓ2 multipliers); every REFUTED ball with a counterexample inside the open
ball (ε computed here exactly from the dataset) that the kernel re-evaluates; every ball
needs exactly one entry. The norm and the radius are the bundle's ("p" and "rho" or "mu",
printed on stderr); --p, --rho or --mu, when given, must agree with the bundle (a mismatch
is a usage error, exit 3), and ε is always recomputed here from the dataset. An ONNX
network or an .npz dataset is first converted to robustmem's canonical text, which is
what the kernel checks (the conversion is then part of what the verdict rests on).

exit codes: 0 every ball has an entry whose certificate checks (PROVED or REFUTED),
1 some certificate is rejected, missing or UNKNOWN, 3 bad input (a file that is not a
certificate bundle, options that disagree with the bundle), 4 a bug, 130 interrupted.

example:
  robustmem certify net.json data.csv --rho 1/2 --p inf --cert cert.json
  robustmem check net.json data.csv cert.json               (the bundle's p and rho)
  robustmem check net.json data.csv cert.json --rho 1/2 --p inf
"""


def kernel_texts(net_path: str, data_path: str, net=None, ds=None) -> tuple[str, str, list]:
    """The network and dataset text the kernel reads: the files themselves (robustmem JSON,
    CSV), or robustmem's canonical text of what certify.network / certify.dataset read
    (ONNX, .npz, or a CSV the kernel's reader does not take), with a note saying so."""
    from pathlib import Path

    from certify import kernel
    from certify.dataset import Dataset
    from certify.io import load_network
    from certify.run import dataset_text

    notes = []
    net_text = data_text = None
    if Path(net_path).suffix.lower() != ".onnx":
        net_text = _read(net_path, "network")
    else:
        net = net or load_network(net_path)
        net_text = net.to_json_text()
        notes.append(f"{net_path}: ONNX converted to robustmem JSON; the kernel checks that")
    if Path(data_path).suffix.lower() == ".csv":
        data_text = _read(data_path, "dataset")
        try:
            X, _, _ = kernel.parse_dataset(data_text)
        except kernel.Rejected as e:
            data_text = None
            notes.append(
                f"{data_path}: the kernel's CSV reader refuses it ({e}); it checks "
                "the dataset as certify.dataset read it"
            )
        else:
            if len(set(X)) < len(X):  # certify.dataset merges repeated points: other indices
                data_text = None
                notes.append(
                    f"{data_path}: repeated points; the kernel checks the dataset as "
                    "certify.dataset read it (repeats merged)"
                )
    if data_text is None:
        ds = ds or Dataset.load(data_path)
        data_text = dataset_text(ds)
    return net_text, data_text, notes


def _read(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {what} file {path}: {e}") from None


def cmd_check(args: argparse.Namespace) -> int:
    from certify import kernel
    from certify.dataset import norm_p
    from certify.numbers import parse_number

    if args.vnnlib:
        from robustmem.cmd_vnnlib import check_vnnlib

        return check_vnnlib(args)
    if args.data is None or args.cert is None:
        raise UsageError("check needs NET DATA CERT, or NET CERT --vnnlib P.vnnlib ...")
    if args.rho is not None and args.mu is not None:
        raise UsageError("give at most one of --rho R or --mu M (or neither: the bundle's)")
    rho = parse_number(args.rho, "rho") if args.rho is not None else None
    mu = parse_number(args.mu, "mu") if args.mu is not None else None
    if rho is not None and not 0 < rho < 1:
        raise UsageError(f"rho must satisfy 0 < rho < 1, got {args.rho}")
    if mu is not None and mu <= 0:
        raise UsageError(f"mu must be positive, got {args.mu}")
    pn = None if args.p is None else _norm(args.p, norm_p)
    try:
        with open(args.cert, "rb") as fh:
            raw = fh.read()
    except OSError as e:
        raise UsageError(f"cannot read certificate {args.cert}: {e}") from None
    bundle, bundle_error = None, None
    try:
        bundle = _bundle(args.cert, raw, kernel)
    except kernel.Rejected as e:
        bundle_error = e
    pn, rho, mu, used = _settings(args, bundle, pn, rho, mu, norm_p, parse_number)
    net_text, data_text, notes = kernel_texts(args.net, args.data)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    try:
        judge = kernel.Judge(net_text, data_text, pn, rho=rho, mu=mu)
    except kernel.Rejected as e:
        raise UsageError(f"the kernel cannot read the network or dataset: {e}") from None
    if used and not args.json:
        print(f"robustmem check: from the bundle: {used}", file=sys.stderr)
    try:
        if bundle_error is not None:
            raise bundle_error
        verdict = _check_with_progress(judge, bundle, quiet=args.quiet or args.json)
    except kernel.Rejected as e:
        if args.json:
            print(json.dumps({"ok": False, "verdict": "REJECTED", "reason": str(e)}, indent=1))
        else:
            print(f"robustmem check: certificate rejected: {e}")
        return 1
    counts, missing = _ball_counts(verdict.balls, len(judge.X), kernel.STATUSES)
    ok = not verdict.problems and counts["REJECTED"] == counts["UNKNOWN"] == 0
    if args.json:
        out = {
            "ok": ok,
            "verdict": verdict.verdict,
            "counts": counts,
            "problems": verdict.problems,
            "balls": [
                {"index": i, "status": st, "ok": st in ("PROVED", "REFUTED"), "message": m}
                for i, st, m in verdict.balls
            ],
        }
        print(json.dumps(out, indent=1))
    else:
        for i, st, msg in verdict.balls:
            if st not in ("PROVED", "REFUTED") or args.verbose:
                print(f"  ball {'?' if i is None else i:>5}: {st:<8} {msg}")
        for pr in verdict.problems:
            print(f"  bundle: {pr}")
        print(
            f"robustmem check: kernel verdict {verdict.verdict}: {counts['PROVED']} proved, "
            f"{counts['REFUTED']} refuted, {counts['UNKNOWN']} unknown, "
            f"{counts['REJECTED']} rejected"
            + (f", {missing} without an entry" if missing else "")
            + f" of {len(judge.X)} balls"
        )
    return 0 if ok else 1


class _Ticking(list):
    """The bundle's entries, advancing a progress bar as the kernel iterates over them (the
    kernel's own :meth:`Judge.check_bundle` does the checking, unchanged)."""

    def __init__(self, items, bar) -> None:
        super().__init__(items)
        self.bar = bar

    def __iter__(self):
        for item in super().__iter__():
            yield item
            self.bar.update(1)


def _check_with_progress(judge, bundle: dict, *, quiet: bool):
    """``judge.check_bundle(bundle)`` with a tqdm bar on stderr (shown on a terminal only,
    as certify's; none with -q or --json)."""
    balls = bundle.get("balls")
    if quiet or not isinstance(balls, list):
        return judge.check_bundle(bundle)
    from tqdm import tqdm

    with tqdm(total=len(balls), desc="check", unit="ball", file=sys.stderr, disable=None) as bar:
        return judge.check_bundle({**bundle, "balls": _Ticking(balls, bar)})


def _norm(text: str, norm_p):
    t = str(text).strip()
    return norm_p(int(t) if t.isdigit() else t)


def _settings(args, bundle, pn, rho, mu, norm_p, parse_number):
    """The norm and radius to check at: the options given, else the bundle's (its "p" and
    its "rho" or "mu"). An option that disagrees with the bundle is a usage error (exit 3):
    the bundle's proofs are about its own norm and radius. Returns (p, rho, mu, a note of
    what came from the bundle, or "")."""
    if bundle is None:  # damaged: rejected whatever the radius; read NET and DATA at any
        if args.p is None:
            pn = norm_p(2)
        if rho is None and mu is None:
            rho = Fraction(1, 2)
        return pn, rho, mu, ""
    b = bundle if isinstance(bundle, dict) else {}
    used = []

    def exact(v, what):
        try:
            return parse_number(v, what)
        except Exception:
            return None

    bp = b.get("p")
    bpn = None
    if bp == "inf" or (type(bp) is int and bp >= 1):
        try:
            bpn = norm_p(bp)
            b_ok = True
        except Exception:
            b_ok = False
    else:
        b_ok = False
    if args.p is None:
        if not b_ok:
            raise UsageError(
                f"{args.cert}: the bundle records no usable norm p; give --p (1, 2, inf or an "
                "integer k)"
            )
        pn = bpn
        used.append(f"p = {bp}")
    elif b_ok and pn != bpn:
        raise UsageError(
            f"--p {args.p} does not match the bundle, which is for p = {bp}; drop --p (check "
            "then uses the bundle's) or check the bundle made for that norm"
        )
    brho = exact(b["rho"], "rho") if "rho" in b else None
    bmu = exact(b["mu"], "mu") if "mu" in b else None
    if rho is None and mu is None:
        if brho is not None and 0 < brho < 1:
            rho = brho
            used.append(f"rho = {b['rho']}")
        elif bmu is not None and bmu > 0:
            mu = bmu
            used.append(f"mu = {b['mu']}")
        else:
            raise UsageError(
                f"{args.cert}: the bundle records no usable radius; give --rho R or --mu M"
            )
    else:
        given, mine, theirs = (
            ("--rho", rho, brho if "rho" in b else None)
            if rho is not None
            else ("--mu", mu, bmu if "mu" in b else None)
        )
        other = "mu" if rho is not None else "rho"
        if theirs is None and other in b:
            raise UsageError(
                f"{given} {args.rho if rho is not None else args.mu}: the bundle is for "
                f"{other} = {b[other]}; drop {given} (check then uses the bundle's radius)"
            )
        if theirs is not None and theirs != mine:
            key = given.lstrip("-")
            raise UsageError(
                f"{given} {args.rho if rho is not None else args.mu} does not match the "
                f"bundle, which is for {key} = {b[key]}; drop {given} (check then uses the "
                "bundle's)"
            )
    return pn, rho, mu, ", ".join(used)


def _bundle(path: str, raw: bytes, kernel):
    """The parsed bundle, or a one-line UsageError (exit 3) for a file that is not a
    certificate bundle at all: not JSON, not a JSON object, or an object whose ``format`` is
    not robustmem-certificate/* (the ``-o`` report of certify, a dataset, a network, ``[]``,
    ``{}``, an empty file). A bundle that does not check is a rejection (exit 1,
    ``kernel.Rejected``): one of another version or without its ``format`` (but with a
    bundle's network hash and balls), one the kernel's strict JSON reader
    refuses (a float, a huge number) and a damaged one (unreadable JSON that names the
    certificate format) included."""
    family = kernel.FORMAT.split("/")[0] + "/"  # "robustmem-certificate/"
    strict = None
    try:
        obj = kernel.load_json(raw)
    except kernel.Rejected as e:
        strict = e
        obj = _lenient_json(raw)  # what the file is, for the message (floats read too)
        if obj is None and f'"{family}'.encode() in raw:
            raise  # a damaged bundle (truncated, huge numbers, ...): a rejection
        if not isinstance(obj, dict):
            raise UsageError(f"{path}: not a certificate bundle ({e})") from None
    if not isinstance(obj, dict):
        kind = {list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
            type(obj), "number"
        )
        raise UsageError(
            f"{path}: not a certificate bundle (a JSON {kind}, not an object); write one with "
            "robustmem certify --cert FILE"
        )
    fmt = obj.get("format")
    headless = fmt is None and {"network_sha256", "balls"} <= obj.keys() and "verdict" not in obj
    if not str(fmt).startswith(family) and not headless:  # the kernel rejects the rest
        if "verdict" in obj and "counts" in obj:
            what = "the JSON report of robustmem certify -o/--json"
        elif fmt == "robustmem-network/1":
            what = "a network file"
        elif fmt is None:
            what = 'a JSON object without "format"'
        else:
            what = f"format {str(fmt)[:40]!r}"
        raise UsageError(
            f"{path}: not a {kernel.FORMAT} bundle ({what}); write one with "
            "robustmem certify --cert FILE"
        )
    if strict is not None:  # a bundle the kernel's strict reader refuses (a float): rejected
        raise strict
    return obj


def _lenient_json(raw: bytes):
    """``raw`` read by Python's json (floats allowed), or None when it is not JSON."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _ball_counts(balls, n: int, statuses) -> tuple[dict, int]:
    """Counts per ball, never per entry: a ball with more than one entry is REJECTED once
    (the bundle is rejected), entries without a valid index count nowhere, and the balls
    without an entry are returned apart. The counts sum to at most ``n``."""
    per: dict = {}
    for i, st, _ in balls:
        if isinstance(i, int) and 0 <= i < n:
            per[i] = "REJECTED" if i in per else st
    counts = {s: sum(st == s for st in per.values()) for s in statuses}
    return counts, n - len(per)


def register(sub) -> None:
    ce = sub.add_parser(
        "certify",
        help="prove robust memorization ball by ball, exactly",
        description=CERTIFY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_net_data_args(ce)
    ce.add_argument("--engine", choices=("auto", "linear", "z3"), default="auto")
    ce.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds per ball before it is reported UNKNOWN (default 120)",
    )
    ce.add_argument(
        "--memory",
        type=int,
        metavar="MIB",
        help="memory a ball's search may hold, in MiB of the worker's resident memory; "
        "past it the ball is UNKNOWN with the reason (default: 4096 or half the machine's "
        "memory, whichever is less; z3 gets the same limit)",
    )
    ce.add_argument("--jobs", type=int, help="worker processes (default 1; at most one per ball)")
    ce.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="who checks the balls: local processes (default) or a Dask cluster",
    )
    ce.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (with --executor dask)",
    )
    ce.add_argument("--json", action="store_true", help="the full report as JSON on stdout")
    ce.add_argument("-o", "--output", help="write the JSON report to this file")
    ce.add_argument("--cert", help="write the certificate bundle (for 'robustmem check')")
    ce.add_argument(
        "--error",
        action="store_true",
        help="also measure each ball's error: a sound upper bound (kernel-gated sub-box "
        "splitting) and a Monte-Carlo estimate from exactly evaluated samples (p = 1, 2, inf)",
    )
    ce.add_argument("--samples", type=int, help="--error: samples per ball (200)")
    ce.add_argument("--error-budget", type=int, help="--error: certifier calls per ball (48)")
    ce.add_argument("-v", "--verbose", action="store_true", help="list PROVED balls too")
    ce.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    ce.set_defaults(func=cmd_certify)

    ck = sub.add_parser(
        "check",
        help="re-check certificates with the trusted kernel",
        description=CHECK_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_net_data_args(ck, cert=True)
    ck.set_defaults(p=None)  # absent: the bundle's p (and radius), see CHECK_HELP
    ck.add_argument("--json", action="store_true", help="per-ball results as JSON")
    ck.add_argument("-v", "--verbose", action="store_true", help="list accepted balls too")
    ck.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    ck.set_defaults(func=cmd_check)
