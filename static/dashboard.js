// Scans that follow on their own (sparse filters, namespace counts) until the user stops them.
(function () {
  "use strict";
  let stopped = false;

  document.addEventListener("click", function (event) {
    const stop = event.target.closest("[data-scan-stop]");
    if (stop) {
      stopped = true;
      const row = stop.closest("[data-auto-follow]");
      if (row) row.classList.add("stopped");
      stop.remove();
      return;
    }
    if (event.target.closest("[data-scan-continue]")) stopped = false;
  });

  // Auto-following requests are refused while stopped; clicking Continue clears the flag first.
  document.addEventListener("htmx:confirm", function (event) {
    const source = event.detail.elt;
    if (stopped && source && source.hasAttribute("data-auto-follow")) event.preventDefault();
  });

  // A new filter or a new page starts with auto-follow allowed again.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt && event.detail.elt.tagName === "FORM") stopped = false;
    const banner = document.getElementById("error-banner");
    if (banner && event.detail.elt && !event.detail.elt.hasAttribute("data-auto-follow")) {
      banner.textContent = "";
    }
  });
  document.addEventListener("htmx:historyRestore", function () { stopped = false; });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.boosted) stopped = false;
  });
})();
