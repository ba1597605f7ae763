// One DOM builder for the studio's pages (the modeler's panel, the form designer): el(tag, attrs, children).
// attrs: text, className, value, checked, on<event> handlers, any other attribute (true → empty value;
// undefined, null or false → left out). children: nodes or strings (as text); null/undefined are skipped.
(function () {
  "use strict";
  window.socorgEl = function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) { return; }
      if (name === "text") { node.textContent = value; } else if (name === "className") { node.className = value; }
      else if (name.slice(0, 2) === "on") { node.addEventListener(name.slice(2), value); }
      else if (name === "value") { node.value = value; } else if (name === "checked") { node.checked = true; }
      else { node.setAttribute(name, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) {
      if (child) { node.appendChild(typeof child === "string" ? document.createTextNode(child) : child); }
    });
    return node;
  };
})();
