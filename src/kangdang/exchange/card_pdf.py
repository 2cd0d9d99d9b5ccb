"""The printable 居民健康档案信息卡 (规范 2017 附件8) as a PDF.

A pure renderer: it takes the card's facts and returns PDF bytes, one A5 landscape page per card with the
front (正面) and back (背面) side by side, to be cut out along the dashed outline and folded along the middle.
The front carries a QR code of the record number. WeasyPrint is imported lazily so that a server without
Pango can show :class:`CardUnavailable`'s message instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import segno

UNAVAILABLE_MESSAGE = "无法生成 PDF：服务器缺少 Pango 或中文字体（请安装 libpango-1.0-0 和 fonts-noto-cjk）"

ABO_OPTIONS = ("A", "B", "O", "AB", "不详")
RH_OPTIONS = ("Rh阴性", "Rh阳性", "不详")
# The national list, in its printed order; "无" and "其他疾病" are handled separately.
CHRONIC_OPTIONS = ("高血压", "糖尿病", "脑卒中", "冠心病", "哮喘", "职业病")
_NONE_WORDS = frozenset({"", "无", "否", "没有"})

_TEMPLATES = Path(__file__).with_name("templates")
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class CardUnavailable(RuntimeError):
    """The PDF cannot be produced on this server (WeasyPrint, Pango or the fonts are missing)."""

    def __init__(self, message: str = UNAVAILABLE_MESSAGE) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class InfoCard:
    name: str
    sex: str  # Chinese label, e.g. "男"
    birth_date: date
    record_number: str  # 20 or 17 digits
    id_number: str | None  # printed as given (the caller decides whether to mask)
    abo_blood_type: str | None  # e.g. "A型"; None → 不详
    rh_blood_type: str | None  # "Rh阳性" / "Rh阴性"; None → 不详
    # None: not recorded yet (the boxes stay empty, to fill in by hand); []: recorded as none (无).
    chronic_conditions: list[str] | None = field(hash=False)
    allergies: list[str] | None = field(hash=False)
    address: str  # 家庭住址
    phone: str | None  # 家庭电话
    emergency_contact: str | None
    emergency_phone: str | None
    institution_name: str  # 建档机构名称
    institution_phone: str | None
    doctor_name: str | None  # 责任医生或护士
    doctor_phone: str | None
    note: str | None = None  # 其他说明
    issued_on: date | None = None


@dataclass(frozen=True)
class Choice:
    label: str
    checked: bool


def group_record_number(number: str) -> str:
    """20 digits as 6-3-3-8, 17 digits as 6-3-3-5 (separated by spaces); anything else as given."""
    digits = number.strip()
    if digits.isascii() and digits.isdigit() and len(digits) in (17, 20):
        return " ".join((digits[:6], digits[6:9], digits[9:12], digits[12:]))
    return digits


def format_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _abo(value: str | None) -> tuple[list[Choice], str]:
    """The A/B/O/AB/不详 boxes, and the text to print when the value fits none of them."""
    key = re.sub(r"\s|型|血", "", value or "").upper() or "不详"
    if key not in ABO_OPTIONS:
        return [Choice(option, False) for option in ABO_OPTIONS], (value or "").strip()
    return [Choice(option, option == key) for option in ABO_OPTIONS], ""


def _rh(value: str | None) -> tuple[list[Choice], str]:
    text = re.sub(r"\s|血型", "", value or "")
    text = text.replace("RH", "Rh").replace("rh", "Rh")
    key = "不详" if not text else text if text.startswith("Rh") or text == "不详" else f"Rh{text}"
    if key not in RH_OPTIONS:
        return [Choice(option, False) for option in RH_OPTIONS], (value or "").strip()
    return [Choice(option, option == key) for option in RH_OPTIONS], ""


def _clean(items: list[str]) -> list[str]:
    """Stripped, de-duplicated, without blanks or words meaning "none"."""
    seen: list[str] = []
    for item in items:
        text = item.strip()
        if text not in _NONE_WORDS and text not in seen:
            seen.append(text)
    return seen


def _chronic(conditions: list[str] | None) -> tuple[list[Choice], list[str]]:
    """The national boxes (无, the six named diseases, 其他疾病) and the names that go under 其他疾病."""
    present = _clean(conditions or [])
    others = [name for name in present if name not in CHRONIC_OPTIONS]
    boxes = [Choice("无", conditions is not None and not present)]
    boxes += [Choice(option, option in present) for option in CHRONIC_OPTIONS]
    boxes.append(Choice("其他疾病", bool(others)))
    return boxes, others


def _qr_data_uri(record_number: str) -> str:
    qr = segno.make_qr(record_number.strip(), error="m")
    return str(qr.svg_data_uri(scale=1, border=0, dark="#000", light="#fff"))


def _view(card: InfoCard) -> dict[str, Any]:
    abo, abo_other = _abo(card.abo_blood_type)
    rh, rh_other = _rh(card.rh_blood_type)
    chronic, chronic_other = _chronic(card.chronic_conditions)
    allergies = _clean(card.allergies or [])
    return {
        "card": card,
        "birth_date": format_date(card.birth_date),
        "record_number": group_record_number(card.record_number),
        "abo": abo,
        "abo_other": abo_other,
        "rh": rh,
        "rh_other": rh_other,
        "chronic": chronic,
        "chronic_other": "、".join(chronic_other),
        "allergies": "、".join(allergies) if allergies else ("无" if card.allergies is not None else ""),
        "issued_on": format_date(card.issued_on) if card.issued_on else "",
        "qr": _qr_data_uri(card.record_number),
    }


def render_info_cards_html(cards: list[InfoCard]) -> str:
    """The HTML the PDF is made from (useful for previews and tests)."""
    return _env.get_template("card.html").render(cards=[_view(card) for card in cards])


def render_info_cards(cards: list[InfoCard]) -> bytes:
    """Several cards in one PDF, one card (front and back) per A5 landscape page, for batch printing."""
    if not cards:
        raise ValueError("没有要打印的居民健康档案信息卡")
    html = render_info_cards_html(cards)
    try:
        import weasyprint  # lazy, so a server without Pango still starts and shows the message
    except (ImportError, OSError) as exc:
        raise CardUnavailable() from exc
    # Only data: URIs (the QR code) may be fetched: no network, no files.
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    try:
        pdf = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
    except OSError as exc:  # a library found at import but unusable (e.g. no fontconfig)
        raise CardUnavailable() from exc
    assert pdf is not None
    return bytes(pdf)


def render_info_card(card: InfoCard) -> bytes:
    """One card as a PDF: front and back side by side on an A5 landscape page."""
    return render_info_cards([card])
