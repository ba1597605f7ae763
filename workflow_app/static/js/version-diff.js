// 版本对比: the old and the new version in two bpmn-js viewers; removed and changed elements are marked on
// the old one, added and changed ones on the new one (the diff is computed on the server, by element id).
(function () {
  "use strict";
  if (typeof BpmnJS === "undefined") { return; }
  var markers = JSON.parse(document.getElementById("diff-markers").textContent);
  var status = document.getElementById("diff-status");
  var shown = { old: ["removed", "changed"], "new": ["added", "changed"] };
  window.socorgDiff = {};

  function open(side) {
    var container = document.getElementById("diagram-" + side);
    var viewer = new BpmnJS({ container: container });
    window.socorgDiff[side] = viewer;
    var xml = JSON.parse(document.getElementById("diff-" + side + "-xml").textContent);
    return viewer.importXML(xml).then(function () {
      var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
      Object.keys(markers).forEach(function (id) {
        if (shown[side].indexOf(markers[id]) >= 0 && registry.get(id)) { canvas.addMarker(id, "diff-" + markers[id]); }
      });
      canvas.zoom("fit-viewport", "auto");
      container.dataset.ready = "true";
    });
  }

  Promise.all([open("old"), open("new")]).then(function () {
    status.textContent = "可拖动平移、滚轮缩放；绿色为新增，红色为删除，橙色为修改";
  }).catch(function (err) {
    status.textContent = "流程图无法载入：" + err.message;
  });
})();
