"""Forms submitted by a real browser: password change, logout, creating an institution."""

from __future__ import annotations

import pytest

from tests.browser.test_roles import sign_in
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def _change_password(page, current: str, new: str) -> None:
    page.goto("/account/password")
    page.get_by_label("当前密码").fill(current)
    page.locator("#f-new_password").fill(new)
    page.get_by_label("再次输入新密码").fill(new)
    page.get_by_role("button", name="修改密码").click()


def test_a_doctor_changes_the_password_logs_out_and_back_in(page):
    sign_in(page, "yisheng")
    page.wait_for_url("**/")
    _change_password(page, "wrong-current-1", "Another-pass-7")
    assert "当前密码不正确" in page.get_by_test_id("form-errors").inner_text()
    _change_password(page, DEMO_PASSWORD, "Another-pass-7")
    assert page.get_by_test_id("password-changed").is_visible()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login")
    sign_in(page, "yisheng", "Another-pass-7")
    page.wait_for_url("**/")
    _change_password(page, "Another-pass-7", DEMO_PASSWORD)  # leave the shared server as it was
    assert page.get_by_test_id("password-changed").is_visible()


def test_county_manager_creates_an_institution_through_the_form(page):
    sign_in(page, "xianju")
    page.wait_for_url("**/")
    page.goto("/institutions/new")
    page.get_by_role("button", name="保存").click()  # the browser's own required-field check stops this
    assert page.url.endswith("/institutions/new")
    page.get_by_label("机构代码").fill("330521101-07")
    page.get_by_label("机构名称").fill("乾元镇第二卫生院")
    page.get_by_label("机构类型").select_option("township_general")
    page.get_by_label("所在区划").select_option("330521101")
    page.get_by_label("服务范围").select_option(["330521101200", "330521101201"])
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/institutions/*?saved=1")
    assert "乾元镇第二卫生院" in page.locator("h1").inner_text()
    assert page.get_by_test_id("catchment").locator("tbody tr").count() == 2
