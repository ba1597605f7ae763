"""The ladder's arithmetic on the 2026 calendar and where its settings come from."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from workflow_app.alerts.ladder import Ladder, LadderConfig, LadderConfigError, parse_setting
from workflow_app.calendar.workdays import WorkCalendar, due_at, parse_time_limit
from workflow_app.clock import LOCAL_TZ

CAL = WorkCalendar()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(("due", "remind", "escalate"), [
    # Due after National Day: reminded at the end of the last working day before the holiday;
    # escalated at the end of Saturday 10-10, a 调休 working day.
    (local(2026, 10, 8, 23, 59, 59), local(2026, 9, 30, 23, 59, 59), local(2026, 10, 10, 23, 59, 59)),
    # An ordinary Wednesday: Tuesday's end, Friday's end.
    (local(2026, 6, 10, 23, 59, 59), local(2026, 6, 9, 23, 59, 59), local(2026, 6, 12, 23, 59, 59)),
    # Due on a Monday: reminded at the end of Friday; escalated Wednesday.
    (local(2026, 6, 15, 23, 59, 59), local(2026, 6, 12, 23, 59, 59), local(2026, 6, 17, 23, 59, 59)),
    # Due right after Spring Festival (02-15…02-23 off; 02-14 and 02-28 are make-up Saturdays).
    (local(2026, 2, 24, 23, 59, 59), local(2026, 2, 14, 23, 59, 59), local(2026, 2, 26, 23, 59, 59)),
    # A PT4H limit due on a Monday afternoon: the end of the working day before, like any other.
    (local(2026, 6, 15, 15, 30), local(2026, 6, 12, 23, 59, 59), local(2026, 6, 17, 23, 59, 59)),
])
def test_default_ladder_dates_over_2026_holidays(due, remind, escalate):
    ladder = Ladder()
    assert ladder.remind_at(due, CAL) == remind
    assert ladder.escalate_at(due, CAL) == escalate


def test_target_level_climbs_at_the_three_moments():
    ladder, due = Ladder(), local(2026, 10, 8, 23, 59, 59)
    second = timedelta(seconds=1)
    assert ladder.target_level(due, local(2026, 9, 30, 23, 59, 58), CAL) == 0
    assert ladder.target_level(due, local(2026, 9, 30, 23, 59, 59), CAL) == 1
    assert ladder.target_level(due, due, CAL) == 1
    assert ladder.target_level(due, due + second, CAL) == 2
    assert ladder.target_level(due, local(2026, 10, 10, 23, 59, 58), CAL) == 2
    assert ladder.target_level(due, local(2026, 10, 10, 23, 59, 59), CAL) == 3


def test_disabled_rungs_never_fire():
    ladder = Ladder(reminder_before=None, parent_after=None)
    due = local(2026, 6, 10, 23, 59, 59)
    assert ladder.target_level(due, due - timedelta(hours=1), CAL) == 0
    assert ladder.target_level(due, due + timedelta(days=300), CAL) == 2


@pytest.mark.parametrize("ladder", [
    Ladder(),
    Ladder(parse_time_limit("3wd"), parse_time_limit("5wd")),
    Ladder(parse_time_limit("2d"), parse_time_limit("1d")),
    Ladder(parse_time_limit("PT4H"), parse_time_limit("PT30M")),
])
def test_the_scan_bounds_are_exactly_the_ladder_rule(ladder):
    """The SQL uses `due_at < bound`; over a year of scan moments and due times it agrees with the
    rule stated per task (reminder time, due time, escalation time)."""
    start = local(2026, 1, 1, 0, 0)
    for step in range(0, 24 * 365, 17):  # every 17 hours through 2026, at varying times of day
        now = start + timedelta(hours=step, minutes=step % 60)
        bounds = ladder.bounds(now, CAL)
        for offset_hours in range(-24 * 20, 24 * 20, 13):
            for due in (now + timedelta(hours=offset_hours),
                        due_at(now + timedelta(hours=offset_hours), "1d", CAL).at):  # end-of-day dues too
                expected = 0
                remind = ladder.remind_at(due, CAL)
                if remind is not None and remind <= now and due >= now:
                    expected = 1
                if due < now:
                    expected = 2
                escalate = ladder.escalate_at(due, CAL)
                if escalate is not None and escalate <= now:
                    expected = 3
                assert bounds.level(due) == expected, (now, due, expected)
    # The boundaries themselves: one second either side of each moment.
    due = local(2026, 10, 8, 23, 59, 59)
    for moment in filter(None, (ladder.remind_at(due, CAL), ladder.escalate_at(due, CAL))):
        before = ladder.bounds(moment - timedelta(seconds=1), CAL).level(due)
        assert ladder.bounds(moment, CAL).level(due) > before


@pytest.mark.parametrize(("value", "expected"), [
    ("1wd", "1wd"), (" 2WD ", "2wd"), ("3", "3wd"), (2, "2wd"), ("PT4H", "PT4H"), ("2d", "2d"),
    ("off", None), ("", None), (0, None), (None, None),
])
def test_settings_parse(value, expected):
    parsed = parse_setting(value, name="x")
    assert (None if parsed is None else str(parsed)) == expected


def test_bad_setting_names_where_it_is():
    with pytest.raises(LadderConfigError, match="processes.registration: reminder_before"):
        LadderConfig(processes={"registration": {"reminder_before": "soon"}})
    with pytest.raises(LadderConfigError, match="unknown setting"):
        LadderConfig(default={"remind": "1wd"})


def test_settings_layer_defaults_file_bpmn_and_file_per_process(tmp_path, monkeypatch):
    path = tmp_path / "escalation.json"
    path.write_text(json.dumps({
        "default": {"reminder_before": "2wd"},
        "processes": {"major_event": {"escalationParentAfter": "5"}},
    }))
    monkeypatch.setenv("SOCORG_ESCALATION_CONFIG", str(path))
    config = LadderConfig.load()
    assert config.for_process("anything", {}) == Ladder(parse_time_limit("2wd"), parse_time_limit("2wd"))
    bpmn = {"escalationReminderBefore": "PT8H", "escalationParentAfter": "3wd", "unrelated": "x"}
    assert config.for_process("registration", bpmn) == Ladder(parse_time_limit("PT8H"), parse_time_limit("3wd"))
    # The file's per-process entry wins over the BPMN, setting by setting.
    assert config.for_process("major_event", bpmn) == Ladder(parse_time_limit("PT8H"), parse_time_limit("5wd"))


def test_missing_or_broken_config_file_is_an_error(tmp_path):
    with pytest.raises(LadderConfigError, match="escalation config"):
        LadderConfig.load(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2]")
    with pytest.raises(LadderConfigError, match="JSON object"):
        LadderConfig.load(broken)
