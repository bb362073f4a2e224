"""``robustmem witness``: executable lower-bound constructions (docs/theory.md §2), a thin
layer over :mod:`constructions.witness`.

  witness dataset width   write D* (the LB-width dataset)
  witness dataset vc      write the LB-VC shattering dataset for a sign pattern
  witness width NET       exact pair (x, x') with W x = W x' that NET gets wrong on D*
  witness vc NET          check sign(2f − 3) = S on the shattered set
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from typing import Any

WITNESS_HELP = """\
Lower-bound witnesses (docs/theory.md §2, after Kim, Moon & Yun 2025, Props 3.2 and 3.3): make
the datasets behind the lower bounds, and turn a network that is too small into an exact
input it gets wrong.

  witness dataset width   the dataset D* of LB-width (first-layer width bound)
  witness dataset vc      the LB-VC shattering dataset for a sign pattern
  witness width NET       the exact counterexample pair for a network on D*
  witness vc NET          check the VC reduction sign(2f - 3) = S on a network

exit codes: 0 witness found / reduction holds / file written, 1 no witness found /
reduction fails, 3 bad input.

example (a 3-wide network on D* with N = 5, d = 4 under l2 at rho = 9/10, bound 3.24):
  robustmem witness dataset width --N 5 --d 4 -o dstar.csv
  robustmem witness width net.json --N 5 --rho 9/10 --p 2
  robustmem certify net.json dstar.csv --rho 9/10 --p 2      (the certifier agrees)
"""

DATASET_HELP = """\
Write a lower-bound dataset as CSV (x_1,...,x_d,label per line, exact numbers).

  width   D*: e_1..e_t (label 2), the origin (label 1) and k·e_1 for k = 2..N-d (label 2)
          when N-1 > d; t = min(N-1, d); eps_{D*,p} = 1/2 for every p.
  vc      the shattering construction for a sign pattern (see 'witness dataset vc --help').

examples:
  robustmem witness dataset width --N 5 --d 4 -o dstar.csv
  robustmem witness dataset vc --N 6 --d 3 --rho 4/5 --p 2 --signs +-+--+ -o vc.csv
"""

DATASET_WIDTH_HELP = """\
Write D* (docs/theory.md §2, LB-width; KMY Prop 3.2): with t = min(N-1, d), the points e_1..e_t
(label 2), the origin (label 1) and, when N-1 > d, k·e_1 for k = 2..N-d (label 2).
eps_{D*,p} = 1/2 for every p, so the robustness radius is mu = rho/2. Every rho-robust
memorizer of D* has first-layer width (indeed first-layer rank) at least
  w = rho²·t        for p ≥ 2 (inf included),
  w = rho²·t/d      for p = 1,
  w = t             for p = inf and 1/2 < rho < 1.

With --memorizer NET.json --rho R, also write a rho-robust memorizer of D* (every p) whose
first layer has width exactly t: f(x) = 1 + min(1, 2/(1-rho)·Σ_j ReLU(x_j - 1/2)).

Size limit: above 10^7 coordinates (N·d, about 20 MB of CSV) the command refuses with the
file's exact size unless --force (the CSV is then streamed, memory O(d), if the file system
has room); --memorizer is refused above 10^7 first-layer weights (t·d) even with --force.

exit codes: 0 written, 3 bad input.

examples:
  robustmem witness dataset width --N 5 --d 4 -o dstar.csv
  robustmem witness dataset width --N 9 --d 3 -o dstar.csv --memorizer net.json --rho 3/4
"""

DATASET_VC_HELP = """\
Write the LB-VC shattering dataset (docs/theory.md §2; KMY Prop 3.3 — our reconstruction, tested):
k = min(d, floor(1/(1 - rho^p))) (k = 1 for p = inf), L = floor(N/2) groups with centres
c_l = 2d²(l-1)·e_1, shattered set X = {c_l + e_j : l ≤ L, j ≤ k}. For the signs s_{l,j}
(--signs, group l major, coordinate j minor: L·k characters + or -) and a_l = Σ_j s_{l,j} e_j,
the dataset holds c_l + a_l (label 2) and c_l - a_l (label 1), plus a far point (label 1) when
N is odd. Every rho-robust memorizer f then has sign(2f - 3) = s on X, so F shatters X:
VC ≥ floor(N/2)·k. Needs d ≥ 2. Write --signs=-+-+ (with '=') when the pattern starts
with '-'.

--seed n draws the signs at random (recorded in --json). Above 10^6 coordinates (N·d) the
command refuses with an estimate of the file size unless --force (the construction is built
in memory: ~0.3 kB and ~20 µs per coordinate).
--memorizer NET.json also writes a rho-robust memorizer of the dataset (check it with
'robustmem certify', then 'witness vc').

exit codes: 0 written, 3 bad input (including a sign string of the wrong length).

examples:
  robustmem witness dataset vc --N 6 --d 3 --rho 4/5 --signs +-+--+ -o vc.csv
  robustmem witness dataset vc --N 7 --d 4 --rho 0.9 --p 1 --seed 7 -o vc.csv --json
  robustmem witness dataset vc --N 6 --d 3 --rho 4/5 --signs +-+--+ -o vc.csv \\
      --memorizer vcnet.json
"""

WIDTH_HELP = """\
For a network NET given for D* (d = NET's input dimension, --N points), compute exactly a pair
x in the open ball B_p(e_j, mu), x' in the open ball B_p(0, mu) with W x = W x' (W the
first-layer weight matrix), so f(x) = f(x'), and report which of the two is misclassified
(x has label 2, x' label 1). mu = rho/2 (eps_{D*,p} = 1/2), or give --mu directly.

How: r_j = projection of e_j onto the row space of W (exact rationals); x = e_j - r_j/2,
x' = r_j/2. If rank W < w (the LB-width bound: rho²·t for p ≥ 2, rho²·t/d for p = 1, t for
p = inf with rho > 1/2) a witness is guaranteed. Otherwise none is guaranteed, but the
command still searches (for p = inf the kernel construction; for p ≠ 2 a float-guided LP /
minimisation whose answer is rounded into the exact kernel and re-checked exactly). Ball
membership is checked exactly (p-th powers; the max for inf); f is evaluated exactly.
No witness does not mean the network is robust: --certify then runs the certifier on D*
(its counterexample, if any, is a single point x in some ball with f(x) ≠ label, re-checked
exactly; JSON key "certifier").

--json: {"found", "j" (1-based index of e_j), "x", "x_prime" (exact "p/q" strings),
"misclassified": "x" | "x_prime" | "both", "rank", "bound", "guaranteed", "value" (f(x)),
"distance_power" (‖x - e_j‖_p^p, for inf the norm), "radius_power", "method", ...}

exit codes: 0 witness found (or, with --certify, a certifier counterexample), 1 none found,
3 bad input.

examples:
  robustmem witness width net.json --N 5 --rho 9/10 --p 2
  robustmem witness width net.json --N 5 --rho 1/2 --p 2 --certify
  robustmem witness width net.json --N 5 --rho 3/4 --p inf --json
  robustmem witness width net.json --N 12 --mu 1/4 --p 1
"""

VC_HELP = """\
Check the LB-VC reduction on NET: build the shattering construction for --N, --d, --rho, --p
and the sign pattern (--signs or --seed, exactly as for 'witness dataset vc'), evaluate NET
exactly on the shattered set X and test sign(2f - 3) = S point by point (f = 3/2 counts as a
mismatch). A rho-robust memorizer of the dataset must pass; a failure means NET does not
robustly memorize it (and 'robustmem certify' will find the ball). --d defaults to NET's input
dimension.

exit codes: 0 the reduction holds, 1 it fails (mismatches listed), 3 bad input.

examples:
  robustmem witness dataset vc --N 6 --d 3 --rho 4/5 --signs +-+--+ -o vc.csv \\
      --memorizer vcnet.json
  robustmem witness vc vcnet.json --N 6 --rho 4/5 --signs +-+--+
  robustmem witness vc vcnet.json --N 6 --rho 4/5 --seed 3 --json
"""


_FORCE_HINT = "use smaller N or d, or --force to write it anyway"
FORCE_HELP = (
    "write a dataset of more than 10^7 coordinates (N·d; about 20 MB of CSV; 10^6 for vc, "
    "built in memory); without it "
    "such sizes are refused with an estimate of the file size (the file system must still "
    "have room)"
)


def _raw(sub: argparse._SubParsersAction, name: str, helptext: str, desc: str):
    return sub.add_parser(
        name, help=helptext, description=desc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def _count(text: str, name: str, low: int) -> int:
    from robustmem.exits import UsageError

    try:
        v = int(str(text).strip())
    except ValueError:
        raise UsageError(f"--{name} {text!r}: expected an integer ≥ {low}") from None
    if v < low:
        raise UsageError(f"--{name} {v}: must be at least {low}")
    return v


def _p(text: str) -> int | str:
    t = str(text).strip()
    return int(t) if t.isdigit() else t


def _check_outputs(args: argparse.Namespace) -> None:
    """-o and --memorizer: each a writable target (certify.io.check_output), not the same
    file, checked before anything is built."""
    from certify.io import check_output
    from robustmem.exits import UsageError

    out = check_output(args.output)
    if args.memorizer and check_output(args.memorizer) == out:
        raise UsageError(f"-o {args.output} and --memorizer {args.memorizer} name the same file")


def _disk_room(path: str, size: int) -> None:
    """Refuse (one line) an output of ``size`` bytes that the target's file system cannot
    hold (with 1% and 16 MB to spare)."""
    import os
    import shutil

    from certify.io import check_output
    from constructions.witness import human_bytes
    from robustmem.exits import UsageError

    parent = os.path.dirname(str(check_output(path))) or "."
    try:
        free = shutil.disk_usage(parent).free
    except OSError:
        return
    if size > free - free // 100 - 16 * 10**6:
        raise UsageError(
            f"-o {path}: the file would take about {human_bytes(size)} but only "
            f"{human_bytes(free)} is free in {parent}"
        )


def _fmt(v: Fraction) -> str:
    from certify.numbers import format_number

    return str(format_number(Fraction(v)))


def _show(v: Fraction) -> str:
    """For text output: the exact value when short, else a short decimal (exact in --json)."""
    from certify.numbers import display_number

    return display_number(Fraction(v))


def _vec(v: Any, limit: int = 8) -> str:
    items = [_show(a) for a in v]
    more = f", ... ({len(items)} coordinates)" if len(items) > limit else ""
    return "(" + ", ".join(items[:limit]) + more + ")"


def _dump(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, indent=1, ensure_ascii=False))


# ------------------------------------------------------------------------------ dataset width
def cmd_dataset_width(args: argparse.Namespace) -> int:
    from certify.io import write_output
    from constructions.witness import (
        MAX_CELLS,
        build_dstar_memorizer,
        check_size,
        dstar_csv_bytes,
        dstar_csv_lines,
        width_bound,
    )
    from robustmem.exits import EXIT_OK, UsageError

    N, d = _count(args.N, "N", 2), _count(args.d, "d", 1)
    _check_outputs(args)
    if args.memorizer:
        if args.rho is None:
            raise UsageError("--memorizer needs --rho (the robustness ratio it must serve)")
    elif args.rho is not None:
        raise UsageError("--rho is only used with --memorizer")
    size = dstar_csv_bytes(N, d)
    check_size("D*", N, d, size, force=args.force, hint=_FORCE_HINT)
    t = min(N - 1, d)
    if args.memorizer and t * d > MAX_CELLS:  # built in memory: never forced
        raise UsageError(
            f"--memorizer: the memorizer of D* has a {t}×{d} first layer, more than "
            f"{MAX_CELLS:.0e} weights held in memory; use smaller N or d"
        )
    _disk_room(args.output, size)

    def write(path) -> None:
        with open(path, "w", encoding="ascii", newline="") as fh:
            for line in dstar_csv_lines(N, d):
                fh.write(line)

    write_output(args.output, write)
    labels = [2] * t + [1] + [2] * max(0, N - d - 1) if N <= 10**5 else None
    out: dict[str, Any] = {
        "dataset": "D*",
        "output": args.output,
        "N": N,
        "d": d,
        "t": min(N - 1, d),
        "epsilon": "1/2",
        "bytes": size,
        "labels": labels,  # null above 10^5 points: e_1..e_t label 2, origin 1, rest 2
    }
    if args.memorizer:
        net = build_dstar_memorizer(N, d, args.rho)
        write_output(args.memorizer, net.to_json_text(), inputs=[args.output])
        from certify.numbers import parse_number

        rho = parse_number(args.rho, "rho")
        out["memorizer"] = args.memorizer
        out["rho"] = _fmt(rho)
        out["first_width"] = net.widths[1]
        out["bounds"] = {
            "2": _fmt(width_bound(N, d, rho, 2)),
            "1": _fmt(width_bound(N, d, rho, 1)),
            "inf": _fmt(width_bound(N, d, rho, None)),
        }
    if args.json:
        _dump(out)
    else:
        t = out["t"]
        print(
            f"wrote D* to {args.output}: N = {N} points in R^{d}; e_1..e_{t} (label 2), "
            f"the origin (label 1)"
            + (f", k·e_1 for k = 2..{N - d} (label 2)" if d < N - 1 else "")
            + "; eps = 1/2 for every p"
        )
        if args.memorizer:
            print(
                f"wrote a robust memorizer of D* (rho = {out['rho']}, first width {t}) to "
                f"{args.memorizer}; bounds w: p=2 {out['bounds']['2']}, p=1 "
                f"{out['bounds']['1']}, p=inf {out['bounds']['inf']}"
            )
    return EXIT_OK


# ------------------------------------------------------------------------------ dataset vc
def _vc_construction(args: argparse.Namespace, d: int):
    from constructions.witness import vc_dataset
    from robustmem.exits import UsageError

    if (args.signs is None) == (args.seed is None):
        raise UsageError("give exactly one of --signs S (a string of + and -) or --seed n")
    N = _count(args.N, "N", 2)
    seed = None if args.seed is None else _count(args.seed, "seed", 0)
    return vc_dataset(N, d, args.rho, _p(args.p), signs=args.signs, seed=seed)


def cmd_dataset_vc(args: argparse.Namespace) -> int:
    from certify.io import write_output
    from constructions.witness import MAX_VC_CELLS, build_vc_memorizer, check_size, vc_csv_bytes
    from robustmem.exits import EXIT_OK

    d = _count(args.d, "d", 2)
    _check_outputs(args)
    N = _count(args.N, "N", 2)
    size = vc_csv_bytes(N, d)
    check_size(
        "the VC dataset", N, d, size, force=args.force, hint=_FORCE_HINT + " (built in memory)",
        limit=MAX_VC_CELLS,
    )  # fmt: skip
    _disk_room(args.output, size)
    con = _vc_construction(args, d)
    con.dataset().save_csv(args.output)
    out = {"dataset": "vc", "output": args.output, **con.to_json()}
    if args.memorizer:
        net = build_vc_memorizer(con)
        write_output(args.memorizer, net.to_json_text(), inputs=[args.output])
        out["memorizer"] = args.memorizer
    if args.json:
        _dump(out)
    else:
        print(
            f"wrote the VC dataset to {args.output}: N = {con.N}, d = {con.d}, "
            f"p = {out['p']}, rho = {out['rho']}, k = {con.k}, {con.groups} group(s): "
            f"X has {con.groups * con.k} points, signs {out['signs']}"
            + ("" if con.seed is None else f" (seed {con.seed})")
        )
        print(
            f"  eps^p = {out['epsilon_power']}, mu^p = {out['radius_power']} ≥ k - 1 = "
            f"{con.k - 1}: every robust memorizer has sign(2f - 3) = signs on X"
        )
        for pt, s in zip(con.points[:10], con.signs):
            print(f"    {'+' if s > 0 else '-'}  {_vec(pt)}")
        if len(con.points) > 10:
            print(f"    ... ({len(con.points)} points; --json lists them all)")
        if args.memorizer:
            print(f"  wrote a robust memorizer of it to {args.memorizer}")
    return EXIT_OK


# ------------------------------------------------------------------------------ width
def cmd_width(args: argparse.Namespace) -> int:
    from certify.errors import InputError
    from certify.io import load_network
    from certify.numbers import parse_number
    from constructions.witness import width_witness
    from robustmem.argspec import only_with, positive_finite
    from robustmem.exits import EXIT_OK, EXIT_REFUTED, UsageError

    if (args.rho is None) == (args.mu is None):
        raise UsageError("give exactly one of --rho R or --mu M")
    only_with(
        args.timeout is not None and not args.certify,
        "--timeout",
        "--certify",
        "it is the certifier's budget per ball; drop it or add --certify",
    )
    positive_finite(args.timeout, "--timeout", "seconds per ball")
    only_with(
        args.search_limit is not None and args.no_search,
        "--search-limit",
        "the float-guided search",
        "--no-search turns it off; drop one of them",
    )
    N = _count(args.N, "N", 2)
    net = load_network(args.net)
    if args.certify:  # the certifier builds D* in memory, one ball per point
        from constructions.witness import check_size, dstar_csv_bytes

        check_size(
            "--certify: D*", N, net.input_dim, dstar_csv_bytes(N, net.input_dim),
            force=False, hint="the certifier holds it in memory: use a smaller N",
        )  # fmt: skip
    if args.d is not None and _count(args.d, "d", 1) != net.input_dim:
        raise InputError(
            f"{args.net}: the network's input dimension is {net.input_dim} but --d is {args.d}; "
            "D* lives in the network's input space"
        )
    w = width_witness(
        net,
        N,
        rho=args.rho,
        mu=args.mu,
        p=_p(args.p),
        search=not args.no_search,
        search_limit=_count(
            64 if args.search_limit is None else args.search_limit, "search-limit", 1
        ),
        use_certifier=args.certify,
        timeout=30.0 if args.timeout is None else args.timeout,
    )
    cex = (w.certifier or {}).get("counterexample")
    if args.json:
        _dump(w.to_json())
        return EXIT_OK if w.found or cex else EXIT_REFUTED
    pt = "inf" if w.p is None else str(w.p)
    print(
        f"robustmem witness width  {args.net}  D*: N = {w.N}, d = {w.d}  p = {pt}  "
        f"rho = {_show(w.rho)}  mu = {_show(w.mu)} (eps = 1/2)"
    )
    verdict = "a witness is guaranteed" if w.guaranteed else "no witness is guaranteed"
    print(
        f"  first layer: width {w.first_width}, rank {w.rank}; LB-width bound w = "
        f"{_show(w.bound)} ≈ {float(w.bound):.4g}: rank {'<' if w.guaranteed else '≥'} w, "
        f"{verdict}"
    )
    if not w.found:
        for note in w.notes:
            print(f"  {note}")
        print("  NO WITNESS PAIR FOUND")
        if w.certifier is not None:
            c = w.certifier["counts"]
            print(
                f"  certifier on D*: PROVED {c['PROVED']}  REFUTED {c['REFUTED']}  "
                f"UNKNOWN {c['UNKNOWN']}"
            )
            if cex:
                print(
                    f"  counterexample (single point, re-checked exactly): "
                    f"{_vec([parse_number(v, 'x') for v in cex['point']])} "
                    f"near the point with label {cex['label']}: f = {cex['value']}"
                )
                return EXIT_OK
        return EXIT_REFUTED
    norm = "‖·‖_∞" if w.p is None else f"‖·‖_{pt}^{pt}"
    print(f"  WITNESS ({w.method}, j = {w.j}):")
    print(f"    x  = {_vec(w.x)}   in B(e_{w.j}, mu)")
    print(f"    x' = {_vec(w.x_prime)}   in B(0, mu)")
    print(
        f"    {norm}: ‖x - e_{w.j}‖ = ‖x'‖ gives {_show(w.distance_power)} < "
        f"{_show(w.radius_power)} (mu{'' if w.p is None else '^' + pt})"
    )
    which = {"x": "x (label 2)", "x_prime": "x' (label 1)", "both": "both x and x'"}
    print(
        f"    W x = W x' exactly, so f(x) = f(x') = {_show(w.value)}: "
        f"{which[w.misclassified]} misclassified"
    )
    print("  the network does not rho-robustly memorize D*")
    return EXIT_OK


# ------------------------------------------------------------------------------ vc
def cmd_vc(args: argparse.Namespace) -> int:
    from certify.errors import InputError
    from certify.io import load_network
    from constructions.witness import vc_check
    from robustmem.exits import EXIT_OK, EXIT_REFUTED

    net = load_network(args.net)
    d = net.input_dim if args.d is None else _count(args.d, "d", 2)
    if d != net.input_dim:
        raise InputError(
            f"{args.net}: the network's input dimension is {net.input_dim} but --d is {d}"
        )
    from constructions.witness import MAX_VC_CELLS, check_size, vc_csv_bytes

    N = _count(args.N, "N", 2)
    check_size(
        "the VC construction", N, d, vc_csv_bytes(N, d), force=False,
        hint="it is built in memory: use a smaller N", limit=MAX_VC_CELLS,
    )  # fmt: skip
    con = _vc_construction(args, d)
    chk = vc_check(net, con)
    if args.json:
        _dump({**con.to_json(), **chk.to_json()})
        return EXIT_OK if chk.holds else EXIT_REFUTED
    js = chk.to_json()
    print(
        f"robustmem witness vc  {args.net}  N = {con.N}, d = {con.d}, p = "
        f"{'inf' if con.p is None else con.p}, rho = {_show(con.rho)}, k = {con.k}, "
        f"|X| = {len(con.points)}" + ("" if con.seed is None else f", seed {con.seed}")
    )
    print(f"  signs S          {js['signs']}")
    print(f"  sign(2f - 3)     {js['network_signs']}")
    if not chk.memorizes_data:
        print("  note: f(x_i) ≠ y_i at some data point: the network does not even memorize D")
    if chk.holds:
        print("  the reduction HOLDS on every point of X")
        return EXIT_OK
    shown = ", ".join(
        f"#{i} {_vec(con.points[i], 4)} f = {_show(chk.values[i])}" for i in chk.mismatches[:5]
    )
    more = f" (and {len(chk.mismatches) - 5} more)" if len(chk.mismatches) > 5 else ""
    print(f"  the reduction FAILS at {len(chk.mismatches)} point(s): {shown}{more}")
    print("  so the network is not a rho-robust memorizer of this dataset")
    return EXIT_REFUTED


# ------------------------------------------------------------------------------ register
def _help_only(parser: argparse.ArgumentParser):
    def run(args: argparse.Namespace) -> int:
        from robustmem.exits import EXIT_INPUT

        parser.print_help(sys.stderr)
        return EXIT_INPUT

    return run


def _add_vc_args(sp: argparse.ArgumentParser, d_required: bool) -> None:
    sp.add_argument("--N", required=True, help="number of data points (integer ≥ 2)")
    sp.add_argument(
        "--d",
        required=d_required,
        help="input dimension (integer ≥ 2)" + ("" if d_required else "; default NET's"),
    )
    sp.add_argument("--rho", required=True, help="robustness ratio in (0,1): 4/5, 0.9, ...")
    sp.add_argument("--p", default="2", help="norm: an integer k ≥ 1 or inf (default 2)")
    sp.add_argument(
        "--signs",
        help="L·k characters + or - (group major), e.g. +-+--+; "
        "write --signs=-+... when the pattern starts with -",
    )
    sp.add_argument("--seed", help="draw the signs at random with this seed instead")
    sp.add_argument("--json", action="store_true", help="one JSON object on stdout")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``witness`` (with ``dataset width|vc``, ``width``, ``vc``) to the parser."""
    w = _raw(sub, "witness", "lower-bound witnesses: D*, VC datasets, exact counterexamples",
             WITNESS_HELP)  # fmt: skip
    w.set_defaults(func=_help_only(w))
    wsub = w.add_subparsers(dest="witness_command", metavar="WHAT")

    ds = _raw(wsub, "dataset", "write a lower-bound dataset (width | vc)", DATASET_HELP)
    ds.set_defaults(func=_help_only(ds))
    dsub = ds.add_subparsers(dest="dataset_kind", metavar="KIND")

    dw = _raw(dsub, "width", "the LB-width dataset D*", DATASET_WIDTH_HELP)
    dw.add_argument("--N", required=True, help="number of points (integer ≥ 2)")
    dw.add_argument("--d", required=True, help="dimension (integer ≥ 1)")
    dw.add_argument("-o", "--output", required=True, help="CSV file to write")
    dw.add_argument("--memorizer", help="also write a robust memorizer of D* (needs --rho)")
    dw.add_argument("--rho", help="robustness ratio for --memorizer")
    dw.add_argument("--json", action="store_true", help="one JSON object on stdout")
    dw.add_argument("--force", action="store_true", help=FORCE_HELP)
    dw.set_defaults(func=cmd_dataset_width)

    dv = _raw(dsub, "vc", "the LB-VC shattering dataset for a sign pattern", DATASET_VC_HELP)
    _add_vc_args(dv, d_required=True)
    dv.add_argument("-o", "--output", required=True, help="CSV file to write")
    dv.add_argument("--memorizer", help="also write a robust memorizer of the dataset")
    dv.add_argument("--force", action="store_true", help=FORCE_HELP)
    dv.set_defaults(func=cmd_dataset_vc)

    ww = _raw(wsub, "width", "exact counterexample pair for NET on D*", WIDTH_HELP)
    ww.add_argument("net", help="network JSON (robustmem-network/1)")
    ww.add_argument("--N", required=True, help="number of points of D* (integer ≥ 2)")
    ww.add_argument("--rho", help="robustness ratio in (0,1); mu = rho/2")
    ww.add_argument("--mu", help="absolute radius in (0, 1/2)")
    ww.add_argument("--p", default="2", help="norm: an integer k ≥ 1 or inf (default 2)")
    ww.add_argument("--d", help="optional: check that NET's input dimension is d")
    ww.add_argument(
        "--no-search", action="store_true", help="exact candidates only (no float-guided search)"
    )
    ww.add_argument(
        "--certify",
        action="store_true",
        help="if no pair is found, run the certifier on D* (it may find a single-point "
        "counterexample)",
    )
    ww.add_argument("--timeout", type=float, help="seconds per ball for --certify (default 30)")
    ww.add_argument(
        "--search-limit",
        help="how many points e_j the float-guided search tries (default 64)",
    )
    ww.add_argument("--json", action="store_true", help="one JSON object on stdout")
    ww.set_defaults(func=cmd_width)

    wv = _raw(wsub, "vc", "check the VC reduction sign(2f-3) = S on NET", VC_HELP)
    wv.add_argument("net", help="network JSON (robustmem-network/1)")
    _add_vc_args(wv, d_required=False)
    wv.set_defaults(func=cmd_vc)
