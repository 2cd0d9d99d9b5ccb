// Live derived values and enable-when on the generic form page: the server computes both
// (POST .../forms/preview); this script only sends what is typed and shows what comes back.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview]");
  if (!form) return;
  var timer = null;
  var pending = null;

  function apply(result) {
    Object.keys(result.derived || {}).forEach(function (key) {
      var out = form.querySelector('output[data-derived="' + key + '"]');
      if (out) out.textContent = result.derived[key];
    });
    var enabled = {};
    (result.enabled || []).forEach(function (key) { enabled[key] = true; });
    form.querySelectorAll("[data-item]").forEach(function (el) {
      var on = enabled[el.getAttribute("data-item")] === true;
      if (el.classList.contains("bound")) return;
      el.hidden = !on;
    });
  }

  function refresh() {
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(form.getAttribute("data-preview"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      signal: pending.signal,
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (result) {
      if (result) {
        apply(result);
        form.setAttribute("data-preview-done", String(Date.now()));
      }
    }).catch(function () { /* offline or superseded: the server computes again on save */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  form.addEventListener("change", later);
  form.addEventListener("input", later);
})();
