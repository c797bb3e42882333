// Storyline: citation popovers. No data is interpreted as HTML: the popover content is
// cloned from nodes the server already rendered (escaped) into the page.
(function () {
  "use strict";
  var pop = null, current = null, hideTimer = null;

  function show(btn, sticky) {
    var src = document.getElementById(btn.getAttribute("data-pop"));
    if (!src || !pop) return;
    clearTimeout(hideTimer);
    if (current && current !== btn) current.setAttribute("aria-expanded", "false");
    pop.replaceChildren(src.cloneNode(true));
    pop.firstChild.removeAttribute("id");
    pop.hidden = false;
    pop.dataset.sticky = sticky ? "1" : "";
    current = btn;
    btn.setAttribute("aria-expanded", "true");
    var r = btn.getBoundingClientRect();
    var width = Math.min(420, document.documentElement.clientWidth - 20);
    var left = Math.max(10, Math.min(r.left + window.scrollX - 20, window.scrollX + document.documentElement.clientWidth - width - 10));
    pop.style.width = width + "px";
    pop.style.left = left + "px";
    pop.style.top = (r.bottom + window.scrollY + 6) + "px";
  }

  function hide() {
    if (!pop) return;
    pop.hidden = true;
    pop.dataset.sticky = "";
    if (current) current.setAttribute("aria-expanded", "false");
    current = null;
  }

  // story list: tell the reader when new articles arrived (the page itself reads the store on load)
  function watchNew() {
    var live = document.getElementById("live");
    if (!live || !window.fetch) return;
    var known = parseInt(live.getAttribute("data-total") || "0", 10);
    setInterval(function () {
      fetch("/articles?limit=1", { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) { if (d && d.total_articles > known) live.hidden = false; })
        .catch(function () {});
    }, 10000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    watchNew();
    pop = document.getElementById("popover");
    if (!pop) return;
    document.querySelectorAll("button.cite").forEach(function (btn) {
      btn.addEventListener("click", function (ev) {
        ev.stopPropagation();
        if (current === btn && pop.dataset.sticky) { hide(); } else { show(btn, true); }
      });
      btn.addEventListener("mouseenter", function () { if (!pop.dataset.sticky) show(btn, false); });
      btn.addEventListener("mouseleave", function () {
        if (!pop.dataset.sticky) hideTimer = setTimeout(hide, 300);
      });
      btn.addEventListener("focus", function () { if (!pop.dataset.sticky) show(btn, false); });
    });
    pop.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    pop.addEventListener("mouseleave", function () { if (!pop.dataset.sticky) hideTimer = setTimeout(hide, 300); });
    document.addEventListener("click", function (ev) { if (!pop.contains(ev.target)) hide(); });
    document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") hide(); });
  });
})();
