/* Casework pages: keyboard helpers for the window's intake form and the print buttons. */
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    // Ctrl+Enter (or Cmd+Enter) in a text area saves the form, as Enter does in one-line fields.
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.tagName === "TEXTAREA" && target.form) {
      event.preventDefault();
      target.form.requestSubmit();
      return;
    }
    // Enter in the resident search picks the first match instead of saving the half-filled form.
    if (event.key === "Enter" && target.id === "reporter-search") {
      event.preventDefault();
      var first = document.querySelector("#resident-results input[name=reporter_resident]");
      if (first) {
        first.checked = true;
        first.dispatchEvent(new Event("change", { bubbles: true }));
        first.focus();
      }
    }
  });

  // A second click while the first save is on its way does nothing (the client token makes it harmless
  // anyway: the server answers a repeat with the request it already registered).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-submit-once")) {
      return;
    }
    if (form.dataset.submitted === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "1";
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });
})();
