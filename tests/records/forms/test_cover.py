"""居民健康档案封面: identity shown from the record, only the filing date stored."""

from __future__ import annotations

from datetime import date

from kangdang.records.catalogue import catalogue
from tests.records.formkit import errors, fill


def test_cover_shows_every_identity_field_from_the_record() -> None:
    form = catalogue().form("cover")
    binds = {item.label: item.bind for item in form.items() if item.bind}
    assert binds == {
        "编号": "record.number",
        "姓名": "person.name",
        "现住址": "person.current_address",
        "户籍地址": "person.registered_address",
        "联系电话": "person.phone",
        "乡镇（街道）名称": "record.township",
        "村（居）委会名称": "record.village",
        "建档单位": "record.filing_institution",
        "建档人": "record.filed_by",
        "责任医生": "record.doctor",
    }
    assert form.one_per_record is True
    assert form.category == "record"
    assert form.doctor_item is None
    assert form.date_item == "visit_date"


def test_complete_cover_stores_only_the_filing_date() -> None:
    outcome = fill(
        "cover",
        # bound values sent by a page are shown, never stored
        {"visit_date": "2018-01-10", "name": "李秀英", "phone": "13905761234"},
    )
    assert errors(outcome) == {}
    assert outcome.answers == {"visit_date": date(2018, 1, 10)}


def test_cover_without_filing_date_cannot_be_completed() -> None:
    outcome = fill("cover", {})
    assert errors(outcome) == {"visit_date": "建档日期：此项为必填项"}


def test_cover_draft_without_filing_date_is_accepted() -> None:
    assert errors(fill("cover", {}, complete=False)) == {}


def test_filing_date_cannot_be_in_the_future() -> None:
    outcome = fill("cover", {"visit_date": "2026-11-23"})
    assert errors(outcome) == {"visit_date": "建档日期：不能晚于今天"}


def test_filing_date_cannot_be_before_birth() -> None:
    outcome = fill("cover", {"visit_date": "1960-03-14"})
    assert errors(outcome) == {"visit_date": "建档日期：不能早于出生日期（1960-03-15）"}


def test_filing_date_is_not_held_to_the_records_filing_date() -> None:
    # the cover is where the filing date is written: an earlier date is a correction, not an error
    outcome = fill("cover", {"visit_date": "2017-12-28"}, filed_on=date(2018, 1, 10))
    assert errors(outcome) == {}
    assert outcome.answers["visit_date"] == date(2017, 12, 28)


def test_filing_date_with_bad_format_is_refused() -> None:
    outcome = fill("cover", {"visit_date": "2018年1月10日"})
    assert errors(outcome) == {"visit_date": "建档日期：日期格式应为 年-月-日，例如 2026-05-01"}
