"""Record numbers: the configured pattern, and no duplicates when many clerks file in one village at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from kangdang.core.idnumber import check_character
from kangdang.db.engine import build_engine, build_sessionmaker
from kangdang.db.migrate import upgrade
from kangdang.residents.models import HealthRecord
from kangdang.residents.numbering import format_record_number, group_number
from kangdang.settings import Settings
from tests.conftest import throwaway_database

VILLAGE = "330521102201"  # 梅林村委会, in the catchment of the demo village doctor's township


def test_the_default_pattern_is_the_village_code_and_an_8_digit_serial():
    assert format_record_number("village20", VILLAGE, 42) == "33052110220100000042"
    assert format_record_number("national17", VILLAGE, 42) == "33052110220100042"
    assert group_number("33052110220100000042") == "330521-102-201-00000042"


def test_a_village_that_runs_out_of_serials_is_told_so():
    from kangdang.core.errors import Conflict

    with pytest.raises(Conflict):
        format_record_number("national17", VILLAGE, 100_000)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_county(request, tmp_path) -> Iterator[tuple[Settings, object]]:
    """A database of its own (committed writes from many threads), with the demo county loaded."""
    with throwaway_database(request.param, tmp_path) as url:
        yield from _county(url)


def _county(url: str) -> Iterator[tuple[Settings, object]]:
    settings = Settings(environment="test", database_url=url)
    engine = build_engine(url)
    upgrade(engine)
    from kangdang.demo.county import load_demo_county

    factory = build_sessionmaker(engine, settings)
    with factory() as session:
        load_demo_county(session)
        session.commit()
    yield settings, engine
    engine.dispose()


def test_concurrent_filing_in_one_village_never_repeats_a_number(fresh_county):
    from kangdang.access.models import User
    from kangdang.institutions.actors import load_actor
    from kangdang.residents.schemas import ResidentRegistration
    from kangdang.residents.service import register_resident

    settings, engine = fresh_county
    factory = build_sessionmaker(engine, settings)
    with factory() as session:
        before = session.scalar(
            select(func.count()).select_from(HealthRecord).where(HealthRecord.village_code == VILLAGE)
        )
    threads, per_thread = 8, 6
    failures: list[BaseException] = []
    start = threading.Barrier(threads)

    def clerk(worker: int) -> None:
        try:
            start.wait()
            for n in range(per_thread):
                with factory() as session:
                    user = session.scalar(select(User).where(User.login == "dangan"))
                    actor = load_actor(session, user)
                    first17 = f"33052119{70 + worker:02d}0{n + 1}01{worker}{n}1"[:17]
                    register_resident(
                        session,
                        actor,
                        ResidentRegistration(
                            document_number=first17 + check_character(first17),
                            name=f"并发{worker}号{n}",
                            current_region_code=VILLAGE,
                            confirm_duplicates=True,
                        ),
                    )
                    session.commit()
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=clerk, args=(w,)) for w in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not failures, failures[:3]
    with factory() as session:
        numbers = list(session.scalars(select(HealthRecord.record_number).where(HealthRecord.village_code == VILLAGE)))
    assert len(numbers) == before + threads * per_thread
    assert len(set(numbers)) == len(numbers)
    assert all(n.startswith(VILLAGE) and len(n) == 20 for n in numbers)
    serials = sorted(int(n[12:]) for n in numbers)
    assert serials == list(range(1, len(numbers) + 1))  # consecutive: none skipped, none reused


def test_many_villages_are_numbered_in_one_step_after_what_they_had(db):
    from kangdang.residents.models import NumberCounter
    from kangdang.residents.numbering import allocate_household_numbers, allocate_record_numbers

    other = "330521102202"
    first = allocate_record_numbers(db, "village20", {VILLAGE: 2})[VILLAGE]
    both = allocate_record_numbers(db, "village20", {other: 1, VILLAGE: 3})
    serials = [n.serial for n in first + both[VILLAGE]]
    assert serials == list(range(serials[0], serials[0] + 5))  # consecutive, none repeated, none skipped
    assert [n.value for n in both[VILLAGE]] == [format_record_number("village20", VILLAGE, s) for s in serials[2:]]
    assert both[other][0].unit == other
    assert db.get(NumberCounter, f"R{other}").next_serial == both[other][0].serial + 1
    households = allocate_household_numbers(db, {VILLAGE: 2, other: 1})
    again = allocate_household_numbers(db, {VILLAGE: 1})
    assert int(again[VILLAGE][0][-5:]) == int(households[VILLAGE][1][-5:]) + 1
    assert len(households[other]) == 1 and households[other][0].startswith(other)
    with pytest.raises(ValueError):
        allocate_record_numbers(db, "village20", {VILLAGE: 0})
