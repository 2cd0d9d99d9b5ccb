"""A cap on the C allocator's arenas for the server (``kangdang serve``).

glibc's malloc gives a thread that allocates while others do an arena of its own — up to eight per core — and
keeps the memory freed in each for reuse there. The server answers requests from a pool of forty threads, so
under load its memory grew by tens of megabytes of arenas holding free space, with no gain in speed: the
benchmark's 50 users on a 20,000-resident county peaked at 418 MB with the default and at 372 MB with two
arenas, at the same throughput (36 requests/s). The cap is the one ``MALLOC_ARENA_MAX`` sets: for this
process through ``mallopt`` (glibc read the variable before any of our code ran), for the processes it starts
(the indicator refresher, uvicorn's workers) through the variable. Elsewhere than glibc nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter number for the arena cap (malloc.h)


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process and the ones it starts; False where the C library is not
    glibc (or refuses)."""
    if platform.libc_ver()[0] != "glibc":
        return False
    path = ctypes.util.find_library("c")
    if path is None:
        return False
    os.environ.setdefault("MALLOC_ARENA_MAX", str(arenas))  # an operator's own setting is kept
    try:
        chosen = int(os.environ["MALLOC_ARENA_MAX"])
    except ValueError:
        return False  # not a number: glibc ignores it, and so do we
    return bool(ctypes.CDLL(path).mallopt(_M_ARENA_MAX, chosen))
