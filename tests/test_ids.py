"""Row ids: RFC 9562 version-7 UUIDs, in the order they were made, at the clock's time, never repeated."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest

from kangdang.core import ids
from kangdang.core.ids import new_id, uuid7


def test_an_id_is_a_version_7_uuid_carrying_the_time_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000
    assert isinstance(made, uuid.UUID) and made.version == 7 and made.variant == uuid.RFC_4122
    assert before <= made.int >> 80 <= after


def test_a_burst_of_ids_keeps_its_order_and_the_clocks_time() -> None:
    start = time.time_ns() // 1_000_000
    made = [uuid7() for _ in range(50_000)]  # far more than one per millisecond
    end = time.time_ns() // 1_000_000
    assert made == sorted(made) and len(set(made)) == len(made)
    assert all(m.version == 7 and m.variant == uuid.RFC_4122 for m in made[::997])
    assert start <= made[0].int >> 80 and made[-1].int >> 80 <= end + 1  # not pushed ahead of the clock


def test_a_clock_set_back_a_little_keeps_the_order_and_one_set_back_far_is_followed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = time.time_ns()
    ahead = now + 86_400 * 10**9  # a clock a day ahead, then corrected
    monkeypatch.setattr(ids.time, "time_ns", lambda: ahead)
    first = uuid7()
    monkeypatch.setattr(ids.time, "time_ns", lambda: ahead - 10**9)  # a second back: still after the last id
    second = uuid7()
    assert second > first and second.int >> 80 == first.int >> 80 == ahead // 1_000_000
    monkeypatch.setattr(ids.time, "time_ns", lambda: now)  # a day back: the clock is followed
    assert uuid7().int >> 80 == now // 1_000_000


def test_threads_never_get_the_same_id() -> None:
    made: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def make(into: list[uuid.UUID]) -> None:
        into.extend(uuid7() for _ in range(20_000))

    threads = [threading.Thread(target=make, args=(into,)) for into in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [m for into in made for m in into]
    assert len(set(every)) == len(every) == 80_000
    assert all(into == sorted(into) for into in made)


def test_a_forked_child_draws_other_random_bits_than_its_parent() -> None:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, to the parent
        os.write(writer, uuid7().bytes)
        os._exit(0)
    os.close(writer)
    theirs = uuid.UUID(bytes=os.read(reader, 16))
    os.waitpid(pid, 0)
    os.close(reader)
    ours = uuid7()
    low_bits = (1 << 62) - 1
    assert theirs != ours and theirs.int & low_bits != ours.int & low_bits
