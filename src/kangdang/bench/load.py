"""Concurrent simulated users on a typical mix (searches, record pages, the worklist, follow-up form saves), in a
closed loop for ``duration`` seconds — by default without think time, so the figure is the server's saturation —
while the server's memory (RSS) is sampled."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import httpx

from kangdang.bench.figures import Figure
from kangdang.bench.http_ops import CSRF, TIMEOUT_SECONDS, HttpError, describe, followup_answers
from kangdang.bench.picks import PASSWORD, TOWNSHIP, USERS, Picks, RecordRef
from kangdang.bench.stats import summarize

MIX = (("search", 40), ("record_page", 30), ("worklist", 15), ("form_save", 15))
RSS_EVERY_SECONDS = 0.2
LOGINS_AT_ONCE = 4


@dataclass
class LoadResult:
    users: int
    think: float = 0.0
    seconds: float = 0.0
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    rss_samples: list[float] = field(default_factory=list)
    rss_end: float | None = None


class RssSampler:
    """Samples a reading (the server's RSS in MB) every RSS_EVERY_SECONDS on a thread of its own."""

    def __init__(self, read: Callable[[], float | None]) -> None:
        self._read = read
        self._stop = threading.Event()
        self.samples: list[float] = []
        self._thread = threading.Thread(target=self._run, name="bench-rss", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            value = self._read()
            if value is not None:
                self.samples.append(value)
            self._stop.wait(RSS_EVERY_SECONDS)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


async def _sign_in(client: httpx.AsyncClient, login: str) -> dict[str, str]:
    token = await client.post("/api/v1/auth/token", json={"username": login, "password": PASSWORD})
    if token.status_code != 200:
        raise HttpError(f"POST /api/v1/auth/token as {login} → {token.status_code}")
    page = await client.get("/login")
    csrf = CSRF.search(page.text)
    if csrf is None:
        raise HttpError("GET /login: no CSRF token")
    done = await client.post(
        "/login",
        data={"username": login, "password": PASSWORD, "next": "/", "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    if done.status_code != 303:
        raise HttpError(f"POST /login as {login} → {done.status_code}")
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def _one(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    kind: str,
    picks: Picks,
    today: date,
    rng: random.Random,
    patients: Sequence[RecordRef],
) -> httpx.Response:
    if kind == "search":
        resident = rng.choice(picks.residents)
        query = rng.choice(
            (resident.id_number, resident.record_number, resident.name, resident.full_pinyin, resident.initials)
        )
        return await client.get("/api/v1/residents", params={"q": query}, headers=headers)
    if kind == "record_page":
        return await client.get(f"/residents/{rng.choice(picks.busy_records).record_id}", follow_redirects=False)
    if kind == "worklist":
        return await client.get("/api/v1/worklist", params={"village": TOWNSHIP}, headers=headers)
    body = {"form_code": "hypertension_followup", "answers": followup_answers(today, rng), "sign": True}
    record_id = rng.choice(patients).record_id
    return await client.post(f"/api/v1/residents/{record_id}/forms", json=body, headers=headers)


async def _run(
    base_url: str,
    picks: Picks,
    *,
    users: int,
    duration: float,
    think: float,
    today: date,
    seed: int,
    rss: Callable[[], float | None],
    result: LoadResult,
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT_SECONDS, limits=limits) for _ in range(users)]
    try:
        gate = asyncio.Semaphore(LOGINS_AT_ONCE)

        async def sign_in(index: int) -> dict[str, str]:
            async with gate:
                return await _sign_in(clients[index], USERS[index % len(USERS)])

        headers = await asyncio.gather(*(sign_in(i) for i in range(users)))
        # Sampled from here: signing in (argon2, 64 MiB per password check) is not part of the mix.
        sampler = RssSampler(rss)
        kinds = [kind for kind, _ in MIX]
        weights = [weight for _, weight in MIX]
        started = time.perf_counter()
        deadline = started + duration

        async def user(index: int) -> None:
            rng = random.Random(seed * 1000 + index)
            # Each user signs forms for patients of their own, as doctors do: two users never sign for the same
            # patient at the same moment (users beyond the number of patients open record pages instead).
            own = picks.hypertension[index::users]
            while time.perf_counter() < deadline:
                kind = rng.choices(kinds, weights)[0]
                if kind == "form_save" and not own:
                    kind = "record_page"
                sent = time.perf_counter()
                try:
                    response = await _one(clients[index], headers[index], kind, picks, today, rng, own)
                except Exception as exc:  # a failed request is counted, the user goes on (after a breath)
                    result.errors.append(f"{kind}: {exc.__class__.__name__}: {exc}")
                    await asyncio.sleep(0.1)
                    continue
                result.requests += 1
                expected = 201 if kind == "form_save" else 200
                if response.status_code != expected:
                    result.errors.append(f"{kind}: {describe(response)}")
                else:
                    result.latencies_ms[kind].append((time.perf_counter() - sent) * 1000)
                if think > 0:
                    await asyncio.sleep(rng.uniform(0.5, 1.5) * think)

        with sampler:
            await asyncio.gather(*(user(i) for i in range(users)))
            result.seconds = time.perf_counter() - started
            result.rss_end = rss()
        result.rss_samples = sampler.samples
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


def run_load(
    base_url: str,
    picks: Picks,
    *,
    users: int,
    duration: float,
    think: float = 0.0,
    today: date,
    seed: int,
    rss: Callable[[], float | None],
) -> LoadResult:
    result = LoadResult(users=users, think=think)
    run = _run(
        base_url, picks, users=users, duration=duration, think=think, today=today, seed=seed, rss=rss, result=result
    )
    asyncio.run(run)
    return result


def load_figures(result: LoadResult) -> list[Figure]:
    """Throughput, failed requests and the server's RSS (peak and end) under the load."""
    mix = ", ".join(f"{kind} {weight}%" for kind, weight in MIX)
    by_kind = {
        kind: {"requests": len(values), "p50_ms": round(s.p50, 2), "p99_ms": round(s.p99, 2)}
        for kind, values in sorted(result.latencies_ms.items())
        for s in [summarize(values)]
    }
    throughput = Figure(
        "load_throughput",
        value=result.requests / result.seconds if result.seconds > 0 else None,
        samples=result.requests,
        note=f"{result.users} users, {result.seconds:.0f} s, think time {result.think:g} s, mix {mix}; p50 under load: "
        + ", ".join(f"{kind} {item['p50_ms']} ms" for kind, item in by_kind.items()),
        detail={
            "users": result.users,
            "think_s": result.think,
            "seconds": round(result.seconds, 2),
            "by_kind": by_kind,
        },
    )
    if result.requests == 0:
        throughput.error = "没有完成任何请求 no request completed"
    errors = Figure("load_errors", value=float(len(result.errors)), detail={"first": result.errors[:5]})
    if result.errors:
        errors.error = f"{len(result.errors)} 个请求失败 failed requests; first: {result.errors[0]}"
    peak = Figure("rss_peak", value=max(result.rss_samples) if result.rss_samples else None)
    peak.samples = len(result.rss_samples)
    end = Figure("rss_end", value=result.rss_end)
    for figure in (peak, end):
        if figure.value is None:
            figure.error = "无法读取服务器内存 (no /proc/<pid>/status on this system)"
    return [throughput, errors, peak, end]
