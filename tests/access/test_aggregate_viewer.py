"""The aggregate-only viewer (统计查看员, demo login tongji at the county bureau) sees figures, never people.

Every GET route of the pages and of the JSON API is walked as tongji, with path parameters filled from the demo
county (a record, a person, a household, a practitioner, an institution, a form …). No answer may carry a demo
resident's or a member of staff's name, masked ID number, phone, record or household number; the routes about
residents, households, forms, transfers, duplicates, staff, audit and access requests answer 403 or 404.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from kangdang.access.models import User
from kangdang.institutions.models import Institution, Membership, Practitioner
from kangdang.records.models import ServiceRecord
from kangdang.regions.models import Region
from kangdang.residents.models import DuplicateCandidate, HealthRecord, Household, Person
from tests.helpers import csrf_from

COUNTY = "330521"
XINSHI, XINSHI_CENTRE = "330521102", "330521102-01"

# Routes about people: the aggregate viewer is refused (403), or the thing is not found for them (404).
PERSONAL_PREFIXES = (
    "/residents",
    "/households",
    "/forms/",
    "/transfers",
    "/duplicates",
    "/staff",
    "/audit",
    "/access",
    "/api/v1/residents",
    "/api/v1/households",
    "/api/v1/form-records",
    "/api/v1/transfers",
    "/api/v1/duplicates",
    "/api/v1/practitioners",
    "/api/v1/audit-events",
    "/api/v1/access",
    "/api/v1/institutions/{institution_id}/keepers",
)
# What the aggregate viewer works with: figures and public facts.
FIGURE_PAGES = (
    "/",
    "/regions",
    f"/regions/{COUNTY}",
    f"/regions/{XINSHI}",
    f"/population?region={COUNTY}",
    "/institutions",
)
CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
NUMBER_TOKEN = re.compile(r"[0-9Xx*]{7,}")


# --- walking the routes --------------------------------------------------------------------------------


def _get_routes(app) -> Iterator[tuple[str, dict[str, type]]]:  # type: ignore[no-untyped-def]
    """Every GET path of the app, with its path parameters' names and types."""
    for route in app.routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]
        for context in contexts:
            methods = getattr(context, "methods", None) or set()
            if "GET" not in methods:
                continue
            dependant = getattr(context, "dependant", None)
            params = {p.name: p.field_info.annotation for p in dependant.path_params} if dependant else {}
            yield context.path, params


def _query_params(app, path: str) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    """The query parameters of a GET path: name → required."""
    for route in app.routes:
        for context in route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]:
            dependant = getattr(context, "dependant", None)
            if getattr(context, "path", None) == path and "GET" in (getattr(context, "methods", None) or ()):
                return {p.name: p.field_info.is_required() for p in dependant.query_params} if dependant else {}
    return {}


@dataclass(frozen=True)
class Demo:
    values: dict[str, str]
    names: frozenset[str]
    numbers: frozenset[str]
    a_resident_name: str


def _demo_values(db) -> dict[str, str]:
    record = db.scalar(
        select(HealthRecord).where(HealthRecord.status == "active", HealthRecord.village_code.startswith(XINSHI))
    )
    form = db.scalar(select(ServiceRecord.id).where(ServiceRecord.record_id == record.id)) or db.scalar(
        select(ServiceRecord.id)
    )
    dangan = db.scalar(select(User.practitioner_id).where(User.login == "dangan"))
    values = {
        "record_id": str(record.id),
        "person_id": str(record.person_id),
        "household_id": str(db.scalar(select(Household.id).where(Household.region_code.startswith(COUNTY)))),
        "practitioner_id": str(dangan),
        "institution_id": str(db.scalar(select(Institution.id).where(Institution.code == XINSHI_CENTRE))),
        "form_id": str(form),
        "service_record_id": str(form),
        "membership_id": str(db.scalar(select(Membership.id).where(Membership.practitioner_id == dangan))),
        "year": "2026",
    }
    candidate = db.scalar(select(DuplicateCandidate.id))
    if candidate is not None:
        values["candidate_id"] = str(candidate)
    return values


def _public_vocabulary(db) -> str:
    """Names of places and institutions, which may legitimately appear on figure pages."""
    regions = db.scalars(select(Region.name)).all()
    institutions = db.scalars(select(Institution.name)).all()
    return "|".join([*regions, *institutions])


def _personal_markers(db) -> Demo:
    tongji = db.scalar(select(User.practitioner_id).where(User.login == "tongji"))
    own_name = db.get(Practitioner, tongji).name  # the viewer's own name is in the page header
    vocabulary = _public_vocabulary(db)
    names: set[str] = set()
    numbers: set[str] = set()
    for person in db.scalars(select(Person).where(Person.current_region_code.startswith(COUNTY))):
        names.add(person.name)
        numbers.update(x for x in (person.document_masked, person.phone) if x)
    for record_number in db.scalars(select(HealthRecord.record_number)):
        numbers.add(record_number)
    for household_number in db.scalars(select(Household.household_number)):
        numbers.add(household_number)
    for practitioner in db.scalars(select(Practitioner).where(Practitioner.id != tongji)):
        names.add(practitioner.name)
        numbers.update(x for x in (practitioner.id_number_masked, practitioner.phone) if x)
    # A name that is also a place or institution name (高峰, 新市 …) cannot tell a person from a place.
    names = {n for n in names if n != own_name and n not in vocabulary}
    numbers |= {_mask_phone(n) for n in numbers if re.fullmatch(r"1\d{10}", n)}
    resident = db.scalar(
        select(Person.name).where(Person.current_region_code.startswith(XINSHI), Person.name.in_(sorted(names)))
    )
    return Demo(values=_demo_values(db), names=frozenset(names), numbers=frozenset(numbers), a_resident_name=resident)


def _mask_phone(number: str) -> str:
    return number[:3] + "****" + number[-4:]


def _leaks(text: str, demo: Demo, url: str = "") -> set[str]:
    """Personal data in an answer; the name the caller searched for (echoed in the search box) does not count."""
    if f"q={demo.a_resident_name}" in url:
        text = text.replace(demo.a_resident_name, "")
    found: set[str] = set()
    for run in CJK_RUN.findall(text):
        for size in (2, 3, 4):
            found.update(run[i : i + size] for i in range(len(run) - size + 1) if run[i : i + size] in demo.names)
    found.update(token for token in NUMBER_TOKEN.findall(text) if token in demo.numbers)
    for number in demo.numbers:  # also inside longer tokens (e.g. a record number in a URL)
        if len(number) >= 17 and number in text:
            found.add(number)
    return found


def _fill(path: str, params: dict[str, type], demo: Demo) -> str:
    filled = path
    for name, annotation in params.items():
        if name == "code":
            value = "cover" if "/forms/" in path else XINSHI  # a form definition's code, or a township
        elif name in demo.values:
            value = demo.values[name]
        elif annotation is int:
            value = "1"
        else:
            value = str(uuid.uuid4())  # a route of another kind of thing: a stranger's id
        filled = filled.replace("{" + name + "}", value).replace("{" + name + ":path}", value)
    return filled


def _is_personal(path: str) -> bool:
    return path.startswith(PERSONAL_PREFIXES)


@pytest.fixture
def demo(db) -> Demo:
    return _personal_markers(db)


def _requests(app, demo: Demo, *, api: bool) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    for path, params in _get_routes(app):
        if path.startswith("/api/v1") != api or path in ("/logout",):
            continue
        url = _fill(path, params, demo)
        query = _query_params(app, path)
        required = [name for name, needed in query.items() if needed]
        if required:
            url += "?" + "&".join(
                f"{name}={demo.values.get(name, 'cover' if name == 'form' else '1')}" for name in required
            )
        yield path, url
        if "q" in query:
            yield path, f"{url}{'&' if '?' in url else '?'}q={demo.a_resident_name}"


# --- the tests -----------------------------------------------------------------------------------------


def test_the_markers_are_real_demo_people(demo):
    assert len(demo.names) > 100 and len(demo.numbers) > 100
    assert demo.a_resident_name in demo.names


def test_the_detector_finds_the_people_a_records_manager_sees(web_login, demo):
    """The walk below would prove nothing if the markers missed people: on pages that show them, they are found."""
    client = web_login("dangan")
    residents = client.get(f"/residents?q={demo.a_resident_name}")
    assert residents.status_code == 200 and _leaks(residents.text, demo)  # masked ID numbers, record numbers
    staff = client.get("/staff")
    assert staff.status_code == 200 and len(_leaks(staff.text, demo)) > 5  # names, masked ID numbers, phones
    record = client.get(f"/residents/{demo.values['record_id']}")
    assert record.status_code == 200 and _leaks(record.text, demo)


def test_no_page_shows_tongji_a_person_and_personal_pages_refuse(app, web_login, demo):
    client = web_login("tongji")
    walked, problems = 0, []
    for path, url in _requests(app, demo, api=False):
        if path.startswith(("/static", "/api/")) or path == "/login":
            continue
        response = client.get(url, follow_redirects=False)
        walked += 1
        if response.status_code == 200:
            leaks = _leaks(response.text, demo, url) if "text" in response.headers.get("content-type", "") else set()
            if "pdf" in response.headers.get("content-type", "") or "spreadsheet" in response.headers.get(
                "content-type", ""
            ):
                problems.append(f"{url}: a document was served")
            if leaks:
                problems.append(f"{url}: shows {sorted(leaks)[:5]}")
        if _is_personal(path) and response.status_code not in (403, 404):
            problems.append(f"{url}: answered {response.status_code}, expected 403 or 404")
        if response.status_code == 403:
            assert "您没有执行此操作的权限" in response.text or "无权" in response.text, url
        if response.status_code >= 500:
            problems.append(f"{url}: server error {response.status_code}")
    assert walked > 40
    assert not problems, "\n".join(problems)


def test_no_api_answer_gives_tongji_a_person_and_personal_routes_refuse(app, client, api_as, demo):
    headers = api_as("tongji")
    walked, problems = 0, []
    for path, url in _requests(app, demo, api=True):
        response = client.get(url, headers=headers)
        walked += 1
        if response.status_code == 200:
            leaks = _leaks(response.text, demo, url)
            if leaks:
                problems.append(f"{url}: shows {sorted(leaks)[:5]}")
        if _is_personal(path) and response.status_code not in (403, 404):
            problems.append(f"{url}: answered {response.status_code}, expected 403 or 404")
        if response.status_code >= 500:
            problems.append(f"{url}: server error {response.status_code}")
    assert walked > 20
    assert not problems, "\n".join(problems)


def test_tongji_works_with_figures_regions_population_and_institutions(web_login, db, demo):
    client = web_login("tongji")
    for url in FIGURE_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert not _leaks(response.text, demo), url
    home = client.get("/")
    assert 'data-testid="county-overview"' in home.text and "统计概览" in home.text
    assert 'data-testid="colleagues"' not in home.text and 'data-testid="recent-events"' not in home.text
    assert "查找居民" not in home.text
    nav = home.text.split("<nav", 1)[1].split("</nav>", 1)[0]
    assert "居民档案" not in nav and "人员" not in nav and "审计日志" not in nav
    centre = demo.values["institution_id"]
    page = client.get(f"/institutions/{centre}")
    assert page.status_code == 200 and "档案管理责任人" not in page.text


def test_the_personal_routes_refuse_tongji_with_the_chinese_message(web_login, db, demo):
    client = web_login("tongji")
    for url in (
        "/residents",
        f"/residents/{demo.values['record_id']}",
        "/staff",
        f"/staff/{demo.values['practitioner_id']}",
    ):
        response = client.get(url)
        assert response.status_code in (403, 404), url
        if response.status_code == 403:
            assert "您没有执行此操作的权限" in response.text
    # and the forms on the pages that write carry no CSRF hole: a POST is refused as well
    page = client.get("/")
    response = client.post(
        f"/institutions/{demo.values['institution_id']}/keepers",
        data={"practitioner_id": demo.values["practitioner_id"], "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 403
