"""Use cases of the regions domain: importing divisions, browsing them, population and urban–rural class."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.errors import FieldError, InvalidInput
from kangdang.regions.codes import Level
from kangdang.regions.importer import DivisionFile, RegionRow, decode_table_bytes, parse_division_file
from kangdang.regions.models import Region

BULK_CHUNK = 5_000
BUNDLED_FILES = ("provinces.csv.gz", "cities.csv.gz", "counties.csv.gz", "townships.csv.gz")
BUNDLED_VILLAGE_FILES = {"330521": "villages-330521.csv.gz"}

Progress = Callable[[int], None]


@dataclass
class ImportSummary:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    by_level: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged


def import_regions(
    session: Session,
    actor: Actor,
    sources: Iterable[DivisionFile],
    *,
    within: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Insert or update divisions from NBS-format CSV files; any bad row rejects the whole import.

    A village whose real urban–rural class was imported keeps it when a later file carries none.
    """
    actor.require(Action.REGION_IMPORT)
    rows: dict[str, RegionRow] = {}
    errors: list[FieldError] = []
    for source in sources:
        parsed, problems = parse_division_file(source, within=within)
        errors.extend(problems)
        for row in parsed:
            if row.code in rows:
                errors.append(FieldError(source.label, f"{source.label}：区划代码 {row.code} 在多个文件中重复"))
            rows[row.code] = row
    existing = {
        r.code: r
        for r in session.execute(
            select(Region.code, Region.name, Region.parent_code, Region.urban_rural_class, Region.class_is_derived)
        )
    }
    for row in rows.values():
        if row.parent_code and row.parent_code not in rows and row.parent_code not in existing:
            errors.append(FieldError("parent_code", f"区划 {row.code}（{row.name}）的上级 {row.parent_code} 不存在"))
    if errors:
        raise InvalidInput(f"区划文件有 {len(errors)} 处错误，未导入任何数据", errors=errors)

    summary = ImportSummary()
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    for row in sorted(rows.values(), key=lambda r: (r.level, r.code)):
        summary.by_level[row.level.label] = summary.by_level.get(row.level.label, 0) + 1
        values = _row_values(row)
        old = existing.get(row.code)
        if old is None:
            inserts.append(values)
            continue
        if row.urban_rural_class is None and old.urban_rural_class and not old.class_is_derived:
            for key in ("urban_rural_class", "area_type", "class_is_derived"):
                values.pop(key)
        if (old.name, old.parent_code) != (row.name, row.parent_code) or "urban_rural_class" in values and (
            old.urban_rural_class != row.urban_rural_class or old.class_is_derived != row.class_is_derived
        ):
            updates.append(values)
        else:
            summary.unchanged += 1
    done = 0
    for start in range(0, len(inserts), BULK_CHUNK):
        chunk = inserts[start : start + BULK_CHUNK]
        session.execute(insert(Region), chunk)
        done += len(chunk)
        if progress:
            progress(len(chunk))
    for start in range(0, len(updates), BULK_CHUNK):
        chunk = updates[start : start + BULK_CHUNK]
        session.execute(update(Region), chunk)
        if progress:
            progress(len(chunk))
    if progress and summary.unchanged:
        progress(summary.unchanged)
    summary.inserted, summary.updated = len(inserts), len(updates)
    record_event(
        session,
        actor,
        "region.import",
        subject_type="region",
        subject_id=within,
        details={"inserted": summary.inserted, "updated": summary.updated, "by_level": summary.by_level},
    )
    session.flush()
    return summary


def _row_values(row: RegionRow) -> dict[str, object]:
    return {
        "code": row.code,
        "name": row.name,
        "level": int(row.level),
        "parent_code": row.parent_code,
        "urban_rural_class": row.urban_rural_class,
        "area_type": row.area_type,
        "class_is_derived": row.class_is_derived,
    }


def bundled_division_files(county_codes: Iterable[str] = ("330521",)) -> list[DivisionFile]:
    """The national province-to-township lists and the villages of the bundled counties."""
    data = resources.files("kangdang.regions") / "data"
    names = list(BUNDLED_FILES) + [BUNDLED_VILLAGE_FILES[c] for c in county_codes]
    files = []
    for name in names:
        import gzip

        files.append(DivisionFile(label=name.removesuffix(".gz"), text=decode_table_bytes(gzip.decompress((data / name).read_bytes()))))
    return files


def import_bundled_regions(
    session: Session, actor: Actor, *, county_codes: Iterable[str] = ("330521",), progress: Progress | None = None
) -> ImportSummary:
    return import_regions(session, actor, bundled_division_files(county_codes), progress=progress)


def level_counts(session: Session) -> dict[Level, int]:
    from sqlalchemy import func

    return {Level(level): n for level, n in session.execute(select(Region.level, func.count()).group_by(Region.level))}


def region_choices(session: Session, actor: Actor, *, min_level: Level = Level.COUNTY) -> list[Region]:
    """Regions at or below ``min_level`` inside the actor's scope, ordered by code (for drop-downs)."""
    from sqlalchemy import or_

    stmt = select(Region).where(Region.level >= int(min_level)).order_by(Region.code)
    scope = actor.scope
    if not scope.everything:
        clauses = [Region.code.startswith(p) for p in scope.region_prefixes]
        if scope.village_codes:
            clauses.append(Region.code.in_(scope.village_codes))
        if not clauses:
            return []
        stmt = stmt.where(or_(*clauses))
    elif not scope.region_prefixes:
        counties = _home_counties(session)
        if counties:
            stmt = stmt.where(or_(*[Region.code.startswith(c) for c in counties]))
    return list(session.scalars(stmt))


def _home_counties(session: Session) -> list[str]:
    """Counties that hold institutions: the deployment's own territory (for an all-seeing actor's lists)."""
    from sqlalchemy import func, text

    rows = session.execute(text("SELECT DISTINCT substr(region_code, 1, 6) FROM institution")).scalars()
    del func
    return sorted(r for r in rows if r and len(r) == 6)
