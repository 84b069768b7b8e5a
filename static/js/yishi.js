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
})();
