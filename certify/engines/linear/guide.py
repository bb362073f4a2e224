"""A float guide for the branch and bound: the kernel's bound rules in float64 (numpy), used
only to choose what to do at a node — never to decide.

For a node (a set of split phases) :class:`FloatGuide` computes, in floats, the same bounds
the kernel computes exactly (symbolic interval propagation with the kernel's relaxation of
each unit, the dual norm over the ball, back-substitution for the failure rows) and proposes:

  "output"   every failure row is safe with a clear margin: a leaf {"leaf": "output"};
  "empty"    a split contradicts the bounds with a clear margin: a leaf {"leaf": "empty"};
  (k, i)     the unit to split next (earliest layer with a clearly unstable unit);
  None       unsure (a bound within the margin of a decision, or a full pattern): the
             engine computes the exact bounds of the node and decides as without a guide.

Proposed leaves are claims like any other: the trusted kernel recomputes every leaf's bounds
exactly (or in outward-rounded dyadics) when it checks the tree, and a guided tree that it
rejects is searched again without the guide (certify.run). The margin (``TOL``, relative to
the size of the numbers) is many orders above float64's rounding over a few hundred units,
so a rejection is not expected in practice; completeness, never soundness, rests on it.

Only argmax properties of networks whose bounds are rounded (``prep.bits``) are guided: the
"equal" property (f ≡ y) needs exact equalities a float cannot see, and exact networks
(robustmem's constructions) prove by exact cancellations.
"""

from __future__ import annotations

import numpy as np

from certify.ball import Ball

BRANCH = "babsr"  # the guide's branching: "babsr" (earliest layer, by cost) or "first" (area)
TOL = 1e-7  # a decision needs a margin of TOL·(1 + the size of the bound's terms)


class FloatGuide:
    """The float bounds of one ball's nodes (margin network g = (f_y − f_j)_{j ≠ y}: the
    property holds where every g_j > 0)."""

    def __init__(self, prep, ball: Ball, deep: bool | None = None) -> None:
        self.W = [W for W, _ in prep.floats]
        self.b = [b for _, b in prep.floats]
        self.Wp = [np.maximum(W, 0) for W in self.W]
        self.Wn = [np.minimum(W, 0) for W in self.W]
        self.step = [np.array(L.step, dtype=bool) for L in prep.layers]
        self.c = np.array([float(v) for v in ball.center])
        self.p = ball.p
        # the kernel's back-substituted unit bounds (rules.Ball.deep): the prep's, or ``deep``
        self.deep = bool(getattr(prep, "deep", False)) if deep is None else deep
        rp = float(ball.radius_power)
        self.mu = rp if ball.p is None or ball.p == 1 else rp ** (1.0 / ball.p)

    def reach(self, A: np.ndarray) -> np.ndarray:
        """Per row a of A: sup a·(x − c) over the ball, μ·‖a‖ in the dual norm."""
        if self.p is None:
            return self.mu * np.abs(A).sum(axis=1)
        if self.p == 1:
            return self.mu * np.abs(A).max(axis=1)
        q = self.p / (self.p - 1)
        return self.mu * np.linalg.norm(A, ord=q, axis=1)

    def bounds(self, fixed: dict):
        """(lows, ups, sizes, relaxations) per layer, or "empty" when a split clearly
        contradicts them, or None when a split is within the margin of contradicting them."""
        d = len(self.c)
        AL = AU = np.eye(d)
        bL = bU = np.zeros(d)
        alo = aup = None
        lows, ups, sizes, rel = [], [], [], []
        n_layers = len(self.W)
        for k in range(n_layers):
            Wp, Wn, b = self.Wp[k], self.Wn[k], self.b[k]
            if k == 0:  # A = I, b = 0: the layer's own rows (no d×d product)
                zL = zU = self.W[0]
                zbL = zbU = b
            else:
                zL = Wp @ AL + Wn @ AU
                zU = Wp @ AU + Wn @ AL
                zbL = Wp @ bL + Wn @ bU + b
                zbU = Wp @ bU + Wn @ bL + b
            rl, ru = self.reach(zL), self.reach(zU)
            cl, cu = zL @ self.c, zU @ self.c
            lo, up = zbL + cl - rl, zbU + cu + ru
            size = 1 + np.abs(zbL) + np.abs(zbU) + np.abs(cl) + np.abs(cu) + rl + ru
            if alo is not None:
                lo = np.maximum(lo, Wp @ alo + Wn @ aup + b)
                up = np.minimum(up, Wp @ aup + Wn @ alo + b)
                if self.deep:  # back-substitution for the units still unstable (as the kernel)
                    idx = np.flatnonzero((lo < 0) & (up > 0))
                    if len(idx):
                        bl, sl_ = self._back(self.W[k][idx], b[idx], k, rel)
                        bu, su_ = self._back(-self.W[k][idx], -b[idx], k, rel)
                        lo, up = lo.copy(), up.copy()
                        lo[idx] = np.maximum(lo[idx], bl)
                        up[idx] = np.minimum(up[idx], -bu)
                        size = size.copy()
                        size[idx] = np.maximum(size[idx], np.maximum(sl_, su_))
            lows.append(lo)
            ups.append(up)
            sizes.append(size)
            if k == n_layers - 1:
                break
            ph = np.full(len(lo), -1)  # -1 free, 0 inactive, 1 active
            for (kk, i), v in fixed.items():
                if kk == k:
                    ph[i] = int(v)
            tol = TOL * size
            if np.any((ph == 1) & (up < -tol)) or np.any((ph == 0) & (lo > tol)):
                return "empty"
            if np.any((ph == 1) & (up < tol)) or np.any((ph == 0) & (lo > -tol)):
                return None
            step = self.step[k]
            on = (ph == 1) | ((ph == -1) & (lo >= 0))
            off = (ph == 0) | ((ph == -1) & ((up < 0) | (~step & (up <= 0))))
            un = ~on & ~off
            s = np.where(un, up / np.where(un, up - lo, 1.0), 0.0)
            sl = np.where(step, 0.0, np.where(on, 1.0, np.where(un & (up >= -lo), 1.0, 0.0)))
            su = np.where(step, 0.0, np.where(on, 1.0, s))
            top = np.where(off, 0.0, 1.0)
            off_ = np.where(step, top, np.where(un, -s * lo, 0.0))
            pl = np.where(step, np.where(on, 1.0, 0.0), np.where(on, np.maximum(lo, 0), 0.0))
            pu = np.where(step, top, np.where(on, np.maximum(up, 0), np.where(un, up, 0.0)))
            AL, AU = zL * sl[:, None], zU * su[:, None]
            bL = zbL * sl + np.where(step, pl, 0.0)
            bU = zbU * su + off_
            alo, aup = pl, pu
            rel.append((sl, su, off_, pl, pu, step))
        return lows, ups, sizes, rel

    def margins_low(self, lows, rel) -> tuple[np.ndarray, np.ndarray]:
        """Each margin's lower bound (forward, and back-substitution through the layers'
        relaxations: the larger), with the size of its terms."""
        self.lams = {}  # per layer: the margins' coefficients on its units (for branching)
        back, size = self._back(self.W[-1], self.b[-1], len(self.W) - 1, rel, self.lams)
        fwd = lows[-1]
        lo, size = np.maximum(fwd, back), np.maximum(size, 1 + np.abs(fwd))
        self.low = lo  # (for :meth:`vertex`)
        return lo, size

    def _back(self, rows, bias, k, rel, lams=None) -> tuple[np.ndarray, np.ndarray]:
        """Lower bounds of rows·a_{k−1} + bias (pre-activations of layer k) over the ball by
        back-substitution through the relaxations of layers k−1 … 0 (the kernel's
        search.back_substitute), with the size of their terms."""
        lam = np.array(rows, dtype=float)
        const = np.array(bias, dtype=float)
        size = np.abs(const) + 1
        for k in range(k - 1, -1, -1):  # noqa: B020 (k: the layer, counting down)
            if lams is not None:
                lams[k] = lam
            sl, su, off, pl, pu, step = rel[k]
            pos = lam > 0
            const = const + np.where(step, np.where(pos, lam * pl, lam * pu), 0.0).sum(axis=1)
            const = const + np.where(~step & ~pos, lam * off, 0.0).sum(axis=1)
            coef = np.where(step, 0.0, np.where(pos, lam * sl, lam * su))
            const = const + coef @ self.b[k]
            size = size + np.abs(coef) @ np.abs(self.b[k])
            lam = coef @ self.W[k]
        if lams is not None:
            lams[-1] = lam  # the coefficients on x
        cl, rl = lam @ self.c, self.reach(lam)
        return const + cl - rl, size + np.abs(const) + np.abs(cl) + rl

    def vertex(self) -> np.ndarray | None:
        """After :meth:`propose`: the point of the ball (ℓ∞, ℓ1) where the worst margin's
        back-substituted linear lower bound is least — a vertex, where a counterexample
        often is (BaB's check of the bound's minimiser); None for other p or no margins."""
        lam = getattr(self, "lams", {}).get(-1)
        if lam is None or not len(lam) or self.p not in (None, 1):
            return None
        a = lam[int(np.argmin(self.low))]
        if self.p is None:
            return self.c - self.mu * np.sign(a)
        j = int(np.argmax(np.abs(a)))
        x = self.c.copy()
        x[j] -= self.mu * np.sign(a[j])
        return x

    def fails_at(self, x: np.ndarray) -> bool:
        """Some margin is ≤ 0 at x, in floats (a filter before an exact check)."""
        v = x
        for k, (W, b) in enumerate(zip(self.W, self.b)):
            v = W @ v + b
            if k < len(self.W) - 1:
                v = np.where(self.step[k], (v >= 0).astype(float), np.maximum(v, 0.0))
        return bool(np.min(v) <= 1e-9 * (1 + np.max(np.abs(v))))

    def propose(self, fixed: dict):
        """ "output", "empty", a unit (k, i) to split, or None (see the module docstring)."""
        b = self.bounds(fixed)
        if b is None or b == "empty":
            return b
        lows, ups, sizes, rel = b
        lo, size = self.margins_low(lows, rel)
        if np.all(lo > TOL * size):
            return "output"
        if BRANCH == "babsr":
            return self._babsr(fixed, lows, ups, sizes, lo, size)
        for k in range(len(self.W) - 1):
            tol = TOL * sizes[k]
            free = np.ones(len(lows[k]), dtype=bool)
            for kk, i in fixed:
                if kk == k:
                    free[i] = False
            l, u = lows[k], ups[k]
            near = free & (((l > -tol) & (l < tol)) | ((u > -tol) & (u < tol)))
            un = free & (l < -tol) & (u > tol)
            if np.any(near):
                return None
            if np.any(un):
                score = np.where(un, u * (-l) / np.where(un, u - l, 1.0), -np.inf)
                return (k, int(np.argmax(score)))
        return None

    def _babsr(self, fixed, lows, ups, sizes, lo, size):
        """In the earliest layer with an unstable unit (a split there tightens every later
        bound of the forward propagation; deeper splits measured far worse), the unit whose
        relaxation costs the open margins most (BaBSR-like): Σ over the margins not yet
        proved of |λ_ji|·u·(−l)/(u − l), λ_j being margin j's back-substituted coefficient
        on the unit. None when a bound is within the margin of a phase (or none is
        unstable)."""
        open_ = lo <= TOL * size
        for k in range(len(self.W) - 1):
            tol = TOL * sizes[k]
            l, u = lows[k], ups[k]
            free = np.ones(len(l), dtype=bool)
            for kk, i in fixed:
                if kk == k:
                    free[i] = False
            near = free & (((l > -tol) & (l < tol)) | ((u > -tol) & (u < tol)))
            un = free & (l < -tol) & (u > tol)
            if np.any(near):
                return None
            if not np.any(un):
                continue
            gap = np.where(un, u * (-l) / np.where(un, u - l, 1.0), 0.0)
            w = np.abs(self.lams[k][open_]).sum(axis=0) if np.any(open_) else np.ones(len(l))
            score = np.where(un, w * gap + 1e-12 * gap, -1.0)
            return (k, int(np.argmax(score)))  # the earliest layer: splits there tighten all
        return None
