// Live preview of the voucher card in the wizard's style step: the server renders the same
// template and presenter the owner portal uses, from the values being typed (nothing is saved).
(function () {
  "use strict";
  const form = document.getElementById("wizard-form");
  const target = document.getElementById("card-preview");
  if (!form || !target || !form.dataset.previewUrl) return;
  let timer = null;
  let latest = 0;
  function refresh() {
    const sequence = ++latest;
    const data = new FormData(form);
    data.delete("card_image");
    fetch(form.dataset.previewUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        if (sequence === latest) target.innerHTML = html;
      })
      .catch(() => {});
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
})();
