"""Bulk import of residents and households (批量建档): every bad row reported, all or nothing, idempotent;
and the demo county's residents."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from kangdang.access.actor import system_actor
from kangdang.access.crypto import cipher_for
from kangdang.access.models import AuditEvent
from kangdang.core.clock import today_local
from kangdang.core.errors import InvalidInput, PermissionDenied
from kangdang.core.idnumber import check_character, parse_id_number
from kangdang.core.pagination import PageRequest
from kangdang.exchange.resident_table import read_resident_table, resident_template_csv, resident_template_xlsx
from kangdang.residents.bulk import ImportRow, check_residents, import_residents
from kangdang.residents.models import HealthRecord, Household, HouseholdMember, Person, ResidentChange
from kangdang.residents.search import search_residents

JUCHENG, MEILIN = "330521102200", "330521102201"  # villages of 新市镇, the records manager's township
MOGANSHAN = "330521115001"  # 莫干山镇: another township
HEADER = [
    "证件类别",
    "证件号码*",
    "姓名*",
    "性别",
    "出生日期",
    "民族",
    "本人电话",
    "联系人姓名",
    "联系人电话",
    "常住类型",
    "现住址村居委会代码*",
    "现住址详细地址",
    "户籍地址村居委会代码",
    "户籍地址详细地址",
    "工作单位",
    "建档日期",
    "家庭编号",
    "与户主关系",
    "纸质档案位置",
]


def idn(birth: str, sequence: str) -> str:
    """A valid ID number of the demo county (sequence: 3 digits, odd last digit for a man)."""
    first17 = f"330521{birth}{sequence}"
    return first17 + check_character(first17)


HEAD_ID = idn("19580312", "011")
WIFE_ID = idn("19600701", "022")
SON_ID = idn("19900215", "031")
MEILIN_HEAD_ID = idn("19750909", "042")
SINGLE_ID = idn("19450101", "053")


def person(number: str, name: str, **cells: str) -> dict[str, str]:
    row = {"证件号码": number, "姓名": name, "现住址村居委会代码": JUCHENG}
    row.update(cells)
    return row


def good_people() -> list[dict[str, str]]:
    return [
        person(
            HEAD_ID,
            "蒯长庚",
            性别="男",
            出生日期="1958-03-12",
            本人电话="13900000001",
            现住址详细地址="句城村3组8号",
            户籍地址村居委会代码=JUCHENG,
            建档日期="2024-05-06",
            家庭编号="A1",
            与户主关系="户主",
            纸质档案位置="柜1-3",
        ),
        person(WIFE_ID, "冷秀英", 本人电话="139-0000-0002", 家庭编号="A1", 与户主关系="配偶"),
        person(SON_ID, "蒯建军", 家庭编号="A1", 与户主关系="20", 常住类型="非户籍"),
        person(MEILIN_HEAD_ID, "阙美玲", 现住址村居委会代码=MEILIN, 家庭编号="B1", 与户主关系="户主", 民族="畲族"),
        person(SINGLE_ID, "宓德顺", 联系人姓名="宓小明", 联系人电话="0572-8000000"),
        person("E12345678", "史密斯", 证件类别="护照", 性别="男", 出生日期="1980-01-01", 民族="98"),
    ]


def table_csv(people: list[dict[str, str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for p in people:
        writer.writerow([p.get(h.rstrip("*"), "") for h in HEADER])
    return out.getvalue().encode(encoding)


def rows_of(people: list[dict[str, str]], encoding: str = "utf-8") -> list[ImportRow]:
    return read_resident_table("residents.csv", table_csv(people, encoding))


def counts(db) -> tuple[int, int, int, int]:
    db.expire_all()
    return tuple(  # type: ignore[return-value]
        db.scalar(select(func.count()).select_from(model)) or 0
        for model in (Person, HealthRecord, Household, HouseholdMember)
    )


def person_by_name(db, name: str) -> Person:
    return db.scalars(select(Person).where(Person.name == name)).one()


# --- all or nothing --------------------------------------------------------------------------------------


def bad_people() -> list[dict[str, str]]:
    people = good_people()  # rows 2–7 are good
    people += [
        person(HEAD_ID[:-1] + ("0" if HEAD_ID[-1] != "0" else "1"), "错校验"),  # row 8: bad check character
        person(idn("19700101", "061"), "错日期", 出生日期="1999-02-30"),  # row 9: impossible date
        person(idn("19700102", "071"), "无此村", 现住址村居委会代码="330521999999"),  # row 10: no such village
        person(idn("19700103", "081"), "外镇人", 现住址村居委会代码=MOGANSHAN),  # row 11: out of scope
        person(WIFE_ID, "冷秀英二"),  # row 12: the same document as row 3
        person(idn("19700104", "091"), "无户主", 家庭编号="C9", 与户主关系="子"),  # row 13: group without a head
        person(idn("19700105", "101"), "坏电话", 本人电话="12ab"),  # row 14: bad phone
        person("", "新生儿", 性别="女", 出生日期="2026-01-01"),  # row 15: no document
    ]
    return people


def test_a_file_with_bad_rows_reports_every_one_by_row_and_column_and_imports_nothing(db, actor_of):
    before = counts(db)
    with pytest.raises(InvalidInput) as caught:
        import_residents(db, actor_of("dangan"), rows_of(bad_people()))
    errors = caught.value.errors
    by_row = {(e.row, e.field): e.message for e in errors}
    assert "校验位不正确" in by_row[(8, "证件号码")]
    assert "1999-02-30" in by_row[(9, "出生日期")] and "不存在" in by_row[(9, "出生日期")]
    assert "不是有效的村/居委会区划代码" in by_row[(10, "现住址村居委会代码")]
    assert "管辖范围" in by_row[(11, "现住址村居委会代码")]
    assert "与第 3 行的证件号码重复" in by_row[(12, "证件号码")]
    assert "没有户主" in by_row[(13, "家庭编号")]
    assert "格式不正确" in by_row[(14, "本人电话")]
    assert "新生儿" in by_row[(15, "证件号码")]
    assert by_row[(8, "证件号码")].startswith("第 8 行【证件号码】：")
    assert {e.row for e in errors} == set(range(8, 16)), "good rows have no errors, every bad row has one"
    assert "未导入任何数据" in caught.value.message
    assert counts(db) == before


def test_the_corrected_file_imports_everyone_once_with_households_and_search_keys(db, actor_of):
    manager = actor_of("dangan")
    before = counts(db)
    result = import_residents(db, manager, rows_of(good_people()), filename="corrected.csv")
    assert (result.created, result.skipped_existing, result.households_created) == (6, 0, 2)
    after = counts(db)
    assert after[0] - before[0] == 6 and after[1] - before[1] == 6
    assert after[2] - before[2] == 2 and after[3] - before[3] == 4  # A1: 3 members, B1: 1

    head = person_by_name(db, "蒯长庚")
    household = db.scalars(select(Household).where(Household.head_person_id == head.id)).one()
    assert household.region_code == JUCHENG and household.address == "句城村3组8号"
    assert household.household_number.startswith(JUCHENG) and len(household.household_number) == 17
    members = {
        db.get(Person, m.person_id).name: m.relationship
        for m in db.scalars(select(HouseholdMember).where(HouseholdMember.household_id == household.id))
    }
    assert members == {"蒯长庚": "02", "冷秀英": "10", "蒯建军": "20"}

    wife = person_by_name(db, "冷秀英")
    assert (wife.sex, wife.birth_date) == ("2", date(1960, 7, 1))  # derived from the ID number
    assert person_by_name(db, "蒯建军").residence_type == "2"
    assert person_by_name(db, "阙美玲").ethnicity == "22"
    passport = person_by_name(db, "史密斯")
    assert passport.document_type == "03" and cipher_for(db).decrypt(passport.document_cipher) == "E12345678"
    record = db.scalars(select(HealthRecord).where(HealthRecord.person_id == head.id)).one()
    assert record.record_number.startswith(JUCHENG) and len(record.record_number) == 20
    assert record.filed_on == date(2024, 5, 6) and record.paper_location == "柜1-3"
    assert record.filed_by_name == manager.name
    assert db.scalars(select(HealthRecord).where(HealthRecord.person_id == wife.id)).one().filed_on is not None

    for query in ("kuaichanggeng", "kcg", "蒯长"):
        hits = search_residents(db, manager, query=query, page=PageRequest())
        assert "蒯长庚" in {h.person.name for h in hits.items}, query
    history = db.scalars(select(ResidentChange).where(ResidentChange.person_id == head.id)).all()
    assert {(h.entity, h.action) for h in history} >= {("record", "import"), ("household", "import")}
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "resident.import")).all()
    ours = [e for e in events if e.details["file"] == "corrected.csv"]
    assert len(ours) == 1 and ours[0].details["created"] == 6 and ours[0].login == "dangan"


def test_importing_the_same_file_again_adds_nothing(db, actor_of):
    manager = actor_of("dangan")
    import_residents(db, manager, rows_of(good_people()))
    before = counts(db)
    again = import_residents(db, manager, rows_of(good_people()))
    assert (again.created, again.skipped_existing, again.households_created) == (0, 6, 0)
    assert again.skipped_rows == [2, 3, 4, 5, 6, 7]
    assert counts(db) == before


def test_a_dry_run_reports_what_an_import_would_do_without_writing(db, actor_of):
    before = counts(db)
    result = check_residents(db, actor_of("dangan"), rows_of(good_people()))
    assert (result.created, result.households_created, result.errors) == (6, 2, [])
    bad = check_residents(db, actor_of("dangan"), rows_of(bad_people()))
    assert len({e.row for e in bad.errors}) == 8
    assert counts(db) == before


def test_new_members_join_the_household_their_filed_head_already_heads_or_a_household_number(db, actor_of):
    manager = actor_of("dangan")
    import_residents(db, manager, rows_of(good_people()))
    head = person_by_name(db, "蒯长庚")
    household = db.scalars(select(Household).where(Household.head_person_id == head.id)).one()
    grandson = person(idn("20180808", "113"), "蒯小宝", 家庭编号="A1", 与户主关系="孙子")
    niece = person(idn("20000101", "124"), "蒯晓丽", 家庭编号=household.household_number, 与户主关系="侄女")
    result = import_residents(db, manager, rows_of([*good_people()[:1], grandson, niece]))
    assert (result.created, result.skipped_existing, result.households_created) == (2, 1, 0)
    assert result.joined_households == 2
    current = {
        db.get(Person, m.person_id).name: m.relationship
        for m in db.scalars(select(HouseholdMember).where(HouseholdMember.household_id == household.id))
    }
    assert current["蒯小宝"] == "41" and current["蒯晓丽"] == "94"


def test_a_row_may_not_become_head_of_a_household_on_file_nor_name_an_unknown_one(db, actor_of):
    manager = actor_of("dangan")
    import_residents(db, manager, rows_of(good_people()))
    household = db.scalars(select(Household).where(Household.head_person_id == person_by_name(db, "蒯长庚").id)).one()
    rows = rows_of(
        [
            person(idn("19800101", "131"), "新户主", 家庭编号=household.household_number, 与户主关系="户主"),
            person(idn("19800102", "141"), "无家庭", 家庭编号="33052110220099999", 与户主关系="子"),
            person(idn("19800103", "151"), "缺关系", 家庭编号="Z1"),
        ]
    )
    with pytest.raises(InvalidInput) as caught:
        import_residents(db, manager, rows)
    by_row = {(e.row, e.field): e.message for e in caught.value.errors}
    assert "不能更换已有家庭的户主" in by_row[(2, "与户主关系")]
    assert "不存在" in by_row[(3, "家庭编号")]
    assert "请填写与户主关系" in by_row[(4, "与户主关系")]


def test_only_records_managers_and_the_system_admin_may_import(db, actor_of):
    for login in ("cunyi", "yisheng", "xianju", "jigou"):
        with pytest.raises(PermissionDenied):
            import_residents(db, actor_of(login), rows_of(good_people()))
    admin = actor_of("admin")
    people = [person(idn("19660606", "161"), "莫干人", 现住址村居委会代码=MOGANSHAN)]
    assert import_residents(db, admin, rows_of(people)).created == 1


# --- reading the files -----------------------------------------------------------------------------------


def test_an_xlsx_table_with_excel_dates_numbers_and_codes_imports(db, actor_of):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "居民"
    sheet.append(HEADER)
    columns = [h.rstrip("*") for h in HEADER]

    def cells(**values: object) -> list[object]:
        return [values.get(c) for c in columns]

    sheet.append(
        cells(
            证件类别="1",
            证件号码=HEAD_ID,
            姓名="蒯长庚",
            性别=1,
            出生日期=date(1958, 3, 12),
            民族=1,
            本人电话=13900000001,
            常住类型="户籍",
            现住址村居委会代码=int(JUCHENG),
            现住址详细地址="句城村3组8号",
            建档日期=date(2024, 5, 6),
            家庭编号="A1",
            与户主关系=2,
        )
    )
    sheet.append(
        cells(
            证件号码=WIFE_ID,
            姓名="冷秀英",
            性别="女",
            民族="汉",
            现住址村居委会代码=JUCHENG,
            家庭编号="A1",
            与户主关系="妻",
        )
    )
    out = io.BytesIO()
    workbook.save(out)
    rows = read_resident_table("居民.xlsx", out.getvalue())
    assert [r.problems for r in rows] == [(), ()]
    result = import_residents(db, actor_of("dangan"), rows)
    assert (result.created, result.households_created) == (2, 1)
    head = person_by_name(db, "蒯长庚")
    assert (head.sex, head.birth_date, head.phone, head.ethnicity) == ("1", date(1958, 3, 12), "13900000001", "01")


def test_a_gb18030_csv_imports_with_its_chinese_intact(db, actor_of):
    rows = rows_of(good_people(), encoding="gb18030")
    assert [r.name for r in rows][:2] == ["蒯长庚", "冷秀英"]
    assert import_residents(db, actor_of("dangan"), rows).created == 6
    assert person_by_name(db, "阙美玲").current_region_code == MEILIN


def test_unreadable_cells_and_files_are_reported_in_chinese():
    rows = rows_of([person(HEAD_ID, "某", 性别="未知", 出生日期="昨天", 与户主关系="表亲", 家庭编号="A")])
    messages = " ".join(p.message for p in rows[0].problems)
    assert "第 2 行【性别】" in messages and "第 2 行【出生日期】" in messages and "第 2 行【与户主关系】" in messages
    with pytest.raises(InvalidInput, match="缺少列"):
        read_resident_table("x.csv", "姓名,电话\n张三,1\n".encode())
    with pytest.raises(InvalidInput, match="没有数据行"):
        read_resident_table("x.csv", resident_template_csv())
    with pytest.raises(InvalidInput, match="Excel"):
        read_resident_table("x.xlsx", b"PK\x03\x04 not really a workbook")
    with pytest.raises(InvalidInput, match="编码"):
        read_resident_table("x.csv", b"\xff\xfe\x00\xd8garbage\x81")


def test_the_excel_template_has_the_headers_a_guide_and_drop_downs():
    workbook = load_workbook(io.BytesIO(resident_template_xlsx()))
    assert workbook.sheetnames[:2] == ["居民", "说明"]
    headers = [c.value for c in workbook["居民"][1]]
    assert headers == HEADER
    guide = [row[0] for row in workbook["说明"].iter_rows(min_row=2, max_col=1, values_only=True)]
    assert "证件号码" in guide and "家庭编号" in guide
    assert len(workbook["居民"].data_validations.dataValidation) >= 4
    assert resident_template_csv().startswith("\ufeff证件类别,证件号码".encode())


# --- the demo county -------------------------------------------------------------------------------------


def test_the_demo_county_has_a_few_thousand_residents_in_households_with_valid_id_numbers(db):
    persons = db.scalars(select(Person)).all()
    assert 2500 <= len(persons) <= 6000
    households = db.scalar(select(func.count()).select_from(Household)) or 0
    assert households >= 700
    cipher = cipher_for(db)
    today = today_local()
    for p in persons:
        parsed = parse_id_number(cipher.decrypt(p.document_cipher), today=today)
        assert (parsed.birth_date, parsed.sex) == (p.birth_date, p.sex), p.name
        assert parsed.value.startswith("330521")
    ages = [(date(2025, 12, 31) - p.birth_date).days // 365 for p in persons]
    assert sum(50 <= a <= 75 for a in ages) > len(ages) * 0.3, "an ageing rural county"
    in_focus = db.scalar(
        select(func.count()).select_from(HealthRecord).where(HealthRecord.village_code.startswith("330521102"))
    )
    assert in_focus and in_focus > 150
    heads = db.scalar(select(func.count()).select_from(Household).where(Household.head_person_id.is_not(None)))
    assert heads == households


def test_loading_the_demo_residents_again_adds_nothing(db):
    from kangdang.demo.residents import load_demo_residents

    before = counts(db)
    result = load_demo_residents(db, system_actor())
    assert result.created == 0 and result.skipped_existing > 2500
    assert counts(db) == before
