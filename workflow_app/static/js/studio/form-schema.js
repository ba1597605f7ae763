// A task form's JSON Schema as the form designer edits it: a list of fields and simple if/then rules, and
// back. What the designer cannot show (tables, other keywords, other rules) is kept as it was.
(function () {
  "use strict";
  var TYPES = {
    text: "单行文本", textarea: "多行文本", integer: "整数", number: "数字", date: "日期", boolean: "是/否",
    confirm: "勾选确认", choice: "单选", multi: "多选", attachment: "附件", kept: "其他（保留原样）"
  };
  // Keywords each type owns: a field whose type changes loses the old type's keywords.
  var OWNED = ["type", "enum", "x-labels", "items", "format", "const", "x-accept", "maxItems", "minItems",
               "uniqueItems", "maxLength", "minLength", "pattern", "examples", "minimum", "maximum"];
  var NAME = /^[a-z_][a-z0-9_]{0,63}$/;

  function copy(value) { return value === undefined ? undefined : JSON.parse(JSON.stringify(value)); }

  function typeOf(prop) {
    var items = prop.items || {};
    if (prop.type === "array" && items.format === "attachment") { return "attachment"; }
    if (prop.type === "array" && Array.isArray(items.enum)) { return "multi"; }
    if (Array.isArray(prop.enum)) { return "choice"; }
    if (prop.type === "boolean") {  // a "must be no" (const false) is no field the designer can show: kept
      return prop.const === true ? "confirm" : ("const" in prop ? "kept" : "boolean");
    }
    if (prop.type === "integer" || prop.type === "number") { return prop.type; }
    if (prop.type === "string") {
      if (prop.format === "date") { return "date"; }
      return prop.maxLength > 200 ? "textarea" : (prop.format || prop.pattern ? "kept" : "text");
    }
    return "kept";
  }

  function options(prop) {
    var source = Array.isArray(prop.enum) ? prop : (prop.items || {});
    var labels = source["x-labels"] || {};
    return (source.enum || []).map(function (v) { return { value: String(v), label: labels[String(v)] || "" }; });
  }

  function isSimpleRule(rule) {
    if (!rule || typeof rule !== "object" || Object.keys(rule).sort().join() !== "if,then") { return false; }
    var cond = rule.if, then = rule.then;
    if (!cond || Object.keys(cond).sort().join() !== "properties,required" || !then ||
        Object.keys(then).join() !== "required" || !Array.isArray(then.required)) { return false; }
    var names = Object.keys(cond.properties || {});
    return names.length === 1 && Object.keys(cond.properties[names[0]]).join() === "const" &&
      cond.required.length === 1 && cond.required[0] === names[0];
  }

  function fromSchema(schema) {
    schema = copy(schema) || {};
    var required = schema.required || [];
    var props = schema.properties || {};
    var model = {
      title: schema.title || "", description: schema.description || "",
      fields: Object.keys(props).map(function (name) {
        var prop = props[name];
        var type = typeOf(prop);
        return { name: name, type: type, originalType: type, title: prop.title || "", description: prop.description || "",
                 required: required.indexOf(name) >= 0, wasRequired: required.indexOf(name) >= 0, options: options(prop),
                 accept: (prop["x-accept"] || [".pdf", ".jpg", ".png"]).join(","), maxItems: prop.maxItems || 10,
                 raw: prop };
      }),
      rules: [], keptRules: [], rest: {}, requiredOrder: required.slice()
    };
    (schema.allOf || []).forEach(function (rule, at) {
      if (isSimpleRule(rule)) {
        var field = Object.keys(rule.if.properties)[0];
        model.rules.push({ field: field, value: rule.if.properties[field].const, required: rule.then.required.slice() });
      } else { model.keptRules.push({ at: at, rule: rule }); } // kept in its place among the rules
    });
    Object.keys(schema).forEach(function (k) {
      if (["title", "description", "required", "properties", "allOf", "type"].indexOf(k) < 0) { model.rest[k] = schema[k]; }
    });
    if (!model.rest.$schema) { model.rest.$schema = "https://json-schema.org/draft/2020-12/schema"; }
    return model;
  }

  function enumOf(field) {
    var values = field.options.filter(function (o) { return o.value.trim(); });
    var labels = {};
    values.forEach(function (o) { if (o.label.trim()) { labels[o.value.trim()] = o.label.trim(); } });
    return { enum: values.map(function (o) { return o.value.trim(); }),
             "x-labels": Object.keys(labels).length ? labels : undefined };
  }

  function toProperty(field) {
    if (field.type === "kept") { return Object.assign(copy(field.raw) || {}, withText(field)); }
    var prop = copy(field.raw) || {};
    // A field keeps what it had; a new field, or one whose type changed, gets the type's defaults.
    var fresh = field.type !== field.originalType || !Object.keys(prop).length;
    if (field.type !== field.originalType) { OWNED.forEach(function (k) { delete prop[k]; }); }
    var e;
    switch (field.type) {
      case "text": prop.type = "string"; if (fresh) { prop.maxLength = 200; } break;
      case "textarea": prop.type = "string"; prop.maxLength = prop.maxLength > 200 ? prop.maxLength : 2000; break;
      case "integer": case "number": prop.type = field.type; break;
      case "date": prop.type = "string"; prop.format = "date"; if (fresh) { prop.examples = ["2026-10-12"]; } break;
      case "boolean": prop.type = "boolean"; delete prop.const; break;
      case "confirm": prop.type = "boolean"; prop.const = true; break;
      case "choice": e = enumOf(field); prop.type = "string"; prop.enum = e.enum; delete prop["x-labels"];
        if (e["x-labels"]) { prop["x-labels"] = e["x-labels"]; }
        break;
      case "multi": e = enumOf(field); prop.type = "array"; if (fresh) { prop.uniqueItems = true; }
        prop.items = Object.assign(prop.items || {}, { type: "string", enum: e.enum });
        delete prop.items["x-labels"];
        if (e["x-labels"]) { prop.items["x-labels"] = e["x-labels"]; }
        break;
      case "attachment":
        prop.type = "array"; prop.items = { type: "string", format: "attachment" };
        prop["x-accept"] = field.accept.split(/[,，\s]+/).filter(Boolean).map(function (x) { return x.charAt(0) === "." ? x : "." + x; });
        prop.maxItems = Number(field.maxItems) || 10;
        if (field.required && (fresh || !field.wasRequired)) { prop.minItems = Math.max(prop.minItems || 0, 1); }
        break;
    }
    return Object.assign(prop, withText(field));
  }

  function withText(field) {
    var text = { title: field.title.trim() || field.name };
    if (field.description.trim()) { text.description = field.description.trim(); }
    return text;
  }

  function toSchema(model) {
    var schema = Object.assign({}, copy(model.rest));
    schema.title = model.title.trim();
    if (model.description.trim()) { schema.description = model.description.trim(); }
    schema.type = "object";
    var wanted = model.fields.filter(function (f) { return f.required && f.name; }).map(function (f) { return f.name; });
    // In the order the form had them, then the newly required ones in field order.
    schema.required = (model.requiredOrder || []).filter(function (n) { return wanted.indexOf(n) >= 0; });
    wanted.forEach(function (n) { if (schema.required.indexOf(n) < 0) { schema.required.push(n); } });
    schema.properties = {};
    model.fields.forEach(function (f) {
      if (f.name) {
        var prop = toProperty(f);
        if (!f.description.trim()) { delete prop.description; }
        schema.properties[f.name] = prop;
      }
    });
    var rules = model.rules.filter(function (r) { return r.field && r.required.length; }).map(function (r) {
      var cond = {}; cond[r.field] = { const: r.value };
      return { if: { properties: cond, required: [r.field] }, then: { required: r.required.slice() } };
    });
    model.keptRules.forEach(function (kept) { rules.splice(Math.min(kept.at, rules.length), 0, copy(kept.rule)); });
    if (rules.length) { schema.allOf = rules; }
    return schema;
  }

  function problems(model) {
    var found = [], seen = {};
    model.fields.forEach(function (f, i) {
      if (!NAME.test(f.name)) { found.push("第 " + (i + 1) + " 个字段的字段名应为小写英文字母、数字和下划线，且不以数字开头"); }
      if (seen[f.name]) { found.push("字段名 " + f.name + " 重复"); }
      seen[f.name] = true;
      if ((f.type === "choice" || f.type === "multi") && !enumOf(f).enum.length) { found.push("字段 " + (f.title || f.name) + " 需要至少一个选项"); }
    });
    return found;
  }

  window.socorgFormSchema = { TYPES: TYPES, fromSchema: fromSchema, toSchema: toSchema, problems: problems };
})();
