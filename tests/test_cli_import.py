"""`kangdang import residents` on a fresh SQLite file: dry run by default, --commit imports, --as narrows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from kangdang.cli import app
from kangdang.core.idnumber import check_character

JUCHENG = "330521102200"
HEADER = ["证件号码", "姓名", "现住址村居委会代码", "家庭编号", "与户主关系", "本人电话"]


def idn(birth: str, sequence: str) -> str:
    first17 = f"330521{birth}{sequence}"
    return first17 + check_character(first17)


GOOD = [
    [idn("19550505", "311"), "禤福生", JUCHENG, "K1", "户主", "13700001111"],
    [idn("19570606", "322"), "禤桂英", JUCHENG, "K1", "妻", ""],
    [idn("19800707", "331"), "禤国强", JUCHENG, "K1", "长子", ""],
]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file with the demo county, made through the CLI once for the module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli-import') / 'kangdang.sqlite3'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KANGDANG_DATABASE_URL", url)
        runner = CliRunner()
        for args in (["db", "upgrade"], ["demo", "load"]):
            result = runner.invoke(app, args, catch_exceptions=False)
            assert result.exit_code == 0, result.output
    return url


@pytest.fixture
def cli(database: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KANGDANG_DATABASE_URL", database)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run


def write(path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode("gb18030"))
    return path


def persons_named(database: str, surname: str) -> int:
    engine = create_engine(database)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM person WHERE name LIKE :n"), {"n": f"{surname}%"}).scalar()
    engine.dispose()
    return int(found or 0)


def test_a_dry_run_lists_every_bad_row_and_exits_1(cli, database, tmp_path):
    bad = [
        *GOOD[:2],
        [GOOD[2][0][:-1] + ("0" if GOOD[2][0][-1] != "0" else "1"), "禤国强", "330521115001", "", "", "1x"],
    ]
    result = cli("import", "residents", str(write(tmp_path / "bad.csv", bad)))
    assert result.exit_code == 1
    assert "第 4 行【证件号码】" in result.output and "校验位" in result.output
    assert "第 4 行【本人电话】" in result.output
    assert "第 2 行" not in result.output and "未导入任何数据" in result.output
    assert persons_named(database, "禤") == 0


def test_dry_run_then_commit_imports_once_and_a_second_commit_adds_nothing(cli, database, tmp_path):
    path = write(tmp_path / "good.csv", GOOD)
    checked = cli("import", "residents", str(path))
    assert checked.exit_code == 0 and "校验通过" in checked.output and "新建 3 人" in checked.output
    assert persons_named(database, "禤") == 0
    done = cli("import", "residents", str(path), "--commit")
    assert done.exit_code == 0, done.output
    assert "导入完成" in done.output and "新建 3 人" in done.output and "新建家庭 1 户" in done.output
    assert persons_named(database, "禤") == 3
    again = cli("import", "residents", str(path), "--commit")
    assert again.exit_code == 0 and "新建 0 人，已建档跳过 3 人" in again.output
    assert persons_named(database, "禤") == 3


def test_as_a_login_the_import_runs_with_that_users_rights_and_scope(cli, database, tmp_path):
    path = write(tmp_path / "other.csv", [[idn("19660808", "341"), "邝外镇", "330521115001", "", "", ""]])
    refused = cli("import", "residents", str(path), "--commit", "--as", "cunyi")
    assert refused.exit_code == 1 and "没有执行此操作的权限" in refused.output
    out_of_scope = cli("import", "residents", str(path), "--commit", "--as", "dangan")
    assert out_of_scope.exit_code == 1 and "管辖范围" in out_of_scope.output
    unknown = cli("import", "residents", str(path), "--as", "nobody")
    assert unknown.exit_code == 1 and "不存在" in unknown.output
    assert cli("import", "residents", str(tmp_path / "missing.csv")).exit_code == 1
    assert persons_named(database, "邝") == 0
    system = cli("import", "residents", str(path), "--commit")
    assert system.exit_code == 0 and persons_named(database, "邝") == 1
