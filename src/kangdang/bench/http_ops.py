"""Single operations over HTTP, as a signed-in user would feel them: one request at a time on a kept-alive
connection, a warm-up first, then p50/p99 over the samples. Every unexpected status is an error of its figure."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from kangdang.bench.figures import Figure
from kangdang.bench.picks import PASSWORD, TOWNSHIP, NewPerson, Picks
from kangdang.bench.stats import summarize

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TIMEOUT_SECONDS = 120.0


class HttpError(RuntimeError):
    pass


def sign_in_web(http: httpx.Client, login: str, password: str = PASSWORD) -> None:
    """A page session (cookie), through the login form with its CSRF token."""
    page = http.get("/login")
    token = CSRF.search(page.text)
    if page.status_code != 200 or token is None:
        raise HttpError(f"GET /login → {page.status_code}, no CSRF token")
    done = http.post(
        "/login",
        data={"username": login, "password": password, "next": "/", "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    if done.status_code != 303:
        raise HttpError(f"POST /login as {login} → {done.status_code}")


def api_token(http: httpx.Client, login: str, password: str = PASSWORD) -> str:
    done = http.post("/api/v1/auth/token", json={"username": login, "password": password})
    if done.status_code != 200:
        raise HttpError(f"POST /api/v1/auth/token as {login} → {done.status_code}: {done.text[:200]}")
    return str(done.json()["access_token"])


class User:
    """One signed-in user: a bearer token for the JSON API and a session cookie for the pages."""

    def __init__(self, base_url: str, login: str) -> None:
        self.login = login
        self.http = httpx.Client(base_url=base_url, timeout=TIMEOUT_SECONDS)
        self.headers = {"Authorization": f"Bearer {api_token(self.http, login)}"}
        sign_in_web(self.http, login)

    def close(self) -> None:
        self.http.close()


def followup_answers(today: date, rng: random.Random) -> dict[str, Any]:
    """A signed 高血压患者随访服务记录表 (classification and next visit are derived by the server)."""
    return {
        "visit_date": today.isoformat(),
        "visit_mode": "1",
        "symptoms": ["1"],
        "sbp": str(rng.randint(118, 168)),
        "dbp": str(rng.randint(70, 102)),
        "weight": f"{rng.uniform(52, 88):.1f}",
        "height": str(rng.randint(150, 182)),
        "medication_adherence": "1",
        "adverse_reaction": "1",
        "medicines": [{"name": "苯磺酸氨氯地平片", "times_per_day": "1", "dose": "5"}],
    }


def registration_body(person: NewPerson, village: str) -> dict[str, Any]:
    return {
        "document_type": "01",
        "document_number": person.id_number,
        "name": person.name,
        "phone": person.phone,
        "current_region_code": village,
        "current_address": f"{int(person.id_number[14:17]) % 12 + 1} 组 {int(person.id_number[14:17]) % 97 + 1} 号",
        "confirm_duplicates": True,
    }


# --- measuring ----------------------------------------------------------------------------------------------

TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def describe(response: httpx.Response) -> str:
    """An unexpected answer in one line: its status and the JSON error, or the HTML page's title."""
    text = response.text
    if "html" in response.headers.get("content-type", ""):
        title = TITLE.search(text)
        text = f"page “{' '.join(title.group(1).split())}”" if title else "an HTML page"
    return f"HTTP {response.status_code}: {' '.join(text.split())[:200]}"


Check = Callable[[httpx.Response, int], str | None]  # an error text, or None when the answer is right


@dataclass
class Timing:
    samples_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)


def measure(
    request: Callable[[int], httpx.Response], *, samples: int, warmup: int, expect: int, check: Check | None = None
) -> Timing:
    """``warmup`` requests (not timed), then ``samples`` timed ones; request(i) sends the i-th."""
    timing = Timing()
    for index in range(warmup + samples):
        started = time.perf_counter()
        try:
            response = request(index)
        except httpx.HTTPError as exc:
            timing.errors.append(f"{exc.__class__.__name__}: {exc}")
            continue
        elapsed_ms = (time.perf_counter() - started) * 1000
        try:
            problem = (
                f"{describe(response)} (expected {expect})"
                if response.status_code != expect
                else (check(response, index) if check else None)
            )
        except (ValueError, KeyError, TypeError) as exc:  # an answer of the wrong shape
            problem = f"unexpected answer: {exc.__class__.__name__}: {exc}"
        if problem is not None:
            timing.errors.append(problem)
        elif index >= warmup:
            timing.samples_ms.append(elapsed_ms)
    return timing


def latency_figure(key: str, timing: Timing) -> Figure:
    figure = Figure(key, detail=timing.detail)
    if timing.samples_ms:
        summary = summarize(timing.samples_ms)
        figure.value = figure.p50_ms = summary.p50
        figure.p99_ms, figure.samples = summary.p99, summary.samples
        figure.detail["mean_ms"] = round(summary.mean, 3)
    if timing.errors:
        figure.error = f"{len(timing.errors)} 个请求失败 failed requests; first: {timing.errors[0]}"
    elif not timing.samples_ms:
        figure.error = "没有样本 no samples"
    return figure


def _found_record(number: str) -> Check:
    def check(response: httpx.Response, _index: int) -> str | None:
        items = response.json().get("items", [])
        if not any(item["record"]["record_number"] == number for item in items):
            return f"查无此档案 record {number} not among {len(items)} hits"
        return None

    return check


def _hits(counts: list[int]) -> Check:
    def check(response: httpx.Response, _index: int) -> str | None:
        total = int(response.json().get("total", 0))
        counts.append(total)
        return None if total >= 1 else "没有命中 no hits"

    return check


def warmup_count(samples: int) -> int:
    """Requests sent (and discarded) before the timed ones: a tenth of the samples, 1 to 20."""
    return max(1, min(20, samples // 10))


def run_single_operations(
    base_url: str,
    picks: Picks,
    new_people: Sequence[NewPerson],
    *,
    samples: int,
    today: date,
    rng: random.Random,
) -> dict[str, Figure]:
    """Every single-operation figure (searches, record page, form save, registration, worklist) as yisheng."""
    warmup = warmup_count(samples)
    total = warmup + samples
    user = User(base_url, "yisheng")
    figures: dict[str, Figure] = {}
    try:
        residents = picks.residents

        def search(query: Callable[[int], str]) -> Callable[[int], httpx.Response]:
            return lambda i: user.http.get("/api/v1/residents", params={"q": query(i)}, headers=user.headers)

        def pick(i: int) -> Any:
            return residents[i % len(residents)]

        for key, query in (
            ("lookup_id", lambda i: pick(i).id_number),
            ("lookup_record", lambda i: pick(i).record_number),
        ):

            def found(response: httpx.Response, i: int) -> str | None:
                return _found_record(pick(i).record_number)(response, i)

            figures[key] = latency_figure(
                key, measure(search(query), samples=samples, warmup=warmup, expect=200, check=found)
            )
        for key, query in (
            ("search_name", lambda i: pick(i).name),
            ("search_pinyin", lambda i: pick(i).full_pinyin),
            ("search_initials", lambda i: pick(i).initials),
        ):
            counts: list[int] = []
            timing = measure(search(query), samples=samples, warmup=warmup, expect=200, check=_hits(counts))
            timing.detail["mean_hits"] = round(sum(counts) / len(counts), 1) if counts else None
            figures[key] = latency_figure(key, timing)

        busy = picks.busy_records
        page_sizes: list[int] = []

        def record_page(i: int) -> httpx.Response:
            response = user.http.get(f"/residents/{busy[i % len(busy)].record_id}", follow_redirects=False)
            page_sizes.append(len(response.content))
            return response

        timing = measure(record_page, samples=samples, warmup=warmup, expect=200)
        timing.detail.update(
            forms_per_record_max=busy[0].forms if busy else None,
            forms_per_record_min=busy[-1].forms if busy else None,
            mean_page_kb=round(sum(page_sizes) / len(page_sizes) / 1024, 1) if page_sizes else None,
        )
        figures["record_page"] = latency_figure("record_page", timing)

        patients = picks.hypertension

        def save(i: int) -> httpx.Response:
            body = {"form_code": "hypertension_followup", "answers": followup_answers(today, rng), "sign": True}
            record_id = patients[i % len(patients)].record_id
            return user.http.post(f"/api/v1/residents/{record_id}/forms", json=body, headers=user.headers)

        figures["form_save"] = latency_figure("form_save", measure(save, samples=samples, warmup=warmup, expect=201))

        def register(i: int) -> httpx.Response:
            body = registration_body(new_people[i], picks.villages[i % len(picks.villages)])
            return user.http.post("/api/v1/residents", json=body, headers=user.headers)

        if len(new_people) < total:
            raise HttpError(f"need {total} new people, have {len(new_people)}")
        timing = measure(register, samples=samples, warmup=warmup, expect=201)
        registration = latency_figure("registration", timing)
        if timing.samples_ms:
            registration.value = len(timing.samples_ms) / (sum(timing.samples_ms) / 1000)
        figures["registration"] = registration

        def worklist(_i: int) -> httpx.Response:
            return user.http.get("/api/v1/worklist", params={"village": TOWNSHIP}, headers=user.headers)

        figures["worklist"] = latency_figure("worklist", measure(worklist, samples=samples, warmup=warmup, expect=200))
    finally:
        user.close()
    return figures
