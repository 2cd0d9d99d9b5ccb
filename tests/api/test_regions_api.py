"""The regions JSON API: browse, population figures (one region, a whole table), the urban–rural class."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import func, select

from kangdang.regions.models import Region, RegionPopulation

YEAR = 2030  # the demo county has no figures for this year
梅林, 加元 = "330521102201", "330521102202"


def _stored(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(RegionPopulation).where(RegionPopulation.year == YEAR)) or 0


def test_regions_are_listed_by_parent_and_searched(client, api_as):
    headers = api_as("cunyi")
    townships = client.get("/api/v1/regions", params={"parent": "330521", "size": 5}, headers=headers)
    assert townships.status_code == 200
    body = townships.json()
    assert body["total"] == 13 and len(body["items"]) == 5 and body["items"][0]["level_label"] == "乡级"
    found = client.get("/api/v1/regions", params={"parent": "330521", "q": "梅林"}, headers=headers).json()
    assert [r["code"] for r in found["items"]] == [梅林]
    assert found["items"][0]["area_type"] == "rural" and found["items"][0]["class_is_derived"] is True
    bad = client.get("/api/v1/regions", params={"parent": "33x"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "parent"


def test_a_region_comes_with_its_path_and_children(client, api_as):
    response = client.get("/api/v1/regions/330521102", headers=api_as("ducha"))
    assert response.status_code == 200
    body = response.json()
    assert [p["code"] for p in body["path"]] == ["33", "3305", "330521"]
    assert len(body["children"]) == 23 and body["child_counts"] == {"urban": 4, "rural": 19}
    missing = client.get("/api/v1/regions/330521999", headers=api_as("ducha"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_the_api_needs_a_token(client):
    assert client.get("/api/v1/regions").status_code == 401


def test_putting_population_stores_and_returns_the_figures(client, api_as, db):
    headers = api_as("xianju")
    body = {"resident_population": 1200, "registered_population": 1100, "aged_0_6": 80, "source": "统计年鉴"}
    response = client.put(f"/api/v1/regions/{梅林}/population/{YEAR}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    stored = response.json()
    assert stored["resident_population"] == 1200 and stored["aged_65_plus"] is None
    assert stored["source"] == "统计年鉴" and stored["updated_by"] == "xianju" and stored["year"] == YEAR
    overview = client.get("/api/v1/regions/330521102/population", params={"year": YEAR}, headers=headers).json()
    line = next(x for x in overview["lines"] if x["region"]["code"] == 梅林)
    assert line["resident_population"] == 1200 and line["own"]["aged_0_6"] == 80
    assert overview["total"] == 1200 and len(overview["lines"]) == 23
    county = client.get("/api/v1/regions/330521/population", params={"year": YEAR}, headers=headers).json()
    township = next(x for x in county["lines"] if x["region"]["code"] == "330521102")
    assert township["own"] is None and township["children_total"] == 1200


def test_negative_or_inconsistent_population_is_422_with_field_errors(client, api_as, db):
    headers = api_as("xianju")
    negative = client.put(
        f"/api/v1/regions/{梅林}/population/{YEAR}", json={"resident_population": -1}, headers=headers
    )
    assert negative.status_code == 422
    assert negative.json()["error"]["fields"][0]["field"] == "resident_population"
    assert "不能小于 0" in negative.json()["error"]["fields"][0]["message"]
    more_children = client.put(
        f"/api/v1/regions/{梅林}/population/{YEAR}", json={"resident_population": 10, "aged_0_6": 11}, headers=headers
    )
    assert more_children.status_code == 422
    assert more_children.json()["error"]["fields"][0]["field"] == "aged_0_6"
    bad_year = client.put(f"/api/v1/regions/{梅林}/population/1800", json={"resident_population": 1}, headers=headers)
    assert bad_year.status_code == 422 and bad_year.json()["error"]["fields"][0]["field"] == "year"
    extra = client.put(
        f"/api/v1/regions/{梅林}/population/{YEAR}", json={"resident_population": 1, "men": 1}, headers=headers
    )
    assert extra.status_code == 422 and extra.json()["error"]["fields"][0]["field"] == "men"
    assert _stored(db) == 0


def test_a_malformed_json_body_is_422(client, api_as, db):
    response = client.put(
        f"/api/v1/regions/{梅林}/population/{YEAR}",
        content=b'{"resident_population": 12',
        headers={**api_as("xianju"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    assert "JSON" in response.json()["error"]["fields"][0]["message"]
    assert _stored(db) == 0


def test_population_outside_the_county_is_not_found_and_a_village_doctor_is_forbidden(client, api_as, db):
    outside = client.put(
        f"/api/v1/regions/330102/population/{YEAR}", json={"resident_population": 500000}, headers=api_as("xianju")
    )
    assert outside.status_code == 404
    doctor = client.put(
        f"/api/v1/regions/{梅林}/population/{YEAR}", json={"resident_population": 1}, headers=api_as("cunyi")
    )
    assert doctor.status_code == 403
    assert _stored(db) == 0


HEADER = "区划代码,年份,常住人口,户籍人口,0-6岁儿童数,65岁及以上老年人数\n"


def test_importing_a_bad_csv_is_422_with_a_row_on_each_field_error(client, api_as, db):
    content = (HEADER + f"{梅林},{YEAR},1200,,,\n{加元},{YEAR},x,,,\n330521999999,{YEAR},5,,,\n").encode()
    response = client.post(
        "/api/v1/regions/population/import", files={"file": ("p.csv", content, "text/csv")}, headers=api_as("xianju")
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert [f["row"] for f in fields] == [3, 4]
    assert "第 3 行" in fields[0]["message"] and "不存在" in fields[1]["message"]
    assert _stored(db) == 0


def test_importing_a_good_xlsx_returns_the_row_count(client, api_as, db):
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["区划代码", "年份", "常住人口", "65岁及以上老年人数"])
    sheet.append([梅林, YEAR, 1200, 300])
    sheet.append([加元, YEAR, 950, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post(
        "/api/v1/regions/population/import",
        files={"file": ("p.xlsx", buffer.getvalue(), "application/octet-stream")},
        headers=api_as("xianju"),
    )
    assert response.status_code == 200 and response.json() == {"imported": 2}
    assert _stored(db) == 2


def test_importing_without_a_file_is_422(client, api_as):
    response = client.post("/api/v1/regions/population/import", headers=api_as("xianju"))
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "file"


def test_putting_a_class_changes_the_area_type(client, api_as, db):
    headers = api_as("xianju")
    response = client.put(f"/api/v1/regions/{梅林}/class", json={"urban_rural_class": "121"}, headers=headers)
    assert response.status_code == 200
    assert response.json()["area_type"] == "urban" and response.json()["class_is_derived"] is False
    assert response.json()["urban_rural_class_label"] == "镇中心区"
    db.expire_all()
    village = db.get(Region, 梅林)
    assert village is not None and village.urban_rural_class == "121"
    invalid = client.put(f"/api/v1/regions/{加元}/class", json={"urban_rural_class": "300"}, headers=headers)
    assert invalid.status_code == 422 and invalid.json()["error"]["fields"][0]["field"] == "urban_rural_class"
    malformed = client.put("/api/v1/regions/%00/class", json={"urban_rural_class": "121"}, headers=headers)
    assert malformed.status_code == 422 and malformed.json()["error"]["fields"][0]["field"] == "code"
    inspector = client.put(f"/api/v1/regions/{加元}/class", json={"urban_rural_class": "220"}, headers=api_as("ducha"))
    assert inspector.status_code == 403
