/* The unread-notifications badge in the header, kept live by server-sent events.
   The page works without this file: the badge then shows the count as of the page load.
   The stream is this app's own (/notifications/unread/stream), which passes on the
   notifications service's events for the signed-in user (ADR 0070). */
(function () {
  "use strict";
  var link = document.getElementById("unread-link");
  if (!link || !window.EventSource) { return; }
  var badge = document.getElementById("unread-count");
  var label = document.getElementById("unread-label");
  var live = document.getElementById("unread-live");
  var lang = document.documentElement.lang || "pl";
  var format = window.Intl ? new Intl.NumberFormat(lang === "pl" ? "pl-PL" : "en-GB") : null;
  var last = null;
  var delay = 5000;

  function text(n) { return format ? format.format(n) : String(n); }

  function show(n) {
    var shown = text(n);
    badge.textContent = shown;
    badge.classList.toggle("badge--zero", n === 0);
    label.textContent = ", " + link.getAttribute("data-label").replace("{count}", shown);
    if (last !== null && n > last) {
      // Announced once, politely, when something new arrives (not on every page load).
      live.textContent = link.getAttribute("data-live").replace("{count}", shown);
    }
    last = n;
    link.setAttribute("data-unread", String(n));
  }

  function connect() {
    var source = new EventSource(link.getAttribute("data-stream"));
    source.addEventListener("unread", function (event) {
      try {
        var data = JSON.parse(event.data);
        if (typeof data.unread === "number") { show(data.unread); }
      } catch (e) { /* a malformed event changes nothing */ }
      delay = 5000;
    });
    source.addEventListener("error", function () {
      // EventSource retries by itself while the stream is merely interrupted; once it has
      // given up (an error status, or 204 after signing out) try again later, more slowly.
      if (source.readyState === EventSource.CLOSED) {
        window.setTimeout(connect, delay);
        delay = Math.min(delay * 2, 300000);
      }
    });
  }
  connect();
}());
