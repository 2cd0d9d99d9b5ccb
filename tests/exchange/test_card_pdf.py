"""The printable 居民健康档案信息卡: content, embedded Chinese fonts, a non-blank rendering, escaping, batches."""

from __future__ import annotations

import ctypes
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from kangdang.exchange.card_pdf import (
    UNAVAILABLE_MESSAGE,
    CardUnavailable,
    InfoCard,
    group_record_number,
    render_info_card,
    render_info_cards,
    render_info_cards_html,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

CARD = InfoCard(
    name="张三丰",
    sex="男",
    birth_date=date(1950, 3, 2),
    record_number="33052110200100012345",
    id_number="330521********1234",
    abo_blood_type="A型",
    rh_blood_type="Rh阳性",
    chronic_conditions=["高血压", "慢性肾病"],
    allergies=["青霉素"],
    address="浙江省湖州市德清县新市镇白彪村12组35号",
    phone="0572-8051234",
    emergency_contact="张无忌（儿子）",
    emergency_phone="13905721234",
    institution_name="德清县新市镇中心卫生院",
    institution_phone="0572-8050120",
    doctor_name="李秀英",
    doctor_phone="13857201234",
    note="每季度随访一次血压",
    issued_on=date(2024, 5, 1),
)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    started = time.perf_counter()
    data = render_info_card(CARD)
    print(f"render_info_card: {time.perf_counter() - started:.2f} s")
    return data


def _text(document: pdfium.PdfDocument, index: int = 0) -> str:
    return str(document[index].get_textpage().get_text_bounded())


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _fonts(page: pdfium.PdfPage) -> dict[str, bool]:
    """Base font name → embedded, for every font used by the page's text."""
    fonts: dict[str, bool] = {}
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
        font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
        size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
        buffer = ctypes.create_string_buffer(size)
        pdfium_c.FPDFFont_GetBaseFontName(font, buffer, size)
        fonts[buffer.value.decode("latin-1")] = bool(pdfium_c.FPDFFont_GetIsEmbedded(font))
    return fonts


def test_record_numbers_are_grouped_for_reading() -> None:
    assert group_record_number("33052110200100012345") == "330521 102 001 00012345"
    assert group_record_number("33052110200100012") == "330521 102 001 00012"
    assert group_record_number(" 12345 ") == "12345"


def test_card_prints_the_front_and_back(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF")
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 1
    width, height = document[0].get_size()
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 148)  # A5 landscape
    text = _text(document)
    for expected in ("居民健康档案信息卡", "张三丰", "1950年3月2日", "330521 102 001 00012345", "高血压", "慢性肾病"):
        assert expected in text
    for expected in ("青霉素", "德清县新市镇中心卫生院", "13857201234", "其他说明", "每季度随访一次血压"):
        assert expected in text


def test_chronic_conditions_use_the_national_boxes() -> None:
    html = render_info_cards_html([CARD])
    assert '<span class="box">✓</span>高血压' in html
    assert '<span class="box"></span>糖尿病' in html
    assert '<span class="box">✓</span>其他疾病</span><span class="other">慢性肾病</span>' in html
    assert '<span class="box"></span>无' in html
    bare = render_info_cards_html([replace(CARD, chronic_conditions=[], allergies=[], abo_blood_type=None)])
    assert '<span class="box">✓</span>无' in bare
    assert '<span class="box">✓</span>不详' in bare
    assert '<td colspan="3">无</td>' in bare  # no allergies


def test_conditions_not_yet_recorded_leave_the_boxes_empty_for_the_pen() -> None:
    unknown = render_info_cards_html([replace(CARD, chronic_conditions=None, allergies=None)])
    assert '<span class="box">✓</span>' not in unknown.split("慢性病")[1].split("过敏史")[0]
    assert '<td colspan="3"></td>' in unknown


def test_chinese_fonts_are_embedded(pdf: bytes) -> None:
    fonts = _fonts(pdfium.PdfDocument(pdf)[0])
    assert fonts, "no text objects on the page"
    assert all(fonts.values()), f"fonts not embedded: {fonts}"
    assert any("CJK" in name for name in fonts), f"no CJK font used: {sorted(fonts)}"


def test_page_renders_to_a_non_blank_image(pdf: bytes) -> None:
    image = pdfium.PdfDocument(pdf)[0].render(scale=2).to_pil()
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / "info-card.png")  # for a human to look at
    histogram = image.convert("L").histogram()
    dark = sum(histogram[:128]) / (image.width * image.height)
    assert 0.01 < dark < 0.5, f"dark pixel fraction {dark:.3f}"


def test_markup_in_names_is_printed_literally() -> None:
    card = replace(CARD, name="<b>王</b>", note='<img src="http://example.com/x.png">')
    assert "&lt;b&gt;王&lt;/b&gt;" in render_info_cards_html([card])
    text = _text(pdfium.PdfDocument(render_info_card(card)))
    assert "<b>王</b>" in text
    assert _squeeze('<img src="http://example.com/x.png">') in _squeeze(text)  # the note wraps across lines


def test_batch_prints_one_page_per_card() -> None:
    cards = [CARD, replace(CARD, name="李四", record_number="33052110200100012"), replace(CARD, name="王五")]
    document = pdfium.PdfDocument(render_info_cards(cards))
    assert len(document) == 3
    assert "李四" in _text(document, 1)
    assert "330521 102 001 00012" in _text(document, 1)
    assert "王五" in _text(document, 2)
    with pytest.raises(ValueError):
        render_info_cards([])


def test_missing_weasyprint_gives_a_clear_chinese_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # makes `import weasyprint` raise ImportError
    with pytest.raises(CardUnavailable) as caught:
        render_info_card(CARD)
    assert str(caught.value) == UNAVAILABLE_MESSAGE
    assert "Pango" in caught.value.message
