"""Importing divisions (NBS CSV files), browsing them and setting a village's urban–rural class."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kangdang.access.models import AuditEvent
from kangdang.core.errors import InvalidInput, NotFound, PermissionDenied
from kangdang.core.pagination import PageRequest
from kangdang.regions.importer import DivisionFile
from kangdang.regions.models import Region
from kangdang.regions.service import classify_region, get_region, home_region, import_regions, list_regions

# A fake county 测试县 (330599) under the real city 湖州市 (3305): one township, two villages.
COUNTIES = "code,name,cityCode,provinceCode\n330599,测试县,3305,33\n"
TOWNSHIPS = "code,name,areaCode,provinceCode,cityCode\n330599001,测试镇,330599,33,3305\n"
VILLAGE_HEADER = "code,name,streetCode,provinceCode,cityCode,areaCode,urbanRuralClass\n"
GOOD_VILLAGES = (
    VILLAGE_HEADER
    + "330599001001,城关社区居委会,330599001,33,3305,330599,111\n"
    + "330599001201,前进村委会,330599001,33,3305,330599,\n"
)


def _files(villages: str = GOOD_VILLAGES) -> list[DivisionFile]:
    return [
        DivisionFile("counties.csv", COUNTIES),
        DivisionFile("townships.csv", TOWNSHIPS),
        DivisionFile("villages.csv", villages),
    ]


def _region_count(db) -> int:
    return db.scalar(select(func.count()).select_from(Region)) or 0


BAD_VILLAGES = (
    VILLAGE_HEADER
    + "330599001001,城关社区居委会,330599001,33,3305,330599,111\n"  # row 2: good
    + "33059900120,短码村委会,330599001,33,3305,330599,220\n"  # row 3: 11 digits
    + "330598001201,无上级村委会,330598001,33,3305,330598,220\n"  # row 4: parent 330598001 does not exist
    + "330599001001,重复社区居委会,330599001,33,3305,330599,111\n"  # row 5: duplicate of row 2
    + "330599001202,错分类村委会,330599001,33,3305,330599,999\n"  # row 6: no such class
)


def test_a_division_file_with_bad_rows_is_rejected_with_each_reason_and_imports_nothing(db, actor_of):
    before = _region_count(db)
    with pytest.raises(InvalidInput) as caught:
        import_regions(db, actor_of("admin"), _files(BAD_VILLAGES))
    messages = [e.message for e in caught.value.errors]
    assert any("第 3 行" in m and "12 位数字" in m for m in messages), messages
    assert any("第 5 行" in m and "重复" in m for m in messages), messages
    assert any("第 6 行" in m and "城乡分类代码“999”无效" in m for m in messages), messages
    assert any("330598001" in m and "不存在" in m for m in messages), messages
    assert "未导入任何数据" in caught.value.message
    assert _region_count(db) == before
    assert db.get(Region, "330599") is None


def test_an_unknown_parent_is_reported_with_its_row_number(db, actor_of):
    with pytest.raises(InvalidInput) as caught:
        import_regions(db, actor_of("admin"), _files(BAD_VILLAGES))
    unknown = [e for e in caught.value.errors if "330598001" in e.message]
    assert unknown and unknown[0].row == 4 and "第 4 行" in unknown[0].message


def test_a_good_file_imports_and_a_second_import_changes_nothing(db, actor_of):
    admin = actor_of("admin")
    first = import_regions(db, admin, _files())
    assert (first.inserted, first.updated) == (4, 0)
    town = db.get(Region, "330599001001")
    village = db.get(Region, "330599001201")
    assert town is not None and village is not None
    assert (town.urban_rural_class, town.area_type, town.class_is_derived) == ("111", "urban", False)
    assert (village.urban_rural_class, village.area_type, village.class_is_derived) == (None, "rural", True)
    assert village.parent_code == "330599001" and village.level == 5
    second = import_regions(db, admin, _files())
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 4)


def test_a_later_file_without_classes_keeps_the_real_class_and_a_real_class_replaces_a_derived_one(db, actor_of):
    admin = actor_of("admin")
    import_regions(db, admin, _files())
    without_classes = (
        "code,name,streetCode,provinceCode,cityCode,areaCode\n"
        "330599001001,城关社区居委会,330599001,33,3305,330599\n"
        "330599001201,前进村委会,330599001,33,3305,330599\n"
    )
    again = import_regions(db, admin, [DivisionFile("villages.csv", without_classes)])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    town = db.get(Region, "330599001001")
    assert town is not None and (town.urban_rural_class, town.class_is_derived) == ("111", False)
    real = VILLAGE_HEADER + "330599001201,前进村委会,330599001,33,3305,330599,122\n"
    classified = import_regions(db, admin, [DivisionFile("villages.csv", real)])
    assert classified.updated == 1
    village = db.get(Region, "330599001201")
    assert village is not None
    assert (village.urban_rural_class, village.area_type, village.class_is_derived) == ("122", "urban", False)


def test_only_a_system_administrator_imports_divisions(db, actor_of):
    with pytest.raises(PermissionDenied):
        import_regions(db, actor_of("xianju"), _files())


def test_the_cli_imports_a_folder_of_division_files_into_a_fresh_database(tmp_path, monkeypatch):
    from sqlalchemy import create_engine

    from kangdang.cli import app

    database = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("KANGDANG_DATABASE_URL", f"sqlite:///{database}")
    folder = tmp_path / "regions"
    folder.mkdir()
    (folder / "provinces.csv").write_text("code,name\n99,测试省\n", encoding="utf-8")
    (folder / "cities.csv").write_text("code,name,provinceCode\n9901,测试市,99\n", encoding="utf-8")
    (folder / "counties.csv").write_text("code,name,cityCode,provinceCode\n990101,测试县,9901,99\n", encoding="utf-8")
    (folder / "townships.csv").write_text(
        "code,name,areaCode,provinceCode,cityCode\n990101001,测试镇,990101,99,9901\n", encoding="utf-8-sig"
    )
    (folder / "villages.csv").write_text(
        VILLAGE_HEADER.replace("\n", "") + "\n990101001201,前进村委会,990101001,99,9901,990101,220\n",
        encoding="gb18030",
    )
    (folder / "notes.txt").write_text("not a division file", encoding="utf-8")
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade"], catch_exceptions=False)
    assert upgraded.exit_code == 0, upgraded.output
    first = runner.invoke(app, ["regions", "import", str(folder)], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "新增 5" in first.output
    second = runner.invoke(app, ["regions", "import", str(folder)], catch_exceptions=False)
    assert second.exit_code == 0 and "新增 0" in second.output and "未变 5" in second.output
    (folder / "villages.csv").write_text(VILLAGE_HEADER + "990101001202,坏村委会,990101001,99,9901,990101,3\n")
    bad = runner.invoke(app, ["regions", "import", str(folder)], catch_exceptions=False)
    assert bad.exit_code == 1 and "第 2 行" in bad.output
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        codes = conn.execute(select(Region.code, Region.urban_rural_class).order_by(Region.code)).all()
    engine.dispose()
    assert [tuple(c) for c in codes] == [
        ("99", None),
        ("9901", None),
        ("990101", None),
        ("990101001", None),
        ("990101001201", "220"),
    ]


# --- browsing --------------------------------------------------------------------------------------------


def test_a_region_shows_its_ancestors_children_and_their_area_types(db, actor_of):
    detail = get_region(db, actor_of("cunyi2"), "330521102")
    assert [r.code for r in detail.path] == ["33", "3305", "330521"]
    assert len(detail.children) == 23 and detail.children[0].code == "330521102001"
    assert detail.child_counts == {"urban": 4, "rural": 19}
    assert not detail.can_classify


def test_an_unknown_or_malformed_code_is_not_found(db, actor_of):
    for code in ("330521999", "abc", "", "3305211020011234"):
        with pytest.raises(NotFound):
            get_region(db, actor_of("xianju"), code)


def test_regions_are_listed_by_parent_or_searched_by_name_or_code(db, actor_of):
    actor = actor_of("cunyi")
    townships = list_regions(db, actor, page=PageRequest(size=50), parent_code="330521")
    assert townships.total == 13
    provinces = list_regions(db, actor, page=PageRequest(size=50))
    assert provinces.total == 31 and all(r.level == 1 for r in provinces.items)
    by_name = list_regions(db, actor, page=PageRequest(), parent_code="330521", query="新市")
    assert by_name.items[0].code == "330521102"
    by_code = list_regions(db, actor, page=PageRequest(), parent_code="330521", query="3305211022")
    assert {r.code for r in by_code.items} >= {"330521102201", "330521102222"}
    assert all(r.code.startswith("3305211022") for r in by_code.items)
    nothing = list_regions(db, actor, page=PageRequest(), query="100%_")
    assert nothing.total == 0


def test_each_role_starts_browsing_at_its_county(db, actor_of):
    for login in ("xianju", "ducha", "cunyi", "dangan", "admin"):
        start = home_region(db, actor_of(login))
        assert start is not None and start.code == "330521", login


# --- urban–rural class -----------------------------------------------------------------------------------


def test_classifying_a_village_sets_its_area_type_clears_derived_and_is_audited(db, actor_of):
    village = db.get(Region, "330521102201")
    assert village is not None and (village.area_type, village.class_is_derived) == ("rural", True)
    assert get_region(db, actor_of("xianju"), "330521102201").can_classify
    classify_region(db, actor_of("xianju"), "330521102201", "121")
    db.expire_all()
    village = db.get(Region, "330521102201")
    assert village is not None
    assert (village.urban_rural_class, village.area_type, village.class_is_derived) == ("121", "urban", False)
    event = db.scalar(
        select(AuditEvent).where(AuditEvent.action == "region.classify", AuditEvent.subject_id == "330521102201")
    )
    assert event is not None and event.login == "xianju"
    assert event.details["before"]["derived"] is True and event.details["after"]["urban_rural_class"] == "121"


def test_an_invalid_class_or_a_non_village_is_refused_with_a_field_error(db, actor_of):
    xianju = actor_of("xianju")
    with pytest.raises(InvalidInput) as bad_class:
        classify_region(db, xianju, "330521102201", "999")
    assert bad_class.value.errors[0].field == "urban_rural_class" and "999" in bad_class.value.errors[0].message
    with pytest.raises(InvalidInput) as township:
        classify_region(db, xianju, "330521102", "121")
    assert "村级" in township.value.errors[0].message
    village = db.get(Region, "330521102201")
    assert village is not None and village.class_is_derived


def test_classifying_is_for_county_managers_within_their_county(db, actor_of):
    import_regions(db, actor_of("admin"), _files())  # 测试县 330599, outside 德清县
    with pytest.raises(NotFound):
        classify_region(db, actor_of("xianju"), "330599001201", "220")
    with pytest.raises(PermissionDenied):
        classify_region(db, actor_of("cunyi"), "330521102201", "220")
    with pytest.raises(PermissionDenied):
        classify_region(db, actor_of("ducha"), "330521102201", "220")
    classify_region(db, actor_of("admin"), "330599001201", "220")
    village = db.get(Region, "330599001201")
    assert village is not None and village.urban_rural_class == "220"
