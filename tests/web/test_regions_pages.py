"""Region and population pages: browsing, classifying a village, entering and importing population figures."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import func, select

from kangdang.regions.models import Region, RegionPopulation
from tests.helpers import csrf_from, post_form

YEAR = 2030  # the demo county has no figures for this year
TOWNSHIP = "330521102"  # 新市镇, 23 villages
梅林, 加元 = "330521102201", "330521102202"
POPULATION_URL = f"/population?region={TOWNSHIP}&year={YEAR}"


def _stored(db, year: int = YEAR) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(RegionPopulation).where(RegionPopulation.year == year)) or 0


def _resident(db, code: str, year: int = YEAR) -> int | None:
    db.expire_all()
    return db.scalar(
        select(RegionPopulation.resident_population).where(
            RegionPopulation.region_code == code, RegionPopulation.year == year
        )
    )


# --- divisions -------------------------------------------------------------------------------------------


def test_the_regions_page_starts_at_the_users_county(web_login):
    page = web_login("cunyi").get("/regions")
    assert page.status_code == 200
    assert "浙江省" in page.text and "德清县的下级区划" in page.text
    assert "新市镇" in page.text and "莫干山镇" in page.text and 'name="q"' in page.text


def test_searching_by_name_or_code_shows_matches_with_their_parent(web_login):
    client = web_login("xianju")
    by_name = client.get("/regions", params={"q": "梅林", "parent": "330521"})
    assert by_name.status_code == 200 and "梅林村委会" in by_name.text and "新市镇" in by_name.text
    by_code = client.get("/regions", params={"q": "330521115", "parent": "330521"})
    assert "莫干山镇" in by_code.text and "新市镇" not in by_code.text
    nationwide = client.get("/regions", params={"q": "清波", "parent": "all"})
    assert "清波街道" in nationwide.text
    none = client.get("/regions", params={"q": "不存在的地名", "parent": "330521"})
    assert none.status_code == 200 and "没有名称或代码符合" in none.text


def test_a_village_page_shows_facts_population_and_a_derived_badge(web_login):
    page = web_login("cunyi").get(f"/regions/{梅林}")
    assert page.status_code == 200
    assert "梅林村委会" in page.text and "村级" in page.text and "乡村" in page.text and "推定" in page.text
    assert f"/institutions?region={梅林}" in page.text and "新市镇" in page.text
    assert "设置城乡分类代码" not in page.text  # a village doctor may not classify


def test_a_township_page_lists_its_villages_with_this_years_population(web_login, db):
    page = web_login("ducha").get(f"/regions/{TOWNSHIP}")
    assert page.status_code == 200
    assert page.text.count("/regions/3305211022") >= 19 and "城镇 4，乡村 19" in page.text


def test_a_county_manager_classifies_a_village_through_the_page(web_login, db):
    client = web_login("xianju")
    page = client.get(f"/regions/{梅林}")
    assert "设置城乡分类代码" in page.text and '<label for="f-urban_rural_class">' in page.text
    assert 'name="csrf_token" value=""' not in page.text  # the form itself carries the token
    bad = post_form(client, f"/regions/{梅林}/class", {"urban_rural_class": "999"}, page_url=f"/regions/{梅林}")
    assert bad.status_code == 422 and "城乡分类代码“999”无效" in bad.text
    good = post_form(client, f"/regions/{梅林}/class", {"urban_rural_class": "121"}, page_url=f"/regions/{梅林}")
    assert good.status_code == 303
    shown = client.get(good.headers["location"])
    assert "121 镇中心区" in shown.text and "已保存" in shown.text
    assert 'class="badge warn"' not in shown.text
    db.expire_all()
    village = db.get(Region, 梅林)
    assert village is not None and (village.area_type, village.class_is_derived) == ("urban", False)


def test_classifying_without_the_csrf_token_is_refused(web_login, db):
    client = web_login("xianju")
    response = client.post(f"/regions/{梅林}/class", data={"urban_rural_class": "121"}, follow_redirects=False)
    assert response.status_code == 403 and "页面已过期" in response.text


def test_a_village_doctor_posting_a_class_gets_a_403_page(web_login):
    client = web_login("cunyi")
    response = post_form(client, f"/regions/{梅林}/class", {"urban_rural_class": "121"}, page_url=f"/regions/{梅林}")
    assert response.status_code == 403 and "没有执行此操作的权限" in response.text


def test_bad_codes_and_query_parameters_get_chinese_messages_not_errors(web_login):
    client = web_login("xianju")
    for url, status, words in (
        ("/regions/abc", 404, "不存在"),
        ("/regions/330521999999", 404, "不存在"),
        ("/regions?parent=999999", 404, "不存在"),
        ("/regions?page=abc", 400, "请求参数有误"),
        ("/regions?page=100000000000000000000000", 400, "请求参数有误"),
        ("/population?year=abc", 400, "请输入整数"),
        ("/population?year=99999", 400, "不能大于"),
        ("/population?region=999999", 404, "不存在"),
        ("/population?region=" + "9" * 40, 400, "请求参数有误"),
        ("/population/template.csv?region=abc", 404, "不存在"),
        ("/population/template.csv?year=1800", 400, "请求参数有误"),
        ("/regions?q=%00", 200, "德清县的下级区划"),  # PostgreSQL text cannot hold NUL: no 500
        ("/population?region=%00", 404, "不存在"),
    ):
        response = client.get(url)
        assert response.status_code == status, url
        assert words in response.text, url


# --- population ------------------------------------------------------------------------------------------


def test_the_population_page_shows_one_labelled_input_row_per_village_with_totals(web_login):
    page = web_login("xianju").get(POPULATION_URL)
    assert page.status_code == 200
    assert page.text.count('name="3305211022') + page.text.count('name="3305211020') == 23 * 4
    assert f'<label for="p-{梅林}-resident_population"' in page.text
    assert "新市镇合计常住人口" in page.text and "德清县合计常住人口" in page.text
    assert 'action="/population/import"' in page.text and "/population/template.csv?region=330521102" in page.text
    assert page.text.count('name="csrf_token" value="') == 3 and 'name="csrf_token" value=""' not in page.text


def test_the_population_page_starts_at_the_county_and_picks_townships(web_login):
    page = web_login("xianju").get("/population")
    assert page.status_code == 200 and "德清县（全县汇总）" in page.text
    assert f'<option value="{TOWNSHIP}"' in page.text and 'name="3305' not in page.text


def test_saving_the_population_table_stores_the_filled_rows(web_login, db):
    client = web_login("xianju")
    data = {
        "region": TOWNSHIP,
        "year": str(YEAR),
        f"{梅林}.resident_population": "1,200",
        f"{梅林}.aged_65_plus": "210",
        f"{加元}.resident_population": " 950 ",
    }
    response = post_form(client, "/population", data, page_url=POPULATION_URL)
    assert response.status_code == 303
    shown = client.get(response.headers["location"])
    assert "已保存 2 行" in shown.text and 'value="1200"' in shown.text
    assert _resident(db, 梅林) == 1200 and _resident(db, 加元) == 950 and _stored(db) == 2


def test_one_bad_row_saves_nothing_and_is_shown_with_its_error(web_login, db):
    client = web_login("xianju")
    data = {
        "region": TOWNSHIP,
        "year": str(YEAR),
        f"{梅林}.resident_population": "1200",
        f"{加元}.resident_population": "-3",
        "330521102203.resident_population": "",
        "330521102203.aged_0_6": "12",
        "330521102204.resident_population": "abc",
    }
    response = post_form(client, "/population", data, page_url=POPULATION_URL)
    assert response.status_code == 422
    assert "未保存任何数据" in response.text
    assert "加元村委会（330521102202）：常住人口应为 0 到 2 亿之间的整数" in response.text
    assert "厚皋村委会（330521102203）：常住人口为空" in response.text
    assert "栎林村委会（330521102204）：常住人口“abc”不是整数" in response.text
    assert response.text.count('data-testid="row-error"') == 3
    assert 'value="1200"' in response.text and 'value="-3"' in response.text  # what was typed is kept
    assert _stored(db) == 0


def test_a_village_doctor_cannot_post_population(web_login, db):
    client = web_login("cunyi")
    page = client.get(POPULATION_URL)
    assert page.status_code == 200 and 'name="330521102201.resident_population"' not in page.text
    data = {"region": TOWNSHIP, "year": str(YEAR), f"{梅林}.resident_population": "1200"}
    response = client.post("/population", data={**data, "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert response.status_code == 403 and "没有执行此操作的权限" in response.text
    assert _stored(db) == 0


def test_an_inspector_sees_the_figures_without_inputs(web_login):
    page = web_login("ducha").get(f"/population?region={TOWNSHIP}&year=2026")
    assert page.status_code == 200
    assert "梅林村委会" in page.text and '<input id="p-' not in page.text
    assert 'data-testid="population-form"' not in page.text and 'action="/population/import"' not in page.text


def test_a_county_manager_sees_another_countys_township_read_only(web_login):
    page = web_login("xianju").get("/population?region=330102001&year=2026")
    assert page.status_code == 200 and "清波街道" in page.text and "只能查看" in page.text
    assert 'data-testid="population-form"' not in page.text


def _upload(client, name: str, content: bytes, content_type: str = "text/csv"):
    page = client.get(POPULATION_URL)
    return client.post(
        "/population/import",
        data={"csrf_token": csrf_from(page.text), "region": TOWNSHIP, "year": str(YEAR)},
        files={"file": (name, content, content_type)},
        follow_redirects=False,
    )


HEADER = "区划代码,年份,常住人口,户籍人口,0-6岁儿童数,65岁及以上老年人数\n"


def test_importing_a_csv_with_bad_rows_lists_them_and_imports_nothing(web_login, db):
    content = (HEADER + f"{梅林},{YEAR},1200,,,\n{加元},{YEAR},-1,,,\n330521999999,{YEAR},5,,,\n").encode()
    response = _upload(web_login("xianju"), "人口.csv", content)
    assert response.status_code == 422
    assert "第 3 行" in response.text and "第 4 行：区划代码 330521999999 不存在" in response.text
    assert "未导入任何数据" in response.text and _stored(db) == 0


def test_importing_a_good_excel_file_reports_the_rows(web_login, db):
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["区划代码", "年份", "常住人口"])
    sheet.append([梅林, YEAR, 1200])
    sheet.append([加元, YEAR, 950])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client = web_login("xianju")
    response = _upload(client, "人口.xlsx", buffer.getvalue(), "application/octet-stream")
    assert response.status_code == 303
    assert "已导入 2 行" in client.get(response.headers["location"]).text
    assert _resident(db, 加元) == 950


def test_importing_without_a_file_asks_for_one(web_login, db):
    client = web_login("xianju")
    page = client.get(POPULATION_URL)
    response = client.post(
        "/population/import",
        data={"csrf_token": csrf_from(page.text), "region": TOWNSHIP, "year": str(YEAR)},
        follow_redirects=False,
    )
    assert response.status_code == 422 and "请选择要导入的" in response.text


def test_the_downloaded_template_fills_in_and_imports(web_login, db):
    client = web_login("xianju")
    template = client.get(f"/population/template.csv?region={TOWNSHIP}&year={YEAR}")
    assert template.status_code == 200 and template.headers["content-type"].startswith("text/csv")
    assert "attachment" in template.headers["content-disposition"]
    assert template.content.startswith(b"\xef\xbb\xbf")
    lines = template.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("区划代码,年份,常住人口,户籍人口,0-6岁儿童数,65岁及以上老年人数")
    assert len(lines) == 24
    filled = "\n".join([lines[0]] + [line.replace(f",{YEAR},,", f",{YEAR},1000,", 1) for line in lines[1:]])
    response = _upload(client, "模板.csv", filled.encode("utf-8-sig"))
    assert response.status_code == 303 and _stored(db) == 23


def test_an_import_from_a_page_without_a_year_returns_to_a_valid_page(web_login, db):
    client = web_login("xianju")
    page = client.get(POPULATION_URL)
    content = (HEADER + f"{梅林},{YEAR},1200,,,\n").encode()
    response = client.post(
        "/population/import",
        data={"csrf_token": csrf_from(page.text), "region": TOWNSHIP, "year": ""},
        files={"file": ("p.csv", content, "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303 and "None" not in response.headers["location"]
    assert client.get(response.headers["location"]).status_code == 200
    assert _resident(db, 梅林) == 1200
