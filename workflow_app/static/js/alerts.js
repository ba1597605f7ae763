// 超期预警: the 全选 box ticks every row's box of the bulk acknowledgement.
(function () {
  "use strict";
  var all = document.getElementById("check-all");
  if (!all) { return; }
  all.addEventListener("change", function () {
    document.querySelectorAll("input[name=alert_id][form=bulk-ack]").forEach(function (box) {
      box.checked = all.checked;
    });
  });
}());
