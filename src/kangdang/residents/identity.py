"""Checking a person's identity document against what is written about them (pure, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from kangdang.core.errors import FieldError
from kangdang.core.idnumber import IdNumberError, parse_id_number
from kangdang.residents.codes import DOCUMENT_TYPES, ID_CARD

NEWBORN_DAYS = 366


@dataclass
class CheckedIdentity:
    document_type: str | None
    number: str | None  # normalised: an ID card number always in its 18-character form
    birth_date: date | None
    sex: str | None
    errors: list[FieldError] = field(default_factory=list)


def normalize_document(document_type: str | None, number: str | None) -> str | None:
    """The form a document number is stored and looked up in (ID cards: 18 characters, upper-case X)."""
    if not number:
        return None
    value = "".join(number.split()).upper()
    if document_type == ID_CARD:
        try:
            return parse_id_number(value).value
        except IdNumberError:
            return value
    return value


def check_identity(
    document_type: str | None,
    number: str | None,
    birth_date: date | None,
    sex: str | None,
    *,
    today: date,
    has_mother: bool,
) -> CheckedIdentity:
    """Validate the document and make birth date and sex agree with it; every problem in Chinese."""
    result = CheckedIdentity(document_type=document_type, number=None, birth_date=birth_date, sex=sex)
    errors = result.errors
    if not number:
        result.document_type = None
        newborn = birth_date is not None and 0 <= (today - birth_date).days <= NEWBORN_DAYS
        if not (has_mother and newborn):
            errors.append(FieldError("document_number", "请填写证件号码（只有未办证的新生儿可以不填，并须关联母亲）"))
    elif document_type is None or document_type not in DOCUMENT_TYPES:
        errors.append(FieldError("document_type", "请选择证件类别"))
    elif document_type == ID_CARD:
        try:
            parsed = parse_id_number(number, today=today)
        except IdNumberError as exc:
            errors.append(FieldError("document_number", str(exc)))
            return result  # birth date and sex would have come from the number: nothing more to say
        else:
            result.number = parsed.value
            if birth_date is not None and birth_date != parsed.birth_date:
                errors.append(
                    FieldError("birth_date", f"出生日期与身份证号不一致（身份证号为 {parsed.birth_date.isoformat()}）")
                )
            if sex in ("1", "2") and sex != parsed.sex:
                errors.append(
                    FieldError("sex", f"性别与身份证号不一致（身份证号为{'男' if parsed.sex == '1' else '女'}）")
                )
            result.birth_date = birth_date or parsed.birth_date
            result.sex = sex if sex in ("1", "2") else parsed.sex
    else:
        value = "".join(number.split()).upper()
        if len(value) < 4 or not value.isascii() or not value.replace("-", "").isalnum():
            errors.append(FieldError("document_number", "证件号码格式不正确（字母和数字，至少 4 位）"))
        result.number = value
    if result.birth_date is None:
        errors.append(FieldError("birth_date", "请填写出生日期"))
    elif result.birth_date > today:
        errors.append(FieldError("birth_date", "出生日期不能晚于今天"))
    elif result.birth_date.year < 1880:
        errors.append(FieldError("birth_date", "出生日期不合理"))
    if result.sex is None:
        errors.append(FieldError("sex", "请选择性别"))
    return result
