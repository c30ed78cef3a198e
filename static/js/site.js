// Public pages. Everything works without this file; it only folds the filters of a
// list on a small screen (they are served open, so a page without JavaScript keeps
// them in view), unless they hold an error to correct.
(function () {
  "use strict";
  var small = window.matchMedia("(max-width: 40rem)");
  document.querySelectorAll("details[data-fold-on-phone]").forEach(function (details) {
    if (small.matches && !details.hasAttribute("data-keep-open")) {
      details.open = false;
    }
  });
})();
