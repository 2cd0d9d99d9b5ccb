"""The audit chain: intact after normal use, and `kangdang audit verify` names the first tampered entry."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from kangdang.access.actor import system_actor
from kangdang.access.audit import record_event
from kangdang.access.chain import verify_chain
from kangdang.cli import app
from kangdang.db.engine import build_engine, build_sessionmaker
from kangdang.db.migrate import upgrade
from kangdang.settings import Settings
from tests.conftest import throwaway_database


@pytest.fixture(params=["sqlite", "postgresql"])
def audited(request, tmp_path, monkeypatch):
    """A fresh database with 12 events written in 4 committed transactions; yields (url, engine, factory)."""
    with throwaway_database(request.param, tmp_path) as url:
        yield from _audited(url, monkeypatch)


def _audited(url, monkeypatch):  # type: ignore[no-untyped-def]
    settings = Settings(environment="test", database_url=url)
    engine = build_engine(url)
    upgrade(engine)
    factory = build_sessionmaker(engine, settings)
    for batch in range(4):
        with factory() as session:
            for n in range(3):
                record_event(session, system_actor(), f"test.event{batch}", subject_id=str(n), details={"n": n})
            session.commit()
    with factory() as session:  # a rolled-back transaction leaves nothing on the chain
        record_event(session, system_actor(), "test.rolled_back")
        session.rollback()
    monkeypatch.setenv("KANGDANG_DATABASE_URL", url)
    yield url, engine, factory
    engine.dispose()


def _verify() -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify"], catch_exceptions=False)
    return result.exit_code, result.output


def test_an_untouched_log_verifies(audited):
    _url, _engine, factory = audited
    with factory() as session:
        report = verify_chain(session)
    assert report.intact and report.checked == 12
    code, output = _verify()
    assert code == 0 and "共 12 条" in output


@pytest.mark.parametrize(
    ("tamper", "seq", "words"),
    [
        ("UPDATE audit_event SET action = 'forged' WHERE seq = 5", 5, "内容被改动"),
        ("UPDATE audit_event SET details = '{\"n\": 99}' WHERE seq = 7", 7, "内容被改动"),
        ("DELETE FROM audit_event WHERE seq = 4", 4, "缺失"),
        ("UPDATE audit_event SET seq = seq + 100 WHERE seq IN (8, 9)", 8, "缺失"),
        ("DELETE FROM audit_event WHERE seq = 12", 12, "缺失"),
    ],
)
def test_tampering_is_reported_at_the_first_altered_entry(audited, tamper, seq, words):
    _url, engine, _factory = audited
    with engine.begin() as conn:
        conn.execute(text(tamper))
    code, output = _verify()
    assert code == 1
    assert f"第 {seq} 条" in output and words in output


def test_an_event_inserted_behind_the_applications_back_is_reported(audited):
    _url, engine, _factory = audited
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO audit_event (id, at, action, details) VALUES (:id, :at, 'sneaked', '{}')"),
            {
                "id": uuid.uuid4().hex if engine.dialect.name == "sqlite" else str(uuid.uuid4()),
                "at": "2026-01-01 00:00:00",
            },
        )
    code, output = _verify()
    assert code == 1 and "不在链上" in output
