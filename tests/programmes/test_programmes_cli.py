"""`kangdang programmes refresh` on a fresh SQLite file with the demo county: nothing to do on the day the demo
was loaded; a year later the children who turned 7 in between are closed (满7岁结案) and the counts printed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from kangdang.cli import app
from kangdang.core.clock import today_local
from kangdang.records.context import add_months

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cli(tmp_path: Any, monkeypatch: Any) -> Any:
    monkeypatch.setenv("KANGDANG_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    return run


def test_refresh_on_an_empty_database_reports_nothing_to_do(cli: Any) -> None:
    cli("db", "upgrade")
    assert "已重新安排 0 个在管对象的随访任务：新增或更新任务 0 条，结案 0 个" in cli("programmes", "refresh").output


def in_own_process(tmp_path: Any, *args: str) -> str:
    """The command in a fresh process, as cron runs it: only what the command itself imports is loaded."""
    env = os.environ | {"KANGDANG_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "COLUMNS": "120"}
    command = [sys.executable, "-c", "from kangdang.cli import main; main()", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_refresh_closes_the_children_who_turned_seven_and_prints_the_counts(
    cli: Any, tmp_path: Any, time_machine: Any
) -> None:
    cli("db", "upgrade")
    cli("demo", "load")
    same_day = in_own_process(tmp_path, "programmes", "refresh")
    assert "新增或更新任务 0 条，结案 0 个" in same_day and "0～6岁儿童" in same_day

    today = today_local()
    later = today + timedelta(days=365)
    engine = create_engine(f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    with engine.connect() as conn:
        children = conn.execute(
            text(
                "SELECT e.id, p.birth_date FROM programme_episode e JOIN person p ON p.id = e.person_id"
                " WHERE e.programme = 'child' AND e.status = 'active'"
            )
        ).all()
    turning = {id_: born for id_, born in children if add_months(_day(born), 84) <= later}
    assert turning and len(turning) < len(children)

    time_machine.move_to(datetime.combine(later, time(2, 15), tzinfo=SHANGHAI), tick=False)
    output = cli("programmes", "refresh").output
    assert f"满7岁结案 {len(turning)}" in output and f"结案 {len(turning)} 个" in output
    with engine.connect() as conn:
        closed = conn.execute(
            text(
                "SELECT id, outcome, closed_on, closed_by FROM programme_episode"
                " WHERE programme = 'child' AND status = 'closed'"
            )
        ).all()
        open_tasks = conn.execute(
            text(
                "SELECT count(*) FROM care_task t JOIN programme_episode e ON e.id = t.episode_id"
                " WHERE e.status = 'closed' AND t.status = 'open'"
            )
        ).scalar()
    engine.dispose()
    assert {id_ for id_, *_ in closed} == set(turning)
    for id_, outcome, closed_on, closed_by in closed:
        assert (outcome, _day(closed_on), closed_by) == ("aged_out", add_months(_day(turning[id_]), 84), "system")
    assert open_tasks == 0  # their open tasks were cancelled


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
