// Live pages: puts in place what the server redraws (keyspace/views/live/). A panel with
// data-live-stream listens to Server-Sent Events; one with data-live-check asks for a timed
// check every data-live-every ms instead. Either way each piece is (kind, content): HTML drawn
// by the page's own partials for rows, metadata, the value, a board or the activity view, and
// plain text (set as text, never parsed) for statuses and ids.
(function () {
  "use strict";
  let current = null;  // {el, source, timer, url, busy}

  const HTML_KINDS = ["meta", "value", "row", "board", "key-row", "activity"];
  const TEXT_KINDS = ["status", "gone", "back", "row-gone", "key-gone", "digest", "new-keys",
    "check-list"];

  function element(html) {
    const box = document.createElement("template");
    box.innerHTML = html.trim();
    return box.content.firstElementChild;
  }

  function setStatus(text) {
    const status = document.getElementById("live-status");
    if (status) status.textContent = text;
  }

  function warn(container, text) {
    if (!container) return;
    const form = container.querySelector("form") || container;
    let note = form.querySelector(".live-conflict");
    if (!note) {
      note = document.createElement("p");
      note.className = "live-conflict";
      note.setAttribute("role", "alert");
      const actions = form.querySelector(".form-actions");
      form.insertBefore(note, actions || null);
    }
    note.textContent = text;
  }

  function warnEditor(text) {
    const editor = document.getElementById("editor");
    if (editor && editor.querySelector("form")) warn(editor, text);
  }

  function replace(old, html) {
    const fresh = element(html);
    if (!old || !fresh) return null;
    old.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    return fresh;
  }

  // A row by its token: an open form row has the id row-<token>; a drawn row carries its
  // token once, in data-row (rows have no ids, to keep pages light).
  function rowByToken(token) {
    if (!token) return null;
    return document.getElementById("row-" + token) ||
      document.querySelector('#value tr[data-row="' + CSS.escape(token) + '"]');
  }

  function drawRow(html) {
    const fresh = element(html);
    if (!fresh) return;
    const token = fresh.dataset.row || (fresh.id || "").replace(/^row-/, "");
    const old = rowByToken(token);
    if (old && old.classList.contains("editing")) {
      warn(old, "This element changed since you opened this form. Saving is refused unless " +
        "what you saw is still there; Cancel shows it as it is now.");
      return;
    }
    if (old) { replace(old, html); return; }
    const body = document.querySelector("#value table.values tbody");
    if (!body) return;
    body.querySelectorAll("tr.empty").forEach(function (row) { row.remove(); });
    body.insertBefore(fresh, document.getElementById("value-more"));
    if (window.htmx) window.htmx.process(fresh);
  }

  function dropRow(id) {
    const old = rowByToken(id.replace(/^row-/, ""));
    if (!old) return;
    if (old.classList.contains("editing")) {
      warn(old, "This element was removed since you opened this form.");
      return;
    }
    old.remove();
  }

  function markKeyGone(id, text) {
    const row = document.getElementById(id);
    if (!row) return;
    row.classList.add("live-gone");
    const cell = row.querySelector("td:nth-child(2)");
    if (cell) cell.textContent = text;
  }

  function showGone(text) {
    const notice = document.getElementById("live-gone");
    if (notice) { notice.textContent = text; notice.hidden = false; }
    const value = document.getElementById("value");
    if (value) value.classList.add("live-stale");
    warnEditor(text);
  }

  function showBack() {
    const notice = document.getElementById("live-gone");
    if (notice) notice.hidden = true;
    const value = document.getElementById("value");
    if (value) value.classList.remove("live-stale");
  }

  function setDigest(digest) {
    if (!current || !current.url) return;
    const url = new URL(current.url, window.location.href);
    url.searchParams.set("digest", digest);
    current.url = url.pathname + url.search;
  }

  function drawValue(html) {
    const value = document.getElementById("value");
    if (!value) return;
    if (value.querySelector("tr.editing")) {
      value.querySelectorAll("tr.editing").forEach(function (row) {
        warn(row, "The value changed since you opened this form.");
      });
      return;
    }
    replace(value, html);
    warnEditor("This key changed since you opened this form.");
  }

  function apply(kind, data) {
    if (kind === "meta") replace(document.getElementById("key-meta"), data);
    else if (kind === "value") drawValue(data);
    else if (kind === "row") { drawRow(data); warnEditor("This key changed since you opened this form."); }
    else if (kind === "row-gone") dropRow(data);
    else if (kind === "gone") showGone(data);
    else if (kind === "back") showBack();
    else if (kind === "digest") setDigest(data);
    else if (kind === "status") setStatus(data);
    else if (kind === "board") replace(document.getElementById("board"), data);
    else if (kind === "activity") replace(document.getElementById("activity"), data);
    else if (kind === "key-row") { const fresh = element(data); if (fresh) replace(document.getElementById(fresh.id), data); }
    else if (kind === "key-gone") { const parts = data.split(" "); markKeyGone(parts[0], parts.slice(1).join(" ")); }
    else if (kind === "check-list") checkList(Number(data) || 5000);
    else if (kind === "new-keys") {
      const note = document.getElementById("live-new-keys");
      if (note) { note.textContent = data; note.hidden = false; }
    }
    if (current && current.el) current.el.dataset.liveUpdated = String(Date.now());
  }

  function listen(el) {
    const source = new EventSource(el.dataset.liveStream);
    current.source = source;
    HTML_KINDS.concat(TEXT_KINDS).forEach(function (kind) {
      source.addEventListener(kind, function (event) { apply(kind, event.data); });
    });
    source.addEventListener("open", function () { setStatus("live"); });
    source.addEventListener("error", function () {
      if (source.readyState !== EventSource.CLOSED) setStatus("reconnecting…");
    });
  }

  function check() {
    const run = current;
    if (!run || run.busy) return;
    run.busy = true;
    fetch(run.url, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (!response.ok) throw new Error("the check answered " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (current !== run) return;
        const box = document.createElement("template");
        box.innerHTML = html;
        box.content.querySelectorAll("template[data-live-kind]").forEach(function (piece) {
          const kind = piece.dataset.liveKind;
          apply(kind, TEXT_KINDS.indexOf(kind) >= 0 ? piece.content.textContent : piece.innerHTML);
        });
        setStatus("checked at " + new Date().toLocaleTimeString());
      })
      .catch(function (error) { setStatus(String(error.message || error)); })
      .finally(function () { run.busy = false; });
  }

  // The key list without notifications: its own results fragment (the page's scan and
  // metadata, bounded like drawing it) fetched on a timer and put in place.
  function checkList(every) {
    const run = current;
    if (!run) return;
    if (run.source) { run.source.close(); run.source = null; }
    run.timer = window.setInterval(function () {
      if (current !== run || run.busy || document.querySelector("#editor form")) return;
      run.busy = true;
      fetch(window.location.pathname + window.location.search, {
        credentials: "same-origin", headers: {"HX-Request": "true", "HX-Target": "results"},
      })
        .then(function (response) {
          if (!response.ok) throw new Error("the check answered " + response.status);
          return response.text();
        })
        .then(function (html) {
          if (current !== run) return;
          replace(document.getElementById("results"), html);
          setStatus("checked at " + new Date().toLocaleTimeString() +
            " (keyspace notifications are off)");
        })
        .catch(function (error) { setStatus(String(error.message || error)); })
        .finally(function () { run.busy = false; });
    }, every);
  }

  function stop() {
    if (!current) return;
    if (current.source) current.source.close();
    if (current.timer) window.clearInterval(current.timer);
    current = null;
  }

  function start(el) {
    stop();
    current = {el: el, busy: false};
    if (el.dataset.liveStream) {
      listen(el);
    } else if (el.dataset.liveCheck) {
      current.url = el.dataset.liveCheck;
      current.timer = window.setInterval(check, Number(el.dataset.liveEvery) || 5000);
    }
  }

  function scan() {
    const el = document.querySelector("[data-live]");
    if (!el) { stop(); return; }
    if (!current || current.el !== el) start(el);
  }

  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:afterSettle", scan);
  window.addEventListener("pagehide", stop);
})();
