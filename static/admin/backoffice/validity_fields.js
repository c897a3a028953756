// Wizard step 1: show only the validity fields of the chosen policy (fixed dates, days from issue
// or activation, a window after delivery). Without this file every field shows and the server
// still validates and keeps only the chosen policy's fields (BasicInformationForm).
(function () {
  "use strict";
  const select = document.querySelector("select[data-validity-policy]");
  if (!select) return;
  const inputs = Array.from(document.querySelectorAll("[data-validity-policies]"));
  function rowOf(input) {
    return input.closest(".form-row") || input;
  }
  function update() {
    const policy = select.value;
    inputs.forEach((input) => {
      const used = input.dataset.validityPolicies.split(" ").includes(policy);
      rowOf(input).hidden = !used;
    });
  }
  select.addEventListener("change", update);
  update();
})();
