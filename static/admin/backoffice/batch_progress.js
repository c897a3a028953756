// Live progress of a bulk issuance: polls the batch's small JSON endpoint and moves the bar;
// when the dry run ends or the batch finishes, the page reloads to show the figures and rows.
(function () {
  "use strict";
  const config = document.getElementById("batch-progress-config");
  const bar = document.getElementById("batch-progress");
  const text = document.getElementById("batch-progress-text");
  const status = document.getElementById("batch-status");
  if (!config) return;
  const template = config.dataset.doneTemplate;
  function poll() {
    fetch(config.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => response.json())
      .then((data) => {
        if (data.finished || data.status !== config.dataset.status) {
          window.location.reload();
          return;
        }
        if (bar) bar.value = data.percent;
        if (text) text.textContent = template.replace("%(done)s", data.rows_issued).replace("%(total)s", data.rows_valid);
        status.textContent = data.status_label;
        setTimeout(poll, 1000);
      })
      .catch(() => setTimeout(poll, 3000));
  }
  setTimeout(poll, 500);
})();
