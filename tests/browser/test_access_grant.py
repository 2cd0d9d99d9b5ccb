"""The privacy issue's browser line for other institutions: a county hospital doctor applies for a resident of
新市镇, the township's records manager approves, records the resident's consent with a signature drawn on the
canvas, the doctor opens the record through the grant; the records manager revokes it and the record is gone
for the doctor; the resident's access log shows the doctor's read."""

from __future__ import annotations

import io
import re

import pytest

from kangdang.core.idnumber import check_character
from tests.browser.conftest import screenshot
from tests.browser.test_roles import sign_in

pytestmark = pytest.mark.browser

NAME = "钟授权"
FIRST17 = "33052119580921031"  # 1958-09-21, male
ID_NUMBER = FIRST17 + check_character(FIRST17)


def _as(browser, live_server: str, login: str):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, login)
    page.wait_for_url("**/")
    return page


def _file_resident(page) -> str:
    """The records manager files the resident through the filing page; the record's address comes back."""
    page.goto("/residents/new")
    page.get_by_label("姓名", exact=False).first.fill(NAME)
    page.get_by_label("证件号码").fill(ID_NUMBER)
    page.get_by_label("暂不登记家庭").check()
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/residents/[0-9a-f-]{36}\?saved=filed$"))
    return page.url.split("?")[0]


def _sign_on_canvas(page) -> None:
    canvas = page.get_by_test_id("signature-pad")
    box = canvas.bounding_box()
    assert box is not None
    x, y = box["x"], box["y"]
    page.mouse.move(x + 40, y + 120)
    page.mouse.down()
    for step in range(1, 25):  # a wavy stroke, like a hand-written name
        page.mouse.move(x + 40 + step * 18, y + 120 + (25 if step % 2 else -25), steps=3)
    page.mouse.up()
    page.mouse.move(x + 200, y + 60)
    page.mouse.down()
    page.mouse.move(x + 260, y + 160, steps=8)
    page.mouse.up()


def _dark_pixels(png: bytes) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    return sum(image.histogram()[:128])


def test_a_hospital_doctor_gets_a_consented_grant_that_works_until_it_is_revoked(browser, live_server):
    dangan = _as(browser, live_server, "dangan")
    record_url = _file_resident(dangan)
    record_path = record_url.removeprefix(live_server)

    # The hospital doctor cannot open the record, and applies with the full ID number and the name.
    yiyuan = _as(browser, live_server, "yiyuan")
    yiyuan.goto(record_path)
    assert "未找到" in yiyuan.locator("main").inner_text()
    yiyuan.get_by_role("navigation", name="主导航").get_by_role("link", name="查阅申请").click()
    yiyuan.wait_for_url("**/access")
    form = yiyuan.get_by_test_id("apply-form")
    form.get_by_label("证件号码").fill(ID_NUMBER)
    form.get_by_label("姓名").fill(NAME)
    form.get_by_label("用途").fill("住院治疗需了解既往病史和用药")
    form.get_by_label("期限（天）").fill("5")
    form.get_by_label("依据").fill("德清县人民医院入院记录 2026-1188")
    form.get_by_label("服务记录表单").check()
    screenshot(yiyuan, "access-apply")
    form.get_by_test_id("apply-submit").click()
    yiyuan.wait_for_url("**/access?saved=applied")
    mine = yiyuan.get_by_test_id("my-requests")
    assert "待审批" in mine.inner_text() and NAME in mine.inner_text()
    assert mine.get_by_test_id("open-record").count() == 0

    # The records manager approves it, and records the resident's consent with a drawn signature.
    dangan.get_by_role("navigation", name="主导航").get_by_role("link", name="查阅审批").click()
    dangan.wait_for_url("**/access/requests")
    row = dangan.get_by_test_id("pending-requests").locator("tr", has_text=NAME)
    row.get_by_role("button", name="批准", exact=True).click()
    dangan.wait_for_url("**/access/requests?saved=approved")
    dangan.get_by_test_id("approved-requests").locator("tr", has_text=NAME).get_by_role(
        "button", name="登记居民同意"
    ).click()
    dangan.wait_for_url(re.compile(r"/access/requests/[0-9a-f-]{36}/consent$"))
    dangan.get_by_label("同意人姓名").fill(NAME)
    dangan.get_by_test_id("consent-submit").click()  # nothing drawn yet: the page asks for the signature
    assert "请居民在框内签名" in dangan.get_by_test_id("consent-form").inner_text()
    assert "/consent" in dangan.url
    _sign_on_canvas(dangan)
    screenshot(dangan, "access-consent-signature")
    dangan.get_by_test_id("consent-submit").click()
    dangan.wait_for_url("**/access/requests?saved=consented")
    active = dangan.get_by_test_id("active-grants").locator("tr", has_text=NAME)
    assert "现场签名" in active.inner_text()
    evidence = dangan.request.get(active.get_by_role("link", name="查看同意书").get_attribute("href"))
    assert evidence.ok and evidence.headers["content-type"] == "image/png"
    assert _dark_pixels(evidence.body()) > 200  # the strokes drawn with the mouse are in the stored PNG
    screenshot(dangan, "access-requests-active")

    # The doctor opens the record through the grant: read only, with the banner.
    yiyuan.goto("/access")
    yiyuan.get_by_test_id("my-requests").get_by_test_id("open-record").click()
    yiyuan.wait_for_url(record_url)
    assert yiyuan.get_by_test_id("resident-name").inner_text() == NAME
    assert "经授权查阅" in yiyuan.get_by_test_id("access-banner").inner_text()
    assert yiyuan.get_by_role("button", name="修改", exact=True).count() == 0
    screenshot(yiyuan, "access-record-through-grant")

    # The records manager revokes the grant; the doctor finds nothing any more.
    dangan.goto("/access/requests")
    active = dangan.get_by_test_id("active-grants").locator("tr", has_text=NAME)
    active.get_by_label("撤销原因").fill("治疗已结束")
    active.get_by_role("button", name="撤销授权", exact=True).click()
    dangan.wait_for_url("**/access/requests?saved=revoked")
    yiyuan.goto(record_path)
    assert "未找到" in yiyuan.locator("main").inner_text()
    yiyuan.goto("/access")
    assert "已撤销" in yiyuan.get_by_test_id("my-requests").inner_text()

    # The resident's access log shows the doctor's read through the grant.
    dangan.goto(record_path + "/access-log")
    log = dangan.get_by_test_id("access-log")
    line = log.locator("tr", has_text="yiyuan").first
    assert "经授权查阅" in line.inner_text()
    screenshot(dangan, "access-log-with-grant")
    for page in (dangan, yiyuan):
        page.context.close()
