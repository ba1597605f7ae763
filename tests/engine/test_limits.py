"""Size guards a line trace cannot provide: formatting widths, padding, f-string specs, case data."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from workflow_app.engine.limits import MAX_FORMAT_WIDTH, CaseDataRefused, FormatRefused
from workflow_app.engine.sandbox import SandboxedEnvironment, SandboxError, ScriptTimeout, compile_script

BIG = MAX_FORMAT_WIDTH + 1  # just past the bound: the old code built these strings without a word


@pytest.fixture
def env() -> SandboxedEnvironment:
    return SandboxedEnvironment(time_limit=1.0)


@pytest.mark.parametrize("source", [
    f"x = '%*d' % ({BIG}, 1)",
    f"x = '%.*f' % ({BIG}, 1.5)",
    f"x = '%{BIG}d' % 1",
    f"x = '%.{BIG}f' % 1.5",
    f"x = '%(a){BIG}s' % {{'a': 1}}",
    "x = '%5000d%5001d' % (1, 2)",
    f"x = b'%*d' % ({BIG}, 1)",
    f"x = '%*d'\nx %= ({BIG}, 1)",
    "x = '%*d' % (10**9, 1)",
])
def test_percent_format_with_star_or_huge_width_is_refused(env, source):
    with pytest.raises(FormatRefused, match="refused"):
        env.execute(source, {})


def test_ordinary_percent_formatting_and_int_modulo_still_work(env):
    context = {}
    env.execute("a = '%5d|%-3s|%.2f|%%' % (42, 'x', 3.14159)\nb = '%(k)s' % {'k': 'v'}\nc = 17 % 5\n"
                "d = '%03d'\nd %= 7", context)
    assert context == {"a": "   42|x  |3.14|%", "b": "v", "c": 2, "d": "007"}


@pytest.mark.parametrize("source", [
    "n = 5\nx = f'{1:>{n}}'",
    "n = 10**9\nx = f'{1:>{n}}'",
    f"x = f'{{1:>{BIG}}}'",
    f"x = f'{{1.5:.{BIG}f}}'",
])
def test_f_string_spec_with_nested_field_or_huge_width_is_refused_at_compile_time(source):
    with pytest.raises(SandboxError, match="nested fields|refused"):
        compile_script(source)


def test_ordinary_f_strings_still_work(env):
    context = {"n": 6}
    env.execute("a = f'{n:>4}|{n!r}|{1234.5:,.1f}'", context)
    assert context["a"] == "   6|6|1,234.5"


@pytest.mark.parametrize("source", [
    f"x = 'a'.ljust({BIG})", f"x = 'a'.rjust({BIG}, '-')", f"x = 'a'.center({BIG})", f"x = '1'.zfill({BIG})",
    f"x = 'a\\tb'.expandtabs({BIG})", f"x = str.ljust('a', {BIG})", f"x = b'a'.rjust({BIG})",
    f"f = 'a'.ljust\nx = f({BIG})", "x = 'a'.ljust(2 * 10**9)",
])
def test_padding_with_a_huge_width_is_refused(env, source):
    with pytest.raises(FormatRefused, match="refused"):
        env.execute(source, {})


def test_padding_with_ordinary_widths_still_works(env):
    context = {}
    env.execute("a = 'ab'.ljust(4, '.')\nb = '7'.zfill(3)\nc = 'x'.center(3)\nd = 'a\\tb'.expandtabs(2)\n"
                "e = str.rjust('z', 2)", context)
    assert context == {"a": "ab..", "b": "007", "c": " x ", "d": "a b", "e": " z"}


def test_case_data_larger_than_the_limit_is_refused():
    env = SandboxedEnvironment(max_data_bytes=1000)
    with pytest.raises(CaseDataRefused, match="1000-byte limit"):
        env.execute("x = 'a' * 2000", {})
    context = {}
    env.execute("x = 'a' * 500", context)
    assert len(context["x"]) == 500


@pytest.mark.parametrize("source, name", [
    ("g = (i for i in [1])", "g (generator)"), ("d = Decimal('1')", "d (Decimal)"), ("b = b'x'", "b (bytes)"),
    ("r = range(3)", "r (range)"), ("nested = {'k': [date(2026, 1, 1)]}", "nested (dict)"),
])
def test_case_data_that_cannot_be_saved_is_refused_naming_the_variable(source, name):
    env = SandboxedEnvironment(max_data_bytes=10_000)
    with pytest.raises(CaseDataRefused) as info:
        env.execute(source, {})
    assert name in str(info.value) and "无法保存" in str(info.value)


def test_values_the_engine_can_save_pass_the_case_data_check():
    env = SandboxedEnvironment(max_data_bytes=10_000)
    context = {}
    env.execute("a = datetime(2026, 1, 1)\nb = timedelta(days=1)\nc = {'k': [1, 2.5, None, True]}\nd = (1, 2)\n"
                "f = lambda: 1", context)
    assert context == {"a": datetime(2026, 1, 1), "b": timedelta(days=1), "c": {"k": [1, 2.5, None, True]},
                       "d": (1, 2)}


def test_timeout_message_is_in_chinese_and_english(env):
    with pytest.raises(ScriptTimeout, match="脚本超出时间限制（script timed out at line 1"):
        SandboxedEnvironment(time_limit=0.2).execute("while True: pass", {})
