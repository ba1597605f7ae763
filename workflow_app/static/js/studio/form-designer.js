// The form designer page: edit a process's task form as a field list with if/then rules, see it rendered by
// the task page's own renderer (a server preview), save it into the studio's draft (deployed with the BPMN).
(function () {
  "use strict";
  var FS = window.socorgFormSchema;
  var page = JSON.parse(document.getElementById("form-data").textContent);
  var draft = window.socorgDraft.load(page.key, page.version);
  var start = (draft && draft.forms[page.name]) || page.schema ||
    { $schema: "https://json-schema.org/draft/2020-12/schema", title: "", type: "object", required: [], properties: {} };
  var model = FS.fromSchema(start);
  var dirty = false;
  var leaving = false;
  var previewTimer = null;
  var fieldsBox = document.getElementById("fd-fields");
  var rulesBox = document.getElementById("fd-rules");
  window.socorgFormModel = model; // for tests

  var el = window.socorgEl;

  function changed(redraw) {
    dirty = true;
    document.getElementById("fd-status").textContent = "有未保存的修改";
    if (redraw) { render(); }
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(preview, 350);
  }

  function input(label, value, onInput, attrs) {
    var box = el("input", Object.assign({ value: value, oninput: function () { onInput(box.value); changed(false); } }, attrs || {}));
    return el("label", {}, [label, box]);
  }

  function fieldEditor(field, index) {
    var type = el("select", { name: "type", onchange: function () { field.type = type.value; changed(true); } },
      Object.keys(FS.TYPES).filter(function (t) { return t !== "kept" || field.originalType === "kept"; })
        .map(function (t) { return el("option", { value: t, text: FS.TYPES[t] }); }));
    type.value = field.type;
    var required = el("input", { type: "checkbox", name: "required", checked: field.required,
      onchange: function () { field.required = required.checked; changed(false); } });
    var parts = [
      el("div", { className: "fd-row" }, [
        input("字段名", field.name, function (v) { field.name = v.trim(); }, { name: "name", placeholder: "如 site_check_on" }),
        input("标题", field.title, function (v) { field.title = v; }, { name: "title", placeholder: "如 实地核查日期" }),
        el("label", {}, ["类型", type]),
        el("label", { className: "check" }, [required, " 必填"]),
        el("button", { type: "button", className: "small", text: "上移", disabled: index === 0, onclick: function () {
          model.fields.splice(index - 1, 0, model.fields.splice(index, 1)[0]); changed(true); } }),
        el("button", { type: "button", className: "small", text: "删除", onclick: function () {
          model.fields.splice(index, 1); changed(true); } })
      ]),
      el("div", { className: "fd-row" }, [input("说明", field.description, function (v) { field.description = v; },
        { name: "description", size: 50 })])
    ];
    if (field.type === "choice" || field.type === "multi") {
      parts.push(el("div", { className: "fd-options" }, field.options.map(function (o, i) {
        return el("div", { className: "fd-row" }, [
          input("选项值", o.value, function (v) { o.value = v; }, { name: "option-value", placeholder: "如 approve" }),
          input("显示为", o.label, function (v) { o.label = v; }, { name: "option-label", placeholder: "如 通过" }),
          el("button", { type: "button", className: "small", text: "删除选项", onclick: function () {
            field.options.splice(i, 1); changed(true); } })]);
      }).concat([el("button", { type: "button", className: "small add-option", text: "＋ 添加选项", onclick: function () {
        field.options.push({ value: "", label: "" }); changed(true); } })])));
    }
    if (field.type === "attachment") {
      parts.push(el("div", { className: "fd-row" }, [
        input("允许的文件类型", field.accept, function (v) { field.accept = v; }, { name: "accept", placeholder: ".pdf,.jpg,.png" }),
        input("最多文件数", String(field.maxItems), function (v) { field.maxItems = v; }, { name: "maxItems", inputmode: "numeric", size: 4 })
      ]));
    }
    if (field.type === "kept") {
      parts.push(el("p", { className: "muted", text: "此字段的类型（表格、格式校验等）在此只能改标题、说明和必填，其余设置保留原样。" }));
    }
    return el("div", { className: "fd-field", "data-index": String(index) }, parts);
  }

  function valueChoices(fieldName) {
    var field = model.fields.filter(function (f) { return f.name === fieldName; })[0];
    if (!field) { return null; }
    if (field.type === "boolean" || field.type === "confirm") { return [[true, "是"], [false, "否"]]; }
    if (field.type === "choice") { return field.options.map(function (o) { return [o.value, o.label || o.value]; }); }
    return null;
  }

  function ruleEditor(rule, index) {
    var names = model.fields.map(function (f) { return f.name; }).filter(Boolean);
    var fieldSelect = el("select", { name: "rule-field", onchange: function () {
      rule.field = fieldSelect.value; var c = valueChoices(rule.field); rule.value = c && c.length ? c[0][0] : ""; changed(true); } },
      [el("option", { value: "", text: "请选择字段" })].concat(names.map(function (n) { return el("option", { value: n, text: n }); })));
    fieldSelect.value = rule.field;
    var choices = valueChoices(rule.field);
    var value;
    if (choices) {
      value = el("select", { name: "rule-value", onchange: function () { rule.value = choices[value.selectedIndex][0]; changed(false); } },
        choices.map(function (c) { return el("option", { text: c[1] }); }));
      value.selectedIndex = Math.max(0, choices.map(function (c) { return c[0]; }).indexOf(rule.value));
    } else {
      value = el("input", { name: "rule-value", value: String(rule.value === undefined ? "" : rule.value),
                            oninput: function () { rule.value = value.value; changed(false); } });
    }
    var targets = el("span", { className: "choices" }, names.filter(function (n) { return n !== rule.field; }).map(function (n) {
      var box = el("input", { type: "checkbox", value: n, checked: rule.required.indexOf(n) >= 0, onchange: function () {
        rule.required = box.checked ? rule.required.concat([n]) : rule.required.filter(function (x) { return x !== n; });
        changed(false); } });
      return el("label", { className: "check" }, [box, " " + n]);
    }));
    return el("div", { className: "fd-rule", "data-rule": String(index) }, [
      el("div", { className: "fd-row" }, [el("label", {}, ["当字段", fieldSelect]), el("label", {}, ["取值为", value]),
        el("button", { type: "button", className: "small", text: "删除规则", onclick: function () {
          model.rules.splice(index, 1); changed(true); } })]),
      el("div", {}, ["则以下字段必填：", targets])
    ]);
  }

  function render() {
    document.getElementById("fd-title").value = model.title;
    document.getElementById("fd-description").value = model.description;
    fieldsBox.innerHTML = "";
    model.fields.forEach(function (f, i) { fieldsBox.appendChild(fieldEditor(f, i)); });
    rulesBox.innerHTML = "";
    model.rules.forEach(function (r, i) { rulesBox.appendChild(ruleEditor(r, i)); });
    var kept = document.getElementById("fd-kept");
    kept.hidden = !model.keptRules.length;
    kept.textContent = "另有 " + model.keptRules.length + " 条较复杂的规则在此不可编辑，保存时保留原样。";
  }

  function csrf() { return document.querySelector("meta[name=csrf-token]").content; }

  function preview() {
    var schema = FS.toSchema(model);
    document.getElementById("fd-json").textContent = JSON.stringify(schema, null, 2);
    var local = FS.problems(model);
    fetch(page.preview_url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() }, body: JSON.stringify({ schema: schema }) })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        var box = document.getElementById("fd-problems");
        box.innerHTML = "";
        local.concat(answer.problems || []).forEach(function (p) { box.appendChild(el("p", { text: p })); });
        // The task page's own renderer (server-side, autoescaped); shown disabled: this is a preview.
        document.getElementById("fd-preview").innerHTML = answer.html || "";
        document.getElementById("fd-preview").querySelectorAll("input, select, textarea").forEach(function (c) { c.tabIndex = -1; });
      });
  }

  document.getElementById("fd-title").addEventListener("input", function (e) { model.title = e.target.value; changed(false); });
  document.getElementById("fd-description").addEventListener("input", function (e) { model.description = e.target.value; changed(false); });
  document.getElementById("fd-add-field").addEventListener("click", function () {
    model.fields.push({ name: "", type: "text", originalType: "text", title: "", description: "", required: false,
                        options: [{ value: "", label: "" }], accept: ".pdf,.jpg,.png", maxItems: 10, raw: {} });
    changed(true);
    var names = fieldsBox.querySelectorAll("input[name=name]");
    names[names.length - 1].focus();
  });
  document.getElementById("fd-add-rule").addEventListener("click", function () {
    model.rules.push({ field: "", value: "", required: [] });
    changed(true);
  });
  document.getElementById("fd-save").addEventListener("click", function () {
    var found = FS.problems(model);
    if (!model.title.trim()) { found.unshift("请填写表单标题"); }
    if (found.length) {
      var box = document.getElementById("fd-problems");
      box.innerHTML = "";
      found.forEach(function (p) { box.appendChild(el("p", { text: p })); });
      document.getElementById("fd-status").textContent = "未保存：请先修正问题";
      return;
    }
    window.socorgDraft.save(page.key, page.version, { form: { name: page.name, schema: FS.toSchema(model) } });
    dirty = false;
    leaving = true;
    window.location.href = page.modeler_url + (page.task ? "&select=" + encodeURIComponent(page.task) : "");
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !leaving) { event.preventDefault(); event.returnValue = ""; }
  });

  render();
  preview();
})();
