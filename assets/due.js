// Due times that tick in the browser: every element with data-due="<ISO time>" gets
// data-overdue="true" once that time has passed (the stylesheet below colours it red), and an
// element with data-due-text="true" shows how long is left ("in 4 min 05 s", "2 min overdue").
(function () {
  if (window.__hpiDue) return;
  window.__hpiDue = true;
  var style = document.createElement("style");
  style.textContent =
    '[data-due][data-overdue="true"]{color:var(--red-11);font-weight:600}';
  document.head.appendChild(style);

  function words(ms) {
    var s = Math.round(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), r = s % 60;
    if (d > 0) return d + " d " + h + " h";
    if (h > 0) return h + " h " + m + " min";
    if (m > 0) return m + " min " + (r < 10 ? "0" : "") + r + " s";
    return r + " s";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("data-due"));
      if (isNaN(at)) return;
      var late = at <= now;
      el.setAttribute("data-overdue", late ? "true" : "false");
      var text = el.querySelector("[data-due-text]");
      if (text) text.textContent = late ? words(now - at) + " overdue" : "in " + words(at - now);
    });
  }

  tick();
  setInterval(tick, 1000);
})();
