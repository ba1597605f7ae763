"""Deployment problems in Chinese for the designer's pages (the API keeps the lint's English ``message``).

Each lint message has a pattern here; the names it quotes (ids, files, expressions) are kept as they are.
A message without a pattern (e.g. an engine parser's) is shown as 流程文件校验未通过 with the element and
line, never in English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_R = r"(?P<{}>.+?)"


def _p(english: str, chinese: str) -> tuple[re.Pattern[str], str]:
    """A pattern from an English template with {name} holes, and its Chinese template."""
    parts = re.split(r"\{(\w+)\}", english)
    regex = "".join(re.escape(p) if i % 2 == 0 else _R.format(p) for i, p in enumerate(parts))
    return re.compile(f"^{regex}$", re.S), chinese


# Most specific first: the first pattern that matches the whole message wins.
PATTERNS = [_p(e, c) for e, c in (
    ("every file needs a plain file name", "每个文件都需要一个普通文件名"),
    ("this file name is uploaded twice", "同一文件名上传了两次"),
    ("another form is also named {a} ({b})", "另一个表单也叫 {a}（{b}）"),
    ("form must be a JSON object (a JSON Schema), not {a}", "表单必须是 JSON 对象（JSON Schema），而不是 {a}"),
    ("form is not a valid JSON Schema: {a}", "表单不是有效的 JSON Schema：{a}"),
    ('form schema must declare "type": "object" at its top level', '表单的最外层必须声明 "type": "object"'),
    ("field {a} shadows the script helper of that name; rename it (e.g. {b})",
     "字段 {a} 与同名脚本函数冲突，请改名（例如 {b}）"),
    ("script task has no script", "脚本任务没有脚本"),
    ("script does not compile: {a}", "脚本无法编译：{a}"),
    ("condition expression is empty", "条件表达式为空"),
    ("condition does not compile: {a}", "条件表达式无法编译：{a}"),
    ("timer {a} is empty", "定时器（{a}）为空"),
    ("timer {a} does not compile: {b}", "定时器（{a}）表达式无法编译：{b}"),
    ("timer {a} {b} is not a valid ISO 8601 value: {c}", "定时器（{a}）{b} 不是有效的 ISO 8601 值：{c}"),
    ("service task operator has no id", "服务任务的操作没有标识"),
    ("unknown service operator {a}; known: {b}", "未知的服务操作 {a}；可用的有：{b}"),
    ("operator parameter {a} has no type attribute", "操作参数 {a} 缺少 type 属性"),
    ("operator parameter {a} value does not compile: {b}", "操作参数 {a} 的值无法编译：{b}"),
    ("user task has no form: add the spiffworkflow property {a}", "人工任务没有表单：请添加 spiffworkflow 属性 {a}"),
    ("form {a} is not among the bundle's forms ({b})", "表单 {a} 不在本次部署的表单中（{b}）"),
    ("timeLimit {a} is not a time limit: {b}",
     "办理时限 {a} 无效：请写工作日（5wd）、自然日（30d）或 ISO 8601 时长（PT4H、P2D、P1DT2H）"),
    ("{a} names decisions {b} that form {c} does not offer ({d}); write true, false or its decision values",
     "{a} 指定的决定 {b} 不在表单 {c} 的选项中（{d}）；请写 true、false 或表单的决定值"),
    ("{a} names fields {b} that form {c} does not declare", "{a} 指定的字段 {b} 在表单 {c} 中没有声明"),
    ("business rule task names no decision (spiffworkflow:calledDecisionId)",
     "业务规则任务没有指定决策表（spiffworkflow:calledDecisionId）"),
    ("decision {a} is not in any DMN file of the bundle (decisions: {b})", "决策表 {a} 不在本次部署的 DMN 文件中（已有：{b}）"),
    ("call activity has no calledElement", "调用活动没有指定被调用的流程（calledElement）"),
    ("called process {a} is not in the bundle", "被调用的流程 {a} 不在本次部署中"),
    ("startVariables lists names that are no variable name: {a}", "startVariables 中有不是变量名的名称：{a}"),
    ("{a}: write working days (1wd), calendar days (2d), an ISO 8601 duration (PT4H) or off",
     "预警设置无效（{a}）：请写工作日（1wd）、自然日（2d）、ISO 8601 时长（PT4H）或 off"),
    ("{a} is in no lane: its candidate group comes from its lane", "{a} 不在任何泳道中：办理人组取自所在泳道"),
    ("{a} is in lane {b}, which has no name (candidate group)", "{a} 所在的泳道 {b} 没有名称（办理人组）"),
    ("sequence flow has no {a}", "顺序流缺少 {a}"),
    ("sequence flow {a} {b} names no element of {c} (that id is elsewhere: flows cannot cross sub-process borders)",
     "顺序流的 {a} {b} 不是 {c} 中的元素（该标识在别处：顺序流不能跨越子流程边界）"),
    ("sequence flow {a} {b} names no element of {c}", "顺序流的 {a} {b} 不是 {c} 中的元素"),
    ("not a DMN 1.2 or 1.3 document (namespace {a})", "不是 DMN 1.2 或 1.3 文档（命名空间 {a}）"),
    ("DMN file has no decision", "DMN 文件中没有决策"),
    ("DMN file has {a} decisions; SpiffWorkflow reads one per file", "DMN 文件中有 {a} 个决策；每个文件只能有一个"),
    ("decision has no decision table", "决策没有决策表"),
    # Row tests of decision tables (definitions/dmn_tests.py).
    ("row tests must be a JSON list of objects with inputs and expected",
     "行测试必须是 JSON 列表，每条含 inputs（输入）和 expected（期望输出）"),
    ("more than {a} row tests", "行测试超过 {a} 条"),
    ("row test {a} ({b}): inputs and expected must be objects",
     "第 {a} 条行测试（{b}）：输入和期望输出必须是 JSON 对象，且期望输出不能为空"),
    ("row test {a} ({b}): input names must be identifiers", "第 {a} 条行测试（{b}）：输入变量名必须是合法标识符"),
    ("row tests for a DMN file that is not in the bundle: {a}", "行测试对应的 DMN 文件不在本次部署中：{a}"),
    ("row tests cannot call the decision: {a}", "行测试无法调用该决策表：{a}"),
    ("row test {a} ({b}) could not run: {c}", "第 {a} 条行测试（{b}）无法运行：{c}"),
    ("row test {a} ({b}) failed: inputs {c}, expected {d}, got {e}",
     "第 {a} 条行测试（{b}）未通过：输入 {c}，期望 {d}，实际 {e}"),
    ("hit policy {a} is not supported by SpiffWorkflow (it behaves like FIRST)", "不支持命中策略 {a}（会按 FIRST 执行）"),
    ("aggregation {a} is ignored by SpiffWorkflow: COLLECT returns lists", "聚合方式 {a} 不起作用：COLLECT 返回列表"),
    ("decision table input has no expression", "决策表的输入没有表达式"),
    ("input expression does not compile: {a}", "输入表达式无法编译：{a}"),
    ("rule has {a} input and {b} output cells; {c}", "规则有 {a} 个输入单元格和 {b} 个输出单元格，与表头不符"),
    ("output cell {a} {b} does not compile: {c}", "输出单元格 {a} {b} 无法编译：{c}"),
    ("input cell {a} {b} is only blanks: {c}", "输入单元格 {a} {b} 只有空白：请留空或写 -"),
    ("input cell {a} {b} is not a Python comparison (cells are Python, not FEEL){c}",
     "输入单元格 {a} {b} 不是 Python 比较式（单元格写 Python，不是 FEEL）"),
    ("input cell {a} {b} does not compile as {c}: {d}", "输入单元格 {a} {b} 按 {c} 无法编译：{d}"),
    ("input cell {a} {b}: {c}", "输入单元格 {a} {b} 写法有误"),
    ("the draft needs xml and base_version", "草稿缺少流程图（xml）或基础版本号（base_version）"),
    ("forms must map file names to JSON Schemas", "表单应为“文件名 → JSON Schema”的对应表"),
    ("a draft carries at most {a} forms", "一次最多提交 {a} 个表单"),
    ("a form file name is letters, digits, _ or - and ends in .json", "表单文件名只能含字母、数字、_ 或 -，并以 .json 结尾"),
    ("file is {a} bytes; the limit is {b} bytes", "文件大小 {a} 字节，超过上限 {b} 字节"),
    ("malformed XML: {a}", "XML 格式错误：{a}"),
    ("a DOCTYPE (DTD) is not allowed in BPMN/DMN files; remove the <!DOCTYPE ...> declaration",
     "BPMN/DMN 文件中不允许 DOCTYPE（DTD）声明，请删除 <!DOCTYPE ...>"),
    ("no executable process (isExecutable=\"true\") found", "没有可执行的流程（isExecutable=\"true\"）"),
    ("timer {a} {b} is not quoted: timers are Python; write {c}", "定时器（{a}）的值 {b} 需要加引号：定时器表达式是 Python，请写 {c}"),
    ("decision id is also used in {a}", "决策标识在 {a} 中也被使用"),
    ("{a} does not compile: {b}", "{a} 脚本无法编译：{b}"),
    ("no such file or directory", "文件不存在"),
    ("no files given", "没有选择文件"),
    ("more than {a} files", "文件超过 {a} 个"),
    ("only .bpmn, .dmn and .json files can be deployed", "只能部署 .bpmn、.dmn 和 .json 文件"),
    ("the file is not UTF-8 text", "文件不是 UTF-8 文本"),
    ("larger than {a} bytes", "文件超过 {a} 字节"),
    ("not valid JSON: {a}", "不是有效的 JSON：{a}"),
    ("file is not valid UTF-8 (bad byte at offset {a})", "文件不是有效的 UTF-8（第 {a} 字节有误）"),
)]


# The sandbox's compile errors (quoted inside "does not compile: ..."), most specific first.
PYTHON_ERRORS = [(re.compile(e), c) for e, c in (
    (r"Line (\d+): (?:SyntaxError|IndentationError|TabError): (.+?) at statement: (.*)", r"第 \1 行语法错误：\2（语句：\3）"),
    (r"'(.)' was never closed", r"“\1”没有闭合"),
    (r"unmatched '(.)'", r"多余的“\1”"),
    (r"expected '(.)'", r"缺少“\1”"),
    (r"unterminated (?:triple-quoted )?string literal \(detected at line \d+\)", "字符串缺少结束引号"),
    (r"invalid syntax(?:\. Perhaps you forgot a comma\?)?", "语法无效"),
    (r"unexpected indent", "缩进有误"),
    (r"expected an indented block[^（]*", "缺少缩进的代码块"),
    (r"unindent does not match any outer indentation level", "缩进层次不一致"),
    (r'"(\w+)" is an invalid variable name because it starts with "_"\.?', r"变量名“\1”以下划线开头，不允许使用"),
    (r'"(\w+)" is an invalid attribute name because it starts with "_"\.?', r"属性名“\1”以下划线开头，不允许使用"),
    (r"import statements are not allowed\.?", "不允许使用 import 语句"),
    (r"Line (\d+): ", r"第 \1 行："),
)]


def chinese(message: str) -> str:
    """One lint message in Chinese (names and expressions quoted in it kept)."""
    for pattern, template in PATTERNS:
        match = pattern.match(message)
        if match:
            text = template.format(**match.groupdict())
            return _python_errors(text) if "无法编译" in text else text
    return "流程文件校验未通过，请检查该元素的设置"


def _python_errors(text: str) -> str:
    """The compile error quoted in a message, in Chinese where Python's wording is known."""
    for pattern, replacement in PYTHON_ERRORS:
        text = pattern.sub(replacement, text)
    return text


def chinese_problems(problems: Iterable[Any]) -> list[dict[str, Any]]:
    """Problems as the pages show them: each with ``message_zh`` beside its fields."""
    shown = []
    for p in problems:
        row = dict(p) if isinstance(p, Mapping) else {
            "file": p.file, "message": p.message, "element_id": p.element_id, "line": p.line}
        row["message_zh"] = chinese(row.get("message") or "")
        shown.append(row)
    return shown
