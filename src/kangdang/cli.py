"""The ``kangdang`` command: serve, database, demo, regions and users. Every command is one transaction."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from kangdang.core.errors import DomainError

app = typer.Typer(help="康档 kangdang — 城乡居民健康档案平台", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema: upgrade, current revision, drift check.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo county 德清县 (330521).", no_args_is_help=True)
regions_app = typer.Typer(help="Administrative divisions (统计用区划代码).", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(regions_app, name="regions")
app.add_typer(users_app, name="users")
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
keys_app = typer.Typer(help="The secret key that protects identity and phone numbers at rest.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

console = Console()


def _settings():
    from pydantic import ValidationError

    from kangdang.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            console.print(f"[red]配置错误 (settings error):[/red] {error['msg'].removeprefix('Value error, ')}")
        raise typer.Exit(2) from None


def _engine():
    from kangdang.db.engine import build_engine

    settings = _settings()
    return settings, build_engine(settings.database_url, echo=settings.sql_echo)


def _fail(error: DomainError) -> None:
    console.print(f"[red]{error.message}[/red]")
    for item in error.errors[:50]:
        console.print(
            f"  - {item.message}"
            if item.message.startswith(item.field) or item.row
            else f"  - {item.field}: {item.message}"
        )
    if len(error.errors) > 50:
        console.print(f"  … 以及另外 {len(error.errors) - 50} 处错误")
    raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default KANGDANG_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default KANGDANG_PORT).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL only; SQLite uses one).")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development).")] = False,
) -> None:
    """Serve the pages and the JSON API over HTTP."""
    import uvicorn

    from kangdang.ops.malloc_arenas import limit_malloc_arenas

    limit_malloc_arenas()  # forty request threads would otherwise each keep an arena of freed memory
    settings = _settings()
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(f"康档 kangdang: http://{bind_host}:{bind_port}  (API docs: /api/docs)")
    uvicorn.run(
        "kangdang.app:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=1 if settings.is_sqlite else workers,
        reload=reload,
        proxy_headers=True,
        log_level="info",
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    from kangdang.db.migrate import current_revision, upgrade

    engine = _engine()[1]
    upgrade(engine, revision)
    console.print(f"数据库已升级到 {current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's migration revision and the code's head revision."""
    from kangdang.db.migrate import current_revision, head_revision

    engine = _engine()[1]
    console.print(f"database: {current_revision(engine) or '(empty)'}   code head: {head_revision()}")


@db_app.command("check")
def db_check() -> None:
    """Fail when the database is not at head or differs from the models (schema drift)."""
    from kangdang.db.migrate import current_revision, head_revision, schema_drift

    engine = _engine()[1]
    current, head = current_revision(engine), head_revision()
    if current != head:
        console.print(f"[red]数据库版本 {current} 不是最新版本 {head}；请运行 kangdang db upgrade[/red]")
        raise typer.Exit(1)
    drift = schema_drift(engine)
    if drift:
        console.print("[red]数据库结构与模型不一致：[/red]")
        for item in drift:
            console.print(f"  - {item}")
        raise typer.Exit(1)
    console.print(f"数据库结构与模型一致 (revision {head})")


def _print_logins(logins: list, password: str) -> None:
    table = Table(title=f"演示账号 demo logins — 密码 password: {password}")
    table.add_column("登录名 login")
    table.add_column("角色 role")
    table.add_column("机构 institution")
    for login in logins:
        table.add_row(login.login, login.role_label, login.institution)
    console.print(table)


@demo_app.command("load")
def demo_load() -> None:
    """Create (or complete) the demo county 浙江省湖州市德清县; safe to run again."""
    from kangdang.db.engine import build_sessionmaker
    from kangdang.db.uow import transaction
    from kangdang.demo.county import DEMO_PASSWORD, load_demo_county

    settings, engine = _engine()
    with console.status("加载演示县 德清县…") as status, transaction(build_sessionmaker(engine, settings)) as session:
        summary = load_demo_county(session, progress=lambda message: status.update(f"加载演示县：{message}"))
    console.print(
        f"演示县已就绪：新建机构 {summary.institutions_created}，人员 {summary.practitioners_created}，"
        f"账号 {summary.accounts_created}"
    )
    _print_logins(summary.logins, DEMO_PASSWORD)


@demo_app.command("generate")
def demo_generate(
    residents: Annotated[int, typer.Option(help="Residents to file (records, duplicates included).")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed (and day) gives the same county.")] = 2026,
    recompute: Annotated[bool, typer.Option(help="Recompute every indicator figure at the end.")] = False,
) -> None:
    """Build a synthetic 德清县 of N residents with five years of services, in an empty database."""
    from kangdang.core.clock import today_local
    from kangdang.db.engine import build_sessionmaker, vacuum_after_bulk_load
    from kangdang.db.uow import transaction
    from kangdang.demo.county import COUNTY_CODE, DEMO_PASSWORD, demo_logins
    from kangdang.demo.synthetic import generate_county
    from kangdang.indicators.refresh import recompute_all

    settings, engine = _engine()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    try:
        with (
            Progress(*columns, TimeElapsedColumn(), console=console) as bar,
            transaction(build_sessionmaker(engine, settings)) as session,
        ):
            tasks: dict[str, TaskID] = {}

            def advance(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            summary = generate_county(session, residents=residents, seed=seed, today=today_local(), progress=advance)
            if recompute:
                advance("工作指标", 0, 1)
                recompute_all(session, county=COUNTY_CODE, today=today_local())
                advance("工作指标", 1, 1)
            logins = demo_logins(session)
    except DomainError as error:
        _fail(error)
        raise typer.Exit(1) from None
    started = time.perf_counter()
    vacuum_after_bulk_load(engine)  # PostgreSQL: the visibility map and statistics of the loaded tables
    summary.seconds["vacuum"] = time.perf_counter() - started
    table = Table(title=f"合成县 德清县 — 种子 seed {seed}")
    table.add_column("居民 residents", justify="right")
    table.add_column("家庭 households", justify="right")
    table.add_column("重复建档 duplicates", justify="right")
    table.add_column("服务记录 forms", justify="right")
    table.add_column("管理周期 episodes", justify="right")
    table.add_column("随访任务 tasks", justify="right")
    table.add_row(*(f"{n:,}" for n in (summary.residents, summary.households, summary.duplicates, summary.forms,
                                        summary.episodes, summary.tasks)))  # fmt: skip
    console.print(table)
    console.print("耗时 seconds: " + "，".join(f"{stage} {secs:.1f}" for stage, secs in summary.seconds.items()))
    _print_logins(logins, DEMO_PASSWORD)


@demo_app.command("logins")
def demo_logins() -> None:
    """Print the demo logins, their institutions and the demo password."""
    from kangdang.db.engine import build_sessionmaker
    from kangdang.db.uow import transaction
    from kangdang.demo.county import DEMO_PASSWORD, demo_logins

    settings, engine = _engine()
    with transaction(build_sessionmaker(engine, settings)) as session:
        logins = demo_logins(session)
    if not logins:
        console.print("[red]还没有演示账号：请先运行 kangdang demo load[/red]")
        raise typer.Exit(1)
    _print_logins(logins, DEMO_PASSWORD)


@regions_app.command("import")
def regions_import(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="CSV files (provinces/cities/counties/townships/villages[.csv|.csv.gz]) or a folder of them."
        ),
    ] = None,
    within: Annotated[str | None, typer.Option(help="Import only codes under this prefix, e.g. 330521.")] = None,
    bundled: Annotated[bool, typer.Option(help="Import the national lists shipped with kangdang.")] = False,
) -> None:
    """Import divisions in the NBS CSV format of shared/data/regions; any bad row imports nothing."""
    from kangdang.access.actor import system_actor
    from kangdang.db.engine import build_sessionmaker
    from kangdang.db.uow import transaction
    from kangdang.regions.importer import DivisionFile, level_from_filename, read_text
    from kangdang.regions.service import bundled_division_files, import_regions

    files: list[Path] = []
    for path in paths or []:
        if path.is_dir():
            found = [p for p in path.iterdir() if level_from_filename(p.name) is not None]
            files.extend(sorted(found, key=lambda p: level_from_filename(p.name) or 0))
        elif path.exists():
            files.append(path)
        else:
            console.print(f"[red]找不到文件：{path}[/red]")
            raise typer.Exit(1)
    if not files and not bundled:
        console.print("[red]请给出区划 CSV 文件或文件夹，或使用 --bundled 导入随附的全国名单[/red]")
        raise typer.Exit(1)
    sources = bundled_division_files() if bundled else []
    sources += [DivisionFile(label=p.name, text=read_text(p)) for p in files]
    settings, engine = _engine()
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with (
            Progress(*columns, console=console) as progress,
            transaction(build_sessionmaker(engine, settings)) as session,
        ):
            task = progress.add_task("导入区划", total=None)
            summary = import_regions(
                session, system_actor(), sources, within=within, progress=lambda n: progress.advance(task, n)
            )
    except DomainError as error:
        _fail(error)
        return
    console.print(
        f"区划导入完成：新增 {summary.inserted}，更新 {summary.updated}，未变 {summary.unchanged}  "
        + "  ".join(f"{k} {v}" for k, v in summary.by_level.items())
    )


@users_app.command("create")
def users_create(
    login: Annotated[str, typer.Argument(help="Login name (lower-case letters, digits, . _ -).")],
    practitioner_id: Annotated[str, typer.Option("--practitioner", help="Id of the practitioner the account is for.")],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="The password (asked if not given)."),
    ],
) -> None:
    """Create a login for a practitioner (their memberships give the roles)."""
    import uuid

    from kangdang.access.actor import system_actor
    from kangdang.db.engine import build_sessionmaker
    from kangdang.db.uow import transaction
    from kangdang.institutions.schemas import AccountCreate
    from kangdang.institutions.staff import create_account

    settings, engine = _engine()
    try:
        with transaction(build_sessionmaker(engine, settings)) as session:
            create_account(
                session, system_actor(), uuid.UUID(practitioner_id), AccountCreate(login=login, password=password)
            )
    except ValueError as error:
        console.print(f"[red]输入有误：{error}[/red]")
        raise typer.Exit(1) from None
    except DomainError as error:
        _fail(error)
    console.print(f"账号 {login} 已创建")


@users_app.command("set-password")
def users_set_password(
    login: Annotated[str, typer.Argument(help="Login name.")],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="The password (asked if not given)."),
    ],
) -> None:
    """Set a user's password, unlock the account and end their sessions."""
    from kangdang.access.actor import system_actor
    from kangdang.access.auth import reset_password
    from kangdang.db.engine import build_sessionmaker
    from kangdang.db.uow import transaction

    settings, engine = _engine()
    try:
        with transaction(build_sessionmaker(engine, settings)) as session:
            reset_password(session, system_actor(), login=login, new_password=password)
    except DomainError as error:
        _fail(error)
    console.print(f"用户 {login} 的密码已设置，账号已解锁")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit chain; exit 1 naming the first altered, missing or reordered entry."""
    from kangdang.access.chain import verify_chain
    from kangdang.db.engine import build_sessionmaker

    settings, engine = _engine()
    with build_sessionmaker(engine, settings)() as session, console.status("校验审计链…"):
        report = verify_chain(session)
    if report.broken_seq is not None:
        console.print(f"[red]审计链已被破坏：{report.reason}（已校验 {report.checked} 条）[/red]")
        raise typer.Exit(1)
    if report.unchained:
        console.print(f"[red]有 {report.unchained} 条审计记录不在链上（不是由本系统写入的）[/red]")
        raise typer.Exit(1)
    console.print(f"审计链完整：共 {report.checked} 条记录")


@keys_app.command("rotate")
def keys_rotate(
    new_key_env: Annotated[
        str, typer.Option("--new-key-env", help="Name of the environment variable holding the new secret key.")
    ] = "KANGDANG_NEW_SECRET_KEY",
) -> None:
    """Re-encrypt and re-index every protected value under a new secret key, in one transaction."""
    import os

    from kangdang.db.engine import build_sessionmaker
    from kangdang.db.uow import transaction
    from kangdang.ops.keys import rotate_secret_key
    from kangdang.settings import Settings

    settings, engine = _engine()
    new_key = os.environ.get(new_key_env, "")
    try:
        Settings(environment=settings.environment, secret_key=new_key)
    except ValueError as error:
        console.print(f"[red]新密钥无效：{error}[/red]")
        raise typer.Exit(1) from None
    if len(new_key) < 32:
        console.print(f"[red]请在环境变量 {new_key_env} 中提供至少 32 个字符的新密钥[/red]")
        raise typer.Exit(1)
    try:
        with transaction(build_sessionmaker(engine, settings)) as session, console.status("重新加密…"):
            report = rotate_secret_key(session, settings.secret_key, new_key)
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    rows = "，".join(f"{table} {count} 行" for table, count in report.rows.items())
    console.print(f"已用新密钥重新加密：{rows}。现在把 KANGDANG_SECRET_KEY 改为新密钥并重启服务。")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        sys.exit(130)


# --- import ------------------------------------------------------------------------------------------------

import_app = typer.Typer(help="Import residents and households from Excel/CSV.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("residents")
def import_residents_command(
    file: Annotated[Path, typer.Argument(help="The residents table (.xlsx or .csv, UTF-8 or GB18030).")],
    commit: Annotated[
        bool, typer.Option("--commit/--dry-run", help="Import (--commit) or only check and report (default).")
    ] = False,
    login: Annotated[
        str | None, typer.Option("--as", help="Act as this user (their scope); default: the system actor.")
    ] = None,
) -> None:
    """Check a residents table and, with --commit, file every new resident and household in one transaction."""
    from sqlalchemy import select

    from kangdang.access.actor import system_actor
    from kangdang.access.models import User
    from kangdang.db.engine import build_sessionmaker
    from kangdang.db.uow import transaction
    from kangdang.exchange.resident_table import read_resident_table
    from kangdang.institutions.actors import load_actor
    from kangdang.residents.bulk import check_residents, import_residents

    if not file.is_file():
        console.print(f"[red]找不到文件：{file}[/red]")
        raise typer.Exit(1)
    settings, engine = _engine()
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with transaction(build_sessionmaker(engine, settings)) as session:
            actor = system_actor()
            if login:
                user = session.scalar(select(User).where(User.login == login))
                if user is None or not user.is_active:
                    console.print(f"[red]用户 {login} 不存在或已停用[/red]")
                    raise typer.Exit(1)
                actor = load_actor(session, user)
            with console.status(f"读取 {file.name}…"):
                rows = read_resident_table(file.name, file.read_bytes())
            with Progress(*columns, console=console) as progress:
                task = progress.add_task("校验", total=len(rows))

                def advance(stage: str, done: int, total: int) -> None:
                    progress.update(task, description=stage, completed=done, total=total)

                if commit:
                    result = import_residents(session, actor, rows, filename=file.name, progress=advance)
                else:
                    result = check_residents(session, actor, rows, progress=advance)
            if result.errors:
                console.print(f"[red]文件有 {len(result.errors)} 处错误，未导入任何数据：[/red]")
                for error in result.errors:
                    console.print(f"  {error.message}", markup=False)
                raise typer.Exit(1)
    except DomainError as error:
        console.print(f"[red]{error.message}[/red]")
        for item in error.errors:
            console.print(f"  {item.message}", markup=False)
        raise typer.Exit(1) from None
    counts = (
        f"新建 {result.created} 人，已建档跳过 {result.skipped_existing} 人，新建家庭 {result.households_created} 户"
        + (f"，加入已有家庭 {result.joined_households} 人" if result.joined_households else "")
    )
    if commit:
        console.print(f"导入完成（{len(rows)} 行）：{counts}")
    else:
        console.print(f"校验通过（{len(rows)} 行，未导入）：将{counts}。加 --commit 导入。")


# --- programmes --------------------------------------------------------------------------------------------

programmes_app = typer.Typer(
    help="Key-population programmes (重点人群健康管理): episodes and their follow-up tasks.", no_args_is_help=True
)
app.add_typer(programmes_app, name="programmes")


@programmes_app.command("refresh")
def programmes_refresh() -> None:
    """Re-plan every active programme episode and close those the calendar ends (run daily, e.g. from cron)."""
    from sqlalchemy import func, select

    import kangdang.db.models  # noqa: F401 - every domain's tables, so that the episodes' foreign keys resolve
    from kangdang.core.clock import utcnow
    from kangdang.db.engine import build_sessionmaker
    from kangdang.db.uow import transaction
    from kangdang.programmes.codes import OUTCOME_LABELS, Programme
    from kangdang.programmes.models import Episode
    from kangdang.programmes.sync import refresh_all

    settings, engine = _engine()
    with transaction(build_sessionmaker(engine, settings)) as session, console.status("重新安排随访任务…"):
        started = utcnow()
        active = dict(
            session.execute(
                select(Episode.programme, func.count()).where(Episode.status == "active").group_by(Episode.programme)
            ).all()
        )
        changed = refresh_all(session)
        closed = session.execute(
            select(Episode.programme, Episode.outcome, func.count())
            .where(Episode.status == "closed", Episode.refreshed_at >= started)
            .group_by(Episode.programme, Episode.outcome)
        ).all()
    table = Table(title="重点人群健康管理 programme episodes")
    table.add_column("项目 programme")
    table.add_column("在管 active", justify="right")
    table.add_column("本次结案 closed now", justify="right")
    ended: dict[str, list[str]] = {}
    for programme, outcome, count in closed:
        ended.setdefault(programme, []).append(f"{OUTCOME_LABELS.get(outcome or '', outcome)} {count}")
    for programme in Programme:
        if programme.value in active:
            table.add_row(
                programme.label, str(active[programme.value]), "，".join(ended.get(programme.value, [])) or "0"
            )
    console.print(table)
    total_closed = sum(count for _p, _o, count in closed)
    console.print(
        f"已重新安排 {sum(active.values())} 个在管对象的随访任务：新增或更新任务 {changed} 条，结案 {total_closed} 个"
    )


indicators_app = typer.Typer(
    help="Indicators (工作指标): the precomputed figures, refreshed incrementally or recomputed in full.",
    no_args_is_help=True,
)
app.add_typer(indicators_app, name="indicators")


@indicators_app.command("refresh")
def indicators_refresh(
    full: Annotated[
        bool, typer.Option("--full", help="Recompute every village (nightly; after a parameter changes).")
    ] = False,
    county: Annotated[str | None, typer.Option(help="Only this county (6 digits); default: every county.")] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=16, help="With --full: worker processes that count (PostgreSQL only).")
    ] = 2,
) -> None:
    """Bring the figures up to date: the villages changed since the last refresh, or (--full) every village."""
    import kangdang.db.models  # noqa: F401 - every domain's tables
    from kangdang.core.clock import today_local
    from kangdang.db.engine import build_sessionmaker
    from kangdang.db.uow import transaction
    from kangdang.indicators.refresh import counties, recompute_all, refresh_dirty

    if county is not None and (not county.isdigit() or len(county) != 6):
        console.print("[red]县（区）代码应为6位数字[/red]")
        raise typer.Exit(2)
    settings, engine = _engine()
    factory = build_sessionmaker(engine, settings)
    today = today_local()
    if not full:
        with transaction(factory) as session, console.status("更新有变动的村的指标…"):
            done = total = refresh_dirty(session, today=today, limit=100_000)
        console.print(f"已更新 {done} 个村的指标" if total else "没有需要更新的指标")
        return
    with transaction(factory) as session:
        chosen = [county] if county else counties(session)
    for code in chosen:
        with transaction(factory) as session, console.status(f"重新计算 {code} 的全部指标…"):
            villages = recompute_all(session, county=code, today=today, workers=workers)
        console.print(f"{code}：已重新计算 {villages} 个村的指标")


# --- bench -------------------------------------------------------------------------------------------------

from kangdang.bench.cli import bench_app  # noqa: E402 - registered beside the other sub-apps

app.add_typer(bench_app, name="bench")
