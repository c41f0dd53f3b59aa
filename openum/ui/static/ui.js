/* OpenUM pages: live countdowns to due times, measured against the server's clock. */
(function () {
  "use strict";
  var serverNow = Date.parse(document.body.getAttribute("data-now"));
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();

  function parts(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + " d " + h + " h " + m + " min";
    if (h > 0) return h + " h " + m + " min";
    return m + " min " + (s % 60) + " s";
  }

  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var riskAt = Date.parse(el.getAttribute("data-risk") || "");
      var left = due - now;
      var state = left <= 0 ? "overdue" : (!isNaN(riskAt) && now >= riskAt ? "at-risk" : "");
      el.textContent = left <= 0 ? "overdue by " + parts(left) : parts(left) + " left";
      el.classList.toggle("overdue", state === "overdue");
      el.classList.toggle("at-risk", state === "at-risk");
      var row = el.closest("tr");
      if (row && el.hasAttribute("data-row")) {
        row.classList.toggle("overdue", state === "overdue");
        row.classList.toggle("at-risk", state === "at-risk");
        var flag = row.querySelector("[data-risk-flag]");
        if (flag) {
          flag.textContent = state === "overdue" ? "Overdue" : (state === "at-risk" ? "At risk" : "On time");
          flag.className = "badge " + (state === "overdue" ? "b-overdue" : (state === "at-risk" ? "b-at-risk" : "b-ok"));
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
  });
  document.addEventListener("htmx:afterSwap", tick);
})();
