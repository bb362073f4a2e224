"""Budgets shared by the engines: the per-ball memory limit and the process's memory now.

The limit is a process setting (an environment variable, so worker processes inherit it);
``robustmem certify --memory MIB`` sets it."""

from __future__ import annotations

import os

MEMORY_ENV = "ROBUSTMEM_MEMORY_MIB"  # the per-ball memory limit, inherited by worker processes
MEMORY_DEFAULT_MIB = 4096


def memory_limit_mib() -> int:
    """The memory a ball's search may hold (MiB of the process's resident memory):
    $ROBUSTMEM_MEMORY_MIB, set by ``certify --memory``, else 4096 MiB or half the machine's
    memory, whichever is less. Past it the search stops with UNKNOWN ("memory limit"); z3
    gets the same limit."""
    v = os.environ.get(MEMORY_ENV)
    if v and v.isdigit() and int(v) > 0:
        return int(v)
    try:
        half = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2 // 2**20
    except (ValueError, OSError, AttributeError):
        half = MEMORY_DEFAULT_MIB
    return max(256, min(MEMORY_DEFAULT_MIB, half))


def rss_mib() -> float:
    """This process's resident memory now (MiB; Linux /proc, else the peak from rusage)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
