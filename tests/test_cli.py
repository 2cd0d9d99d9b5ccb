"""The kangdang command on a fresh SQLite file: migrations, drift check, demo county, passwords."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kangdang.cli import app


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("KANGDANG_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return run


def test_db_check_fails_before_upgrade_and_passes_after(cli):
    assert cli("db", "check").exit_code == 1
    upgraded = cli("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    from kangdang.db.migrate import head_revision

    current = cli("db", "current")
    assert f"database: {head_revision()}" in current.output
    check = cli("db", "check")
    assert check.exit_code == 0 and "一致" in check.output


def test_demo_load_is_idempotent_and_prints_the_logins(cli):
    cli("db", "upgrade")
    first = cli("demo", "load")
    assert first.exit_code == 0, first.output
    assert "新建机构 194" in first.output and "cunyi" in first.output and "Kangdang2026" in first.output
    second = cli("demo", "load")
    assert "新建机构 0，人员 0，账号 0" in second.output
    logins = cli("demo", "logins")
    assert "句城卫生室" in logins.output and "新市镇中心卫生院" in logins.output


def test_demo_logins_before_loading_says_what_to_do(cli):
    cli("db", "upgrade")
    result = cli("demo", "logins")
    assert result.exit_code == 1 and "demo load" in result.output


def test_set_password_checks_the_rules_and_unlocks(cli):
    cli("db", "upgrade")
    cli("demo", "load")
    weak = cli("users", "set-password", "cunyi", "--password", "123")
    assert weak.exit_code == 1 and "至少" in weak.output
    unknown = cli("users", "set-password", "nobody", "--password", "Good-pass-99")
    assert unknown.exit_code == 1 and "不存在" in unknown.output
    done = cli("users", "set-password", "cunyi", "--password", "Good-pass-99")
    assert done.exit_code == 0 and "已解锁" in done.output


def test_users_create_makes_a_login_for_a_practitioner(cli, tmp_path):
    from sqlalchemy import create_engine, text

    cli("db", "upgrade")
    cli("demo", "load")
    engine = create_engine(f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    with engine.connect() as conn:
        practitioner = conn.execute(
            text(
                "SELECT p.id FROM practitioner p"
                " WHERE NOT EXISTS (SELECT 1 FROM app_user u WHERE u.practitioner_id = p.id) LIMIT 1"
            )
        ).scalar()
    engine.dispose()
    import uuid

    result = cli(
        "users", "create", "newdoc", "--practitioner", str(uuid.UUID(hex=practitioner)), "--password", "Newdoc-2026"
    )
    assert result.exit_code == 0, result.output
    again = cli(
        "users", "create", "newdoc", "--practitioner", str(uuid.UUID(hex=practitioner)), "--password", "Newdoc-2026"
    )
    assert again.exit_code == 1 and "已被使用" in again.output


def test_production_without_a_secret_key_refuses_to_start(cli, monkeypatch):
    monkeypatch.setenv("KANGDANG_ENVIRONMENT", "production")
    result = cli("db", "current")
    assert result.exit_code == 2 and "KANGDANG_SECRET_KEY" in result.output
