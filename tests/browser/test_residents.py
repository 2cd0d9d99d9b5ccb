"""The residents issue's first acceptance line, in Chromium: a village doctor files a new resident with a
household using the keyboard, finds them again by pinyin initials, opens the record page and prints the
info card, whose PDF renders Chinese text (checked by rendering it to an image)."""

from __future__ import annotations

import re

import pytest

from kangdang.core.idnumber import check_character
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.browser.test_roles import sign_in

pytestmark = pytest.mark.browser

NAME = "覃雨桐"  # 覃 reads qin as a surname: initials qyt
FIRST17 = "33052119920518064"  # 1992-05-18, female
ID_NUMBER = FIRST17 + check_character(FIRST17)


def _type_into(page, label: str, text: str) -> None:
    page.get_by_label(label).focus()
    page.keyboard.type(text)


def test_a_village_doctor_files_a_resident_finds_them_by_pinyin_initials_and_prints_the_info_card(page):
    sign_in(page, "cunyi")
    page.wait_for_url("**/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="居民档案").click()
    page.wait_for_url("**/residents")
    page.get_by_role("button", name="新建档案").click()
    page.wait_for_url("**/residents/new")

    # The name field has the focus; the rest is typed, moving between fields as a user would.
    page.keyboard.type(NAME)
    page.keyboard.press("Tab")  # 证件类别: 居民身份证 is preselected
    page.keyboard.press("Tab")
    page.keyboard.type(ID_NUMBER)
    _type_into(page, "本人电话", "13857201234")
    _type_into(page, "联系人姓名", "覃建国")
    _type_into(page, "联系人电话", "13857205678")
    _type_into(page, "现住址 详细地址", "五组 8 号")
    page.get_by_label("新建家庭（本人为户主）").focus()
    page.keyboard.press("Space")
    _type_into(page, "纸质档案存放位置", "卫生室档案柜 2 号")
    screenshot(page, "resident-new")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/residents/[0-9a-f-]{36}\?saved=filed$"))
    assert page.get_by_test_id("saved").inner_text() == "建档成功"
    assert page.get_by_test_id("resident-name").inner_text() == NAME
    assert "1992-05-18" in page.get_by_test_id("identity").inner_text()
    assert "本人是户主" in page.get_by_test_id("household").inner_text()
    record_url = page.url.split("?")[0]

    # Find them again: the search box has the focus; results come in as one types (htmx).
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="居民档案").click()
    page.wait_for_url("**/residents")
    page.keyboard.type("qyt")
    found = page.get_by_test_id("resident-results").get_by_role("link", name=NAME)
    found.wait_for()
    assert "按拼音或首字母" in page.get_by_test_id("search-hint").inner_text()
    assert "q=qyt" in page.url  # the search is in the address, so back and reload keep it
    screenshot(page, "resident-search")
    found.click()
    page.wait_for_url(record_url)
    screenshot(page, "resident-record")

    # The info card: a PDF with the Chinese text and a rendering that is not blank.
    card_url = page.get_by_test_id("print-card").get_attribute("href")
    response = page.request.get(card_url)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    _check_card(body)


def _check_card(body: bytes) -> None:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(body)
    first = document[0]
    text = first.get_textpage().get_text_range()
    assert NAME in text
    assert "居民健康档案信息卡" in text
    assert ID_NUMBER not in text  # only the masked number is printed
    image = first.render(scale=2).to_pil().convert("L")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / "resident-info-card.png")
    histogram = image.histogram()
    dark = sum(histogram[:128])
    assert dark > image.width * image.height * 0.005, "the card rendered (almost) blank"
    document.close()
