// The designer's modeler: edit the diagram and its properties (studio/panel.js), keep the draft in the
// browser (studio/draft.js), check it live with the deploy lint, deploy it as a new version. Problems are
// listed in Chinese and marked on their elements; leaving with undeployed changes asks first.
(function () {
  "use strict";
  var container = document.getElementById("canvas");
  var key = container.dataset.key;
  var baseVersion = Number(container.dataset.version);
  var studio = JSON.parse(document.getElementById("studio-data").textContent);
  var modeler = new BpmnJS({ container: container, keyboard: { bindTo: document },
                             moddleExtensions: { spiffworkflow: window.socorgSpiffModdle },
                             additionalModules: window.socorgBpmnZh ? [window.socorgBpmnZh] : [] });
  var status = document.getElementById("status");
  var lintStatus = document.getElementById("lint-status");
  var problemsBox = document.getElementById("problems");
  var marked = [];
  var dirty = false;
  var leaving = false;
  var lintTimer = null;
  var lintRound = 0;
  window.socorgModeler = modeler; // for tests and power users (the browser console)

  function say(text) { status.textContent = text; }
  function csrf() { return document.querySelector("meta[name=csrf-token]").content; }
  function draftForms() { var d = window.socorgDraft.load(key, baseVersion); return (d && d.forms) || {}; }

  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
                        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
                        body: JSON.stringify(body) })
      .then(function (response) {
        if (response.status === 413) { return { ok: false, body: { problems: [{ file: "", message_zh: "提交的内容超过了允许的大小" }] } }; }
        return response.json().then(function (json) { return { ok: response.ok, body: json }; },
                                    function () { return { ok: false, body: { problems: [{ file: "", message_zh: "服务器未返回结果（" + response.status + "）" }] } }; });
      });
  }

  function draftBody(xml) { return { xml: xml, base_version: baseVersion, forms: draftForms() }; }

  var panel = window.socorgPanel(modeler, {
    container: document.getElementById("properties"), data: studio, key: key, draftForms: draftForms,
    openForm: function (name, taskId) {
      saveDraft().then(function () {
        leaving = true;
        window.location.href = container.dataset.formUrl.replace("__name__", encodeURIComponent(name)) +
          "?version=" + baseVersion + "&task=" + encodeURIComponent(taskId);
      });
    },
    previewTimer: function (kind, expression, output) {
      output.textContent = "正在计算…";
      post(container.dataset.timerUrl, { kind: kind, expression: expression || "" })
        .then(function (answer) { output.textContent = answer.body.text || "无法预览"; output.classList.toggle("bad", !answer.body.ok); });
    }
  });

  function clearMarks() {
    var canvas = modeler.get("canvas");
    marked.forEach(function (id) { canvas.removeMarker(id, "lint-error"); });
    modeler.get("overlays").remove({ type: "lint" });
    marked = [];
  }

  function showProblems(problems, listed) {
    clearMarks();
    var list = problemsBox.querySelector("ul");
    list.innerHTML = "";
    var canvas = modeler.get("canvas");
    var registry = modeler.get("elementRegistry");
    var overlays = modeler.get("overlays");
    var byElement = {};
    problems.forEach(function (p) {
      var item = document.createElement("li");
      item.textContent = (p.element_id ? "[" + p.element_id + "] " : "") + (p.message_zh || p.message) + (p.file ? "（" + p.file + "）" : "");
      list.appendChild(item);
      if (p.element_id && registry.get(p.element_id)) {
        (byElement[p.element_id] = byElement[p.element_id] || []).push(p.message_zh || p.message);
      }
    });
    Object.keys(byElement).forEach(function (id) {
      canvas.addMarker(id, "lint-error");
      marked.push(id);
      var badge = document.createElement("div");
      badge.className = "lint-badge";
      badge.textContent = "!";
      badge.title = byElement[id].join("\n");
      badge.setAttribute("data-element", id);
      overlays.add(id, "lint", { position: { top: -8, right: 8 }, html: badge });
    });
    problemsBox.hidden = !listed || problems.length === 0;
    panel.setProblems(problems);
  }

  function saveDraft() {
    return modeler.saveXML({ format: true }).then(function (result) {
      window.socorgDraft.save(key, baseVersion, { xml: result.xml });
      return result.xml;
    });
  }

  function lintNow() {
    var round = ++lintRound;
    return modeler.saveXML({ format: true }).then(function (result) {
      return post(container.dataset.lintUrl, draftBody(result.xml));
    }).then(function (answer) {
      if (round !== lintRound) { return; }
      var problems = answer.body.problems || [];
      showProblems(problems, !problemsBox.hidden);
      lintStatus.textContent = problems.length ? "有 " + problems.length + " 处问题需修正后才能部署" : "校验通过";
      lintStatus.classList.toggle("bad", problems.length > 0);
      container.dataset.lintRound = String(round);
    });
  }

  function scheduleLint() {
    window.clearTimeout(lintTimer);
    lintTimer = window.setTimeout(lintNow, 600);
  }

  function markDirty() {
    dirty = true;
    document.getElementById("discard").hidden = false;
    say("有未部署的修改");
  }

  var draft = window.socorgDraft.load(key, baseVersion);
  var restored = !!(draft && (draft.xml || Object.keys(draft.forms).length));
  var xml = (draft && draft.xml) || JSON.parse(document.getElementById("diagram").textContent);
  modeler.importXML(xml)
    .then(function () {
      modeler.get("canvas").zoom("fit-viewport");
      modeler.get("canvas").scroll({ dx: 90, dy: 0 }); // clear of the palette: the lanes' names show
      var pick = new URLSearchParams(window.location.search).get("select");
      var picked = pick && modeler.get("elementRegistry").get(pick);
      if (picked) { modeler.get("selection").select(picked); } else { panel.render(); }
      if (restored) { markDirty(); say("已载入（恢复了未部署的草稿）"); } else { say("已载入"); }
      lintNow();
    })
    .catch(function (err) {
      var missing = /no diagram to display/i.test(err.message);
      say(missing ? "该文件没有图形信息（BPMNDiagram），无法在建模器中显示；请上传带图形的版本"
                  : "图形无法载入：文件的图形部分有误，请上传修正后的版本");
      if (window.console) { window.console.warn(err); }
    });

  modeler.on("commandStack.changed", function (event) {
    if (event && event.trigger === "clear") { return; }
    markDirty();
    saveDraft();
    scheduleLint();
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirty && !leaving) { event.preventDefault(); event.returnValue = ""; }
  });

  document.getElementById("discard").addEventListener("click", function () {
    if (!window.confirm("放弃未部署的修改（含新建或修改的表单），恢复为 v" + baseVersion + "？")) { return; }
    window.socorgDraft.discard(key);
    leaving = true;
    window.location.reload();
  });

  document.getElementById("deploy").addEventListener("click", function () {
    say("正在校验并部署…");
    window.clearTimeout(lintTimer);
    modeler.saveXML({ format: true }).then(function (result) {
      return post(container.dataset.deployUrl, draftBody(result.xml));
    }).then(function (answer) {
      if (answer.ok) {
        showProblems([], false);
        Object.assign(studio.forms, draftForms()); // the deployed forms are the next draft's base forms
        window.socorgDraft.discard(key);
        dirty = false;
        document.getElementById("discard").hidden = true;
        say(answer.body.created ? "已部署为 v" + answer.body.version : "内容未变，沿用 v" + answer.body.version);
        baseVersion = answer.body.version;
        container.dataset.version = String(answer.body.version);
      } else {
        showProblems(answer.body.problems || [{ file: "", message_zh: "部署失败" }], true);
        say("未部署：请修正问题后重试（修改已保留）");
      }
    }).catch(function (err) { say("部署失败：" + err.message + "（修改已保留）"); });
  });
})();
