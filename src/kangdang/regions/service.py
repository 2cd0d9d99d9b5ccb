"""Use cases of the regions domain: importing divisions, browsing them, population and urban–rural class."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.errors import FieldError, InvalidInput, NotFound
from kangdang.core.pagination import Page, PageRequest, paginate
from kangdang.regions.codes import (
    LEVEL_DIGITS,
    URBAN_RURAL_CLASSES,
    Level,
    area_type_of_class,
    is_valid_class,
    level_of,
    parent_of,
)
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
                first = rows[row.code]
                errors.append(
                    FieldError(
                        source.label,
                        f"{row.source} 第 {row.row} 行：区划代码 {row.code} 已出现在 {first.source} 第 {first.row} 行",
                        row=row.row,
                    )
                )
            rows[row.code] = row
    existing = {
        r.code: r
        for r in session.execute(
            select(Region.code, Region.name, Region.parent_code, Region.urban_rural_class, Region.class_is_derived)
        )
    }
    for row in rows.values():
        if row.parent_code and row.parent_code not in rows and row.parent_code not in existing:
            errors.append(
                FieldError(
                    "parent_code",
                    f"{row.source} 第 {row.row} 行：区划 {row.code}（{row.name}）的上级 {row.parent_code} 不存在",
                    row=row.row,
                )
            )
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
        if (old.name, old.parent_code) != (row.name, row.parent_code) or (
            "urban_rural_class" in values
            and (old.urban_rural_class != row.urban_rural_class or old.class_is_derived != row.class_is_derived)
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

        files.append(
            DivisionFile(
                label=name.removesuffix(".gz"), text=decode_table_bytes(gzip.decompress((data / name).read_bytes()))
            )
        )
    return files


def import_bundled_regions(
    session: Session, actor: Actor, *, county_codes: Iterable[str] = ("330521",), progress: Progress | None = None
) -> ImportSummary:
    return import_regions(session, actor, bundled_division_files(county_codes), progress=progress)


def level_counts(session: Session) -> dict[Level, int]:
    from sqlalchemy import func

    return {Level(level): n for level, n in session.execute(select(Region.level, func.count()).group_by(Region.level))}


def region_choices(session: Session, actor: Actor, *, min_level: Level = Level.COUNTY) -> list[Region]:
    """Regions at or below ``min_level`` in the actor's territory, ordered by code (for drop-downs).

    The territory is the scope's region prefixes (county roles; for a system administrator, their home
    county) and catchment villages; the platform itself (no prefixes) gets every region.
    """
    stmt = select(Region).where(Region.level >= int(min_level)).order_by(Region.code)
    scope = actor.scope
    clauses = [Region.code.startswith(p) for p in scope.region_prefixes]
    if scope.village_codes:
        clauses.append(Region.code.in_(scope.village_codes))
    if clauses:
        stmt = stmt.where(or_(*clauses))
    elif not scope.everything:
        return []
    return list(session.scalars(stmt))


# --- browsing and classifying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionDetail:
    region: Region
    path: list[Region]  # ancestors, province first
    children: list[Region]
    child_counts: dict[str, int]  # children by area type ('urban', 'rural', '' when unclassified)
    can_classify: bool  # the actor may set this village's urban–rural class


def ancestor_codes(code: str) -> list[str]:
    """Codes of the divisions above ``code``, province first (pure)."""
    codes: list[str] = []
    parent = parent_of(code)
    while parent:
        codes.insert(0, parent)
        parent = parent_of(parent)
    return codes


def get_region(session: Session, actor: Actor, code: str) -> RegionDetail:
    """One division with its breadcrumb and children. Divisions are reference data every role may see."""
    actor.require(Action.REGION_VIEW)
    region = session.get(Region, code) if level_of(code) is not None else None
    if region is None:
        raise NotFound(f"区划代码 {code} 不存在")
    above = ancestor_codes(code)
    found = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(above)))} if above else {}
    children = list(session.scalars(select(Region).where(Region.parent_code == code).order_by(Region.code)))
    counts: dict[str, int] = {}
    for child in children:
        counts[child.area_type or ""] = counts.get(child.area_type or "", 0) + 1
    return RegionDetail(
        region=region,
        path=[found[c] for c in above if c in found],
        children=children,
        child_counts=counts,
        can_classify=region.level == Level.VILLAGE
        and actor.can(Action.REGION_CLASSIFY)
        and actor.scope.covers_region(code),
    )


def list_regions(
    session: Session,
    actor: Actor,
    *,
    page: PageRequest,
    parent_code: str | None = None,
    query: str | None = None,
) -> Page[Region]:
    """Children of ``parent_code`` (provinces without one), or with ``query`` a search by name or code.

    A search covers the whole subtree of ``parent_code`` (the whole country without one).
    """
    actor.require(Action.REGION_VIEW)
    stmt = select(Region).order_by(Region.code)
    needle = (query or "").replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL
    if needle:
        if parent_code:
            stmt = stmt.where(Region.code.startswith(parent_code, autoescape=True), Region.code != parent_code)
        if needle.isdigit():
            stmt = stmt.where(Region.code.startswith(needle, autoescape=True))
        else:
            stmt = stmt.where(Region.name.contains(needle, autoescape=True))
        stmt = stmt.order_by(None).order_by(Region.level, Region.code)
    elif parent_code:
        stmt = stmt.where(Region.parent_code == parent_code)
    else:
        stmt = stmt.where(Region.level == int(Level.PROVINCE))
    return paginate(session, stmt, page)


def region_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Names of the given divisions in one query (e.g. the parents shown beside search results)."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    return {
        code: name for code, name in session.execute(select(Region.code, Region.name).where(Region.code.in_(wanted)))
    }


def home_region(session: Session, actor: Actor) -> Region | None:
    """Where an actor's view of the divisions starts: the smallest division holding their territory.

    County roles start at their bureau's region; institution staff at the county of their catchment villages;
    an all-seeing actor at the deployment's own territory (the counties holding institutions). None means the
    provinces.
    """
    scope = actor.scope
    if scope.region_prefixes:
        codes = list(scope.region_prefixes)
    elif scope.village_codes:
        codes = sorted({c[:6] for c in scope.village_codes})
    else:
        codes = []
    common = _common_division(codes)
    return session.get(Region, common) if common else None


def _common_division(codes: list[str]) -> str | None:
    """The longest division code that starts every code in ``codes`` (None when they share no province)."""
    if not codes:
        return None
    prefix = min(codes)
    for code in codes:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    lengths = [d for d in sorted(LEVEL_DIGITS.values(), reverse=True) if d <= len(prefix)]
    return prefix[: lengths[0]] if lengths else None


def classify_region(session: Session, actor: Actor, code: str, urban_rural_class: str) -> Region:
    """Set a village's NBS urban–rural class (城乡分类代码); its area type follows and is no longer derived."""
    actor.require(Action.REGION_CLASSIFY)
    region = session.get(Region, code) if level_of(code) and actor.scope.covers_region(code) else None
    if region is None:
        raise NotFound("未找到该区划，或不在您的管辖范围内")
    value = (urban_rural_class or "").strip()
    if region.level != Level.VILLAGE:
        raise InvalidInput(
            "城乡分类未保存", errors=[FieldError("urban_rural_class", "只有村级单位（村委会/居委会）有城乡分类代码")]
        )
    if not is_valid_class(value):
        choices = "、".join(URBAN_RURAL_CLASSES)
        raise InvalidInput(
            "城乡分类未保存", errors=[FieldError("urban_rural_class", f"城乡分类代码“{value}”无效（应为 {choices}）")]
        )
    before = {
        "urban_rural_class": region.urban_rural_class,
        "area_type": region.area_type,
        "derived": region.class_is_derived,
    }
    region.urban_rural_class = value
    region.area_type = area_type_of_class(value)
    region.class_is_derived = False
    after = {"urban_rural_class": value, "area_type": region.area_type, "derived": False}
    record_event(
        session,
        actor,
        "region.classify",
        subject_type="region",
        subject_id=code,
        details={"before": before, "after": after},
    )
    session.flush()
    return region
