// The modeler's properties panel (in Chinese): for the selected element exactly the properties the engine
// and the deploy lint read (docs/studio.md), written through bpmn-js's command stack (so undo works and
// every change marks the draft). Plain JS on top of bpmn-js: no build step.
(function () {
  "use strict";
  var TIMER_KINDS = [["timeDate", "指定时间点（timeDate）"], ["timeDuration", "经过时长（timeDuration）"],
                     ["timeCycle", "周期（timeCycle）"]];
  var PARAM_TYPES = ["str", "int", "bool", "dict", "list"];

  var el = window.socorgEl;

  function is(bo, type) { return bo && bo.$instanceOf && bo.$instanceOf(type); }

  window.socorgPanel = function (modeler, options) {
    var modeling = modeler.get("modeling");
    var registry = modeler.get("elementRegistry");
    var canvas = modeler.get("canvas");
    var data = options.data;
    var box = options.container;
    var selected = null;
    var problems = {};
    var uid = 0;

    var ext = window.socorgExtensions(modeler);
    var properties = ext.properties, setProperty = ext.setProperty, expression = ext.expression;

    // -- fields ------------------------------------------------------------------------------------

    function field(label, control, hint) {
      var id = control.id || ("p-" + (++uid));
      control.id = id;
      return el("div", { className: "panel-field" }, [el("label", { "for": id, text: label }), control,
        hint ? el("span", { className: "hint", text: hint }) : null]);
    }

    function text(label, value, onChange, opts) {
      opts = opts || {};
      var input = el(opts.multiline ? "textarea" : "input", {
        value: value || "", name: opts.name, rows: opts.multiline ? (opts.rows || 4) : null,
        className: opts.mono ? "mono" : null, spellcheck: opts.mono ? "false" : null, readonly: opts.readonly,
        placeholder: opts.placeholder,
        onchange: function () { onChange(input.value); }
      });
      return field(label, input, opts.hint);
    }

    function select(label, choices, value, onChange, opts) {
      opts = opts || {};
      var control = el("select", { name: opts.name, onchange: function () { onChange(control.value); } },
        choices.map(function (c) { return el("option", { value: c[0], text: c[1] }); }));
      control.value = value || "";
      return field(label, control, opts.hint);
    }

    function section(title, children) {
      return el("section", { className: "panel-section" }, [el("h3", { text: title })].concat(children));
    }

    // -- per element ---------------------------------------------------------------------------------

    function processTarget() {
      var root = canvas.getRootElement();
      if (is(root.businessObject, "bpmn:Process")) { return { element: root, bo: root.businessObject }; }
      var participant = registry.filter(function (e) {
        return e.type === "bpmn:Participant" && e.businessObject.processRef;
      })[0];
      return participant ? { element: participant, bo: participant.businessObject.processRef } : null;
    }

    function processSection() {
      var target = processTarget();
      if (!target) { return null; }
      var element = target.element, bo = target.bo, props = properties(bo);
      var bound = el("input", { type: "checkbox", name: "organizationBound", checked: props.organizationBound === "true",
        onchange: function () { setProperty(element, bo, "organizationBound", bound.checked ? "true" : ""); } });
      return section("流程", [
        text("流程名称", bo.name, function (v) { modeling.updateModdleProperties(element, bo, { name: v }); },
             { name: "process-name" }),
        text("流程标识", bo.id, function () {}, { readonly: true, hint: "部署后不可更改：版本按标识归并" }),
        field("可发起角色", el("output", { text: data.starters.join("、") }), "由系统的发起策略决定，不在流程图中设置"),
        text("发起变量（startVariables）", props.startVariables, function (v) {
          setProperty(element, bo, "startVariables", v);
        }, { name: "startVariables", hint: "工作人员发起时可传入的变量名，用逗号或空格分隔，如 inspection_year, source" }),
        field("针对一个社会组织（organizationBound）", bound, "勾选后，发起时必须选择一个已登记的社会组织"),
        text("到期前提醒（escalationReminderBefore）", props.escalationReminderBefore, function (v) {
          setProperty(element, bo, "escalationReminderBefore", v);
        }, { name: "escalationReminderBefore", hint: "留空用默认 1wd；工作日 1wd、自然日 2d、时长 PT4H 或 off" }),
        text("超期后上报上级（escalationParentAfter）", props.escalationParentAfter, function (v) {
          setProperty(element, bo, "escalationParentAfter", v);
        }, { name: "escalationParentAfter", hint: "留空用默认 2wd；工作日 2wd、自然日 3d、时长 PT4H 或 off" })
      ]);
    }

    function laneOf(element) {
      var bo = element.businessObject;
      var lanes = registry.filter(function (e) {
        return e.type === "bpmn:Lane" && (e.businessObject.flowNodeRef || []).indexOf(bo) >= 0;
      });
      return lanes[lanes.length - 1] || null;
    }

    function moveToLane(element, laneId) {
      var lane = registry.get(laneId);
      if (!lane) { return; }
      var delta = (lane.y + lane.height / 2) - (element.y + element.height / 2);
      var dx = 0;
      if (element.x < lane.x + 40) { dx = lane.x + 40 - element.x; }
      modeling.moveElements([element], { x: dx, y: delta });
    }

    function groupChoices(current) {
      var choices = Object.keys(data.groups).map(function (code) { return [data.groups[code], data.groups[code] + "（" + code + "）"]; });
      var known = choices.some(function (c) { return c[0] === current; });
      if (current && !known) { choices.unshift([current, current + "（未知的组）"]); }
      return [["", "请选择"]].concat(choices);
    }

    function laneSection(element) {
      var name = element.businessObject.name || "";
      return section("泳道", [select("办理人组", groupChoices(name), name, function (v) {
        modeling.updateLabel(element, v);
      }, { name: "lane-group", hint: "泳道即任务的办理人组；案件所在区划决定组内哪些人可见" })]);
    }

    function formNames() {
      var names = Object.keys(data.forms);
      Object.keys(options.draftForms()).forEach(function (n) { if (names.indexOf(n) < 0) { names.push(n); } });
      return names.sort();
    }

    function userTaskSection(element) {
      var bo = element.businessObject, props = properties(bo);
      var lane = laneOf(element);
      var lanes = registry.filter(function (e) { return e.type === "bpmn:Lane"; });
      var form = props.formJsonSchemaFilename || "";
      var names = formNames();
      if (form && names.indexOf(form) < 0) { names.unshift(form); }
      var newName = el("input", { name: "new-form-name", value: options.key + "_" + bo.id + ".json" });
      var actions = el("div", { className: "panel-actions" }, [
        form ? el("button", { type: "button", className: "small", id: "edit-form", text: "编辑表单",
          onclick: function () { options.openForm(form, bo.id); } }) : null
      ]);
      var create = el("div", { className: "panel-actions" }, [newName, el("button", {
        type: "button", className: "small", id: "new-form", text: "新建表单",
        onclick: function () {
          var name = newName.value.trim();
          if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,79}\.json$/.test(name)) { newName.setAttribute("aria-invalid", "true"); return; }
          setProperty(element, bo, "formJsonSchemaFilename", name);
          options.openForm(name, bo.id);
        } })]);
      return section("人工任务", [
        select("泳道（办理人组）", [["", "不在泳道中"]].concat(lanes.map(function (l) {
          return [l.id, l.businessObject.name || l.id];
        })), lane ? lane.id : "", function (v) { moveToLane(element, v); }, { name: "task-lane" }),
        select("表单", [["", "（未选择）"]].concat(names.map(function (n) { return [n, n]; })), form, function (v) {
          setProperty(element, bo, "formJsonSchemaFilename", v);
        }, { name: "formJsonSchemaFilename" }),
        actions, field("新表单文件名", create, "新建后进入表单设计器；表单随本流程一同部署"),
        text("办理时限（timeLimit）", props.timeLimit, function (v) { setProperty(element, bo, "timeLimit", v); },
             { name: "timeLimit", hint: "工作日 5wd、自然日 30d 或时长 PT4H；留空为不限时" }),
        text("向申请人公开的意见（opinionToApplicant）", props.opinionToApplicant, function (v) {
          setProperty(element, bo, "opinionToApplicant", v);
        }, { name: "opinionToApplicant", hint: "true、false，或表单 decision 的取值，如 incomplete,out_of_scope" }),
        text("向申请人公开的字段（fieldsToApplicant）", props.fieldsToApplicant, function (v) {
          setProperty(element, bo, "fieldsToApplicant", v);
        }, { name: "fieldsToApplicant", hint: "表单中随意见告知申请人的字段名，逗号分隔" })
      ]);
    }

    function flowSection(element) {
      var bo = element.businessObject;
      var source = bo.sourceRef;
      if (!source || !/Gateway$/.test(source.$type)) { return null; }
      var isDefault = source.default === bo;
      return section("顺序流", [
        text("条件表达式", bo.conditionExpression && bo.conditionExpression.body, function (v) {
          modeling.updateModdleProperties(element, bo, { conditionExpression: expression(v.trim()) });
        }, { name: "condition", multiline: true, rows: 3, mono: true,
             hint: isDefault ? "这是网关的默认流：其他条件都不成立时走这条" : "Python 表达式，基于案件变量，如 decision == \"approve\"" })
      ]);
    }

    function scriptSection(element) {
      var bo = element.businessObject;
      return section("脚本任务", [text("脚本", bo.script, function (v) {
        modeling.updateProperties(element, { script: v });
      }, { name: "script", multiline: true, rows: 10, mono: true, hint: "Python（受限沙箱），赋值即成为案件变量" })]);
    }

    function timerSection(element) {
      var bo = element.businessObject;
      var timer = (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0];
      if (!timer) { return null; }
      var kind = TIMER_KINDS.map(function (k) { return k[0]; }).filter(function (k) { return timer[k]; })[0] || "timeDate";
      var body = timer[kind] ? timer[kind].body : "";
      var preview = el("output", { className: "timer-preview", id: "timer-preview", text: "" });
      function write(newKind, newBody) {
        var change = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
        change[newKind] = expression((newBody || "").trim());
        modeling.updateModdleProperties(element, timer, change);
      }
      options.previewTimer(kind, body, preview);
      return section("定时事件", [
        select("定时方式", TIMER_KINDS, kind, function (v) { write(v, body); }, { name: "timer-kind" }),
        text("定时表达式", body, function (v) { write(kind, v); }, { name: "timer-expression", multiline: true, rows: 2,
             mono: true, hint: "Python：如 workdays_later(15)（第15个工作日结束）、\"P30D\"（需加引号）" }),
        field("触发时间预览", preview)
      ]);
    }

    function serviceSection(element) {
      var bo = element.businessObject, state = ext.operatorState(bo);
      var known = data.operators.map(function (o) { return [o.id, o.label + "（" + o.id + "）"]; });
      if (state.id && !data.operators.some(function (o) { return o.id === state.id; })) {
        known.unshift([state.id, state.id + "（未注册的操作）"]);
      }
      var operator = data.operators.filter(function (o) { return o.id === state.id; })[0];
      var listId = "params-" + (++uid);
      var rows = state.params.map(function (p, index) {
        function update(key) { return function (ev) { state.params[index][key] = ev.target.value; ext.writeOperator(element, bo, state); }; }
        var type = el("select", { "aria-label": "参数类型", onchange: update("type") },
          PARAM_TYPES.map(function (t) { return el("option", { value: t, text: t }); }));
        type.value = p.type;
        return el("tr", {}, [
          el("td", {}, [el("input", { value: p.id, list: listId, "aria-label": "参数名", onchange: update("id") })]),
          el("td", {}, [type]),
          el("td", {}, [el("input", { value: p.value, className: "mono", "aria-label": "参数值（Python 表达式）", onchange: update("value") })]),
          el("td", {}, [el("button", { type: "button", className: "small", text: "删除", onclick: function () {
            state.params.splice(index, 1); ext.writeOperator(element, bo, state); } })])
        ]);
      });
      return section("服务任务", [
        select("操作", [["", "请选择"]].concat(known), state.id, function (v) { state.id = v; ext.writeOperator(element, bo, state); },
               { name: "operator" }),
        text("结果变量（resultVariable）", state.resultVariable, function (v) {
          state.resultVariable = v.trim(); ext.writeOperator(element, bo, state);
        }, { name: "resultVariable", hint: "操作的返回值存入此案件变量" }),
        el("datalist", { id: listId }, ((operator && operator.params) || []).map(function (n) { return el("option", { value: n }); })),
        el("table", { className: "grid params" }, [
          el("thead", {}, [el("tr", {}, ["参数名", "类型", "值（Python 表达式）", ""].map(function (h) { return el("th", { text: h }); }))]),
          el("tbody", {}, rows)]),
        el("button", { type: "button", className: "small", id: "add-param", text: "＋ 添加参数", onclick: function () {
          var used = state.params.map(function (p) { return p.id; });
          var next = ((operator && operator.params) || []).filter(function (n) { return used.indexOf(n) < 0; })[0] || "";
          state.params.push({ id: next, type: "str", value: "" });
          if (next) { ext.writeOperator(element, bo, state); } else { render(); }
        } })
      ]);
    }

    function scriptsSection(element) {
      var bo = element.businessObject;
      function one(label, type, name, hint) {
        return text(label, ext.bodyOf(bo, type), function (v) { ext.setBody(element, bo, type, v); },
                    { name: name, multiline: true, rows: 3, mono: true, hint: hint });
      }
      return section("前后脚本", [
        one("办理前脚本（preScript）", "spiffworkflow:PreScript", "preScript", "任务开始前运行，可为表单准备数据"),
        one("办理后脚本（postScript）", "spiffworkflow:PostScript", "postScript", "任务完成后运行")
      ]);
    }

    function decisionSection(element) {
      var bo = element.businessObject;
      var listId = "decisions-" + (++uid);
      var input = el("input", { name: "calledDecisionId", list: listId, value: ext.bodyOf(bo, "spiffworkflow:CalledDecisionId"),
        onchange: function () { ext.setBody(element, bo, "spiffworkflow:CalledDecisionId", input.value.trim()); } });
      return section("业务规则任务", [field("决策表（calledDecisionId）", input, "本流程 DMN 文件中决策表的标识"),
        el("datalist", { id: listId }, data.decisions.map(function (d) { return el("option", { value: d }); }))]);
    }

    function problemList(id) {
      // A slot filled now and again by each lint answer, without rebuilding the fields being typed in.
      var slot = el("div", { className: "panel-problem-slot", "data-for": id || "" });
      fillProblems(slot);
      return slot;
    }

    function fillProblems(slot) {
      var found = problems[slot.getAttribute("data-for")] || [];
      slot.innerHTML = "";
      if (!found.length) { return; }
      slot.appendChild(el("div", { className: "panel-problems", role: "alert" }, [el("strong", { text: "部署前需修正：" }),
        el("ul", {}, found.map(function (p) { return el("li", { text: p.message_zh || p.message }); }))]));
    }

    function focusKey(node) {
      if (!node || !box.contains(node)) { return null; }
      var key = node.getAttribute("name") || node.getAttribute("aria-label") || node.id;
      var same = Array.prototype.filter.call(box.querySelectorAll("input, select, textarea, button"), function (n) {
        return (n.getAttribute("name") || n.getAttribute("aria-label") || n.id) === key;
      });
      return key ? { key: key, index: same.indexOf(node) } : null;
    }

    function restoreFocus(where) {
      if (!where) { return; }
      var same = Array.prototype.filter.call(box.querySelectorAll("input, select, textarea, button"), function (n) {
        return (n.getAttribute("name") || n.getAttribute("aria-label") || n.id) === where.key;
      });
      if (same[where.index]) { same[where.index].focus(); }
    }

    function render() {
      // A write on leaving a field re-renders the panel: focus stays on the field the user moved to.
      var where = focusKey(document.activeElement);
      box.innerHTML = "";
      var element = selected;
      var parts = [];
      if (!element || element.type === "bpmn:Participant" || element.type === "bpmn:Process" ||
          element.type === "bpmn:Collaboration") {
        parts.push(problemList(""));
        var target = processTarget();
        if (target) { parts.push(problemList(target.bo.id)); }
        parts.push(processSection());
      } else {
        var bo = element.businessObject;
        parts.push(el("h2", { text: bo.name || bo.id }), el("p", { className: "muted", text: "标识 " + bo.id }));
        parts.push(problemList(bo.id));
        if (element.type !== "label" && !is(bo, "bpmn:Lane") && !is(bo, "bpmn:SequenceFlow") && "name" in bo.$descriptor.propertiesByName) {
          parts.push(text("名称", bo.name, function (v) { modeling.updateLabel(element, v); }, { name: "element-name" }));
        }
        if (is(bo, "bpmn:Lane")) { parts.push(laneSection(element)); }
        if (is(bo, "bpmn:UserTask")) { parts.push(userTaskSection(element)); }
        if (is(bo, "bpmn:SequenceFlow")) { parts.push(flowSection(element)); }
        if (is(bo, "bpmn:ScriptTask")) { parts.push(scriptSection(element)); }
        if (is(bo, "bpmn:ServiceTask")) { parts.push(serviceSection(element)); }
        if (is(bo, "bpmn:Event")) { parts.push(timerSection(element)); }
        if (is(bo, "bpmn:BusinessRuleTask")) { parts.push(decisionSection(element)); }
        if (is(bo, "bpmn:Task") && !is(bo, "bpmn:ScriptTask")) { parts.push(scriptsSection(element)); }
      }
      parts.forEach(function (p) { if (p) { box.appendChild(p); } });
      restoreFocus(where);
    }

    modeler.on("selection.changed", function (event) {
      var picked = event.newSelection.length === 1 ? event.newSelection[0] : null;
      selected = picked && picked.type === "label" ? picked.labelTarget : picked;
      render();
    });
    modeler.on("elements.changed", function (event) {
      // Re-render when the shown element changed (undo, or a write of this panel), not on every move.
      if (!selected || event.elements.indexOf(selected) >= 0) {
        if (selected && !registry.get(selected.id)) { selected = null; }
        render();
      }
    });

    return {
      render: render,
      select: function (id) { selected = id ? registry.get(id) : null; render(); },
      setProblems: function (list) {
        problems = {};
        list.forEach(function (p) { var id = p.element_id || ""; (problems[id] = problems[id] || []).push(p); });
        Array.prototype.forEach.call(box.querySelectorAll(".panel-problem-slot"), fillProblems);
      }
    };
  };
})();
