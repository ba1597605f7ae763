// Task forms: "添加一行" for tables (arrays of objects). Rows are numbered name.N.column; a new row
// copies the last one's fields, emptied, with the next number. Without JavaScript the form still
// offers blank rows, so nothing depends on this script.
(function () {
  "use strict";
  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.addEventListener("click", function () {
      var table = document.querySelector('table[data-table="' + button.dataset.addRow + '"]');
      var body = table.tBodies[0];
      var last = body.rows[body.rows.length - 1];
      var next = body.rows.length;
      var row = last.cloneNode(true);
      row.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
      row.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.name = input.name.replace(/\.\d+\./, "." + next + ".");
        if (input.id) { input.id = input.id.replace(/-\d+-/, "-" + next + "-"); }
        input.removeAttribute("aria-invalid");
        if (input.type === "checkbox" || input.type === "radio") { input.checked = false; }
        else if (input.tagName === "SELECT") { input.selectedIndex = 0; }
        else { input.value = ""; }
      });
      body.appendChild(row);
      var first = row.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    });
  });
})();

// Conditional fields: a field the schema requires only in the "then" (or "else") of an if/then rule —
// at the top or inside allOf/anyOf/oneOf, the rules the server validates with — shows while one of its
// rules applies to the answers given so far, and hides (its inputs disabled, so nothing of it is sent)
// when none does. The rule is evaluated with JSON Schema's own meaning for the keywords forms use in
// conditions (properties, required, const, enum, not, type, minimum/maximum, allOf/anyOf/oneOf); the
// server still validates everything on submit.
(function () {
  "use strict";
  var form = document.getElementById("complete-form");
  if (!form || !form.dataset.schema) { return; }
  var schema;
  try { schema = JSON.parse(form.dataset.schema); } catch (e) { return; }
  var properties = schema.properties || {};
  var always = schema.required || [];

  function branches(node, found) {
    if (!node || typeof node !== "object") { return found; }
    if (node["if"]) {
      if (node.then) { found.push({ condition: node["if"], when: true, branch: node.then }); }
      if (node["else"]) { found.push({ condition: node["if"], when: false, branch: node["else"] }); }
    }
    ["allOf", "anyOf", "oneOf"].forEach(function (key) {
      (node[key] || []).forEach(function (sub) { branches(sub, found); });
    });
    return found;
  }

  // field name → the branches that require it; only fields not required anyway are conditional.
  var rules = {};
  branches(schema, []).forEach(function (rule) {
    (rule.branch.required || []).forEach(function (name) {
      if (always.indexOf(name) >= 0 || !properties[name]) { return; }
      (rules[name] = rules[name] || []).push(rule);
    });
  });
  var names = Object.keys(rules);
  if (!names.length) { return; }

  function typeOf(prop) {
    var t = prop && prop.type;
    if (Array.isArray(t)) { t = t.filter(function (x) { return x !== "null"; })[0]; }
    return t;
  }

  // The answer to one top-level field as the JSON the server would store (undefined: not answered).
  function answer(name) {
    var prop = properties[name] || {};
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    if (!inputs.length) { return undefined; }
    var kind = typeOf(prop);
    var first = inputs[0];
    if (first.type === "checkbox" && kind === "boolean") { return first.checked; }
    if (kind === "array") {
      var picked = [];
      inputs.forEach(function (i) { if (i.checked) { picked.push(i.value); } });
      return picked;
    }
    var raw;
    if (first.type === "radio") {
      inputs.forEach(function (i) { if (i.checked) { raw = i.value; } });
    } else { raw = first.value; }
    if (raw === undefined || raw === "") { return undefined; }
    if (kind === "boolean") { return raw === "true" ? true : raw === "false" ? false : raw; }
    if ((kind === "integer" || kind === "number") && raw.trim() !== "" && !isNaN(Number(raw))) { return Number(raw); }
    return raw;
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function holds(cond, value) {
    if (cond === true || cond === undefined) { return true; }
    if (cond === false) { return false; }
    if (Object.prototype.hasOwnProperty.call(cond, "const") && !same(value, cond["const"])) { return false; }
    if (Array.isArray(cond["enum"]) && !cond["enum"].some(function (v) { return same(v, value); })) { return false; }
    if (cond.not !== undefined && holds(cond.not, value)) { return false; }
    if (typeof value === "number") {
      if (typeof cond.minimum === "number" && value < cond.minimum) { return false; }
      if (typeof cond.maximum === "number" && value > cond.maximum) { return false; }
    }
    if (cond.type) {
      var types = Array.isArray(cond.type) ? cond.type : [cond.type];
      var actual = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
      var fits = types.some(function (t) {
        return t === actual || (t === "integer" && actual === "number" && Number.isInteger(value)) ||
          (t === "number" && actual === "number");
      });
      if (!fits) { return false; }
    }
    if (cond.allOf && !cond.allOf.every(function (c) { return holds(c, value); })) { return false; }
    if (cond.anyOf && !cond.anyOf.some(function (c) { return holds(c, value); })) { return false; }
    if (cond.oneOf && cond.oneOf.filter(function (c) { return holds(c, value); }).length !== 1) { return false; }
    if (cond.required || cond.properties) {
      if (value === undefined) { return true; }  // keywords of an object say nothing about other values
      return objectHolds(cond);
    }
    return true;
  }

  // A condition on the whole form's answers (the object the server validates).
  function objectHolds(cond) {
    var missing = (cond.required || []).some(function (name) { return answer(name) === undefined; });
    if (missing) { return false; }
    var props = cond.properties || {};
    return Object.keys(props).every(function (name) {
      var value = answer(name);
      return value === undefined || holds(props[name], value);
    });
  }

  function formHolds(cond) {
    if (!cond || typeof cond !== "object") { return cond !== false; }
    var rest = Object.assign({}, cond);
    delete rest.required; delete rest.properties;
    return objectHolds(cond) && (Object.keys(rest).length === 0 || holds(rest, {}));
  }

  function box(name) { return form.querySelector('.field[data-field="' + name + '"]'); }

  function refresh() {
    names.forEach(function (name) {
      var field = box(name);
      if (!field) { return; }
      var shown = rules[name].some(function (rule) { return formHolds(rule.condition) === rule.when; });
      field.hidden = !shown;
      field.classList.toggle("conditional-shown", shown);
      field.querySelectorAll("input, select, textarea").forEach(function (input) {
        if (input.dataset.formDisabled === undefined) { input.dataset.formDisabled = input.disabled ? "1" : "0"; }
        input.disabled = !shown || input.dataset.formDisabled === "1";
      });
      var label = field.querySelector(".label");
      if (label && !label.querySelector(".req")) {
        var last = label.lastChild;
        if (last && last.nodeType === 3) { last.nodeValue = last.nodeValue.replace(/\s+$/, ""); }
        var star = document.createElement("span");
        star.className = "req"; star.title = "必填"; star.textContent = "*";
        label.appendChild(star);
      }
    });
  }

  form.addEventListener("change", refresh);
  form.addEventListener("input", refresh);
  refresh();
  window.socorgConditionalFields = { refresh: refresh, fields: names };
})();
