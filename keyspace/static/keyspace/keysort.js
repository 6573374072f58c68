// Sorting the key list in the page. Without this script each column header is a link that
// asks the server to sort the page it shows; with it, a click sorts every row loaded so far
// (pages appended by "Load more" included) without a request, keeps sorting rows that load
// later, and puts the sort in the address so a reload asks the server for the same order.
(function () {
  "use strict";
  var LABELS = { name: "name", ttl: "TTL", memory: "memory", length: "length" };

  function valueOf(row, column) {
    if (column === "name") {
      var link = row.querySelector(".key-name a");
      return link ? link.textContent : null;
    }
    var raw = row.dataset[column];
    return raw === undefined || raw === "" ? null : Number(raw);
  }

  function sortRows(table, column, descending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.querySelectorAll("tr.key-row"));
    var present = rows.filter(function (r) { return valueOf(r, column) !== null; });
    var missing = rows.filter(function (r) { return valueOf(r, column) === null; });
    present.sort(function (a, b) {
      var x = valueOf(a, column), y = valueOf(b, column);
      var order = x < y ? -1 : x > y ? 1 : 0;
      return descending ? -order : order;
    });
    var status = body.querySelector("tr.scan-status");
    present.concat(missing).forEach(function (r) { body.insertBefore(r, status); });
  }

  function mark(table, column, descending) {
    table.querySelectorAll("th[data-sort-column]").forEach(function (th) {
      var link = th.querySelector("a.sort-link");
      var own = th.dataset.sortColumn === column;
      th.setAttribute("aria-sort", own ? (descending ? "descending" : "ascending") : "none");
      th.querySelector(".sort-mark").textContent = own ? (descending ? " ▼" : " ▲") : "";
      if (own) {
        var url = new URL(link.href);
        link.dataset.sortNext = descending ? "asc" : "desc";
        url.searchParams.set("sort", (descending ? "" : "-") + column);
        link.href = url.toString();
      }
    });
    var note = document.getElementById("sort-note");
    if (note) {
      note.hidden = false;
      note.querySelector("[data-sort-label]").textContent =
        LABELS[column] + ", " + (descending ? "highest first" : "lowest first");
    }
    table.dataset.sorted = (descending ? "-" : "") + column;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("table[data-sortable] a.sort-link");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    // Captured before htmx's boost sees it: the rows are already here, no request needed.
    event.preventDefault();
    event.stopPropagation();
    var table = link.closest("table");
    var column = link.closest("th").dataset.sortColumn;
    var descending = link.dataset.sortNext === "desc";
    var address = link.href;
    sortRows(table, column, descending);
    mark(table, column, descending);
    history.replaceState(history.state, "", address);
    link.focus();
  }, true);

  // Rows appended by "Load more" join the order already chosen in the same turn of the event
  // loop that inserted them: htmx fires afterSwap once per new element, and the microtask
  // sorts once per swap, before the browser paints or anything else can read the rows.
  var resortQueued = false;
  document.addEventListener("htmx:afterSwap", function () {
    if (resortQueued) return;
    resortQueued = true;
    queueMicrotask(function () {
      resortQueued = false;
      document.querySelectorAll("table[data-sortable][data-sorted]").forEach(function (table) {
        var sort = table.dataset.sorted;
        sortRows(table, sort.replace(/^-/, ""), sort.charAt(0) === "-");
      });
    });
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });

  function init(root) {
    // A page the server sorted: remember its order so appended rows follow it.
    var scope = root.querySelectorAll ? root : document;
    scope.querySelectorAll("table[data-sortable]").forEach(function (table) {
      var current = table.querySelector("th[aria-sort='ascending'], th[aria-sort='descending']");
      if (current && !table.dataset.sorted) {
        var descending = current.getAttribute("aria-sort") === "descending";
        table.dataset.sorted = (descending ? "-" : "") + current.dataset.sortColumn;
      }
    });
  }
})();
