"""ID-number rules (GB 11643) applied to a person: each rejection names its reason in Chinese."""

from __future__ import annotations

from datetime import date

import pytest

from kangdang.core.idnumber import check_character, parse_id_number
from kangdang.residents.identity import check_identity, normalize_document

TODAY = date(2026, 11, 22)


def valid(first17: str) -> str:
    return first17 + check_character(first17)


WITH_X = "11010519491231002X"  # the standard's own worked example
PLAIN = valid("33052119800101123")  # a man born 1980-01-01
LEGACY15 = "330521800101123"  # the same man's 15-digit number (19YY, no check character)


@pytest.mark.parametrize(
    ("number", "birth", "sex", "field", "reason"),
    [
        (WITH_X[:-1] + "1", None, None, "document_number", "校验位不正确"),
        (WITH_X.lower(), None, None, None, None),  # lower-case x is accepted and stored upper-case
        (valid("33052119990230123"), None, None, "document_number", "出生日期不存在"),
        (valid("33052120990101123"), None, None, "document_number", "出生日期晚于今天"),
        (valid("33052118700101123"), None, None, "document_number", "出生日期不合理"),
        ("33052119800101", None, None, "document_number", "18 位"),
        ("3305211980010112A3", None, None, "document_number", "前 17 位须为数字"),
        (valid("00052119800101123"), None, None, "document_number", "地址码不正确"),
        (PLAIN, date(1980, 1, 2), None, "birth_date", "出生日期与身份证号不一致"),
        (PLAIN, None, "2", "sex", "性别与身份证号不一致"),
        (PLAIN, date(1980, 1, 1), "1", None, None),
        (LEGACY15, None, None, None, None),
    ],
)
def test_identity_rules_name_the_reason(number, birth, sex, field, reason):
    checked = check_identity("01", number, birth, sex, today=TODAY, has_mother=False)
    if field is None:
        assert checked.errors == []
        assert checked.birth_date is not None and checked.sex in ("1", "2")
        assert len(checked.number or "") == 18 and (checked.number or "").upper() == checked.number
    else:
        assert [e.field for e in checked.errors] == [field]
        assert reason in checked.errors[0].message


def test_a_15_digit_number_is_converted_to_the_18_digit_form():
    checked = check_identity("01", LEGACY15, None, None, today=TODAY, has_mother=False)
    assert checked.number == PLAIN
    assert (checked.birth_date, checked.sex) == (date(1980, 1, 1), "1")
    assert normalize_document("01", LEGACY15) == PLAIN


def test_the_birth_date_and_sex_are_read_from_the_number():
    parsed = parse_id_number(WITH_X)
    assert (parsed.birth_date, parsed.sex) == (date(1949, 12, 31), "2")


def test_a_newborn_without_a_document_needs_a_mother_and_a_recent_birth():
    no_mother = check_identity(None, None, date(2026, 10, 1), "1", today=TODAY, has_mother=False)
    assert [e.field for e in no_mother.errors] == ["document_number"]
    with_mother = check_identity(None, None, date(2026, 10, 1), "1", today=TODAY, has_mother=True)
    assert with_mother.errors == [] and with_mother.number is None
    too_old = check_identity(None, None, date(2020, 1, 1), "1", today=TODAY, has_mother=True)
    assert [e.field for e in too_old.errors] == ["document_number"]


def test_other_documents_need_a_birth_date_and_sex_and_a_sane_number():
    passport = check_identity("03", "E12345678", None, None, today=TODAY, has_mother=False)
    assert {e.field for e in passport.errors} == {"birth_date", "sex"}
    bad = check_identity("03", "护照", date(1990, 1, 1), "1", today=TODAY, has_mother=False)
    assert [e.field for e in bad.errors] == ["document_number"]


def test_a_future_birth_date_is_refused_for_any_document():
    checked = check_identity("03", "E12345678", date(2027, 1, 1), "1", today=TODAY, has_mother=False)
    assert [e.message for e in checked.errors] == ["出生日期不能晚于今天"]
