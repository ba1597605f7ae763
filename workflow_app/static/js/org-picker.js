// 发起业务: the organization picker searches as one types. The page works without this script (the
// 查找 button posts the search back); with it, the select is refilled from /organizations/options.
(function () {
  "use strict";
  var input = document.getElementById("org-q");
  var select = document.getElementById("organization-id");
  var note = document.getElementById("org-note");
  if (!input || !select || !select.dataset.options) { return; }
  var timer = null;
  var latest = 0;

  function fill(items, total) {
    var chosen = select.value;
    while (select.options.length > 1) { select.remove(1); }  // keeps （不指定）
    items.forEach(function (item) {
      var option = new Option(item.name + "（" + (item.uscc || "无代码") + "）", String(item.id));
      option.selected = String(item.id) === chosen;
      select.add(option);
    });
    if (note) {
      note.textContent = "找到 " + total + " 个正常状态的社会组织" +
        (total > items.length ? "（仅列出前 " + items.length + " 个，请缩小查找范围）" : "") + "。";
    }
  }

  function search() {
    var ticket = ++latest;
    var url = select.dataset.options + "?q=" + encodeURIComponent(input.value.trim());
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body && ticket === latest) { fill(body.items, body.total); } })
      .catch(function () { /* the 查找 button still works */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
})();
