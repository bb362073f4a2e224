"""Interop subcommands: ``convert`` (robustmem JSON ↔ ONNX) and ``export-vnnlib``.

Registered into the ``robustmem`` parser by :func:`register` (called from robustmem.cli).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

CONVERT_HELP = """\
Convert a network between robustmem-network/1 JSON and ONNX; the format of each file is
chosen by its extension (.json or .onnx).

ONNX import reads feed-forward ReLU models (Gemm, MatMul, Add, Sub, Mul, Div, Neg, Relu,
Flatten, Reshape, Identity, Constant) and turns float32/float64 weights into their EXACT
binary rational values; consecutive affine operators are merged exactly. ONNX export writes
float64 Gemm+Relu layers: a weight that is not a float64 (e.g. 1/3) is rounded, and the
export says so (and --require-exact makes that an error). Every command that reads a
network (certify, check, ...) also accepts .onnx files directly.

examples:
  robustmem convert model.onnx net.json          (PyTorch export -> exact JSON)
  robustmem convert net.json net.onnx            (run it in onnxruntime or a verifier)
  robustmem convert net.json net.onnx --require-exact --json
"""

EXPORT_VNNLIB_HELP = """\
Write VNN-LIB robustness properties for other neural-network verifiers: one file per ℓ∞
ball B(x_i, μ) of the dataset, the network as ONNX (float64), instances.csv (VNN-COMP
format: onnx,vnnlib,timeout) and manifest.json (labels, radius, exactness).

Each property asserts the input box c_i - μ <= X_i <= c_i + μ and the UNSAFE output set:
  --delta D > 0 (default 1/2):  Y_0 <= y - D  or  Y_0 >= y + D
  --delta 0:                    Y_0 < y  or  Y_0 > y   (exactly Y_0 != y; strict comparisons
                                are not read by every tool, e.g. Marabou)
A verifier's "sat" means a counterexample exists; "unsat" that the ball is safe.
robustmem's balls are open (|x - x_i| < μ), VNN-LIB boxes are closed: for --delta 0 the two
questions agree (the network is continuous); with D > 0, sat implies robustmem REFUTED and
unsat only says |f - y| < D on the box. Numbers with no finite decimal are rounded outward
and the instance is marked inexact in manifest.json.

Classifiers (C >= 2 outputs, output y - 1 is class y): Y_0 .. Y_(C-1) and the unsafe set
  (or (and (>= Y_j Y_(y-1))) ...)  over j != y - 1   (a tie is unsafe, as in certify)
--delta does not apply. unsat implies robustmem PROVED; a sat point where another class wins
strictly implies REFUTED; a tie on the closed box's boundary decides nothing.

examples:
  robustmem export-vnnlib net.json data.csv --rho 1/2 -o vnnlib/
  robustmem export-vnnlib net.onnx data.csv --mu 0.05 --balls 0,3,5 --delta 0 -o out/
  robustmem export-vnnlib net.json data.csv --rho 0.3 --timeout 300 --json -o out/
"""


def cmd_convert(args: argparse.Namespace) -> int:
    from certify.io import atomic_write_bytes, load_network, save_network
    from certify.onnx_io import network_to_onnx
    from robustmem.exits import EXIT_OK, UsageError

    src, dst = Path(args.input), Path(args.output)
    kinds = {".json": "json", ".onnx": "onnx"}
    for p in (src, dst):
        if p.suffix.lower() not in kinds:
            raise UsageError(
                f"{p}: unknown network file type {p.suffix or '(no suffix)'!r}; "
                "use .json (robustmem-network/1) or .onnx"
            )
    net = load_network(src)
    out_kind = kinds[dst.suffix.lower()]
    info: dict[str, object] = {
        "input": str(src),
        "output": str(dst),
        "input_dim": net.input_dim,
        "widths": net.widths,
        "params": net.num_params(),
        "network_sha256": net.content_hash(),
    }
    if out_kind == "onnx":
        model, rep = network_to_onnx(net)
        if args.require_exact and not rep.exact:
            raise UsageError(
                f"{rep.inexact_params} of {rep.params} parameters are not float64 numbers, so "
                f"the ONNX export of {src} would be inexact; drop --require-exact to round them"
            )
        atomic_write_bytes(dst, model.SerializeToString(deterministic=True))
        info.update(exact=rep.exact, inexact_params=rep.inexact_params)
    else:
        save_network(net, dst)
        info.update(exact=True, inexact_params=0)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(
            f"robustmem convert: wrote {dst} (input_dim {net.input_dim}, "
            f"{widths_text(net.widths)}, {net.num_params()} parameters)"
        )
        if not info["exact"]:
            print(
                f"  warning: {info['inexact_params']} parameters are not float64 numbers and "
                "were rounded to nearest; the ONNX file is an approximation of the network",
                file=sys.stderr,
            )
    return EXIT_OK


def _parse_balls(text: str | None) -> list[int] | None:
    from robustmem.exits import UsageError

    if text is None:
        return None
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit():
            raise UsageError(
                f"--balls {text}: {part!r} is not a ball index; give comma-separated "
                "integers such as 0,3,5"
            )
        out.append(int(part))
    return out


def cmd_export_vnnlib(args: argparse.Namespace) -> int:
    from certify.dataset import Dataset
    from certify.io import load_network
    from certify.run import make_radius
    from certify.vnnlib import export_vnnlib
    from robustmem.exits import EXIT_OK, UsageError

    if (args.rho is None) == (args.mu is None):
        raise UsageError("give exactly one of --rho R or --mu M")
    if args.p.strip().lower() not in ("inf", "∞"):
        raise UsageError(
            f"--p {args.p}: VNN-LIB properties are boxes, so only ℓ∞ balls can be exported "
            "(use --p inf)"
        )
    if args.timeout <= 0:
        raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout}")
    balls = _parse_balls(args.balls)
    net = load_network(args.net)
    ds = Dataset.load(args.data)
    radius = make_radius(ds, "inf", rho=args.rho, mu=args.mu)
    rep = export_vnnlib(
        net,
        ds,
        radius.radius_power,
        args.output,
        balls=balls,
        delta=args.delta,
        timeout=args.timeout,
    )
    if args.json:
        obj = rep.to_json()
        obj["outdir"] = rep.outdir
        obj.update({k: v for k, v in radius.describe().items() if k in ("rho", "epsilon")})
        print(json.dumps(obj, indent=2))
    else:
        print(
            f"robustmem export-vnnlib: wrote {len(rep.instances)} properties, {rep.onnx}, "
            f"instances.csv and manifest.json to {rep.outdir}"
        )
        unsafe = rep.to_json()["unsafe_set"]
        from certify.numbers import display_number

        print(f"  mu = {display_number(radius.radius_power)} (l_inf), unsafe set: {unsafe}")
        if not rep.onnx_exact:
            print(
                f"  warning: {rep.inexact_params} network parameters are not float64 numbers; "
                "the ONNX file rounds them",
                file=sys.stderr,
            )
        inexact = [i["index"] for i in rep.instances if not i["exact"]]
        if inexact:
            print(
                f"  warning: {len(inexact)} properties have numbers with no finite decimal, "
                "rounded outward (see manifest.json)",
                file=sys.stderr,
            )
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``convert`` and ``export-vnnlib`` to the ``robustmem`` parser."""
    cv = sub.add_parser(
        "convert",
        help="convert a network between robustmem JSON and ONNX",
        description=CONVERT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cv.add_argument("input", help="network to read (.json or .onnx)")
    cv.add_argument("output", help="network to write (.json or .onnx)")
    cv.add_argument(
        "--require-exact",
        action="store_true",
        help="fail (exit 3) instead of rounding weights that are not float64 numbers",
    )
    cv.add_argument("--json", action="store_true", help="a JSON summary on stdout")
    cv.set_defaults(func=cmd_convert)

    ev = sub.add_parser(
        "export-vnnlib",
        help="write VNN-LIB properties (ℓ∞ balls) + ONNX for other verifiers",
        description=EXPORT_VNNLIB_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ev.add_argument("net", help="network (.json or .onnx)")
    ev.add_argument("data", help="dataset (.csv or .npz)")
    ev.add_argument("--rho", help="relative radius in (0,1): μ = ρ·ε_{D,∞}")
    ev.add_argument("--mu", help="absolute ℓ∞ radius μ > 0")
    ev.add_argument("--p", default="inf", help="norm: only inf (boxes) is supported")
    ev.add_argument("--balls", help="comma-separated ball (dataset) indices, default all")
    ev.add_argument(
        "--delta",
        default="1/2",
        help="output tolerance δ ≥ 0 of the unsafe set |Y_0 - y| ≥ δ (default 1/2); "
        "0 writes the exact Y_0 != y with strict comparisons",
    )
    ev.add_argument(
        "--timeout", type=int, default=60, help="per-instance timeout in instances.csv (s)"
    )
    ev.add_argument("-o", "--output", required=True, help="output directory (created)")
    ev.add_argument("--json", action="store_true", help="the manifest as JSON on stdout")
    ev.set_defaults(func=cmd_export_vnnlib)


def widths_text(widths: list[int], limit: int = 8) -> str:
    """ "widths [a, b, c]" when short; else depth, the range of the hidden widths and the
    ends ("201 layers, hidden widths 3..13, widths [4, 13, 11, ..., 13, 1]"); --json lists
    them all."""
    if len(widths) <= limit:
        return f"widths {list(widths)}"
    hidden = widths[1:-1]
    ends = ", ".join(map(str, widths[:3])) + ", ..., " + ", ".join(map(str, widths[-2:]))
    return (
        f"{len(widths) - 1} layers, hidden widths {min(hidden)}..{max(hidden)}, widths "
        f"[{ends}] (--json lists all)"
    )
