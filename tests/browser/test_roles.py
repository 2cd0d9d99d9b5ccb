"""Each demo role signs in through a real browser and lands on its own Chinese home page."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

HOMES = [
    ("cunyi", "村医工作台", "workplace"),
    ("cunyi2", "村医工作台", "workplace"),
    ("yisheng", "医生工作台", "workplace"),
    ("dangan", "档案管理工作台", "supervised"),
    ("jigou", "机构管理首页", "colleagues"),
    ("xianju", "县卫健局管理首页", "county-overview"),
    ("ducha", "县卫健局督导首页", "county-overview"),
    ("admin", "系统管理首页", "recent-events"),
]


def sign_in(page, login: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(login)
    page.get_by_label("密码").fill(password)
    page.keyboard.press("Enter")


@pytest.mark.parametrize(("login", "title", "section"), HOMES)
def test_each_role_signs_in_and_sees_its_home_page(page, login, title, section):
    sign_in(page, login)
    page.wait_for_url("**/")
    assert page.get_by_test_id("home-title").inner_text() == title
    assert page.get_by_test_id(section).first.is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    screenshot(page, f"home-{login}")


def test_a_wrong_password_shows_a_chinese_message(page):
    sign_in(page, "cunyi", "not-the-password-1")
    assert "用户名或密码错误" in page.get_by_test_id("login-error").inner_text()


def test_village_doctor_navigates_to_own_institution_but_not_another_township(page, live_server):
    sign_in(page, "cunyi")
    page.wait_for_url("**/")
    page.get_by_role("link", name="机构", exact=True).click()
    rows = page.get_by_test_id("institution-table").locator("tbody tr")
    names = rows.all_inner_texts()
    assert names and all("莫干山" not in name for name in names)
    page.goto("/institutions?q=莫干山")
    assert "没有符合条件的机构" in page.get_by_test_id("institution-table").inner_text()


def test_county_manager_sees_every_township_of_the_county(page):
    sign_in(page, "xianju")
    page.wait_for_url("**/")
    table = page.get_by_test_id("county-overview").locator("tbody tr")
    assert table.count() == 13
    assert "莫干山镇" in page.get_by_test_id("county-overview").inner_text()
    assert "新市镇" in page.get_by_test_id("county-overview").inner_text()
