// Tables wider than the screen scroll sideways inside their own box, not the page (a phone at
// 390 px): each table of the page gets a wrapper; while it overflows, the wrapper is a labelled,
// focusable region, so that a keyboard can scroll it too.  Without script the page still works.
(function () {
  "use strict";
  function wrap(table) {
    if (table.closest(".scroll, .tablewrap")) return;
    var row = table.querySelector("tr");
    if (row && row.children.length >= 5) table.classList.add("wide"); // kept readable, scrolled
    var box = document.createElement("div");
    box.className = "tablewrap";
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  }
  function mark() {
    document.querySelectorAll(".tablewrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        var caption = box.querySelector("caption");
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", caption ? caption.textContent.trim() : box.textContent.trim().slice(0, 40));
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  function start() {
    document.querySelectorAll("main table").forEach(wrap);
    mark();
    window.addEventListener("resize", mark);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
