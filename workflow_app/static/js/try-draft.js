// 试运行草稿 (the modeler's button): post the modeler's unsaved XML to the trial page, in a new tab.
(function () {
  "use strict";
  var form = document.getElementById("try-draft");
  if (!form) { return; }
  form.addEventListener("submit", function (event) {
    if (form.dataset.filled === "true" || !window.socorgModeler) { return; }
    event.preventDefault();
    window.socorgModeler.saveXML({ format: true }).then(function (result) {
      form.elements.xml.value = result.xml;
      form.dataset.filled = "true";
      form.submit();
      form.dataset.filled = "";
    });
  });
})();
