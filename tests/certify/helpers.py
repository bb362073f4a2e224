"""Small builders shared by the certify tests."""

from __future__ import annotations

from fractions import Fraction as F

from certify.ball import Ball
from certify.network import Network

NORMS = [None, 1, 2]


def net_from(layers, d: int) -> Network:
    """A network from [(weight rows, bias), ...] with exact numbers."""
    return Network.from_json(
        {
            "format": "robustmem-network/1",
            "input_dim": d,
            "layers": [
                {"weight": [[str(v) for v in r] for r in w], "bias": [str(v) for v in b]}
                for w, b in layers
            ],
        }
    )


def make_ball(center, label: int, p, mu) -> Ball:
    """The open ℓp ball of radius mu (p None for ∞)."""
    mu = F(mu)
    return Ball(tuple(F(c) for c in center), label, p, mu if p in (None, 1) else mu**p)


def bundle_check(net, ds, bundle, p, rho=None, mu=None):
    """The kernel's per-ball answers on a parsed bundle, as (index, accepted, message), for
    a Network and Dataset given as objects (their canonical text is what the kernel reads).
    Raises kernel.Rejected for a bundle that is not for them."""
    from certify import kernel
    from certify.run import dataset_text

    judge = kernel.Judge(net.to_json_text(), dataset_text(ds), p, rho=rho, mu=mu)
    v = judge.check_bundle(bundle)
    return [(i, st in ("PROVED", "REFUTED"), m) for i, st, m in v.balls]
