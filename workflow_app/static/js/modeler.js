// The designer's modeler: edit the diagram, deploy it as a new version; problems are listed and
// marked on their elements, and the edit stays on screen so nothing is lost.
(function () {
  "use strict";
  var container = document.getElementById("canvas");
  var modeler = new BpmnJS({ container: container, keyboard: { bindTo: document },
                             additionalModules: window.socorgBpmnZh ? [window.socorgBpmnZh] : [] });
  var status = document.getElementById("status");
  var problemsBox = document.getElementById("problems");
  var marked = [];
  window.socorgModeler = modeler; // for tests and power users (the browser console)

  function say(text) { status.textContent = text; }

  function clearMarks() {
    var canvas = modeler.get("canvas");
    marked.forEach(function (id) { canvas.removeMarker(id, "lint-error"); });
    marked = [];
  }

  function showProblems(problems) {
    var list = problemsBox.querySelector("ul");
    list.innerHTML = "";
    var canvas = modeler.get("canvas");
    var registry = modeler.get("elementRegistry");
    problems.forEach(function (p) {
      var item = document.createElement("li");
      item.textContent = (p.element_id ? "[" + p.element_id + "] " : "") + (p.message_zh || p.message) + "（" + p.file + "）";
      list.appendChild(item);
      if (p.element_id && registry.get(p.element_id)) {
        canvas.addMarker(p.element_id, "lint-error");
        marked.push(p.element_id);
      }
    });
    problemsBox.hidden = problems.length === 0;
  }

  modeler.importXML(JSON.parse(document.getElementById("diagram").textContent))
    .then(function () { modeler.get("canvas").zoom("fit-viewport"); say("已载入"); })
    .catch(function (err) {
      var missing = /no diagram to display/i.test(err.message);
      say(missing ? "该文件没有图形信息（BPMNDiagram），无法在建模器中显示；请上传带图形的版本"
                  : "图形无法载入：文件的图形部分有误，请上传修正后的版本");
      if (window.console) { window.console.warn(err); }
    });

  modeler.on("commandStack.changed", function () { say("有未部署的修改"); });

  document.getElementById("deploy").addEventListener("click", function () {
    say("正在校验并部署…");
    clearMarks();
    modeler.saveXML({ format: true }).then(function (result) {
      return fetch(container.dataset.deployUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "X-CSRFToken": document.querySelector("meta[name=csrf-token]").content
        },
        body: JSON.stringify({ xml: result.xml, base_version: Number(container.dataset.version) })
      });
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (answer.ok) {
        showProblems([]);
        say(answer.body.created ? "已部署为 v" + answer.body.version : "内容未变，沿用 v" + answer.body.version);
        container.dataset.version = String(answer.body.version);
      } else {
        showProblems(answer.body.problems || [{ file: "", message: "部署失败" }]);
        say("未部署：请修正问题后重试（修改已保留）");
      }
    }).catch(function (err) { say("部署失败：" + err.message + "（修改已保留）"); });
  });
})();
