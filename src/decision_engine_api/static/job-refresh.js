// A running what-if job's page reloads itself every few seconds while the box stays
// ticked (WCAG 2.2.1: the person can turn the updating off). Without script the page
// shows a "Refresh now" link instead, and nothing reloads on its own.
(function () {
  "use strict";
  var box = document.getElementById("auto-refresh");
  if (!box) { return; }
  box.closest(".js-only").hidden = false;
  var ms = 1000 * Number(box.getAttribute("data-seconds") || "2");
  function tick() {
    if (box.checked) { window.location.reload(); } else { window.setTimeout(tick, ms); }
  }
  window.setTimeout(tick, ms);
}());
