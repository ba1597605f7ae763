"""Number sequences: consecutive per (series, region, year), never repeated, even by concurrent writers."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sqlalchemy import select

from workflow_app import clock
from workflow_app.db import unit_of_work
from workflow_app.numbering import service
from workflow_app.numbering.models import NumberSequence


def test_each_series_region_and_year_counts_on_its_own(session):
    with unit_of_work(session):
        values = [service.next_value(session, "certificate", "220000", 2026) for _ in range(3)]
        other_region = service.next_value(session, "certificate", "220100", 2026)
        next_year = service.next_value(session, "certificate", "220000", 2027)
        other_series = service.next_value(session, "decision", "220000", 2026)
    assert values == [1, 2, 3]
    assert (other_region, next_year, other_series) == (1, 1, 1)


def test_a_rolled_back_number_is_handed_out_again(session):
    with unit_of_work(session):
        assert service.next_value(session, "certificate", "220000", 2026) == 1
    with pytest.raises(RuntimeError), unit_of_work(session):
        assert service.next_value(session, "certificate", "220000", 2026) == 2
        raise RuntimeError("the case's change fails")
    with unit_of_work(session):
        assert service.next_value(session, "certificate", "220000", 2026) == 2


def test_issue_formats_the_number_with_the_beijing_year(session):
    # 2026-12-31 20:00 UTC is already 2027 in Beijing.
    with clock.frozen(datetime.fromisoformat("2026-12-31T20:00:00+00:00")), unit_of_work(session):
        issued = service.issue(session, "decision", "220000", prefix="吉民社登字")
    assert (issued.number, issued.seq, issued.year) == ("吉民社登字〔2027〕1号", 1, 2027)
    assert service.format_number("", 2026, 15) == "〔2026〕15号"


@pytest.mark.parametrize("series", ["", "Decision", "1st", "a b", "x" * 65, None, "证书"])
def test_series_names_are_snake_case(session, series):
    with pytest.raises(ValueError, match="invalid series"):
        service.next_value(session, series, "220000", 2026)


def test_concurrent_writers_get_distinct_consecutive_numbers(app, new_session):
    threads, per_thread = 4, 25
    numbers: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def work() -> None:
        with app.app_context():
            sess = new_session()
            try:
                start.wait()
                for _ in range(per_thread):
                    # One transaction per number, like one case issuing one document.
                    with unit_of_work(sess):
                        value = service.next_value(sess, "certificate", "220000", 2026)
                    with lock:
                        numbers.append(value)
            except BaseException as exc:  # reported below; a thread's exception would vanish otherwise
                errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors
    assert sorted(numbers) == list(range(1, threads * per_thread + 1))
    sess = new_session()
    assert sess.scalar(select(NumberSequence.last_value)) == threads * per_thread
