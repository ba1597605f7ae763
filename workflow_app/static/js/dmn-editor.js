// 决策表编辑: the table in dmn-js (the decision table view), its row tests in a table (dmn-row-tests.js;
// the JSON text is the advanced fallback, kept in step); "运行行测试" checks the table and the tests on the
// server without deploying and marks each row 通过/未通过, "部署为新版本" deploys the process's next version.
(function () {
  "use strict";
  var container = document.getElementById("dmn-canvas");
  var status = document.getElementById("status");
  var problemsBox = document.getElementById("problems");
  var testsBox = document.getElementById("row-tests");
  var zh = window.socorgDmnZh ? [window.socorgDmnZh] : [];
  var modeler = new DmnJS({ container: container, common: { keyboard: { bindTo: document } },
                            drd: { additionalModules: zh }, decisionTable: { additionalModules: zh },
                            literalExpression: { additionalModules: zh }, boxedExpression: { additionalModules: zh } });
  var dirty = false;
  var rowTests = window.socorgRowTests;
  var editor = new rowTests.Editor(document.getElementById("row-tests-table"), function () {
    var read = editor.read();
    testsBox.value = JSON.stringify(read.tests, null, 2);
    showCellErrors(read.errors);
    editor.mark(null);
    changed();
  });
  var xmlText = JSON.parse(document.getElementById("dmn-xml").textContent);
  editor.setColumns(rowTests.columns(xmlText));
  editor.render(JSON.parse(testsBox.value || "[]"));

  function showCellErrors(errors) {
    var box = document.getElementById("row-tests-errors");
    box.innerHTML = "";
    errors.forEach(function (text) { var li = document.createElement("li"); li.textContent = text; box.appendChild(li); });
    box.hidden = errors.length === 0;
  }

  function changed() { dirty = true; say("有未部署的修改"); }

  // The table's columns follow the decision table as it is edited in dmn-js.
  var refreshTimer = null;
  function refreshColumns() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      modeler.saveXML().then(function (result) {
        var tests = editor.read().tests;
        editor.setColumns(rowTests.columns(result.xml));
        editor.render(tests);
      });
    }, 400);
  }
  document.getElementById("add-row-test").addEventListener("click", function () {
    var tr = editor.addRow();
    tr.querySelector("input").focus();
    changed();
  });
  window.socorgDmn = modeler; // for tests and the browser console

  function say(text) { status.textContent = text; }

  function showProblems(problems) {
    var list = problemsBox.querySelector("ul");
    list.innerHTML = "";
    problems.forEach(function (p) {
      var item = document.createElement("li");
      item.textContent = (p.element_id ? "[" + p.element_id + "] " : "") + (p.message_zh || p.message) + "（" + p.file + "）";
      list.appendChild(item);
    });
    problemsBox.hidden = problems.length === 0;
  }

  function openTable() {
    var table = modeler.getViews().filter(function (v) { return v.type === "decisionTable"; })[0];
    return table ? modeler.open(table) : Promise.resolve();
  }

  modeler.importXML(JSON.parse(document.getElementById("dmn-xml").textContent))
    .then(openTable)
    .then(function () {
      say("已载入");
      container.dataset.ready = "true";
      modeler.on("views.changed", function () { watch(); });
      watch();
    })
    .catch(function (err) { say("决策表无法载入：" + err.message); });

  function watch() {
    var viewer = modeler.getActiveViewer();
    if (viewer && !viewer.socorgWatched) {
      viewer.socorgWatched = true;
      viewer.on("elements.changed", function () { changed(); refreshColumns(); });
    }
  }
  testsBox.addEventListener("input", function () {
    changed();
    try { editor.render(JSON.parse(testsBox.value || "[]")); } catch (err) { /* shown when sent */ }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  function send(checkOnly) {
    var read = editor.read();
    var tests = read.tests;
    if (read.errors.length) {
      showCellErrors(read.errors);
      say("请先修正行测试表格中标红的格子");
      return;
    }
    say(checkOnly ? "正在运行行测试…" : "正在校验并部署…");
    modeler.saveXML({ format: true }).then(function (result) {
      return fetch(container.dataset.deployUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json",
                   "X-CSRFToken": document.querySelector("meta[name=csrf-token]").content },
        body: JSON.stringify({ xml: result.xml, tests: tests, check_only: checkOnly,
                               base_version: Number(container.dataset.version) })
      });
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (!answer.ok) {
        showProblems(answer.body.problems || [{ file: "", message_zh: "操作失败" }]);
        markRows(answer.body.problems || []);
        say(checkOnly ? "行测试未通过（修改已保留）" : "未部署：请修正问题后重试（修改已保留）");
        return;
      }
      showProblems([]);
      editor.mark({ failed: {} });
      if (checkOnly) {
        say("决策表校验通过，" + answer.body.tests + " 条行测试全部通过");
      } else {
        dirty = false;
        say(answer.body.created ? "已部署为 v" + answer.body.version : "内容未变，沿用 v" + answer.body.version);
        container.dataset.version = String(answer.body.version);
      }
    }).catch(function (err) { say("请求失败：" + err.message + "（修改已保留）"); });
  }

  // Each row 通过/未通过 from the server's problems ("row test N (…) failed: …" names the row).
  function markRows(problems) {
    var failed = {}, any = false;
    problems.forEach(function (p) {
      var match = /^row test (\d+) /.exec(p.message || "");
      if (match) {
        any = true;
        failed[match[1]] = (p.message_zh || p.message).replace(/^第 \d+ 条行测试（[^）]*）(未通过：)?/, "");
      }
    });
    editor.mark(any ? { failed: failed } : null);
  }

  document.getElementById("check").addEventListener("click", function () { send(true); });
  document.getElementById("deploy").addEventListener("click", function () { send(false); });
})();
