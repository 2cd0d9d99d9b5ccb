"""Filing many residents at once (批量建档): the import of an Excel/CSV table, and the demo population.

Every row is checked before anything is written; one bad row refuses the whole batch, and each problem is
reported as (row, column header, Chinese message). Documents already on file are skipped, never doubled, so
importing the same file twice adds nothing. Households are given per row: ``household`` is either an existing
17-digit household number, or a key local to the file shared by the rows of one new household, one of which is
the head (与户主关系 = 户主).

The writing is a bulk path: lookups are prefetched in chunks, numbers are reserved per village in one step, and
rows go in with multi-row INSERTs — all in the caller's one transaction, with one audit event for the import.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.crypto import cipher_for
from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.errors import FieldError, InvalidInput
from kangdang.institutions.actors import current
from kangdang.institutions.models import Catchment, Institution
from kangdang.institutions.types import PRIMARY_CARE_TYPES
from kangdang.regions.codes import Level
from kangdang.regions.models import Region
from kangdang.residents.bulk_write import chunked, write_plan
from kangdang.residents.codes import (
    DOCUMENT_TYPES,
    ETHNICITIES,
    HEAD,
    ID_CARD,
    RELATIONSHIPS,
    RESIDENCE_TYPES,
    SEXES,
)
from kangdang.residents.identity import check_identity
from kangdang.residents.models import (
    Household,
    Person,
)
from kangdang.residents.service import CENTRE_TYPES

# The columns of the import table, by field name, with the header the user sees (and errors name).
HEADERS: dict[str, str] = {
    "document_type": "证件类别",
    "document_number": "证件号码",
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "phone": "本人电话",
    "contact_name": "联系人姓名",
    "contact_phone": "联系人电话",
    "residence_type": "常住类型",
    "current_region_code": "现住址村居委会代码",
    "current_address": "现住址详细地址",
    "registered_region_code": "户籍地址村居委会代码",
    "registered_address": "户籍地址详细地址",
    "work_unit": "工作单位",
    "filed_on": "建档日期",
    "household": "家庭编号",
    "relationship": "与户主关系",
    "paper_location": "纸质档案位置",
}
REQUIRED = ("document_number", "name", "current_region_code")
MAX_LENGTHS = {
    "name": 50,
    "contact_name": 50,
    "current_address": 200,
    "registered_address": 200,
    "work_unit": 100,
    "paper_location": 100,
    "household": 40,
}
PHONE = re.compile(r"[0-9\-+ ]{5,20}")
VILLAGE_CODE = re.compile(r"\d{12}")
HOUSEHOLD_NUMBER = re.compile(r"\d{17}")  # 12-digit village code + 5-digit serial: a household on file
NO_DOCUMENT = "请填写证件号码；批量导入不能登记无证件的新生儿（新生儿须关联母亲，请在居民建档页面逐个登记）"

Progress = Callable[[str, int, int], None]  # stage (校验 / 写入), rows done, rows in all


@dataclass(frozen=True)
class ImportRow:
    """One row of the table, with codes already read from labels. ``row`` is the spreadsheet row number."""

    row: int
    name: str
    current_region_code: str
    document_type: str | None = ID_CARD
    document_number: str | None = None
    sex: str | None = None
    birth_date: date | None = None
    ethnicity: str = "01"
    phone: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    residence_type: str = "1"
    current_address: str | None = None
    registered_region_code: str | None = None
    registered_address: str | None = None
    work_unit: str | None = None
    filed_on: date | None = None
    household: str | None = None
    relationship: str | None = None
    paper_location: str | None = None
    problems: tuple[FieldError, ...] = ()  # cells that could not be read (from the table reader)


@dataclass
class ImportResult:
    created: int = 0
    skipped_existing: int = 0
    households_created: int = 0
    errors: list[FieldError] = field(default_factory=list)
    skipped_rows: list[int] = field(default_factory=list)  # rows whose document is already on file
    joined_households: int = 0  # new residents who joined a household already on file


def row_error(row: int, column: str, message: str) -> FieldError:
    """A problem of one cell: the field is the column header, the message names row and column."""
    header = HEADERS.get(column, column)
    return FieldError(header, f"第 {row} 行【{header}】：{message}", row=row)


def error_text(error: FieldError) -> str:
    """The bare problem of a row error, without its 第 N 行【列】 prefix (for tables with those columns)."""
    return error.message.split("】：", 1)[1] if "】：" in error.message else error.message


# --- use cases -------------------------------------------------------------------------------------------


def check_residents(
    session: Session, actor: Actor, rows: Sequence[ImportRow], *, progress: Progress | None = None
) -> ImportResult:
    """Validate an import without writing: every problem in ``errors``, and what an import would do."""
    actor.require(Action.RESIDENT_IMPORT)
    plan = _plan(session, actor, rows)
    if progress:
        progress("校验", len(rows), len(rows))
    return plan.result()


def import_residents(
    session: Session,
    actor: Actor,
    rows: Sequence[ImportRow],
    *,
    filename: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """File every new resident of ``rows`` with their record and household, all or none; raises InvalidInput
    with every row's problems. Residents whose document is already on file are skipped."""
    actor.require(Action.RESIDENT_IMPORT)
    plan = _plan(session, actor, rows)
    if progress:
        progress("校验", len(rows), len(rows))
    if plan.errors:
        raise InvalidInput(
            f"导入文件有 {len(plan.errors)} 处错误（涉及 {len({e.row for e in plan.errors})} 行），未导入任何数据",
            errors=plan.errors,
        )
    result = plan.result()
    write_plan(session, actor, plan, filename=filename, progress=progress)
    record_event(
        session,
        actor,
        "resident.import",
        subject_type="import",
        subject_id=(filename or "")[:64] or None,
        details={
            "file": filename,
            "rows": len(rows),
            "created": result.created,
            "skipped_existing": result.skipped_existing,
            "households_created": result.households_created,
            "joined_households": result.joined_households,
        },
    )
    session.flush()
    return result


# --- checking --------------------------------------------------------------------------------------------


@dataclass
class CheckedRow:
    row: ImportRow
    number: str | None = None  # the document, normalised
    index: str | None = None  # its blind index
    birth_date: date | None = None
    sex: str | None = None
    existing_id: uuid.UUID | None = None  # the person already on file with this document


@dataclass
class ImportPlan:
    rows: list[CheckedRow]
    errors: list[FieldError]
    managing: dict[str, Institution]  # village → the institution that keeps its records
    households: dict[str, Household]  # household on file by number
    group_heads: dict[str, CheckedRow]  # file-local household key → its head row
    group_joins: dict[str, Household]  # key → household on file headed by the (already filed) head

    @property
    def new_rows(self) -> list[CheckedRow]:
        return [c for c in self.rows if c.existing_id is None]

    def result(self) -> ImportResult:
        new = self.new_rows
        created_groups = {k for k, head in self.group_heads.items() if head.existing_id is None}
        joined = sum(
            1
            for c in new
            if c.row.household
            and (c.row.household in self.households or c.row.household in self.group_joins)
            and c.row.household not in created_groups
        )
        return ImportResult(
            created=0 if self.errors else len(new),
            skipped_existing=len(self.rows) - len(new),
            households_created=0 if self.errors else len(created_groups),
            errors=list(self.errors),
            skipped_rows=[c.row.row for c in self.rows if c.existing_id is not None],
            joined_households=0 if self.errors else joined,
        )


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []
        self._bad: set[tuple[int, str]] = set()

    def add(self, row: ImportRow, column: str, message: str) -> None:
        header = HEADERS.get(column, column)
        if (row.row, header) in self._bad:
            return  # one problem per cell: the first (usually the reader's) says it
        self._bad.add((row.row, header))
        self.items.append(row_error(row.row, column, message))

    def take(self, problem: FieldError) -> None:
        if problem.row is not None:
            self._bad.add((problem.row, problem.field))
        self.items.append(problem)

    def sorted(self) -> list[FieldError]:
        order = {header: i for i, header in enumerate(HEADERS.values())}
        return sorted(self.items, key=lambda e: (e.row or 0, order.get(e.field, len(order))))


def _plan(session: Session, actor: Actor, rows: Sequence[ImportRow]) -> ImportPlan:
    today = today_local()
    cipher = cipher_for(session)
    errors = _Errors()
    checked: list[CheckedRow] = []
    seen: dict[tuple[str | None, str], int] = {}
    for row in rows:
        for problem in row.problems:
            errors.take(problem)
        c = _check_row(row, today, errors)
        if c.number is not None:
            key = (row.document_type, c.number)
            if key in seen:
                errors.add(row, "document_number", f"与第 {seen[key]} 行的证件号码重复")
            else:
                seen[key] = row.row
            c.index = cipher.blind_index(c.number)
        checked.append(c)

    _mark_existing(session, checked)
    villages = _villages(session, {c.row.current_region_code for c in checked} | _registered_codes(checked))
    managing = _managing_institutions(session, actor, [v for v, level in villages.items() if level == Level.VILLAGE])
    for c in checked:
        row = c.row
        code = row.current_region_code
        if VILLAGE_CODE.fullmatch(code or ""):
            if villages.get(code) != Level.VILLAGE:
                errors.add(row, "current_region_code", f"{code} 不是有效的村/居委会区划代码")
            elif not actor.scope.covers_region(code):
                errors.add(row, "current_region_code", "该村/居委会不在您的管辖范围内，不能在此建档")
            elif code not in managing:
                errors.add(row, "current_region_code", "该村/居委会不在任何基层医疗卫生机构的服务范围内")
        registered = row.registered_region_code
        if registered and VILLAGE_CODE.fullmatch(registered) and villages.get(registered) != Level.VILLAGE:
            errors.add(row, "registered_region_code", f"{registered} 不是有效的村/居委会区划代码")

    households = _households_on_file(session, actor, checked, errors)
    group_heads, group_joins = _groups(session, actor, checked, households, errors)
    return ImportPlan(checked, errors.sorted(), managing, households, group_heads, group_joins)


def _check_row(row: ImportRow, today: date, errors: _Errors) -> CheckedRow:
    """The checks of one row that need no database."""
    c = CheckedRow(row, birth_date=row.birth_date, sex=row.sex)
    if not (row.name or "").strip():
        errors.add(row, "name", "请填写姓名")
    if not row.document_number:
        errors.add(row, "document_number", NO_DOCUMENT)
    elif row.document_type not in DOCUMENT_TYPES:
        errors.add(row, "document_type", f"证件类别“{row.document_type or ''}”无效")
    else:
        identity = check_identity(
            row.document_type, row.document_number, row.birth_date, row.sex, today=today, has_mother=False
        )
        for problem in identity.errors:
            errors.add(row, problem.field, problem.message)
        c.number, c.birth_date, c.sex = identity.number, identity.birth_date, identity.sex
        if identity.errors:
            c.number = None  # not usable as a key
    if row.sex is not None and row.sex not in SEXES:
        errors.add(row, "sex", f"性别“{row.sex}”无效（男、女或代码 1、2）")
    if row.ethnicity not in ETHNICITIES:
        errors.add(row, "ethnicity", f"民族“{row.ethnicity}”无效")
    if row.residence_type not in RESIDENCE_TYPES:
        errors.add(row, "residence_type", "常住类型应为“户籍”或“非户籍”")
    for column in ("phone", "contact_phone"):
        value = getattr(row, column)
        if value and not PHONE.fullmatch(value):
            errors.add(row, column, f"电话“{value}”格式不正确（5–20 位数字，可含 - + 和空格）")
    if not row.current_region_code:
        errors.add(row, "current_region_code", "请填写现住址所在村/居委会的 12 位区划代码")
    elif not VILLAGE_CODE.fullmatch(row.current_region_code):
        errors.add(row, "current_region_code", f"“{row.current_region_code}”不是 12 位村/居委会区划代码")
    if row.registered_region_code and not VILLAGE_CODE.fullmatch(row.registered_region_code):
        errors.add(row, "registered_region_code", f"“{row.registered_region_code}”不是 12 位村/居委会区划代码")
    for column, limit in MAX_LENGTHS.items():
        value = getattr(row, column)
        if value and len(value) > limit:
            errors.add(row, column, f"最多 {limit} 个字符")
    if row.filed_on is not None:
        if row.filed_on > today:
            errors.add(row, "filed_on", "建档日期不能晚于今天")
        elif c.birth_date is not None and row.filed_on < c.birth_date:
            errors.add(row, "filed_on", "建档日期不能早于出生日期")
    if row.relationship is not None and row.relationship not in RELATIONSHIPS:
        errors.add(row, "relationship", f"与户主关系“{row.relationship}”无效")
    elif row.household and not row.relationship:
        errors.add(row, "relationship", "填写了家庭编号，请填写与户主关系")
    elif row.relationship and not row.household:
        errors.add(row, "household", "填写了与户主关系，请填写家庭编号（已有家庭的编号，或本文件内同一家庭共用的编号）")
    return c


def _mark_existing(session: Session, checked: list[CheckedRow]) -> None:
    """Find the documents already on file (by type and blind index), in chunks."""
    wanted: dict[str | None, set[str]] = defaultdict(set)
    for c in checked:
        if c.index is not None:
            wanted[c.row.document_type].add(c.index)
    found: dict[tuple[str | None, str | None], uuid.UUID] = {}
    for document_type, indexes in wanted.items():  # (document_type, document_index) is the unique index
        for chunk in chunked(sorted(indexes)):
            for person_id, index in session.execute(
                select(Person.id, Person.document_index).where(
                    Person.document_type == document_type, Person.document_index.in_(chunk)
                )
            ):
                found[(document_type, index)] = person_id
    for c in checked:
        if c.index is not None:
            c.existing_id = found.get((c.row.document_type, c.index))


def _registered_codes(checked: list[CheckedRow]) -> set[str]:
    return {c.row.registered_region_code for c in checked if c.row.registered_region_code}


def _villages(session: Session, codes: set[str]) -> dict[str, int]:
    wanted = sorted(c for c in codes if c and VILLAGE_CODE.fullmatch(c))
    levels: dict[str, int] = {}
    for chunk in chunked(wanted):
        for code, level in session.execute(select(Region.code, Region.level).where(Region.code.in_(chunk))):
            levels[code] = level
    return levels


def _managing_institutions(session: Session, actor: Actor, villages: list[str]) -> dict[str, Institution]:
    """Who keeps each village's records, with the rule of filing one resident (service._managing_institution):
    the actor's own institution serving the village, else its township or community centre, else the first."""
    today = today_local()
    candidates: dict[str, list[Institution]] = defaultdict(list)
    for chunk in chunked(sorted(villages)):
        rows = session.execute(
            select(Catchment.region_code, Institution)
            .join(Institution, Institution.id == Catchment.institution_id)
            .where(
                Catchment.region_code.in_(chunk),
                current(Catchment.valid_from, Catchment.valid_to, today),
                Institution.status == "active",
                Institution.type.in_([t.value for t in PRIMARY_CARE_TYPES]),
            )
            .order_by(Catchment.region_code, Institution.code)
        )
        for code, institution in rows:
            candidates[code].append(institution)
    own = {m.institution_id for m in actor.memberships}
    chosen: dict[str, Institution] = {}
    for code, options in candidates.items():
        chosen[code] = (
            next((i for i in options if i.id in own), None)
            or next((i for i in options if i.type in CENTRE_TYPES), None)
            or options[0]
        )
    return chosen


def _households_on_file(
    session: Session, actor: Actor, checked: list[CheckedRow], errors: _Errors
) -> dict[str, Household]:
    numbers = {c.row.household for c in checked if c.row.household and HOUSEHOLD_NUMBER.fullmatch(c.row.household)}
    found: dict[str, Household] = {}
    for chunk in chunked(sorted(numbers)):
        for household in session.scalars(select(Household).where(Household.household_number.in_(chunk))):
            if actor.scope.covers_region(household.region_code):
                found[household.household_number] = household
    for c in checked:
        number = c.row.household
        if not number or not HOUSEHOLD_NUMBER.fullmatch(number):
            continue
        if number not in found:
            errors.add(c.row, "household", f"家庭编号 {number} 不存在，或不在您的管辖范围内")
        elif c.row.relationship == HEAD and c.existing_id is None:
            errors.add(
                c.row, "relationship", "导入不能更换已有家庭的户主；请填与户主的实际关系，或在家庭档案中更换户主"
            )
    return found


def _groups(
    session: Session, actor: Actor, checked: list[CheckedRow], on_file: dict[str, Household], errors: _Errors
) -> tuple[dict[str, CheckedRow], dict[str, Household]]:
    """New households of the file: each key needs exactly one head row."""
    groups: dict[str, list[CheckedRow]] = defaultdict(list)
    for c in checked:
        key = c.row.household
        if key and not HOUSEHOLD_NUMBER.fullmatch(key):
            groups[key].append(c)
    heads: dict[str, CheckedRow] = {}
    for key, members in groups.items():
        head_rows = [c for c in members if c.row.relationship == HEAD]
        if not head_rows:
            for c in members:
                errors.add(c.row, "household", f"家庭“{key}”没有户主：请在其中一行的与户主关系填“户主”")
            continue
        heads[key] = head_rows[0]
        for c in head_rows[1:]:
            errors.add(c.row, "relationship", f"家庭“{key}”已有户主（第 {head_rows[0].row.row} 行）")
    # A head already on file: the new members join the household that person heads.
    waiting = {
        key: head
        for key, head in heads.items()
        if head.existing_id is not None and any(c.existing_id is None for c in groups[key])
    }
    joins: dict[str, Household] = {}
    if waiting:
        headed = {
            h.head_person_id: h
            for h in session.scalars(
                select(Household).where(Household.head_person_id.in_({h.existing_id for h in waiting.values()}))
            )
        }
        for key, head in waiting.items():
            household = headed.get(head.existing_id)
            if household is not None and actor.scope.covers_region(household.region_code):
                joins[key] = household
                continue
            for c in groups[key]:
                if c.existing_id is None:
                    errors.add(
                        c.row,
                        "household",
                        f"户主（第 {head.row.row} 行）已建档，但不是您管辖范围内任何家庭的户主；"
                        "请填写其家庭的 17 位家庭编号，或先在家庭档案中为其建户",
                    )
    return heads, joins
