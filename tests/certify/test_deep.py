"""Back-substituted ("deep", DeepPoly-style) unit bounds in the kernel (rules.Ball.deep) and
the certificate field "deep": sound (they enclose the pre-activations at points of the
region), never looser than the forward bounds, and a proof that needs them is accepted only
with them; the field is tamper-checked."""

from __future__ import annotations

import random
from fractions import Fraction as F

import pytest

from certify.dataset import Dataset
from certify.kernel import Judge, rules
from certify.run import Radius, certify, dataset_text

from .test_guide import SCALE, float_born, label_at


def kball(center, y, p, rp, bits, deep):
    return rules.Ball(tuple(rules.exact(v) for v in center), y, p, rules.exact(rp), bits, deep)


@pytest.mark.parametrize("seed", range(8))
def test_deep_bounds_are_sound_and_tighter(seed):
    rng = random.Random(300 + seed)
    d = rng.randint(2, 4)
    net = float_born(rng, d, [rng.randint(4, 8) for _ in range(rng.randint(2, 3))], 3)
    layers = rules.exact_layers(net)
    p = [None, 1, 2][seed % 3]
    mu = F(rng.randint(5, 60), 100)
    rp = mu if p in (None, 1) else mu**p
    c = tuple(F(rng.randint(-SCALE, SCALE), SCALE) for _ in range(d))
    bits = [None, 96][seed % 2]
    fixed = {}
    shallow = rules.bounds(layers, kball(c, 1, p, rp, bits, False), {})
    for k, (lo, up) in enumerate(zip(shallow[0][:-1], shallow[1][:-1])):
        for i, (l, u) in enumerate(zip(lo, up)):
            if l < 0 < u and rng.random() < 0.25:
                fixed[(k, i)] = rng.random() < 0.5
    for phases in ({}, fixed):
        sh = rules.bounds(layers, kball(c, 1, p, rp, bits, False), phases)
        dp = rules.bounds(layers, kball(c, 1, p, rp, bits, True), phases)
        if dp is None:
            continue  # deep bounds may find a contradiction the forward ones miss
        assert sh is not None  # ... never the reverse (they are tighter)
        if bits is None:  # exact: tighter unit by unit
            for a, b in zip(dp[0], sh[0]):
                assert all(x >= y for x, y in zip(a, b))
            for a, b in zip(dp[1], sh[1]):
                assert all(x <= y for x, y in zip(a, b))
        hits = 0
        for _ in range(200):
            t = [F(rng.randint(-99, 99), 100) for _ in range(d)]
            s = max(abs(v) for v in t) if p is None else sum(abs(v) ** p for v in t)
            if not s or s >= 1:
                continue
            x = [rules.exact(ci + ti * mu) for ci, ti in zip(c, t)]
            pre = rules.evaluate(layers, x, trace=True)
            if any((pre[k][i] >= 0) != ph for (k, i), ph in phases.items()):
                continue
            hits += 1
            for z, lo, up in zip(pre, *dp):
                assert all(a <= v <= b for v, a, b in zip(z, lo, up))
        assert hits or phases


def root_closes(goal, strict, x, y, mu, deep) -> bool:
    """The kernel's output leaf at the root holds (ℓ∞ ball of radius mu, 96 bits)."""
    b = kball(x, y, None, mu, 96, deep)
    bd = rules.bounds(goal, b, {})
    return bd is not None and all(
        rules.safe(u, strict) for u in rules.output_uppers(goal, b, {}, *bd, strict)
    )


def deep_only_case():
    """A float-born classifier and a ball whose proof at the root needs the deep bounds."""
    for seed in range(200):
        rng = random.Random(seed)
        net = float_born(rng, 2, [8, 8, 8], 3)
        layers = rules.exact_layers(net)
        x = tuple(F(rng.randint(-SCALE, SCALE), SCALE) for _ in range(2))
        y = label_at(net, x)
        if y is None:
            continue
        goal, strict = rules.goal_layers(layers, y)
        for mu in (F(1, 10), F(1, 5), F(3, 10)):
            if root_closes(goal, strict, x, y, mu, True) and not root_closes(
                goal, strict, x, y, mu, False
            ):
                return net, x, y, mu
    raise AssertionError("no ball that only the deep bounds prove")


def test_a_proof_that_needs_deep_bounds_is_accepted_only_with_them():
    net, x, y, mu = deep_only_case()
    other = tuple(v + 10 for v in x)  # a far point of another label, for the dataset
    ds = Dataset([x, other], [y, 1 if y != 1 else 2])
    judge = Judge(net.to_json_text(), dataset_text(ds), None, mu=mu)
    entry = {"index": 0, "verdict": "PROVED", "proof": [{"leaf": "output"}], "bits": 96}
    assert judge.check_entry({**entry, "deep": True})[1] == "PROVED"
    assert judge.check_entry(entry)[1] == "REJECTED"
    assert judge.check_entry({**entry, "deep": False})[1] == "REJECTED"
    for bad in ("true", 1, None, [True], {"on": True}):
        i, status, why = judge.check_entry({**entry, "deep": bad})
        assert status == "REJECTED" and "deep must be" in why


def test_certify_writes_deep_for_float_born_networks(tmp_path):
    net, x, y, mu = deep_only_case()
    other = tuple(v + 10 for v in x)
    ds = Dataset([x, other], [y, 1 if y != 1 else 2])
    rep = certify(net, ds, Radius(None, mu, None, mu=mu), engine="linear", timeout=20)
    assert rep.results[0].status == "PROVED"
    assert rep.results[0].certificate.get("deep") is True
