// The console: Up and Down recall earlier command lines; the input is cleared and focused
// after each run, and the newest reply is scrolled into view.
(function () {
  "use strict";
  let position = -1;

  function history() {
    const list = document.querySelector("[data-console-history]");
    return list ? Array.from(list.options, (option) => option.value) : [];
  }

  document.addEventListener("keydown", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.id !== "console-line") return;
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    const lines = history();
    if (!lines.length) return;
    event.preventDefault();
    position += event.key === "ArrowUp" ? 1 : -1;
    position = Math.max(-1, Math.min(lines.length - 1, position));
    input.value = position === -1 ? "" : lines[position];
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-console-form")) return;
    const input = form.querySelector("#console-line");
    const lines = history();
    const list = document.querySelector("[data-console-history]");
    if (input.value && list && lines[0] !== input.value) {
      const option = document.createElement("option");
      option.value = input.value;
      list.prepend(option);
    }
    position = -1;
    input.value = "";
    input.focus();
    const entries = document.querySelectorAll("[data-console-entry]");
    if (entries.length) entries[entries.length - 1].scrollIntoView({ block: "nearest" });
  });
})();
