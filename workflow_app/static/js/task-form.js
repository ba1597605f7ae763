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
