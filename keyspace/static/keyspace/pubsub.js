// The live message view: newest first, at most data-max-shown messages kept, pause (holding
// a bounded number of batches), clear, and a text filter over what is shown.
(function () {
  "use strict";
  const MAX_HELD_MESSAGES = 2000;
  let paused = false;
  let held = [];  // [html, count] of batches received while paused, newest last
  let heldCount = 0;
  let heldDropped = 0;

  function messagesIn(html) {
    return (html.match(/<li class="msg msg-/g) || []).length;
  }

  function byData(name) { return document.querySelector('[data-pubsub="' + name + '"]'); }

  function maxShown() {
    const stream = document.getElementById("stream");
    return stream ? Number(stream.dataset.maxShown) || 500 : 500;
  }

  function trim() {
    const list = document.getElementById("messages");
    if (!list) return;
    while (list.children.length > maxShown()) list.lastElementChild.remove();
  }

  function applyFilter() {
    const input = byData("filter");
    const needle = input ? input.value.toLowerCase() : "";
    document.querySelectorAll("#messages > li").forEach(function (li) {
      li.hidden = needle !== "" && !li.textContent.toLowerCase().includes(needle);
    });
  }

  function showHeldState() {
    const button = byData("show-held");
    if (!button) return;
    button.hidden = heldCount === 0;
    button.querySelector("[data-held-count]").textContent = String(heldCount);
    const note = byData("held-note");
    if (note) note.textContent = heldDropped ? heldDropped + " older held messages dropped" : "";
  }

  function hold(html) {
    const count = messagesIn(html);
    held.push([html, count]);
    heldCount += count;
    while (heldCount > MAX_HELD_MESSAGES && held.length > 1) {
      const dropped = held.shift();
      heldCount -= dropped[1];
      heldDropped += dropped[1];
    }
    showHeldState();
  }

  function showHeld() {
    const list = document.getElementById("messages");
    if (!list) return;
    held.forEach(function (batch) { list.insertAdjacentHTML("afterbegin", batch[0]); });
    held = [];
    heldCount = 0;
    heldDropped = 0;
    showHeldState();
    trim();
    applyFilter();
  }

  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    if (!paused || event.detail.type !== "batch") return;
    event.preventDefault();
    hold(event.detail.data);
  });

  document.addEventListener("htmx:sseMessage", function (event) {
    if (event.detail.type === "batch") { trim(); applyFilter(); }
  });

  document.addEventListener("click", function (event) {
    const control = event.target.closest("[data-pubsub]");
    if (!control) return;
    const action = control.dataset.pubsub;
    if (action === "pause") {
      paused = !paused;
      control.textContent = paused ? "Resume" : "Pause";
      control.setAttribute("aria-pressed", String(paused));
      if (!paused) showHeld();
    } else if (action === "show-held") {
      showHeld();
    } else if (action === "clear") {
      const list = document.getElementById("messages");
      if (list) list.replaceChildren();
    }
  });

  document.addEventListener("input", function (event) {
    if (event.target.matches('[data-pubsub="filter"]')) applyFilter();
  });
})();
