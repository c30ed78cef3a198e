// Beside each amount field of the admin: what will be stored, as the official types.
// The reading is the server's (grants.money.parse_amount), so the page and the save
// never disagree; the form writes the same line when the page is served.
(function () {
  "use strict";
  var DELAY_MS = 250;

  function attach(input) {
    var output = document.getElementById(input.id + "_preview");
    if (!output || input.dataset.amountAttached) {
      return;
    }
    input.dataset.amountAttached = "1";
    var timer = null;
    var asked = 0;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var number = ++asked;
        var url = input.dataset.amountPreview + "?value=" + encodeURIComponent(input.value);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) {
            return response.ok ? response.json() : null;
          })
          .then(function (answer) {
            if (!answer || number !== asked) {
              return; // a later keystroke has asked again
            }
            output.textContent = answer.text;
            output.classList.toggle("error", answer.error);
          })
          .catch(function () {});
      }, DELAY_MS);
    });
  }

  function attachAll(root) {
    root.querySelectorAll("input[data-amount-preview]").forEach(attach);
  }

  document.addEventListener("DOMContentLoaded", function () {
    attachAll(document);
  });
  // Rows the admin adds to an inline ("Add another amendment").
  document.addEventListener("formset:added", function (event) {
    attachAll(event.target);
  });
})();
