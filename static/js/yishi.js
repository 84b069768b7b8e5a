// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // A form with data-confirm="question" asks before it is sent (a second,
  // deliberate step for acts that cannot be undone). Without JavaScript the
  // form is simply sent; the server still checks everything.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // A button with data-print opens the browser's print dialog (the notice poster).
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  });

  // A table too wide for the screen scrolls sideways in its .table-wrap: that region then takes
  // the keyboard's focus (arrow keys scroll it) and is named after the table's caption or heading.
  function markScrollingTables() {
    var wraps = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        if (!wrap.hasAttribute("tabindex")) {
          var caption = wrap.querySelector("caption");
          var heading = null;
          for (var el = wrap.previousElementSibling; el && !heading; el = el.previousElementSibling) {
            if (/^H[1-6]$/.test(el.tagName)) heading = el;
          }
          var name = (caption || heading || {}).textContent || document.title;
          wrap.setAttribute("tabindex", "0");
          wrap.setAttribute("role", "region");
          wrap.setAttribute("aria-label", name.trim());
          wrap.setAttribute("data-scrolls", "");
        }
      } else if (wrap.hasAttribute("data-scrolls")) {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
        wrap.removeAttribute("data-scrolls");
      }
    }
  }
  // When htmx replaces the part of the page that holds the keyboard's focus (the vote panel's
  // choice becomes its confirmation), the focus would fall back to the top of the page. It goes
  // to the new part instead, so the next Tab continues inside it.
  var focusWasIn = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    focusWasIn = target && target.id && target.contains(document.activeElement) ? target.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!focusWasIn) return;
    var part = document.getElementById(focusWasIn);
    focusWasIn = null;
    var active = document.activeElement;
    if (!part || (active && active !== document.body && document.contains(active))) return;
    if (!part.hasAttribute("tabindex")) part.setAttribute("tabindex", "-1");
    part.focus();
  });

  markScrollingTables();
  window.addEventListener("resize", markScrollingTables);
  document.addEventListener("htmx:afterSettle", markScrollingTables);
})();
