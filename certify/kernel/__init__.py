"""The trusted kernel: the sole judge of every PROVED and REFUTED robustmem prints.

It reads the network file, the dataset CSV and the certificate bundle itself
(:mod:`~certify.kernel.parse`), recomputes every bound, affine piece and multiplier check in
exact rational arithmetic (:mod:`~certify.kernel.rules`), and walks the proofs with an
explicit stack (:mod:`~certify.kernel.judge`). It calls no solver, uses no float and imports
nothing from the rest of robustmem (stdlib json, hashlib and re, and python-flint's exact
fmpz/fmpq arithmetic). The engines call the primitives of rules.py for their own bounds, so
each rule has one definition. Trusted computing base: the five files of this package (about
1,190 lines, 850 of them code; rules.py and dyadic.py are also what the engines use), CPython
and python-flint.
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
)
from certify.kernel.parse import (  # noqa: F401
    dataset_sha256,
    load_json,
    number,
    parse_dataset,
    parse_network,
    text_of,
)
