"""The trusted kernel: the sole judge of every PROVED and REFUTED robustmem prints.

It reads the network file, the dataset CSV and the certificate bundle itself
(:mod:`~certify.kernel.parse`), recomputes every bound, affine piece and multiplier check in
exact rational arithmetic (:mod:`~certify.kernel.rules`), and walks the proofs with an
explicit stack (:mod:`~certify.kernel.judge`). It calls no solver, uses no float and imports
nothing from the rest of robustmem (stdlib json, hashlib and re, and python-flint's exact
fmpz/fmpq arithmetic). The engines call the primitives of rules.py for their own bounds, so
each rule has one definition. Trusted computing base: the six files of this package (about
2,000 lines, 1,450 of them code, blank lines, comments and docstrings aside; rules.py and
dyadic.py are also what the engines use), CPython and python-flint. VNN-LIB properties (a box
and an unsafe output set) are read and judged by :mod:`~certify.kernel.spec`.
"""

from certify.kernel.rules import *  # noqa: F401,F403,I001  (first: judge and parse win)
from certify.kernel.rules import M, Q, Rejected  # noqa: F401
from certify.kernel.judge import (  # noqa: F401
    FORMAT,
    MAX_P,
    STATUSES,
    Judge,
    Verdict,
    check_bundle_text,
    check_empty_side,
    check_leaf,
    check_nodes,
    check_pattern,
    check_proof,
    check_tree,
    min_cross_distance,
    preorder,
    walk,
)
from certify.kernel.parse import (  # noqa: F401
    dataset_sha256,
    load_json,
    number,
    parse_dataset,
    parse_network,
    text_of,
)
from certify.kernel.spec import (  # noqa: F401
    Box,
    Spec,
    SpecJudge,
    check_spec_bundle_text,
    check_spec_leaf,
    fails_at,
    parse_spec,
    spec_layers,
)
