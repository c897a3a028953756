// Live progress of a bulk issuance: polls the batch's small JSON endpoint and moves the bar;
// when the batch finishes the page reloads to show the result and any rejected rows.
(function () {
  "use strict";
  const config = document.getElementById("batch-progress-config");
  const bar = document.getElementById("batch-progress");
  const text = document.getElementById("batch-progress-text");
  const status = document.getElementById("batch-status");
  if (!config || !bar) return;
  const template = config.dataset.doneTemplate;
  function poll() {
    fetch(config.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => response.json())
      .then((data) => {
        bar.value = data.percent;
        text.textContent = template.replace("%(done)s", data.rows_issued).replace("%(total)s", data.rows_valid);
        status.textContent = data.status_label;
        if (data.finished) window.location.reload();
        else setTimeout(poll, 1000);
      })
      .catch(() => setTimeout(poll, 3000));
  }
  setTimeout(poll, 500);
})();
