"""Globally unique, time-ordered ids for rows that may travel between deployments (house rule 10).

UUID version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits (besides the version and
variant). Ids made in the same millisecond by one process keep their order: the next one adds a random step to
the last one's random bits (the RFC's "monotonic random" method), so a burst of ids stays at the clock's time.
A clock set back by more than ten seconds (a corrected clock, a test's frozen one) is followed rather than
outrun: ids then stay unique by their random bits, not ordered across the jump.
The random bits come from a generator seeded from the operating system's entropy (again in a forked child):
ids must not collide, they are not secrets — access is checked on every read, never by an id being hard to
guess. Made here rather than with the ``uuid6`` package, at a third of its cost: a synthetic county makes tens of
millions of ids, and every saved form a few.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid

_RANDOM_BITS = 74  # 12 bits of rand_a, 62 of rand_b
_RANDOM_MASK = (1 << _RANDOM_BITS) - 1
_MAX_STEP_BITS = 32  # a step within one millisecond: 1 to 2**32, so about 2**42 ids fit in it
_CLOCK_SET_BACK_MS = 10_000  # a clock set back further than this is followed (order is kept across smaller steps)
_VERSION = 0x7 << 76
_VARIANT = 0b10 << 62
_LOW_62 = (1 << 62) - 1

_UNKNOWN_SAFETY = uuid.SafeUUID.unknown
_new_object = object.__new__
_set_attribute = object.__setattr__

_random = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))
_lock = threading.Lock()
_last_ms = 0
_last_bits = 0


def _next_state() -> tuple[int, int]:
    global _last_ms, _last_bits
    now_ms = time.time_ns() // 1_000_000
    with _lock:
        if now_ms > _last_ms or now_ms < _last_ms - _CLOCK_SET_BACK_MS:
            _last_ms, _last_bits = now_ms, _random.getrandbits(_RANDOM_BITS)
        else:  # the same millisecond (or the clock stepped back a little): after the last id, by a random step
            bits = _last_bits + 1 + _random.getrandbits(_MAX_STEP_BITS)
            if bits > _RANDOM_MASK:  # this millisecond is full: borrow the next one
                _last_ms, bits = _last_ms + 1, _random.getrandbits(_RANDOM_BITS)
            _last_bits = bits
        return _last_ms, _last_bits


def uuid7() -> uuid.UUID:
    """A new version-7 UUID, greater than every one this process made before."""
    ms, bits = _next_state()
    # set as ``UUID(int=…)`` sets them, without its argument checks (the value is in range by construction):
    # 0.9 µs less an id
    made = _new_object(uuid.UUID)
    _set_attribute(made, "int", (ms << 80) | _VERSION | ((bits >> 62) << 64) | _VARIANT | (bits & _LOW_62))
    _set_attribute(made, "is_safe", _UNKNOWN_SAFETY)
    return made


def new_id() -> uuid.UUID:
    return uuid7()
