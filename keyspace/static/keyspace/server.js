// The Server overview polls with htmx (hx-trigger "every Ns"). htmx keeps polling in a
// hidden tab, so requests from an element marked data-pause-hidden are cancelled while the
// tab is hidden (htmx:beforeRequest is cancellable); its "visibilitychange from:document"
// trigger brings it up to date as soon as the tab is shown again.
document.addEventListener("htmx:beforeRequest", function (event) {
  var element = event.target;
  if (document.hidden && element.closest && element.closest("[data-pause-hidden]")) {
    event.preventDefault();
  }
});
