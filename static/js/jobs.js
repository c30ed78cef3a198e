// Jobs pages: polls the small JSON view for the jobs still waiting or running and
// updates their state and progress bar in place. On a job's own page, reloads once
// the job has finished, to show its report. Without JavaScript the pages still show
// the state at load time, with a link to reload.
(function () {
  "use strict";
  var page = document.querySelector("[data-status-url]");
  if (!page || !window.fetch) {
    return;
  }
  var url = page.getAttribute("data-status-url");
  var reloadWhenFinished = page.hasAttribute("data-reload-when-finished");
  var INTERVAL = 1500;
  var FINISHED = ["done", "failed", "timed_out", "interrupted"];

  function pending() {
    return Array.prototype.filter.call(
      page.querySelectorAll("[data-job-id]"),
      function (row) {
        return FINISHED.indexOf(row.getAttribute("data-job-state")) === -1;
      }
    );
  }

  function update(row, job) {
    var state = row.querySelector(".job-state");
    if (state) {
      state.textContent = job.state_label;
      state.className = "job-state state-" + job.state;
    }
    var bar = row.querySelector(".job-bar");
    if (bar && job.total !== null) {
      bar.max = job.total;
      bar.value = job.done;
      bar.textContent = job.progress;
    }
    var count = row.querySelector(".job-count");
    if (count) {
      count.textContent = job.progress;
    }
    var message = row.querySelector(".job-message");
    if (message && job.message) {
      message.textContent = job.message;
      message.classList.add("errornote");
    }
    var before = row.getAttribute("data-job-state");
    row.setAttribute("data-job-state", job.state);
    return before !== job.state && job.finished;
  }

  function poll() {
    var rows = pending();
    if (!rows.length) {
      return;
    }
    var query = rows
      .map(function (row) {
        return "id=" + encodeURIComponent(row.getAttribute("data-job-id"));
      })
      .join("&");
    fetch(url + "?" + query, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : { jobs: [] };
      })
      .then(function (data) {
        var finishedNow = false;
        data.jobs.forEach(function (job) {
          var row = page.querySelector('[data-job-id="' + job.id + '"]');
          if (row && update(row, job)) {
            finishedNow = true;
          }
        });
        if (finishedNow && reloadWhenFinished) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, INTERVAL);
      })
      .catch(function () {
        window.setTimeout(poll, INTERVAL * 4);
      });
  }

  window.setTimeout(poll, INTERVAL);
})();
