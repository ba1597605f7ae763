// The studio's draft of a new version, kept in the browser (localStorage) until it is deployed: the
// modeler's XML and the forms made in the form designer, per process and base version.
(function () {
  "use strict";
  function storageKey(key) { return "socorg-studio-draft:" + key; }

  function load(key, baseVersion) {
    try {
      var draft = JSON.parse(window.localStorage.getItem(storageKey(key)) || "null");
      if (draft && draft.base_version === baseVersion) { draft.forms = draft.forms || {}; return draft; }
    } catch (err) { /* an unreadable draft is no draft */ }
    return null;
  }

  function save(key, baseVersion, change) {
    var draft = load(key, baseVersion) || { base_version: baseVersion, xml: null, forms: {} };
    if (change.xml !== undefined) { draft.xml = change.xml; }
    if (change.form) { draft.forms[change.form.name] = change.form.schema; }
    draft.saved_at = new Date().toISOString();
    window.localStorage.setItem(storageKey(key), JSON.stringify(draft));
    return draft;
  }

  function discard(key) { window.localStorage.removeItem(storageKey(key)); }

  window.socorgDraft = { load: load, save: save, discard: discard };
})();
