"""``robustmem certify`` and ``robustmem check``: decide every ball, and re-check bundles.

Both end in the trusted kernel (:mod:`certify.kernel`): a PROVED or REFUTED printed here is
one the kernel accepted on this process, from the network and dataset text it parsed itself.
"""

from __future__ import annotations

import argparse
import json
import sys

from robustmem.argspec import add_net_data_args
from robustmem.exits import UsageError

# --------------------------------------------------------------------------------- certify
CERTIFY_HELP = """\
Prove that a ReLU network is constant (= the label) on every open robustness ball of a
dataset, or find an exact counterexample. Exact rational arithmetic throughout: a float may
propose a point, never decide a verdict.

  NET   a robustmem-network/1 JSON file
        {"format": "robustmem-network/1", "input_dim": d,
         "layers": [{"weight": [[...], ...], "bias": [...]}, ...]}
        (ReLU after every layer but the last; one output; numbers as JSON integers or
        strings "p/q" / exact decimals "0.125")
  DATA  a CSV file (x_1,...,x_d,label per row, optional header, labels integers ≥ 1, values
        decimals or p/q) or an .npz file with arrays X (N×d) and y (N)

The radius is μ = ρ·ε_{D,p} (--rho) or given directly (--mu); balls are open.

engines: linear (bound propagation + branch and bound + exact leaf checks), z3 (whole-ball
SMT: LRA for ℓ1/ℓ∞, NRA for ℓ2), auto (linear, then z3 on what stays UNKNOWN).

exit codes: 0 every ball PROVED, 1 some ball REFUTED, 2 some UNKNOWN (none refuted),
3 bad input.

examples:
  robustmem certify net.json data.csv --rho 1/2 --p inf
  robustmem certify net.json data.npz --mu 0.01 --p 2 --engine z3 --timeout 30 --json
  robustmem certify net.json data.csv --rho 0.3 --jobs 2 -o report.json
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
    from certify.network import Network
    from certify.run import certify, make_radius

    if (args.rho is None) == (args.mu is None):
        raise UsageError("give exactly one of --rho R or --mu M")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError(f"--timeout must be positive, got {args.timeout}")
    if args.scheduler is not None and args.executor != "dask":
        raise UsageError("--scheduler ADDRESS needs --executor dask")
    from pathlib import Path

    for opt, target in (("-o", args.output), ("--cert", args.cert)):
        if target and not Path(target).resolve().parent.is_dir():
            raise UsageError(f"{opt} {target}: the directory {Path(target).parent} does not exist")
    net = Network.load(args.net)
    ds = Dataset.load(args.data)
    for note in getattr(ds, "notes", []):
        print(f"note: {note}", file=sys.stderr)
    radius = make_radius(ds, args.p, rho=args.rho, mu=args.mu)
    if args.error and radius.p not in (None, 1, 2):
        raise UsageError(f"--error supports p = 1, 2 and inf, not p = {radius.p}")

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
            jobs=args.jobs,
            progress=progress,
            executor=args.executor,
            scheduler=args.scheduler,
        )
    finally:
        if bar is not None:
            bar.close()
    err = _error_summary(net, ds, radius, rep, args) if args.error else None
    if args.output:
        rep.save(args.output)
    if args.cert:
        from certify.network import atomic_write_text

        atomic_write_text(args.cert, json.dumps(rep.certificate_bundle(ds)) + "\n")
    if args.json:
        out = rep.to_json()
        if err is not None:
            out["error"] = err
        print(json.dumps(out, indent=1))
    else:
        c = rep.counts
        desc = radius.describe()
        print(
            f"robustmem certify  network {rep.network_hash[:12]}  dataset {rep.dataset_hash[:12]}"
            f"  N = {ds.N}  d = {ds.d}  p = {desc['p']}  "
            + (f"rho = {desc['rho']}" if "rho" in desc else f"mu = {desc['mu']}")
            + f"  (radius^p = {desc['radius_power']})  engine = {args.engine}"
        )
        for r in rep.results:
            if r.status != "PROVED" or args.verbose:
                line = f"  ball {r.index:>5}: {r.status:<8} {r.reason}"
                if r.counterexample is not None:
                    pt = ", ".join(str(v) for v in r.counterexample[:6])
                    more = ", ..." if len(r.counterexample) > 6 else ""
                    line += f"\n{'':14}x' = ({pt}{more}), f(x') = {r.value}"
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


CHECK_HELP = """\
Re-check a certificate bundle (written by 'robustmem certify --cert FILE') with the small
trusted kernel: exact rational arithmetic, no solver, nothing from the search engines.
Every PROVED ball must come with a proof tree that the kernel re-derives (bounds, affine
pieces, Farkas/Motzkin or ℓ2 multipliers); every REFUTED ball with a counterexample that
the kernel re-evaluates. The radius is the one you give here, not the certificate's.

exit codes: 0 every ball's certificate checks, 1 some certificate is rejected or missing,
3 bad input.

example:
  robustmem certify net.json data.csv --rho 1/2 --p inf --cert cert.json
  robustmem check net.json data.csv cert.json --rho 1/2 --p inf
"""


def cmd_check(args: argparse.Namespace) -> int:
    from certify import kernel
    from certify.dataset import Dataset, norm_p
    from certify.network import Network
    from certify.numbers import parse_number

    if (args.rho is None) == (args.mu is None):
        raise UsageError("give exactly one of --rho R or --mu M")
    net = Network.load(args.net)
    ds = Dataset.load(args.data)
    try:
        with open(args.cert, encoding="utf-8") as fh:
            cert = json.load(fh)
    except (OSError, json.JSONDecodeError) as e:
        raise UsageError(f"cannot read certificate {args.cert}: {e}") from None
    p = args.p.strip()
    pn = norm_p(int(p) if p.isdigit() else p)
    rho = parse_number(args.rho, "rho") if args.rho is not None else None
    mu = parse_number(args.mu, "mu") if args.mu is not None else None
    if rho is not None and not 0 < rho < 1:
        raise UsageError(f"rho must satisfy 0 < rho < 1, got {args.rho}")
    if mu is not None and mu <= 0:
        raise UsageError(f"mu must be positive, got {args.mu}")
    try:
        results = kernel.check_bundle(net, ds, cert, pn, rho=rho, mu=mu)
    except (kernel.Rejected, KeyError, TypeError, ValueError) as e:
        print(f"robustmem check: certificate rejected: {e}")
        return 1
    covered = {i for i, _, _ in results}
    missing = [i for i in range(ds.N) if i not in covered]
    bad = [r for r in results if not r[1]]
    if args.json:
        print(
            json.dumps(
                {
                    "ok": not bad and not missing,
                    "missing": missing,
                    "balls": [{"index": i, "ok": ok, "message": m} for i, ok, m in results],
                },
                indent=1,
            )
        )
    else:
        for i, ok, msg in results:
            if not ok or args.verbose:
                print(f"  ball {i:>5}: {'ok ' if ok else 'BAD'} {msg}")
        print(
            f"robustmem check: {len(results) - len(bad)} of {ds.N} balls certified, "
            f"{len(bad)} rejected, {len(missing)} without a certificate"
        )
    return 0 if not bad and not missing else 1


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
    ce.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
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
    ce.add_argument("--samples", type=int, default=200, help="--error: samples per ball (200)")
    ce.add_argument(
        "--error-budget", type=int, default=48, help="--error: certifier calls per ball (48)"
    )
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
    ck.add_argument("--json", action="store_true", help="per-ball results as JSON")
    ck.add_argument("-v", "--verbose", action="store_true", help="list accepted balls too")
    ck.set_defaults(func=cmd_check)
