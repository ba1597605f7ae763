// 决策表编辑: the table in dmn-js (the decision table view), its row tests as JSON; "运行行测试" checks the
// table and the tests on the server without deploying, "部署为新版本" deploys the process's next version.
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
      viewer.on("elements.changed", function () { dirty = true; say("有未部署的修改"); });
    }
  }
  testsBox.addEventListener("input", function () { dirty = true; say("有未部署的修改"); });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  function send(checkOnly) {
    var tests;
    try {
      tests = JSON.parse(testsBox.value || "[]");
    } catch (err) {
      showProblems([{ file: "行测试", message_zh: "行测试不是有效的 JSON：" + err.message }]);
      say("请先修正行测试");
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
        say(checkOnly ? "行测试未通过（修改已保留）" : "未部署：请修正问题后重试（修改已保留）");
        return;
      }
      showProblems([]);
      if (checkOnly) {
        say("决策表校验通过，" + answer.body.tests + " 条行测试全部通过");
      } else {
        dirty = false;
        say(answer.body.created ? "已部署为 v" + answer.body.version : "内容未变，沿用 v" + answer.body.version);
        container.dataset.version = String(answer.body.version);
      }
    }).catch(function (err) { say("请求失败：" + err.message + "（修改已保留）"); });
  }

  document.getElementById("check").addEventListener("click", function () { send(true); });
  document.getElementById("deploy").addEventListener("click", function () { send(false); });
})();
