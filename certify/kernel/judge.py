"""The judge: proof trees, leaves and bundles (see certify.kernel)."""

from __future__ import annotations

import hashlib

from certify.kernel.rules import (
    FORMAT,
    Ball,
    Q,
    Rejected,
    affine_forms,
    bounds,
    dot,
    exact,
    exact_layers,
    fails,
    goal_layers,
    num,
    output_upper,
    root_up,
    safe,
)


def check_pattern(layers, ball, fixed, pattern, lows, ups):
    if [len(r) for r in pattern] != [len(L.W) for L in layers[:-1]]:
        raise Rejected("pattern has the wrong shape")
    for k, row in enumerate(pattern):
        for i, on in enumerate(row):
            ph = fixed.get((k, i))
            if (ph is not None and ph != bool(on)) or (
                ph is None
                and not (
                    lows[k][i] >= 0
                    if on
                    else ups[k][i] < 0 or not layers[k].step[i] and ups[k][i] <= 0
                )
            ):
                raise Rejected(f"phase of neuron {(k, i)} does not follow on the leaf's region")


def check_empty_side(cert, forms, fixed, ball: Ball, g, strict: bool = True):
    """No x in the region has g(x) > 0 (g(x) ≥ 0 if not ``strict``); g = (coefficients,
    constant), a failure row."""
    d = len(ball.c)
    rows = []  # (coefficients, constant, strict, λ): constraint coefficients·x + constant ≥/> 0
    if not isinstance(cert, dict):
        raise Rejected(f"not an emptiness certificate: {cert!r}")
    kind = next(iter(cert), None)
    body = cert.get(kind) or {}
    for k, i, lam in body.get("splits", []):
        if (k, i) not in fixed:
            raise Rejected(f"multiplier on neuron {(k, i)}, which is not split on this path")
        s = 1 if fixed[(k, i)] else -1
        P, p = forms[k]
        rows.append(([s * v for v in P[i]], s * p[i], False, num(lam)))
    rows.append((g[0], g[1], strict, num(body.get("out", 0))))
    if any(r[3] < 0 for r in rows):
        raise Rejected("negative multiplier")
    if kind == "motzkin":
        # facets of a polytope containing the ball: the box |x_j − c_j| < r (r = μ for ∞,
        # r ≥ μ rounded up for p ≥ 2), or for p = 1 the cross-polytope facets
        box = ball.rp if ball.p is None else root_up(ball.rp, ball.p) if ball.p > 1 else None
        for s, lam in body.get("ball", []):
            if box is not None and len(s) == 2 and s[1] in (1, -1):  # r − ±(x_j − c_j) > 0
                j, sg = s
                a = [Q(0)] * d
                a[j] = Q(-sg)
                r = box
            elif ball.p == 1 and len(s) == d and all(v in (1, -1) for v in s):
                a, r = [Q(-v) for v in s], ball.rp  # μ − Σ s_j (x_j − c_j) > 0
            else:
                raise Rejected(f"bad ball facet {s!r}")
            rows.append((a, r - dot(a, ball.c), True, num(lam)))
        if any(r[3] < 0 for r in rows):
            raise Rejected("negative multiplier")
        grad = [sum((r[3] * r[0][j] for r in rows), Q(0)) for j in range(d)]
        const = sum((r[3] * r[1] for r in rows), Q(0))
        strict = any(r[2] and r[3] > 0 for r in rows)
        if any(grad) or const > 0 or (const == 0 and not strict):
            raise Rejected("Motzkin multipliers do not certify emptiness")
    elif kind == "l2" and ball.p == 2:  # polyhedron A x ≤ b with A = −coefficients, b = constant
        ATl = [sum((-r[3] * r[0][j] for r in rows), Q(0)) for j in range(d)]
        gap = sum((r[3] * (-dot(r[0], ball.c) - r[1]) for r in rows), Q(0))
        if 2 * gap - dot(ATl, ATl) < ball.rp:
            raise Rejected("ℓ2 multipliers do not keep the polyhedron outside the ball")
    elif kind == "slemma" and ball.p == 2:  # φ = Σλ g + ν(μ² − ‖x − c‖²) ≤ 0 everywhere
        nu = num(body.get("nu", 0))
        v = [sum((r[3] * r[0][j] for r in rows), Q(0)) for j in range(d)]
        kappa = sum((r[3] * r[1] for r in rows), Q(0)) + nu * ball.rp
        if nu <= 0 or 4 * nu * (dot(v, ball.c) + kappa) + dot(v, v) > 0:
            raise Rejected("S-lemma multipliers do not certify emptiness")
    else:
        raise Rejected(f"unknown emptiness certificate {kind!r}")


def check_tree(layers, ball: Ball, node, fixed: dict) -> int:
    """Checks a proof tree; returns its number of leaves. The leaves are checked against the
    failure rows of :func:`goal_layers`."""
    if "split" in node:
        k, i = node["split"]
        if not (0 <= k < len(layers) - 1 and 0 <= i < len(layers[k].W)) or (k, i) in fixed:
            raise Rejected(f"bad split {node['split']}")
        return check_tree(layers, ball, node["active"], {**fixed, (k, i): True}) + check_tree(
            layers, ball, node["inactive"], {**fixed, (k, i): False}
        )
    leaf = node.get("leaf")
    layers, strict = goal_layers(layers, ball.y)
    b = bounds(layers, ball, fixed)
    if leaf == "empty" and b is None:
        return 1
    if b is None:
        raise Rejected(f"splits {sorted(fixed)} contradict the bounds, but the leaf says {leaf}")
    lows, ups = b
    n = len(layers[-1].W)

    def bounded(j: int) -> bool:
        return safe(output_upper(layers, ball, fixed, lows, ups, j), strict)

    if leaf == "output":
        if not all(bounded(j) for j in range(n)):
            raise Rejected(f"output bounds do not pin the label {ball.y}")
        return 1
    if leaf in ("affine", "linear"):
        check_pattern(layers, ball, fixed, node["pattern"], lows, ups)
        forms = affine_forms(layers, node["pattern"])
        A, beta = forms[-1]
        if leaf == "affine":
            if any(any(a) or not safe(v, strict) for a, v in zip(A, beta)):
                raise Rejected("the affine piece does not keep the label")
            return 1
        # one certificate per failure row: "above"/"below" (equal), "margins" (argmax), where
        # "bound" says the recomputed bounds already exclude that row
        sides = [node["above"], node["below"]] if strict else node["margins"]
        if len(sides) != n:
            raise Rejected(f"{len(sides)} side certificates for {n} failure rows")
        for j, cert in enumerate(sides):
            if cert == "bound" and not strict:
                if not bounded(j):
                    raise Rejected(f"margin {j}: the bounds do not exclude it")
            else:
                check_empty_side(cert, forms, fixed, ball, (A[j], beta[j]), strict)
        return 1
    raise Rejected(f"unknown or unjustified leaf {leaf!r}")


def dataset_sha256(X, y) -> str:
    h = hashlib.sha256()
    for x, label in zip(X, y):
        h.update(
            (
                ",".join(
                    str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
                    for v in x
                )
                + f";{label}\n"
            ).encode()
        )
    return h.hexdigest()


def check_bundle(net, ds, cert: dict, p, rho=None, mu=None) -> list[tuple[int, bool, str]]:
    """Per-ball (index, accepted, message). ``p``: integer or None (∞); exactly one of
    ``rho``/``mu`` (Fractions) — the radius the user asks about, not the certificate's."""
    if cert.get("format") != FORMAT:
        raise Rejected(f"not a {FORMAT} certificate")
    if cert.get("network_sha256") != net.content_hash():
        raise Rejected("the certificate is for another network")
    if cert.get("dataset_sha256") != dataset_sha256(ds.X, ds.y):
        raise Rejected("the certificate is for another dataset")
    if cert.get("p") != ("inf" if p is None else p):
        raise Rejected(f"the certificate is for p = {cert.get('p')}")
    prop = "equal" if len(net.layers[-1].weight) == 1 else "argmax"
    if cert.get("property", "equal") != prop:
        raise Rejected(f"the certificate is for property {cert.get('property')!r}, not {prop!r}")
    X, Y = ds.X, ds.y
    if mu is not None:
        rp = mu if p is None else mu**p
    else:  # ε claimed via a witness pair: ε_claimed ≥ ε_true, so proving more is sound
        i, j = cert["witness"]
        if Y[i] == Y[j]:
            raise Rejected("the witness pair has one label")
        t = [abs(a - b) for a, b in zip(X[i], X[j])]
        eps_p = max(t) / 2 if p is None else sum(v**p for v in t) / 2**p
        rp = rho * eps_p if p is None else rho**p * eps_p
    layers = exact_layers(net)
    out = []
    for entry in cert["balls"]:
        i = entry["index"]
        ball = Ball(tuple(exact(v) for v in X[i]), Y[i], p, exact(rp))
        try:
            if entry["verdict"] == "REFUTED":
                x = [num(v) for v in entry["counterexample"]]
                if not ball.contains(x) or not fails(layers, ball.y, x):
                    raise Rejected("the counterexample is not one")
                out.append((i, True, "counterexample checked"))
            elif entry["verdict"] == "PROVED":
                n = check_tree(layers, ball, entry["tree"], {})
                out.append((i, True, f"proof checked ({n} leaves)"))
            else:
                raise Rejected(f"verdict {entry['verdict']!r} has no certificate")
        except (Rejected, KeyError, TypeError, ValueError, IndexError, ZeroDivisionError) as e:
            out.append((i, False, f"rejected: {e}"))
    return out


def check_proof(net, center, label: int, p, radius_power, tree) -> int:
    """Check one ball's proof tree (p: integer or None for ∞; radius_power μ^p or μ)."""
    ball = Ball(tuple(exact(v) for v in center), label, p, exact(radius_power))
    return check_tree(exact_layers(net), ball, tree, {})
