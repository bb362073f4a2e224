"""The dependency graph of results (networkx): which theorem rests on which lemma or prior
result. ``robustmem bounds --explain`` walks it from the records an answer used."""

from __future__ import annotations

import networkx as nx

from .records import RECORDS, Bound

#: Results that are not bound records themselves: lemmas, constructions, prior theorems.
FOUNDATIONS: dict[str, str] = {
    "KMY Lemma A.1": "squared projections of basis vectors onto a subspace Z sum to dim Z, so "
    "some e_j lies within √(m/t) of Z",
    "hard dataset D*": "e_1..e_{N−1} (label 2) and the origin (label 1), ε = 1/2 for every p "
    "(THEORY §2)",
    "VC shattering set": "⌊N/2⌋ clusters of ⌊1/(1−ρ^p)⌋ sphere points forced by any robust "
    "memorizer (THEORY §2, reconstruction)",
    "GJ95": "Goldberg & Jerrum: VC dimension of ReLU nets with P parameters is O(P²)",
    "γ-transfer": "B_p(x, ρ ε_p) ⊆ B_2(x, γ_p(d) ρ ε_2): ℓp results from ℓ2 ones at γρ (THEORY §1)",
    "KMY Lemma B.18": "separation-preserving random projection (strengthened JL, α = 1/6)",
    "KMY Lemma B.15": "translation off the integer lattice: every ball inside one unit cell",
    "KMY Lemma B.16": "ReLU Floor gadget, exact off thin bands (width 5, n layers)",
    "KMY Lemma B.10": "integer memorization with Õ(√N) parameters, following VYS21 Thm 3.1",
    "KMY Lemma B.13": "grouping at scale α with ⌈N^α⌉ = ⌊1/(5ρ√d)⌋ and a running max",
    "KMY Prop B.21": "exact projection onto the data span when d ≥ N",
    "KMY Prop B.19": "separation-preserving projection R^n → R^m, m ≥ 24 α⁻² log N",
    "VYS21": "Vardi, Yehudai, Shamir: classical memorization with Θ̃(√N) parameters",
    "YGZ24": "Yu, Gao, Zhang: robust memorization with Õ(N d²) parameters",
    "EYS25": "Egosi, Yehudai, Shamir: width log N suffices for ρ < 1/√d; KMY D.3 counts its "
    "parameters",
}
_EXTRA_EDGES = [("KMY Lemma B.10", "VYS21")]


def build_graph(records: tuple[Bound, ...] = RECORDS) -> nx.DiGraph:
    """Nodes are record keys and foundation names; an edge u → v means "u rests on v"."""
    g = nx.DiGraph()
    for name, text in FOUNDATIONS.items():
        g.add_node(name, kind="foundation", text=text, source=name)
    for b in records:
        g.add_node(b.key, kind="record", text=b.statement, source=b.source)
    for b in records:
        for dep in b.rests_on:
            if dep not in g:
                raise KeyError(f"record {b.key} rests on unknown result {dep!r}")
            g.add_edge(b.key, dep)
    g.add_edges_from(_EXTRA_EDGES)
    if not nx.is_directed_acyclic_graph(g):
        raise ValueError("the dependency graph of results has a cycle")
    return g


GRAPH = build_graph()


def explain(keys: list[str], graph: nx.DiGraph = GRAPH) -> list[tuple[str, str, str]]:
    """Everything ``keys`` rest on, foundations first: (name, source, statement) triples."""
    needed: set[str] = set()
    for k in keys:
        needed.add(k)
        needed |= nx.descendants(graph, k)
    sub = graph.subgraph(needed)
    order = list(reversed(list(nx.topological_sort(sub))))
    return [(n, graph.nodes[n]["source"], graph.nodes[n]["text"]) for n in order]
