"""Settings rules, the app factory and the health endpoint."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kangdang.settings import DEFAULT_SECRET_KEY, Settings


def test_production_refuses_the_default_secret_key_with_a_clear_message():
    with pytest.raises(ValidationError) as caught:
        Settings(environment="production", secret_key=DEFAULT_SECRET_KEY)
    assert "KANGDANG_SECRET_KEY" in str(caught.value)


def test_production_accepts_a_real_secret_key():
    settings = Settings(environment="production", secret_key="x" * 48)
    assert settings.environment == "production"


def test_the_default_database_is_a_sqlite_file_under_var(monkeypatch):
    monkeypatch.delenv("KANGDANG_DATABASE_URL", raising=False)
    settings = Settings()
    assert settings.database_url.startswith("sqlite:///./var/")


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("KANGDANG_LOGIN_MAX_FAILURES", "3")
    assert Settings().login_max_failures == 3


def test_creating_the_app_does_not_connect(tmp_path):
    from kangdang.app import create_app

    target = tmp_path / "never" / "db.sqlite3"
    create_app(Settings(database_url=f"sqlite:///{target}"))
    assert not target.exists()


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["status"] == "ok"
    assert body["database"]["revision"] == body["database"]["head"]


def test_healthz_reports_an_unreachable_database(tmp_path):
    from fastapi.testclient import TestClient

    from kangdang.app import create_app

    (tmp_path / "empty.sqlite3").write_bytes(b"")
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
    response = TestClient(app).get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["status"] == "unavailable"


def test_unknown_pages_and_api_paths_answer_in_chinese_without_a_500(client, web_login):
    assert client.get("/api/v1/nothing-here").json()["error"]["message"] == "资源不存在"
    web_login("xianju")
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "页面不存在" in response.text


def test_a_nul_character_or_a_huge_page_number_is_bad_input_not_a_500(client, web_login, api_as):
    headers = api_as("xianju")
    assert client.get("/api/v1/institutions?q=%00", headers=headers).status_code in (200, 422)
    web_login("xianju")
    for url in (
        "/institutions?q=%00",
        "/staff?q=%00",
        "/institutions?page=100000000000000000000",
        "/audit?page=99999999999",
    ):
        response = client.get(url)
        assert response.status_code in (200, 400, 422), (url, response.status_code)
