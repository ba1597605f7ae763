// Reading and writing the spiffworkflow extensions of an element (spiff-moddle.js) through bpmn-js's command
// stack: the process/task properties, expressions, a service task's operator with its parameters.
(function () {
  "use strict";
  var PROPS = "spiffworkflow:Properties";
  var OPERATOR = "spiffworkflow:ServiceTaskOperator";

  window.socorgExtensions = function (modeler) {
    var modeling = modeler.get("modeling");
    var moddle = modeler.get("moddle");

    function extValues(bo) { return (bo.extensionElements && bo.extensionElements.values) || []; }
    function findExt(bo, type) { return extValues(bo).filter(function (v) { return v.$type === type; })[0]; }

    function properties(bo) {
      var found = {};
      var holder = findExt(bo, PROPS);
      ((holder && holder.properties) || []).forEach(function (p) { found[p.name] = p.value || ""; });
      return found;
    }

    function ensureExt(element, bo) {
      if (!bo.extensionElements) {
        var ext = moddle.create("bpmn:ExtensionElements", { values: [] });
        ext.$parent = bo;
        modeling.updateModdleProperties(element, bo, { extensionElements: ext });
      }
      return bo.extensionElements;
    }

    function setProperty(element, bo, name, value) {
      value = (value || "").trim();
      var holder = findExt(bo, PROPS);
      if (!holder) {
        if (!value) { return; }
        var ext = ensureExt(element, bo);
        holder = moddle.create(PROPS, { properties: [] });
        holder.$parent = ext;
        modeling.updateModdleProperties(element, ext, { values: ext.values.concat([holder]) });
      }
      var list = holder.properties || [];
      var found = list.filter(function (p) { return p.name === name; })[0];
      if (!value) {
        if (found) { modeling.updateModdleProperties(element, holder, { properties: list.filter(function (p) { return p !== found; }) }); }
      } else if (found) {
        modeling.updateModdleProperties(element, found, { value: value });
      } else {
        var prop = moddle.create("spiffworkflow:Property", { name: name, value: value });
        prop.$parent = holder;
        modeling.updateModdleProperties(element, holder, { properties: list.concat([prop]) });
      }
    }

    function expression(body) { return body ? moddle.create("bpmn:FormalExpression", { body: body }) : undefined; }

    function operatorState(bo) {
      var op = findExt(bo, OPERATOR);
      return {
        id: op ? op.id || "" : "", resultVariable: op ? op.resultVariable || "" : "",
        params: op && op.parameterList ? (op.parameterList.parameters || []).map(function (p) {
          return { id: p.id || "", type: p.type || "str", value: p.value || "" };
        }) : []
      };
    }

    function writeOperator(element, bo, state) {
      var ext = ensureExt(element, bo);
      var list = moddle.create("spiffworkflow:Parameters", { parameters: [] });
      state.params.filter(function (p) { return p.id; }).forEach(function (p) {
        var param = moddle.create("spiffworkflow:Parameter", { id: p.id, type: p.type, value: p.value });
        param.$parent = list;
        list.parameters.push(param);
      });
      var op = moddle.create(OPERATOR, { id: state.id, parameterList: list });
      if (state.resultVariable) { op.resultVariable = state.resultVariable; }
      list.$parent = op;
      op.$parent = ext;
      var values = ext.values.slice();
      var at = values.indexOf(findExt(bo, OPERATOR));
      if (at >= 0) { values[at] = op; } else { values.push(op); }
      modeling.updateModdleProperties(element, ext, { values: values });
    }

    // Elements with a text body: spiffworkflow:PreScript, PostScript, CalledDecisionId.
    function bodyOf(bo, type) { var found = findExt(bo, type); return found ? found.value || "" : ""; }

    function setBody(element, bo, type, value) {
      value = (value || "").replace(/\s+$/, "");
      var found = findExt(bo, type);
      if (!value.trim()) {
        if (found) {
          modeling.updateModdleProperties(element, bo.extensionElements, {
            values: bo.extensionElements.values.filter(function (v) { return v !== found; }) });
        }
      } else if (found) {
        modeling.updateModdleProperties(element, found, { value: value });
      } else {
        var ext = ensureExt(element, bo);
        var node = moddle.create(type, { value: value });
        node.$parent = ext;
        modeling.updateModdleProperties(element, ext, { values: ext.values.concat([node]) });
      }
    }

    return { properties: properties, setProperty: setProperty, expression: expression,
             operatorState: operatorState, writeOperator: writeOperator, bodyOf: bodyOf, setBody: setBody };
  };
})();
