// 行测试表格: the row tests of a decision table as a table — a Chinese name, one cell per input column and
// one per output column of the table (headers are the table's own labels), typed text converted by the
// column's typeRef. It reads and writes the same list the server stores (dmn-tests/<table>.dmn.json):
// [{name, inputs: {variable: value}, expected: {output name: value}}]. window.socorgRowTests.convert is
// the conversion alone (tested by itself).
(function () {
  "use strict";
  var NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
  var NUMERIC = ["number", "integer", "long", "double"];
  var YES = ["是", "true", "真", "对"], NO = ["否", "false", "假", "错"];

  // Typed text as the column's type: {empty: true} for a blank cell (not compared / not given),
  // {value: v} or {error: 中文说明}.
  function convert(text, typeRef) {
    var raw = String(text == null ? "" : text).trim();
    var type = String(typeRef || "string").toLowerCase();
    if (raw === "") { return { empty: true }; }
    if (NUMERIC.indexOf(type) >= 0) {
      var plain = raw.replace(/[,，]/g, "");
      if (!NUMBER.test(plain) || !isFinite(Number(plain))) { return { error: "「" + raw + "」不是数字" }; }
      if ((type === "integer" || type === "long") && !/^[+-]?\d+$/.test(plain)) {
        return { error: "「" + raw + "」不是整数" };
      }
      return { value: Number(plain) };
    }
    if (type === "boolean") {
      if (YES.indexOf(raw.toLowerCase()) >= 0) { return { value: true }; }
      if (NO.indexOf(raw.toLowerCase()) >= 0) { return { value: false }; }
      return { error: "「" + raw + "」不是“是”或“否”" };
    }
    if (raw.length > 1 && raw[0] === '"' && raw[raw.length - 1] === '"') { raw = raw.slice(1, -1); }
    return { value: raw };
  }

  // A stored value as the text of its cell.
  function show(value) {
    if (value === undefined || value === null) { return ""; }
    if (value === true) { return "是"; }
    if (value === false) { return "否"; }
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  // The input and output columns of the (first) decision table of a DMN text.
  function columns(xml) {
    var doc = new DOMParser().parseFromString(xml, "application/xml");
    var table = doc.getElementsByTagNameNS("*", "decisionTable")[0];
    var found = { inputs: [], outputs: [] };
    if (!table) { return found; }
    Array.prototype.forEach.call(table.children, function (node) {
      if (node.localName === "input") {
        var expr = node.getElementsByTagNameNS("*", "inputExpression")[0];
        var textNode = expr && expr.getElementsByTagNameNS("*", "text")[0];
        var key = textNode ? textNode.textContent.trim() : "";
        found.inputs.push({ key: key, label: node.getAttribute("label") || key,
                            typeRef: expr ? expr.getAttribute("typeRef") : "string",
                            usable: /^[A-Za-z][A-Za-z0-9_]*$/.test(key) });
      } else if (node.localName === "output") {
        var name = node.getAttribute("name") || "";
        found.outputs.push({ key: name, label: node.getAttribute("label") || name,
                             typeRef: node.getAttribute("typeRef") || "string", usable: name !== "" });
      }
    });
    return found;
  }

  function cell(row, text, column, kind) {
    var td = document.createElement("td");
    var input = document.createElement("input");
    input.value = text;
    input.dataset.kind = kind;
    if (column) { input.dataset.key = column.key; input.dataset.type = column.typeRef || "string"; }
    input.setAttribute("aria-label", kind === "name" ? "测试名称" : (kind === "input" ? "输入：" : "期望：") + column.label);
    td.appendChild(input);
    row.appendChild(td);
    return input;
  }

  // The editor on a <table>: render(tests), read() → {tests, errors}, mark(results by row number).
  function Editor(table, onChange) {
    this.table = table;
    this.cols = { inputs: [], outputs: [] };
    this.onChange = onChange;
    var self = this;
    table.addEventListener("input", function () { self.onChange(); });
    table.addEventListener("click", function (event) {
      if (event.target.classList.contains("remove-row")) {
        event.target.closest("tr").remove();
        self.onChange();
      }
    });
  }

  Editor.prototype.setColumns = function (cols) { this.cols = cols; };

  Editor.prototype.render = function (tests) {
    var cols = this.cols, table = this.table;
    table.innerHTML = "";
    var head = table.createTHead().insertRow();
    var th = function (text, cls) { var c = document.createElement("th"); c.textContent = text; if (cls) { c.className = cls; } head.appendChild(c); };
    th("测试名称");
    cols.inputs.forEach(function (c) { th(c.label + (c.usable ? "" : "（表达式，不能填写）"), "in"); });
    cols.outputs.forEach(function (c) { th("期望：" + c.label, "out"); });
    th("结果");
    th("");
    var body = table.createTBody();
    var self = this;
    (tests || []).forEach(function (test) { self.addRow(test); });
    return body;
  };

  Editor.prototype.addRow = function (test) {
    test = test || { name: "", inputs: {}, expected: {} };
    var tr = this.table.tBodies[0].insertRow();
    tr.socorgTest = test; // keeps values of columns the table no longer has
    cell(tr, test.name || "", null, "name");
    this.cols.inputs.forEach(function (c) {
      var input = cell(tr, show((test.inputs || {})[c.key]), c, "input");
      input.disabled = !c.usable;
    });
    this.cols.outputs.forEach(function (c) { cell(tr, show((test.expected || {})[c.key]), c, "expected"); });
    var result = tr.insertCell();
    result.className = "row-result";
    var actions = tr.insertCell();
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove-row";
    remove.textContent = "删除";
    actions.appendChild(remove);
    return tr;
  };

  Editor.prototype.read = function () {
    var tests = [], errors = [];
    Array.prototype.forEach.call(this.table.tBodies[0].rows, function (tr, index) {
      var old = tr.socorgTest || {};
      var test = { name: "", inputs: Object.assign({}, old.inputs), expected: Object.assign({}, old.expected) };
      Object.keys(old).forEach(function (k) { if (["name", "inputs", "expected"].indexOf(k) < 0) { test[k] = old[k]; } });
      tr.querySelectorAll("input").forEach(function (input) {
        if (input.dataset.kind === "name") { test.name = input.value.trim(); return; }
        if (input.disabled) { return; }
        var target = input.dataset.kind === "input" ? test.inputs : test.expected;
        var converted = convert(input.value, input.dataset.type);
        input.removeAttribute("aria-invalid");
        input.title = "";
        delete target[input.dataset.key];
        if (converted.error) {
          input.setAttribute("aria-invalid", "true");
          input.title = converted.error;
          errors.push("第 " + (index + 1) + " 行「" + input.getAttribute("aria-label") + "」：" + converted.error);
        } else if (!converted.empty) {
          target[input.dataset.key] = converted.value;
        }
      });
      if (!Object.keys(test.expected).length) {
        errors.push("第 " + (index + 1) + " 行" + (test.name ? "（" + test.name + "）" : "") + "：至少填写一个期望输出");
      }
      tests.push(test);
    });
    return { tests: tests, errors: errors };
  };

  // results: null (clear), or {passedAll: bool, failed: {rowNumber: 中文说明}}.
  Editor.prototype.mark = function (results) {
    Array.prototype.forEach.call(this.table.tBodies[0].rows, function (tr, index) {
      var box = tr.querySelector(".row-result");
      var failed = results && results.failed[index + 1];
      box.textContent = !results ? "" : (failed ? "未通过：" + failed : "通过");
      box.className = "row-result" + (!results ? "" : (failed ? " failed" : " passed"));
    });
  };

  window.socorgRowTests = { convert: convert, show: show, columns: columns, Editor: Editor };
})();
