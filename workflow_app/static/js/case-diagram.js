// The case diagram: the case's own definition version in the bpmn-js viewer (drag to pan, wheel to
// zoom), with a marker class per step state from the engine: step-completed, step-ready (the current
// step), step-waiting (timers, events), step-error, step-cancelled. The view opens on the path taken
// so far; when that is too wide to read, on the current step at a readable zoom.
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  if (!container || typeof BpmnJS === "undefined") { return; }
  var status = document.getElementById("diagram-status");
  var steps = JSON.parse(document.getElementById("diagram-steps").textContent);
  var viewer = new BpmnJS({ container: container });
  var READABLE = 0.75, LEGIBLE = 0.4, PAD = 40;
  window.socorgDiagram = viewer; // for tests and the browser console

  function whole() { viewer.get("canvas").zoom("fit-viewport", "auto"); }

  function bounds(elements) {
    var x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    elements.forEach(function (e) {
      x1 = Math.min(x1, e.x); y1 = Math.min(y1, e.y);
      x2 = Math.max(x2, e.x + e.width); y2 = Math.max(y2, e.y + e.height);
    });
    return { x: x1 - PAD, y: y1 - PAD, width: x2 - x1 + 2 * PAD, height: y2 - y1 + 2 * PAD };
  }

  // Show the diagram at ``scale``, centred on ``centre`` but never scrolled past the diagram's edges.
  function show(scale, centre, inner) {
    var canvas = viewer.get("canvas");
    var width = container.clientWidth / scale, height = container.clientHeight / scale;
    function clamp(c, size, start, length) {
      var low = start - PAD, high = start + length + PAD - size;
      return high < low ? (low + high) / 2 : Math.min(Math.max(c - size / 2, low), high);
    }
    canvas.viewbox({ x: clamp(centre.x, width, inner.x, inner.width), y: clamp(centre.y, height, inner.y, inner.height),
                     width: width, height: height });
  }

  function focus(current, visited) {
    var inner = viewer.get("canvas").viewbox().inner;
    var area = bounds(visited.length ? visited : current);
    var fit = Math.min(container.clientWidth / area.width, container.clientHeight / area.height, 1);
    if (fit >= READABLE) {
      show(fit, { x: area.x + area.width / 2, y: area.y + area.height / 2 }, inner);
    } else if (current.length) {
      // Every lane in view if that stays legible (who holds the case matters), else a readable zoom.
      var scale = Math.max(LEGIBLE, Math.min(READABLE, container.clientHeight / (inner.height + 2 * PAD)));
      show(scale, { x: current[0].x + current[0].width / 2, y: current[0].y + current[0].height / 2 }, inner);
    } else {
      whole();
    }
  }

  viewer.importXML(JSON.parse(document.getElementById("diagram-xml").textContent)).then(function () {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var current = [], visited = [];
    Object.keys(steps).forEach(function (id) {
      var element = registry.get(id);
      if (!element) { return; }
      canvas.addMarker(id, "step-" + steps[id]);
      if (element.waypoints) { return; }
      visited.push(element);
      if (steps[id] === "ready" || steps[id] === "error") { current.push(element); }
    });
    whole();
    if (visited.length && canvas.zoom() < READABLE) { focus(current, visited); }
    document.querySelectorAll("[data-diagram]").forEach(function (button) {
      button.hidden = button.dataset.diagram === "current" && !current.length;
      button.addEventListener("click", function () {
        if (button.dataset.diagram === "current") { focus(current, []); } else { whole(); }
      });
    });
    container.dataset.ready = "true";
    status.textContent = current.length ? "可拖动平移、滚轮缩放" : "当前没有待办环节";
  }).catch(function (err) {
    var missing = /no diagram to display/i.test(err.message);
    status.textContent = missing ? "该流程没有图形信息，无法显示流程图" : "流程图无法载入：" + err.message;
  });
})();
