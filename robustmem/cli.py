"""The ``robustmem`` command line: a thin layer over the library's functions.

Exit codes: 0 success / holds, 1 refuted, 2 unknown or incomplete, 3 usage or input error,
4 internal error (a bug: please report it), 130 interrupted (SIGINT, Ctrl-C), 143 terminated
(SIGTERM). On 130 and 143 every worker process of the run is stopped and no output is written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from robustmem.argspec import add_data_radius_args, at_least, only_with
from robustmem.exits import (  # noqa: F401 (re-exported)
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUTED,
    EXIT_TERMINATED,
    EXIT_UNKNOWN,
    Terminated,
    UsageError,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit with 2; we reserve 2
        self.print_usage(sys.stderr)
        print(f"robustmem: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def _input_errors() -> tuple[type[BaseException], ...]:
    from bounds.point import BoundsInputError

    errs: list[type[BaseException]] = [BoundsInputError, UsageError]
    try:
        from certify.errors import InputError

        errs.append(InputError)
    except ImportError:  # pragma: no cover - certify always ships with robustmem
        pass
    return tuple(errs)


# --------------------------------------------------------------------------------- bounds
BOUNDS_HELP = """\
Query every known lower and upper bound on the number of parameters a ReLU network needs to
ρ-robustly memorize N points in R^d (every pair of differently labelled points ≥ 2ε apart,
the network constant on each ℓp ball of radius ρ·ε).

examples:
  robustmem bounds --N 1797 --d 64 --rho 0.01
  robustmem bounds --N 1000 --d 100 --rho 1/20000 --p inf --json
  robustmem bounds --N 1000 --d 100 --rho 0.3 --count nonzero --latex
  robustmem bounds --N 1000 --d 100 --rho 0.3 --explain
  robustmem bounds --N 1797 --d 64 --params 5000        (inverse query over ρ)

Regimes (ℓ2; ℓp divides the boundaries by γ_p(d) = d^|1/2-1/p|):
  small     ρ ≤ ρ₁ = 1/(5N√d)       P = Õ(√N)               [KMY Thm 4.2(i)]
  moderate  ρ₁ < ρ ≤ ρ₂ = 1/(5√d)   P = Õ(N d^1/4 ρ^1/2)    [KMY Thm 4.2(ii)]
  large     ρ₂ < ρ < 1              P = Õ(N d² ρ⁴)          [KMY Thm 4.2(iii)]
  none      ρ ≥ 1/γ_p(d) (p ≠ 2): the paper gives no upper bound
Values are rates with constants 1 and log factors dropped; boundaries are decided exactly.

Limits: every number (N, d, ρ, p, --params) has at most 100 digits in its numerator and in
its denominator; finite p is at most 1000 (use --p inf beyond).
"""


def _add_point_args(sp: argparse.ArgumentParser, rho: bool = True) -> None:
    sp.add_argument(
        "--N", required=True, help="number of data points (integer ≥ 2, at most 100 digits)"
    )
    sp.add_argument("--d", required=True, help="input dimension (integer ≥ 1, at most 100 digits)")
    if rho:
        sp.add_argument(
            "--rho",
            help="robustness ratio in (0,1): decimal, 1e-5 or fraction 1/20000 (numerator "
            "and denominator at most 100 digits each)",
        )
    sp.add_argument(
        "--p", default="2", help="norm: 1, 2, inf, or any real in [1, 1000] (default 2)"
    )
    sp.add_argument(
        "--count",
        choices=("all", "nonzero"),
        default="all",
        help="count all parameters (default) or only nonzero ones",
    )


def cmd_bounds(args: argparse.Namespace) -> int:
    from bounds.inverse import inverse
    from bounds.point import Point, parse_count, parse_exact, parse_p
    from bounds.query import query
    from bounds.report import explain_text, inverse_text, latex_table, text_table

    if args.params is not None:
        if args.rho is not None:
            raise UsageError("give either --rho (a point query) or --params (an inverse query)")
        n, d = parse_count(args.N, "N", 2), parse_count(args.d, "d", 1)
        pv = parse_p(args.p)
        P = parse_exact(args.params, "params")
        if P <= 0:
            raise UsageError(f"--params {args.params}: a parameter budget must be positive")
        ivs = inverse(n, d, pv, float(P), args.count)
        if args.json:
            print(
                json.dumps(
                    {
                        "N": n,
                        "d": d,
                        "p": args.p,
                        "params": float(P),
                        "count": args.count,
                        "intervals": [i.to_json() for i in ivs],
                    },
                    indent=2,
                )
            )
        else:
            print(inverse_text(n, d, args.p, float(P), args.count, ivs))
        return EXIT_OK
    if args.rho is None:
        raise UsageError("--rho is required (or --params for an inverse query)")
    pt = Point.parse(args.N, args.d, args.rho, args.p)
    r = query(pt, args.count)
    if args.json:
        obj = r.to_json()
        if args.explain:
            from bounds.graph import explain

            obj["explain"] = [
                {"result": n, "source": s, "statement": t}
                for n, s, t in explain([b.key for b in r.used])
            ]
        print(json.dumps(obj, indent=2, ensure_ascii=False))
    elif args.latex:
        print(latex_table(r))
    else:
        print(text_table(r))
        if args.explain:
            print(explain_text(r))
    return EXIT_OK


# --------------------------------------------------------------------------------- plot
PLOT_HELP = """\
Plot parameters against ρ (log-log) for fixed N, d, p: this paper's upper and lower bounds,
the prior ones, the improvement (shaded) and the remaining gap, with the regime boundaries.
With --sweep N, plot against N at the fixed --rho instead.

examples:
  robustmem plot --N 1797 --d 64 -o bounds.png
  robustmem plot --N 1797 --d 64 --p inf --count nonzero -o bounds.svg
  robustmem plot --d 64 --rho 0.01 --sweep N -o sweep.png
"""


def cmd_plot(args: argparse.Namespace) -> int:
    from bounds.plot import plot_vs_N, plot_vs_rho
    from bounds.point import parse_count, parse_p, parse_rho
    from certify.io import check_output, write_output

    d = parse_count(args.d, "d", 1)
    pv = parse_p(args.p)
    if not str(args.output).lower().endswith((".png", ".svg")):
        raise UsageError(f"-o {args.output}: the plot file must end in .png or .svg")
    sweep_n = args.sweep_N or args.sweep == "N"
    only_with(
        sweep_n and args.N is not None,
        "--N",
        "--sweep rho (the default)",
        "--sweep N plots against N, so drop --N",
    )
    only_with(
        not sweep_n and args.rho is not None,
        "--rho",
        "--sweep N",
        "a plot against ρ takes no fixed --rho; drop it or add --sweep N",
    )
    check_output(args.output)  # before the plot is computed
    if sweep_n:
        if args.rho is None:
            raise UsageError("--sweep N needs --rho (the fixed robustness ratio)")
        rho = parse_rho(args.rho)
        write_output(args.output, lambda tmp: plot_vs_N(d, rho, pv, count=args.count, out=tmp))
    else:
        if args.N is None:
            raise UsageError("--N is required (or --sweep N with --rho)")
        n = parse_count(args.N, "N", 2)
        write_output(args.output, lambda tmp: plot_vs_rho(n, d, pv, count=args.count, out=tmp))
    print(f"wrote {args.output}")
    return EXIT_OK


# --------------------------------------------------------------------------------- construct
CONSTRUCT_HELP = """\
Build a ReLU network that robustly memorizes DATA: f(x') = y_i on every open ℓp ball of
radius μ = ρ·ε_{D,p} (or --mu) around each point, and write it as robustmem-network/1 JSON.
The report gives the actual size (parameters, nonzero, depth, width, bits) next to the
formula of the regime (docs/theory.md §3) and the ratio actual/formula (rates with constants 1).

methods:
  small     regime (i) pipeline (KMY Thm 4.2(i)): scale, lattice translation (Lemma B.15),
            Floor gadgets, grid index, integer memorizer. Needs ρ in the small regime.
  large     regime (iii) pipeline (KMY Thm 4.2(iii), cases I–V): projection (none / exact
            span when d ≥ N / seeded random, per the paper's cases; ℓ2 only, --project to
            force), then one block per point: a polytope of linear tests around its ball
            that cuts off every other-label ball, summed per class. Exact for every ρ < 1.
  moderate  regime (ii) pipeline (KMY Thm 4.2(ii)): groups of points, each with its own
            lattice translation, Floor gadgets with thin bands, and memorizer of its cells;
            max over groups. Error measure ≤ --eta on every ball (bound in the report);
            exact on balls no other group's band meets. ℓ2 and ℓ∞. --grouping paper: the
            paper's consecutive groups of ≈ 1/(5ρ√d) points; cover: a greedy cover of the
            data, one translation per group (beyond the paper, far fewer groups); auto
            (default): the smaller by the exact size formula.
  baseline  one box "bump" per point in the original dimension (depth 4, O(N²d) parameters);
            valid while the ball's bounding box stays inside the ℓ∞ separation (r₁ < ε∞).
  auto      small in the small regime (large if the data violate its contract); in the
            moderate regime moderate or large, whichever has fewer parameters by the exact
            size formulas (notes give both counts; large, exact, on a tie); otherwise large.

Every random choice takes --seed (default 0) and the seed used is in the report.
Certify what you build:  robustmem certify NET.json DATA --rho R --p P

examples:
  robustmem construct data.csv --rho 1/2 --p inf -o net.json
  robustmem construct data.csv --rho 9/10 --p 2 --method large -o net.json --json
  robustmem construct data.npz --mu 0.01 --p 2 --seed 7 -o net.json
"""


def cmd_construct(args: argparse.Namespace) -> int:
    from certify.dataset import Dataset
    from certify.io import check_output, write_output
    from certify.run import make_radius
    from constructions.build import construct

    if (args.rho is None) == (args.mu is None):
        raise UsageError("give exactly one of --rho R or --mu M")
    m = args.method
    only_with(
        args.memorizer is not None and m not in ("auto", "small", "moderate"),
        "--memorizer",
        "a builder with integer memorizers (--method small, moderate or auto)",
        f"--method {m} has no integer memorizer stage; drop --memorizer",
    )
    only_with(
        args.project is not None and m == "baseline",
        "--project",
        "a builder with a projection stage (not --method baseline)",
        f"--method {m} has no projection stage; drop --project",
    )
    only_with(
        args.eta is not None and m not in ("auto", "moderate"),
        "--eta",
        "--method moderate or auto",
        f"--method {m} is exact (no error η); drop --eta",
    )
    only_with(args.threshold and m != "moderate", "--threshold", "--method moderate")
    only_with(
        args.grouping is not None and m not in ("auto", "moderate"),
        "--grouping",
        "--method moderate or auto",
        f"--method {m} has no groups; drop --grouping",
    )
    only_with(
        args.seed is not None and m == "baseline",
        "--seed",
        "a builder that draws at random (not --method baseline)",
        "the baseline builder is deterministic; drop --seed",
    )
    at_least(args.seed, "--seed", 0)
    if args.eta is not None:  # refused here (nan, 1e999, text), its range by the builder
        from certify.numbers import parse_number

        parse_number(args.eta, "eta")
    check_output(args.output, inputs=[args.data])  # before the construction
    ds = Dataset.load(args.data)
    radius = make_radius(ds, args.p, rho=args.rho, mu=args.mu)
    for note in getattr(ds, "notes", []):  # after the radius: an input error comes alone
        print(f"note: {note}", file=sys.stderr)
    net, rep = construct(
        ds,
        radius,
        args.method,
        seed=0 if args.seed is None else args.seed,
        project=args.project or "auto",
        memorizer=args.memorizer or "auto",
        eta="1/10" if args.eta is None else args.eta,
        threshold=args.threshold,
        grouping=args.grouping or "auto",
    )
    write_output(args.output, net.to_json_text(), inputs=[args.data])
    out = {**rep, "output": str(args.output), **radius.describe()}
    if args.json:
        print(json.dumps(out, indent=1))
        return EXIT_OK
    print(
        f"robustmem construct  method = {rep['method']}  N = {ds.N}  d = {ds.d}  classes = "
        f"{rep['classes']}  regime (bounds) = {rep['regime'] or 'n/a'}"
    )
    print(
        f"  parameters {out['params']} (nonzero {out['params_nonzero']}), depth "
        f"{out['depth']}, width {out['width']}, bits {out['bits']}"
    )
    print(
        f"  formula {out['formula']} = {out['formula_value']:.6g}  "
        f"(actual/formula = {out['ratio']:.3g})"
    )
    design = [
        f"{k} {out[k]}"
        for k in (
            "projection",
            "m",
            "memorizer",
            "keys",
            "blocks",
            "facets_max",
            "facets_mean",
            "eta",
            "grouping",
            "groups",
            "group_size",
            "error_bound_max_float",
        )
        if k in out
    ]
    if design:  # the builder's choices and counts (blocks = number of per-point blocks)
        print("  design: " + ", ".join(design))
    if rep["stages"]:  # parameters per stage of the network (the JSON key "stages")
        print("  parameters by stage: " + ", ".join(f"{k} {v}" for k, v in rep["stages"].items()))
    if rep["seed"] is not None:
        print(f"  seed {rep['seed']}")
    for note in rep["notes"]:
        print(f"  note: {note}")
    print(
        f"  wrote {args.output}; certify it with: robustmem certify {args.output} "
        f"{args.data} "
        + (f"--rho {args.rho}" if args.rho else f"--mu {args.mu}")
        + f" --p {args.p}"
    )
    return EXIT_OK


# --------------------------------------------------------------------------------- demo
def cmd_demo(args: argparse.Namespace) -> int:
    from robustmem.demo import run_demo

    only_with(
        args.full and args.n_per_class is not None,
        "--n-per-class",
        "a subset (without --full)",
        "--full uses every digit; drop --n-per-class",
    )
    at_least(args.n_per_class, "--n-per-class", 1)
    at_least(args.jobs, "--jobs", 1)
    return run_demo(
        out_dir=args.out_dir,
        json_out=args.json,
        full=args.full,
        n_per_class=2 if args.n_per_class is None else args.n_per_class,
        jobs=args.jobs,
    )


# --------------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="robustmem",
        description="Bounds, constructions and exact certification for robust memorization "
        "in ReLU networks (Kim, Moon & Yun, NeurIPS 2025).",
        epilog="Run 'robustmem demo' for a tour; 'robustmem COMMAND --help' for details.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    b = sub.add_parser(
        "bounds",
        help="lower/upper bounds, regime and gap at (N, d, ρ, p)",
        description=BOUNDS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_point_args(b)
    fmt = b.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object on stdout")
    fmt.add_argument("--latex", action="store_true", help="a LaTeX tabular on stdout")
    b.add_argument(
        "--explain",
        action="store_true",
        help="list the results (lemmas, prior theorems) the answer rests on",
    )
    b.add_argument(
        "--params",
        help="inverse query: where in ρ does this budget suffice? (positive, ≤ 100 digits)",
    )
    b.set_defaults(func=cmd_bounds)

    pl = sub.add_parser(
        "plot",
        help="plot the bounds against ρ (or N) to PNG/SVG",
        description=PLOT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pl.add_argument("--N", help="number of data points (not with --sweep-N)")
    pl.add_argument("--d", required=True, help="input dimension")
    pl.add_argument("--p", default="2", help="norm: 1, 2, inf or any real in [1, 1000] (default 2)")
    pl.add_argument("--rho", help="fixed ρ for --sweep-N")
    pl.add_argument("--count", choices=("all", "nonzero"), default="all")
    pl.add_argument(
        "--sweep",
        choices=("rho", "N"),
        default="rho",
        help="the x axis: rho (default, fixed --N) or N (fixed --rho)",
    )
    pl.add_argument("--sweep-N", action="store_true", help="same as --sweep N")
    pl.add_argument("-o", "--output", required=True, help="output file (.png or .svg)")
    pl.set_defaults(func=cmd_plot)

    from robustmem import cmd_certify

    cmd_certify.register(sub)

    co = sub.add_parser(
        "construct",
        help="build a robust memorizer of a dataset",
        description=CONSTRUCT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_radius_args(co)
    co.add_argument(
        "--method", choices=("auto", "small", "moderate", "large", "baseline"), default="auto"
    )
    co.add_argument(
        "--eta",
        help="moderate (and auto): error measure allowed per ball, 0 < η < 1 (default 1/10)",
    )
    co.add_argument(
        "--threshold",
        action="store_true",
        help="moderate: use step (Heaviside) units, exact on every ball (docs/threshold.md)",
    )
    co.add_argument(
        "--grouping",
        choices=("auto", "paper", "cover"),
        help="moderate (and auto): groups of the moderate builder; paper = KMY B.13's "
        "consecutive groups, cover = a greedy cover of the data (beyond the paper), auto "
        "(default) = the smaller by exact size",
    )
    co.add_argument("--seed", type=int, help="seed of every random choice (default 0)")
    co.add_argument(
        "--project",
        choices=("auto", "none", "span", "random", "adaptive"),
        help="small, large (and auto): projection stage; auto (default) follows the paper's "
        "cases; span (large), adaptive (small: the smallest m meeting the stage contract), "
        "random, none",
    )
    co.add_argument(
        "--memorizer",
        choices=("auto", "plain", "sqrt"),
        help="small, moderate (and auto): integer memorizer (plain 12N+1 params; sqrt the "
        "lean Õ(√N) bit-stream design, smaller from about 27 keys; auto = the smaller by "
        "exact size, per group for moderate)",
    )
    co.add_argument("-o", "--output", required=True, help="where to write the network JSON")
    co.add_argument("--json", action="store_true", help="the construction report as JSON")
    co.set_defaults(func=cmd_construct)

    dm = sub.add_parser(
        "demo",
        help="a tour on scikit-learn's digits dataset (N=1797, d=64)",
        description="Compute the exact separation ε of the digits dataset for "
        "ℓ2 and ℓ∞, print the bound table at ρ values in each regime, and "
        "write the bounds plots; then, on a subset of the digits (the first "
        "--n-per-class images of each digit; --full for all 1797), for ρ in each "
        "regime and norm: construct a robust memorizer, certify every ball exactly, "
        "and tabulate and plot actual parameters against the bounds. The default "
        "runs in a few minutes on 2 cores; --full can take hours.",
    )
    dm.add_argument("--out-dir", default="robustmem-demo", help="where to write the plots")
    dm.add_argument("--json", action="store_true", help="machine-readable summary")
    dm.add_argument(
        "--n-per-class",
        type=int,
        help="images of each digit in the construct+certify subset (default 2: N = 20)",
    )
    dm.add_argument(
        "--full", action="store_true", help="construct and certify on all 1797 digits (slow)"
    )
    dm.add_argument("--jobs", type=int, default=2, help="certification processes (default 2)")
    dm.set_defaults(func=cmd_demo)

    from robustmem import cmd_interop, cmd_witness

    cmd_witness.register(sub)
    cmd_interop.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        print("robustmem: error: a COMMAND is required (see the list above)", file=sys.stderr)
        return EXIT_INPUT
    previous = _on_sigterm()
    import warnings

    # floats only guide the exact search (a float never decides a verdict): numpy's
    # floating-point warnings on the way (overflow at p = 1000, ...) are not the user's
    warnings.filterwarnings(
        "ignore",
        message=r"(overflow|underflow|divide by zero|invalid value) encountered",
        category=RuntimeWarning,
    )
    try:
        from certify.io import protect_inputs

        with protect_inputs(command_inputs(args)):
            return int(args.func(args))
    except _input_errors() as e:
        print(f"robustmem: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except (RecursionError, OverflowError, ValueError) as e:
        msg = _too_big(e)
        if msg is None:
            if os.environ.get("ROBUSTMEM_DEBUG"):
                raise
            _internal(e)
            return EXIT_INTERNAL
        print(f"robustmem: error: {msg}", file=sys.stderr)
        return EXIT_INPUT
    except Terminated:
        print("robustmem: terminated (SIGTERM); nothing written", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("robustmem: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # a bug: one line, the traceback only on request
        if os.environ.get("ROBUSTMEM_DEBUG"):
            raise
        _internal(e)
        return EXIT_INTERNAL
    finally:
        _restore_sigterm(previous)


#: Seconds the run gets to stop cleanly after SIGTERM (its ``finally`` blocks: workers
#: stopped, temporary files removed) before the process exits anyway: the Python handler
#: only runs between bytecodes, and a long call into C (a z3 query) would delay it.
TERM_GRACE = 5.0


def _on_sigterm():
    """SIGTERM raises :class:`Terminated` in the main thread (so the run's ``finally`` blocks
    stop its worker processes and remove temporary files), and a watchdog thread, woken by
    the signal itself (:func:`signal.set_wakeup_fd`), exits the process with 143 if the main
    thread has not finished :data:`TERM_GRACE` seconds later. Returns what to restore."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    r, w = os.pipe()
    os.set_blocking(w, False)
    try:
        old_fd = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except ValueError:  # pragma: no cover - not the main thread of the main interpreter
        os.close(r), os.close(w)
        return previous, None, None, None
    done = threading.Event()

    def watchdog() -> None:
        try:
            while True:
                data = os.read(r, 64)
                if not data or done.is_set():
                    return
                if signal.SIGTERM in data and not done.wait(TERM_GRACE):
                    os.write(2, b"robustmem: terminated (SIGTERM); no clean stop in time\n")
                    os._exit(EXIT_TERMINATED)
        except OSError:
            return
        finally:
            os.close(r)

    threading.Thread(target=watchdog, name="robustmem-sigterm", daemon=True).start()
    return previous, old_fd, (r, w), done


def _restore_sigterm(saved) -> None:
    import signal

    if saved is None:
        return
    previous, old_fd, fds, done = saved
    signal.signal(signal.SIGTERM, previous)
    if fds is not None:
        done.set()
        signal.set_wakeup_fd(old_fd)
        os.close(fds[1])  # the watchdog reads end of file, closes its end and returns


def command_inputs(args: argparse.Namespace) -> list[str]:
    """The files a parsed command reads (network, dataset, certificate, convert's input):
    no output of the command may be written over one of them (:func:`certify.io.write_output`
    refuses them; the commands also pass them explicitly)."""
    names = ["net", "data", "input"] + (["cert"] if args.command == "check" else [])
    return [v for v in (getattr(args, k, None) for k in names) if isinstance(v, str) and v]


def _internal(e: BaseException) -> None:
    print(
        f"robustmem: internal error ({type(e).__name__}: {e}); "
        "set ROBUSTMEM_DEBUG=1 for the traceback and please report it",
        file=sys.stderr,
    )


def _too_big(e: BaseException) -> str | None:
    """The input-size message for an error that only an oversized input causes, else None.

    Exact rationals have no size limit, but three things around them do: Python's JSON reader
    (nesting depth), the floats that guide the engines' exact search (|v| < 1.8e308), and
    Python's int-to-text conversion (4300 digits). Hitting one means the input is too big."""
    text = str(e)
    if isinstance(e, RecursionError) and "JSON" in text:
        return (
            "a JSON input is nested too deeply to read (maximum recursion depth exceeded); "
            "a robustmem-network/1 file nests only a few levels (layers, rows, numbers)"
        )
    if isinstance(e, OverflowError) and "float" in text:
        return (
            "a number in the input (or a power of one: ε^p, μ^p) is too large for the "
            "floating-point guidance of the exact search (it needs magnitudes below ~1.8e308); "
            f"rescale the network or data ({text})"
        )
    if (
        type(e) is ValueError
        and "integer string conversion" in text
        and "Exceeds the limit" in text
    ):
        return (
            "a number in the input has more than 4300 digits, too many for this output "
            "format; rescale the network or data"
        )
    return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
