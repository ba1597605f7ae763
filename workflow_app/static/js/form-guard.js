// Leaving a half-filled form asks first: any form marked data-guard that was changed since the page
// loaded makes the browser confirm before the page is left (reload, link, back). Submitting the form
// itself is not "leaving". A page shown after a refused submit (its input kept) counts as changed.
(function () {
  "use strict";
  var dirty = false;
  var forms = document.querySelectorAll("form[data-guard]");
  if (!forms.length) { return; }
  forms.forEach(function (form) {
    if (form.dataset.guard === "dirty") { dirty = true; }
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) { return undefined; }
    event.preventDefault();
    event.returnValue = "表单尚未提交，离开将丢失已填写的内容。";
    return event.returnValue;
  });
  window.socorgFormGuard = { isDirty: function () { return dirty; } }; // for tests
})();
