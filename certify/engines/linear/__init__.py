"""The linear engine: exact bound propagation, affine pieces, branch and bound.

For one open ball B = {x : ‖x − c‖_p < μ} and label y it decides whether f ≡ y on B:

1. *Attack* (cheap): f at the centre; float samples in the ball and points along the local
   gradient, each re-checked exactly. A float only proposes a point; exact evaluation decides.
2. *Symbolic bound propagation* (exact rationals, python-flint): the trusted kernel's own
   rules (certify.kernel.rules: bounds, phase, relaxation, back_rows, affine_forms,
   Ball.reach), so the engine and the checker share one definition of each rule. Every
   neuron gets linear lower and upper functions of x, concretised over the ball with the
   dual norm (ℓ2 through a rational upper bound of the square root, so bounds stay sound).
   The first layer is exact. Neurons whose bounds do not straddle 0 are stable.
3. *Branch and bound* on unstable neurons, earliest layer first, so that once every neuron is
   stable or split, f is one exact affine map a·x + β on the node's region (the ball ∩ the
   split half-spaces). Leaves:
   - output leaf: the propagated output bounds are both y;
   - affine leaf: a = 0 and β = y;
   - empty leaf: a split contradicts the propagated bounds;
   - otherwise an exact solver (z3: LRA for ℓ1/ℓ∞, NRA for ℓ2 and integer p) decides whether
     the region contains a point with a·x + β ≠ y — a model is turned into an exact
     counterexample (re-evaluated on the real network), unsat closes the leaf.
Budget exhausted (time, memory or nodes) gives UNKNOWN, also inside one bound computation
(the kernel's rules call the engine's tick between layers and batches of rows).

Step units (H(t) = 1 if t ≥ 0 else 0; a layer may mix them with ReLU units, so every
decision below is taken unit by unit) are piecewise constant: a unit with lower bound ≥ 0
is 1, with upper bound < 0 is 0, otherwise unstable with output in [0, 1] (constant symbolic
bounds 0 / 1). Splits work as for ReLU: active t ≥ 0 (output 1), inactive t ≤ 0 (output 0;
the closed side only adds the boundary, a sound over-approximation for proofs — refutations
are always re-evaluated exactly). With every unit fixed a step unit contributes a constant.

Classifiers (C ≥ 2 outputs, output index y − 1 is class y) are decided on the margin network
g = (f_y − f_j)_{j ≠ y} (:func:`check_argmax`): the property is g > 0 componentwise, ties
failing; the same steps run with "every margin's lower bound > 0" as the closing test and,
at full patterns, one exact solver check and emptiness certificate per margin.

ℓ∞ balls of at most 16 inputs are searched by input cuts first (box_ball.py: the VNN-LIB
region search of spec.py on the ball's closed box, with neuron splits and LP leaves where few
units are unstable); before that search, on float-born networks, one LP leaf on the whole
ball (lp.py: the LP relaxation with the kernel's bounds, HiGHS's duals as exact multipliers);
a ball tangent to its property (a failure on the box's boundary only) comes back to the
neuron-split search below, whose leaves keep the open ball's strict facets.

Layout: prepare.py (per-network data: the kernel's layers, float copies), search.py (branch
and bound), equal.py / argmax.py (the two properties: closing test and leaf decision),
leaves.py (affine pieces, emptiness certificates, z3 over a leaf's region), lp.py (LP
relaxation leaves), attack.py (counterexample search). The z3 ball encoding is shared with
the z3 engine (certify/engines/z3_ball.py).
"""

from __future__ import annotations

import time

from certify.ball import Ball, BallResult
from certify.engines.linear.argmax import check_argmax
from certify.engines.linear.attack import attack, attack_margins
from certify.engines.linear.box_ball import check_ball_cuts, wants_cuts
from certify.engines.linear.equal import check_equal
from certify.engines.linear.leaves import affine_piece, piece
from certify.engines.linear.prepare import (
    OutOfBudget,
    _Prepared,
    kernel_ball,
    margin_prep,
    prepare,
)
from certify.engines.linear.search import ENGINE
from certify.kernel.rules import WIDE
from certify.network import Network

__all__ = [
    "ENGINE",
    "WIDE",
    "affine_piece",
    "attack",
    "attack_margins",
    "check_argmax",
    "check_ball",
    "check_equal",
    "kernel_ball",
    "margin_prep",
    "piece",
    "prepare",
]


def check_ball(
    net: Network,
    ball: Ball,
    *,
    timeout: float | None = None,
    max_nodes: int = 20000,
    prep: _Prepared | None = None,
    seed: int = 0,
    guided: bool = True,
) -> BallResult:
    """Decide f ≡ label on the open ball (argmax f = label for a classifier, see
    :func:`check_argmax`): PROVED, REFUTED (exact counterexample) or UNKNOWN. ``guided``:
    let the float guide propose nodes (argmax with rounded bounds; see guide.py)."""
    t0 = time.monotonic()
    prep = prep or prepare(net)
    try:
        res = None
        if wants_cuts(net, ball):
            res = check_ball_cuts(net, ball, prep, timeout, max_nodes, seed, t0, guided)
        if res is not None:
            pass
        elif net.output_dim > 1:
            res = check_argmax(net, ball, prep, timeout, max_nodes, seed, t0, guided)
        else:
            res = check_equal(net, ball, prep, timeout, max_nodes, seed, t0)
    except OutOfBudget as e:  # inside a bound computation (the kernel's rules call the tick)
        return BallResult(
            ball.index, "UNKNOWN", ENGINE, reason=str(e), seconds=time.monotonic() - t0
        )
    if res.certificate is not None and prep.bits is not None:
        res.certificate["bits"] = prep.bits  # the kernel rounds its bounds the same way
    if res.certificate is not None and prep.deep:  # and back-substitutes unstable units
        res.certificate.setdefault("deep", True)
    return res
