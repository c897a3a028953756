/* Keyboard-first helpers for the counter terminal. Everything works without this file; it only
   saves keystrokes and guards against a second click while a form is being sent. */
(function () {
  "use strict";

  function searchBox() { return document.querySelector("[data-counter-search]"); }

  function isTyping(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    var box = searchBox();
    if (!box || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (isTyping(document.activeElement)) {
      if (event.key === "Escape" && document.activeElement !== box) {
        document.activeElement.blur();
        box.focus();
        box.select();
      }
      return;
    }
    if (event.key === "/" || event.key === "F2") {
      event.preventDefault();
      box.focus();
      box.select();
    } else if (event.key.length === 1 && event.key !== " ") {
      // A keyboard-wedge scanner "types" the QR payload: send it to the search box wherever focus was.
      box.value = "";
      box.focus();
    }
  });

  // One submission per form: a second click while the first is on its way does nothing. The server
  // does not rely on this (each form carries a one-time token); it only spares a confusing message.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) { return; }
    if (form.classList.contains("is-submitting")) {
      event.preventDefault();
      return;
    }
    form.classList.add("is-submitting");
    form.setAttribute("aria-busy", "true");
  });

  // Coming back with the browser's Back button restores the page as it was: make its forms usable
  // again (a resubmission replays the first result on the server; nothing is consumed twice).
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form.is-submitting").forEach(function (form) {
      form.classList.remove("is-submitting");
      form.removeAttribute("aria-busy");
    });
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) { event.target.form.submit(); }
  });
})();
