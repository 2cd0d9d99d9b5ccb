"""The permission matrix: every route of the pages and the JSON API, driven as each persona.

Codes: A = allowed through (2xx, 3xx, or a validation answer such as 400/409/422 — the request passed the
permission and scope checks), D = denied (403), H = hidden (404, answers exactly like a missing object),
L = must sign in (401 or a redirect to /login), V = the JSON API refused the empty test body (422) before
any permission check (FastAPI validates a body first; the services refuse the persona once the body is valid,
which the API tests of each feature prove). The targets live in 句城村 (新市镇), cunyi's village; see
matrix_targets.py. Personas, in column order:

  anonymous · cunyi (村医, 句城) · cunyi2 (村医, 莫干山镇) · dangan (档案管理员, 新市镇) · ducha (县督导员)
  · tongji (统计查看员, figures only) · yiyuan (县医院医生, no grant) · yiyuan+grant (same, with a grant)

A new route fails test_every_route_is_in_the_matrix until its row is added here, deliberately.
Set KANGDANG_MATRIX_OUT=<file> to write the observed rows (to review a change), instead of comparing.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from tests.access.matrix_targets import build_targets
from tests.conftest import DEMO_PASSWORD
from tests.helpers import csrf_from, login_through_form

PERSONAS = ("anonymous", "cunyi", "cunyi2", "dangan", "ducha", "tongji", "yiyuan", "yiyuan+grant")
LAST = ("POST /logout", "POST /api/v1/auth/logout")  # they end the persona's session
QUERY = {
    "form": "hypertension_followup",
    "q": "王",
    "village": "330521102200",
    "programme": "hypertension",
    "indicator": "filing_rate",
    "period": "2026",
    "unit": "330521",
    "parent": "330521",
    "year": "2026",
}
PARAM = re.compile(r"{([a-z_]+)}")

MATRIX = """
GET /                                                                        LAAAAAAA
GET /access                                                                  LAAADDAA
POST /access/apply                                                           LAAADDAA
POST /access/break-glass                                                     LAADDDAA
POST /access/emergency/{emergency_id}/acknowledge                            LDDADDDD
GET /access/requests                                                         LDDADDDD
POST /access/requests/{request_id}/approve                                   LDDADDDD
GET /access/requests/{request_id}/consent                                    LDDADDDD
POST /access/requests/{request_id}/consent                                   LDDADDDD
GET /access/requests/{request_id}/evidence                                   LDDHDDDD
POST /access/requests/{request_id}/reject                                    LDDADDDD
POST /access/requests/{request_id}/revoke                                    LDDADDDD
POST /access/requests/{request_id}/withdraw                                  LDDADDDD
GET /account/password                                                        LAAAAAAA
POST /account/password                                                       LAAAAAAA
GET /api/docs                                                                AAAAAAAA
GET /api/openapi.json                                                        AAAAAAAA
POST /api/v1/access/emergency                                                LVVVVVVV
GET /api/v1/access/emergency/alerts                                          LDDADDDD
POST /api/v1/access/emergency/{emergency_id}/acknowledge                     LDDADDDD
GET /api/v1/access/requests                                                  LDDADDDD
POST /api/v1/access/requests                                                 LVVVVVVV
GET /api/v1/access/requests/mine                                             LAAADDAA
POST /api/v1/access/requests/{request_id}/approve                            LDDADDDD
POST /api/v1/access/requests/{request_id}/consent                            LVVVVVVV
POST /api/v1/access/requests/{request_id}/reject                             LVVVVVVV
POST /api/v1/access/requests/{request_id}/revoke                             LVVVVVVV
POST /api/v1/access/requests/{request_id}/withdraw                           LVVVVVVV
GET /api/v1/appraisal/schemes/{year}                                         LDDDAADD
PUT /api/v1/appraisal/schemes/{year}                                         LVVVVVVV
GET /api/v1/appraisal/sheets                                                 LDDDAADD
POST /api/v1/appraisal/sheets                                                LVVVVVVV
GET /api/v1/appraisal/sheets/{sheet_id}                                      LDDDAADD
GET /api/v1/audit-events                                                     LDDDADDD
GET /api/v1/auth/me                                                          LAAAAAAA
POST /api/v1/auth/password                                                   LVVVVVVV
POST /api/v1/auth/token                                                      VVVVVVVV
GET /api/v1/duplicates                                                       LDDADDDD
POST /api/v1/duplicates/merge                                                LVVVVVVV
POST /api/v1/duplicates/merges/{merge_id}/undo                               LDDHDDDD
POST /api/v1/duplicates/scan                                                 LDDADDDD
POST /api/v1/duplicates/{candidate_id}/not-duplicate                         LDDADDDD
GET /api/v1/form-records/{form_id}                                           LAHAADHA
PUT /api/v1/form-records/{form_id}                                           LAHADDHD
POST /api/v1/form-records/{form_id}/amend                                    LVVVVVVV
POST /api/v1/form-records/{form_id}/entered-in-error                         LVVVVVVV
POST /api/v1/form-records/{form_id}/sign                                     LAHADDDD
GET /api/v1/form-records/{form_id}/versions                                  LAHAADHA
GET /api/v1/forms                                                            LAAAAAAA
GET /api/v1/forms/{code}                                                     LAAAAAAA
GET /api/v1/forms/{code}/questionnaire                                       LAAAAAAA
GET /api/v1/households                                                       LAAAADAA
POST /api/v1/households                                                      LVVVVVVV
GET /api/v1/households/{household_id}                                        LAHAADHH
PATCH /api/v1/households/{household_id}                                      LAHADDDD
POST /api/v1/households/{household_id}/head                                  LVVVVVVV
POST /api/v1/households/{household_id}/members                               LVVVVVVV
POST /api/v1/households/{household_id}/members/{person_id}/remove            LAHADDDD
GET /api/v1/indicators                                                       LAAAAAAA
GET /api/v1/indicators/children                                              LAAAAADD
GET /api/v1/indicators/drill                                                 LAHAADDD
GET /api/v1/indicators/figures                                               LAAAAADD
GET /api/v1/indicators/parameters                                            LAAAAADD
PUT /api/v1/indicators/parameters/{key}                                      LVVVVVVV
GET /api/v1/indicators/reports/{period}.xlsx                                 LAAAAADD
GET /api/v1/indicators/targets                                               LAAAAADD
PUT /api/v1/indicators/targets                                               LVVVVVVV
GET /api/v1/indicators/trend                                                 LAAAAADD
POST /api/v1/inspection-findings/{finding_id}/rectification                  LVVVVVVV
POST /api/v1/inspection-samples/{sample_id}/checks                           LVVVVVVV
GET /api/v1/inspections                                                      LDDAADDD
POST /api/v1/inspections                                                     LVVVVVVV
GET /api/v1/inspections/{inspection_id}                                      LDDAADDD
POST /api/v1/inspections/{inspection_id}/close                               LDDDADDD
POST /api/v1/inspections/{inspection_id}/findings                            LVVVVVVV
GET /api/v1/inspections/{inspection_id}/rates                                LDDAADDD
POST /api/v1/inspections/{inspection_id}/sample                              LDDDADDD
GET /api/v1/institutions                                                     LAAAAAAA
POST /api/v1/institutions                                                    LVVVVVVV
GET /api/v1/institutions/{institution_id}                                    LAHAAAHH
PATCH /api/v1/institutions/{institution_id}                                  LDHDDDHH
POST /api/v1/institutions/{institution_id}/close                             LVVVVVVV
GET /api/v1/institutions/{institution_id}/keepers                            LAHAADHH
POST /api/v1/institutions/{institution_id}/keepers                           LVVVVVVV
POST /api/v1/institutions/{institution_id}/keepers/{keeper_id}/end           LVVVVVVV
GET /api/v1/practitioners                                                    LAAAADAA
POST /api/v1/practitioners                                                   LVVVVVVV
GET /api/v1/practitioners/{practitioner_id}                                  LAHAADHH
PATCH /api/v1/practitioners/{practitioner_id}                                LDHDDDHH
POST /api/v1/practitioners/{practitioner_id}/account                         LVVVVVVV
POST /api/v1/practitioners/{practitioner_id}/account/active                  LVVVVVVV
POST /api/v1/practitioners/{practitioner_id}/account/password                LVVVVVVV
POST /api/v1/practitioners/{practitioner_id}/memberships                     LVVVVVVV
POST /api/v1/practitioners/{practitioner_id}/memberships/{membership_id}/end LDDDDDDD
POST /api/v1/practitioners/{practitioner_id}/reveal-id                       LDHDDDHH
GET /api/v1/practitioners/{practitioner_id}/training                         LAHAADHH
POST /api/v1/practitioners/{practitioner_id}/training                        LVVVVVVV
POST /api/v1/practitioners/{practitioner_id}/training/{training_id}/withdraw LVVVVVVV
GET /api/v1/programmes/episodes/{episode_id}                                 LAHAADHA
PATCH /api/v1/programmes/episodes/{episode_id}                               LAHADDDD
POST /api/v1/programmes/episodes/{episode_id}/close                          LVVVVVVV
GET /api/v1/quality                                                          LAAAADDD
GET /api/v1/quality/counts                                                   LAAAADDD
GET /api/v1/regions                                                          LAAAAAAA
POST /api/v1/regions/population/import                                       LVVVVVVV
GET /api/v1/regions/{code}                                                   LAAAAAAA
PUT /api/v1/regions/{code}/class                                             LVVVVVVV
GET /api/v1/regions/{code}/population                                        LAAAAAAA
PUT /api/v1/regions/{code}/population/{year}                                 LVVVVVVV
GET /api/v1/residents                                                        LAAAADAA
POST /api/v1/residents                                                       LVVVVVVV
PATCH /api/v1/residents/persons/{person_id}                                  LAHADDDD
POST /api/v1/residents/persons/{person_id}/reveal-document                   LAHADDDD
GET /api/v1/residents/{record_id}                                            LAHAADHA
PATCH /api/v1/residents/{record_id}                                          LAHADDDD
GET /api/v1/residents/{record_id}/access-log                                 LAHAADHH
POST /api/v1/residents/{record_id}/close                                     LVVVVVVV
GET /api/v1/residents/{record_id}/forms                                      LAHAADHA
POST /api/v1/residents/{record_id}/forms                                     LVVVVVVV
GET /api/v1/residents/{record_id}/programme-suggestions                      LAHAADHH
GET /api/v1/residents/{record_id}/programmes                                 LAHAADHA
POST /api/v1/residents/{record_id}/programmes                                LVVVVVVV
POST /api/v1/residents/{record_id}/reopen                                    LVVVVVVV
POST /api/v1/residents/{record_id}/transfers                                 LVVVVVVV
GET /api/v1/transfers                                                        LDDADDDD
POST /api/v1/transfers/{transfer_id}/cancel                                  LDDADDDD
POST /api/v1/transfers/{transfer_id}/confirm                                 LDDVDDDD
POST /api/v1/transfers/{transfer_id}/return                                  LDDVDDDD
GET /api/v1/worklist                                                         LAAAADDD
GET /api/v1/worklist/counts                                                  LAAAADDD
GET /api/v1/worklist/summary                                                 LAAAADDD
GET /appraisal                                                               LDDDAADD
POST /appraisal/scheme                                                       LDDDDDDD
POST /appraisal/sheets                                                       LDDDDDDD
GET /appraisal/sheets/{sheet_id}                                             LDDDAADD
GET /appraisal/sheets/{sheet_id}.xlsx                                        LDDDAADD
GET /audit                                                                   LDDDADDD
GET /docs/oauth2-redirect                                                    AAAAAAAA
GET /duplicates                                                              LDDADDDD
POST /duplicates/merges/{merge_id}/undo                                      LDDHDDDD
POST /duplicates/scan                                                        LDDADDDD
GET /duplicates/{candidate_id}/merge                                         LDDADDDD
POST /duplicates/{candidate_id}/merge                                        LDDADDDD
POST /duplicates/{candidate_id}/not-duplicate                                LDDADDDD
GET /forms/{form_id}                                                         LAHAADHA
GET /forms/{form_id}/amend                                                   LAHADDDD
POST /forms/{form_id}/amend                                                  LAHADDDD
GET /forms/{form_id}/edit                                                    LAHAADHA
POST /forms/{form_id}/edit                                                   LAHADDHD
GET /forms/{form_id}/print.pdf                                               LAHAADHA
POST /forms/{form_id}/sign                                                   LAHADDDD
POST /forms/{form_id}/void                                                   LDDADDDD
GET /healthz                                                                 AAAAAAAA
GET /households                                                              LAAAADAA
GET /households/new                                                          LAAADDDD
POST /households/new                                                         LAAADDDD
GET /households/{household_id}                                               LAHAADHH
GET /households/{household_id}/edit                                          LAHADDDD
POST /households/{household_id}/edit                                         LAHADDDD
POST /households/{household_id}/head                                         LAHADDDD
POST /households/{household_id}/members                                      LAHADDDD
POST /households/{household_id}/members/{person_id}/remove                   LAHADDDD
GET /indicators                                                              LAAAAADD
GET /indicators/drill                                                        LHHHHDDD
POST /indicators/recompute                                                   LDDDDDDD
GET /indicators/reports                                                      LAAAAADD
GET /indicators/reports/{period}.pdf                                         LAAAAADD
GET /indicators/reports/{period}.xlsx                                        LAAAAADD
GET /indicators/runs/{run_id}                                                LHHHAADD
GET /indicators/settings                                                     LAAAAADD
POST /indicators/settings/parameters                                         LDDDDDDD
POST /indicators/settings/targets                                            LDDDDDDD
GET /institutions                                                            LAAAAAAA
GET /institutions/new                                                        LDDDDDDD
POST /institutions/new                                                       LDDDDDDD
GET /institutions/{institution_id}                                           LAHAAAHH
POST /institutions/{institution_id}/close                                    LDHDDDHH
GET /institutions/{institution_id}/edit                                      LDHDDDHH
POST /institutions/{institution_id}/edit                                     LDHDDDHH
POST /institutions/{institution_id}/keepers                                  LDDDDDDD
POST /institutions/{institution_id}/keepers/{keeper_id}/end                  LDDDDDDD
GET /login                                                                   AAAAAAAA
POST /login                                                                  AAAAAAAA
GET /population                                                              LAAAAAAA
POST /population                                                             LDDDDDDD
POST /population/import                                                      LDDDDDDD
GET /population/template.csv                                                 LAAAAAHH
GET /programmes/episodes/{episode_id}                                        LAHAADHA
POST /programmes/episodes/{episode_id}/close                                 LAHADDDD
POST /programmes/episodes/{episode_id}/edit                                  LAHADDDD
GET /quality                                                                 LAAAADDD
GET /regions                                                                 LAAAAAAA
GET /regions/{code}                                                          LAAAAAAA
POST /regions/{code}/class                                                   LDDDDDDD
GET /residents                                                               LAAAADAA
GET /residents/import                                                        LDDADDDD
POST /residents/import/check                                                 LDDADDDD
POST /residents/import/commit                                                LDDADDDD
GET /residents/import/template.csv                                           LDDADDDD
GET /residents/import/template.xlsx                                          LDDADDDD
GET /residents/new                                                           LAAADDDD
POST /residents/new                                                          LAAADDDD
GET /residents/{record_id}                                                   LAHAADHA
GET /residents/{record_id}/access-log                                        LAHAADHH
GET /residents/{record_id}/card.pdf                                          LAHAADHA
GET /residents/{record_id}/close                                             LDHADDHH
POST /residents/{record_id}/close                                            LDHADDHH
GET /residents/{record_id}/edit                                              LAHADDDD
POST /residents/{record_id}/edit                                             LAHADDDD
GET /residents/{record_id}/forms/new                                         LAHADDDD
POST /residents/{record_id}/forms/new                                        LAHADDDD
POST /residents/{record_id}/forms/preview                                    LAHADDDD
GET /residents/{record_id}/programmes/new                                    LAHADDDD
POST /residents/{record_id}/programmes/new                                   LAHADDDD
GET /residents/{record_id}/reopen                                            LDHADDHH
POST /residents/{record_id}/reopen                                           LDHADDHH
POST /residents/{record_id}/reveal                                           LAHADDHH
GET /residents/{record_id}/transfer                                          LDHADDHH
POST /residents/{record_id}/transfer                                         LDHADDHH
GET /residents/{record_id}/transfer/receivers                                LDHADDHH
GET /staff                                                                   LAAAADAA
GET /staff/new                                                               LDDDDDDD
POST /staff/new                                                              LDDDDDDD
GET /staff/{practitioner_id}                                                 LAHAADHH
POST /staff/{practitioner_id}/account                                        LDDDDDDD
POST /staff/{practitioner_id}/account/active                                 LDDDDDDD
POST /staff/{practitioner_id}/account/password                               LDDDDDDD
GET /staff/{practitioner_id}/edit                                            LDHDDDHH
POST /staff/{practitioner_id}/edit                                           LDHDDDHH
POST /staff/{practitioner_id}/memberships                                    LDDDDDDD
POST /staff/{practitioner_id}/memberships/{membership_id}/end                LDDDDDDD
POST /staff/{practitioner_id}/reveal                                         LDHDDDHH
POST /staff/{practitioner_id}/training                                       LDDADDDD
POST /staff/{practitioner_id}/training/{training_id}/withdraw                LDDADDDD
GET /supervision                                                             LDDAADDD
POST /supervision                                                            LDDDADDD
POST /supervision/findings/{finding_id}/rectify                              LDDADDDD
POST /supervision/samples/{sample_id}/check                                  LDDDADDD
GET /supervision/{inspection_id}                                             LDDAADDD
POST /supervision/{inspection_id}/close                                      LDDDADDD
POST /supervision/{inspection_id}/findings                                   LDDDADDD
POST /supervision/{inspection_id}/sample                                     LDDDADDD
GET /transfers                                                               LDDADDDD
POST /transfers/{transfer_id}/cancel                                         LDDADDDD
POST /transfers/{transfer_id}/confirm                                        LDDADDDD
POST /transfers/{transfer_id}/return                                         LDDADDDD
GET /worklist                                                                LAAAADDD
GET /worklist/visit-list.pdf                                                 LAAAADDD
POST /api/v1/auth/logout                                                     LAAAAAAA
POST /logout                                                                 LLLLLLLL
"""


def _load_expected() -> dict[str, str]:
    rows = {}
    for line in MATRIX.strip().splitlines():
        key, codes = line.rsplit(" ", 1)
        rows[key.strip()] = codes
    return rows


def routes(app: Any) -> list[tuple[str, str, list[str]]]:
    """(method, path, required query parameter names) of every route, logout last."""
    found: list[tuple[str, str, list[str]]] = []
    for route in app.routes:
        for context in route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]:
            methods = getattr(context, "methods", None)
            if not methods:
                continue
            dependant = getattr(context, "dependant", None)
            required = [p.name for p in dependant.query_params if p.field_info.is_required()] if dependant else []
            for method in sorted(methods - {"HEAD"}):
                found.append((method, context.path, required))
    found.sort(key=lambda r: (f"{r[0]} {r[1]}" in LAST, r[1], r[0]))
    return found


def url_for(path: str, required: list[str], values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "code":
            return values["form_code"] if path.startswith("/api/v1/forms") else values["region"]
        return values[name]

    url = PARAM.sub(value, path)
    query = "&".join(f"{name}={QUERY[name]}" for name in required)
    return f"{url}?{query}" if query else url


def outcome(status: int, location: str, api: bool) -> str:
    if api and status == 422:
        return "V"
    if status == 401 or (status in (302, 303, 307) and location.startswith("/login")):
        return "L"
    if status == 403:
        return "D"
    if status == 404:
        return "H"
    if status >= 500:
        return "E"
    return "A"


@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(persona: str, db: Any, actor_of: Any, app: Any, client: Any) -> None:
    values = build_targets(db, actor_of, grant=persona == "yiyuan+grant").values
    login = persona.split("+")[0]
    headers: dict[str, str] = {}
    if login != "anonymous":
        assert login_through_form(client, login, DEMO_PASSWORD).status_code == 303
        token = client.post("/api/v1/auth/token", json={"username": login, "password": DEMO_PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
    csrf = csrf_from(client.get("/login").text)
    observed: dict[str, str] = {}
    for method, path, required in routes(app):
        url = url_for(path, required, values)
        if path.startswith("/api/"):
            body = None if method == "GET" else {}
            response = client.request(method, url, headers=headers, json=body)
        else:
            data = None if method == "GET" else {"csrf_token": csrf}
            response = client.request(method, url, data=data, follow_redirects=False)
        api = path.startswith("/api/")
        observed[f"{method} {path}"] = outcome(response.status_code, response.headers.get("location", ""), api)
    column = PERSONAS.index(persona)
    out = os.environ.get("KANGDANG_MATRIX_OUT")
    if out:
        with open(f"{out}.{column}", "w", encoding="utf-8") as handle:
            handle.writelines(f"{key}\t{code}\n" for key, code in observed.items())
        return
    expected = _load_expected()
    wrong = {k: (expected.get(k, "?" * len(PERSONAS))[column], v) for k, v in observed.items()}
    wrong = {k: pair for k, pair in wrong.items() if pair[0] != pair[1]}
    assert not wrong, f"{persona}: expected → observed {wrong}"


def test_every_route_is_in_the_matrix(app: Any) -> None:
    keys = {f"{m} {p}" for m, p, _ in routes(app)}
    expected = _load_expected()
    assert keys == set(expected), (
        f"missing rows: {sorted(keys - set(expected))}; stale rows: {sorted(set(expected) - keys)}"
    )
    assert all(len(codes) == len(PERSONAS) and set(codes) <= set("ADHLV") for codes in expected.values())
