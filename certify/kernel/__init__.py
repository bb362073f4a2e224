"""The trusted kernel (see rules.py and judge.py)."""

from certify.kernel.judge import *  # noqa: F403
from certify.kernel.rules import *  # noqa: F403
from certify.kernel.rules import FORMAT, M, Q, Rejected  # noqa: F401
