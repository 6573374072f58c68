// Scans that follow on their own (sparse filters, namespace counts) until the user stops them.
(function () {
  "use strict";
  let stopped = false;

  // Every auto-following element on the page shows the stopped state: no spinner, no Stop.
  function showStopped() {
    document.querySelectorAll("[data-auto-follow]").forEach(function (el) {
      el.classList.add("stopped");
      el.querySelectorAll("[data-scan-stop]").forEach(function (b) { b.remove(); });
    });
  }

  function stop() {
    stopped = true;
    document.querySelectorAll("[data-auto-follow]").forEach(function (el) {
      if (window.htmx) window.htmx.trigger(el, "htmx:abort");
    });
    showStopped();
  }

  // The row is replaced every few tens of milliseconds, so a press may end on a new element:
  // act on the press itself, and on click for keyboard users.
  document.addEventListener("pointerdown", function (event) {
    if (event.button === 0 && event.target.closest("[data-scan-stop]")) stop();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-scan-stop]")) { stop(); return; }
    if (event.target.closest("[data-scan-continue]")) stopped = false;
  });

  // Auto-following requests are refused while stopped; clicking Continue clears the flag first.
  document.addEventListener("htmx:confirm", function (event) {
    const source = event.detail.elt;
    if (stopped && source && source.hasAttribute("data-auto-follow")) event.preventDefault();
  });

  // A new filter or a new page starts with auto-follow allowed again.
  document.addEventListener("htmx:beforeRequest", function (event) {
    const source = event.detail.elt;
    if (source && source.tagName === "FORM") stopped = false;
    const banner = document.getElementById("error-banner");
    // The failover banner's own poller keeps it (it replaces the banner when Redis is back).
    if (banner && source && !source.hasAttribute("data-auto-follow") &&
        !source.hasAttribute("data-failover-poll")) banner.textContent = "";
  });
  document.addEventListener("htmx:historyRestore", function () { stopped = false; });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.boosted) stopped = false;
    if (stopped) showStopped();
  });
})();

// TTLs count down on the key page; when one runs out the page says the key has expired.
(function () {
  "use strict";
  const UNITS = [[86400, "d"], [3600, "h"], [60, "m"], [1, "s"]];

  function humanTtl(ms) {
    if (ms < 1000) return ms + " ms";
    let rest = Math.floor(ms / 1000);
    const parts = [];
    for (const [size, unit] of UNITS) {
      const amount = Math.floor(rest / size);
      rest -= amount * size;
      if (amount) parts.push(amount + " " + unit);
    }
    return parts.slice(0, 2).join(" ");
  }

  function arm(root) {
    root.querySelectorAll("[data-ttl-ms]").forEach(function (el) {
      el.dataset.deadline = String(Date.now() + Number(el.dataset.ttlMs));
    });
  }

  function tick() {
    document.querySelectorAll("[data-ttl-ms][data-deadline]").forEach(function (el) {
      const left = Number(el.dataset.deadline) - Date.now();
      if (left > 0) {
        el.textContent = humanTtl(left);
        return;
      }
      el.textContent = "expired";
      el.removeAttribute("data-ttl-ms");
      if (el.dataset.ttlOf === "field") return;  // one hash field, not the key
      const notice = document.querySelector(".expired-notice");
      if (notice) notice.hidden = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () { arm(document); });
  document.addEventListener("htmx:load", function (event) { arm(event.detail.elt); });
  setInterval(tick, 1000);
})();

// Row actions, drawn once per value table (<template data-row-menu>) instead of in every row:
// a row's opener (its link to `?row=<token>`) shows them in the row, each URL completed with
// the row's token; htmx then handles them as links of its own. One row is open at a time;
// Escape closes it. Without JavaScript the opener loads the key page with that row's actions.
window.keyspaceRows = (function () {
  "use strict";
  const OPENER = 'a[href^="?row="]';

  function menuOf(row) {
    const table = row && row.closest("table");
    return table ? table.querySelector("template[data-row-menu]") : null;
  }

  function tokenOf(opener) {
    return new URLSearchParams(opener.getAttribute("href").slice(1)).get("row") || "";
  }

  function close(row) {
    const cell = row.querySelector("td.row-actions");
    if (cell) cell.remove();
    const opener = row.querySelector(OPENER);
    if (opener) opener.setAttribute("aria-expanded", "false");
  }

  function open(row) {
    const menu = menuOf(row);
    const opener = row.querySelector(OPENER);
    if (!menu || !opener) return null;
    row.closest("table").querySelectorAll("td.row-actions").forEach(function (cell) {
      close(cell.closest("tr"));
    });
    const cell = menu.content.firstElementChild.cloneNode(true);
    const token = encodeURIComponent(tokenOf(opener));
    cell.querySelectorAll("a[data-action]").forEach(function (link) {
      const url = link.dataset.action + token;
      link.removeAttribute("data-action");
      link.setAttribute("href", url);
      link.setAttribute("hx-get", url);
    });
    row.appendChild(cell);
    opener.setAttribute("aria-expanded", "true");
    if (window.htmx) window.htmx.process(cell);
    return cell;
  }

  // Openers say they open something; set on the rows drawn, never sent in every row.
  function arm(root) {
    if (!root.querySelectorAll) return;
    root.querySelectorAll(OPENER).forEach(function (opener) {
      if (!opener.hasAttribute("aria-expanded") && menuOf(opener)) {
        opener.setAttribute("aria-expanded", "false");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { arm(document); });
  document.addEventListener("htmx:load", function (event) { arm(event.detail.elt); });

  document.addEventListener("click", function (event) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const opener = event.target.closest && event.target.closest(OPENER);
    const row = opener && opener.closest("tr");
    if (!row || !menuOf(row)) return;
    event.preventDefault();
    if (row.querySelector("td.row-actions")) close(row);
    else open(row);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    const row = event.target.closest("tr");
    const opener = row && row.querySelector(OPENER);
    if (!opener || !row.querySelector("td.row-actions")) return;
    event.preventDefault();
    close(row);
    opener.focus();
  });

  // The action `href` (…?row=<token>) in the row as it is now, its actions opened again: where
  // the focus goes back after that row was redrawn by an edit or its form's Cancel.
  function reopen(href) {
    const query = href.split("?")[1];
    const token = query ? new URLSearchParams(query).get("row") : null;
    if (token === null) return null;
    const opener = document.querySelector('a[href="?row=' + CSS.escape(token) + '"]');
    const row = opener && opener.closest("tr");
    const cell = row && (row.querySelector("td.row-actions") || open(row));
    return cell ? cell.querySelector('a[href="' + CSS.escape(href) + '"]') : null;
  }

  return { open: open, reopen: reopen, isRow: function (el) { return !!el.querySelector(OPENER); } };
})();

// Keyboard use of the editor panel and row forms: an opened form takes the focus (its first
// field, or its heading when it only asks for confirmation, so Enter never confirms by
// accident), Escape cancels it, and closing it returns the focus to what opened it. Escape
// also closes the open db picker.
(function () {
  "use strict";
  const FIELDS = "input:not([type=hidden]):not([disabled]), textarea:not([disabled]), " +
    "select:not([disabled])";
  let opener = null;

  function panelOf(el) {
    return el && el.closest ? el.closest("#editor, tr.editing") : null;
  }

  // A value row: one being edited has its id, a drawn one its opener.
  function isRow(el) {
    return el.matches("tr") && (el.id.startsWith("row-") || window.keyspaceRows.isRow(el));
  }

  function opensPanel(target) {
    return target && (target.id === "editor" || isRow(target));
  }

  function focusForm(form) {
    const field = form.querySelector("[aria-invalid=true]") || form.querySelector(FIELDS);
    if (field) { field.focus(); return; }
    const heading = form.querySelector("h2, strong") || form;
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }

  function focusLost() {
    const active = document.activeElement;
    return !active || active === document.body;
  }

  // Back to the opener, or to its twin when the toolbar or the row it lived in was redrawn
  // (a row's actions are opened again to find it).
  function returnFocus() {
    if (!opener) return;
    let target = opener.isConnected ? opener : null;
    const href = opener.getAttribute("href");
    if (!target && href) target = document.querySelector('a[href="' + CSS.escape(href) + '"]');
    if (!target && href) target = window.keyspaceRows.reopen(href);
    opener = null;
    if (target) target.focus();
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    const source = event.detail.elt;
    if (source && !panelOf(source) && opensPanel(event.detail.target)) opener = source;
  });

  document.addEventListener("htmx:load", function (event) {
    const el = event.detail.elt;
    if (el === document.body) return;
    const form = el.matches("form.edit-form") ? el : el.querySelector("form.edit-form");
    // htmx:load comes when the swap settles, a moment after the form is shown: a person
    // already typing in one of its fields keeps their place.
    if (form && panelOf(form)) { if (!form.contains(document.activeElement)) focusForm(form); }
    else if (isRow(el) && focusLost()) returnFocus();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const target = event.detail.target;
    if (target && target.id === "editor" && !target.children.length && focusLost()) returnFocus();
  });

  // Cancel on a key-level form just closes the editor panel.
  document.addEventListener("click", function (event) {
    const cancel = event.target.closest("#editor [data-cancel]:not([hx-get])");
    if (!cancel) return;
    event.preventDefault();
    document.getElementById("editor").replaceChildren();
    returnFocus();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    const picker = event.target.closest("details.db-picker[open]");
    if (picker) {
      picker.open = false;
      picker.querySelector("summary").focus();
      return;
    }
    const panel = panelOf(event.target);
    const cancel = panel && panel.querySelector("[data-cancel]");
    if (!cancel) return;
    event.preventDefault();
    cancel.click();
  });
})();

// Signing out drops the page snapshots htmx keeps for the back button (they hold values),
// whichever sign-in page the project sends people to next (the app's own clears them too).
document.addEventListener("submit", function (event) {
  if (!event.target.matches("[data-sign-out]")) return;
  try {
    sessionStorage.removeItem("htmx-history-cache");
  } catch (error) {
    // Storage disabled: nothing was kept.
  }
});

/* A connection's own colour (saved with it) marks its environment label. */
(function () {
  "use strict";
  function paint(root) {
    root.querySelectorAll("[data-env-colour]").forEach(function (element) {
      if (/^#[0-9a-fA-F]{6}$/.test(element.dataset.envColour)) {
        element.style.setProperty("--env-colour", element.dataset.envColour);
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { paint(document); });
  document.addEventListener("htmx:load", function (event) { paint(event.detail.elt); });
})();
