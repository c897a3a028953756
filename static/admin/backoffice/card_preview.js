// Live preview of the voucher card in the wizard's style step: the server renders the same
// template and presenter the owner portal uses, from the values being typed (nothing is saved).
// The card's colour comes as a <style> carrying the preview response's own CSP nonce, which this
// page's policy refuses; it is dropped and the colour and image applied through the CSSOM from
// the card's data attributes (the CSSOM is not inline style in the policy's sense).
(function () {
  "use strict";
  const form = document.getElementById("wizard-form");
  const target = document.getElementById("card-preview");
  if (!form || !target || !form.dataset.previewUrl) return;
  let timer = null;
  let latest = 0;
  function show(html) {
    const parsed = document.createElement("template");
    parsed.innerHTML = html; // an inert fragment: nothing in it is applied or run yet
    parsed.content.querySelectorAll("style, script").forEach((element) => element.remove());
    target.replaceChildren(parsed.content);
    target.querySelectorAll("[data-card-colour]").forEach((element) => {
      element.style.backgroundColor = element.dataset.cardColour;
      if (element.dataset.cardImage) {
        element.style.backgroundImage = "url(" + JSON.stringify(element.dataset.cardImage) + ")";
      }
    });
  }
  function refresh() {
    const sequence = ++latest;
    const data = new FormData(form);
    data.delete("card_image");
    fetch(form.dataset.previewUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        if (sequence === latest) show(html);
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
