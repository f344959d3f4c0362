// Small behaviours without a build step: formset rows, select-all boxes, pickers.
(function () {
  "use strict";

  // "Add another" for a formset: clone the last row with the next index.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-formset-add]");
    if (!button) return;
    event.preventDefault();
    const prefix = button.dataset.formsetAdd;
    const container = document.getElementById(prefix + "-rows");
    const total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    const rows = container.querySelectorAll("[data-formset-row]");
    const template = rows[rows.length - 1];
    const index = parseInt(total.value, 10);
    const clone = template.cloneNode(true);
    const pattern = new RegExp(prefix + "-\\d+-", "g");
    clone.querySelectorAll("input, select, label").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        const value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(pattern, prefix + "-" + index + "-"));
      });
      if (el.tagName === "INPUT" && el.type !== "checkbox") el.value = "";
      if (el.tagName === "SELECT") el.selectedIndex = 0;
    });
    clone.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
    clone.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
    container.appendChild(clone);
    total.value = index + 1;
    const first = clone.querySelector("input");
    if (first) first.focus();
  });

  // Select-all checkbox in list headers.
  document.addEventListener("change", function (event) {
    const box = event.target.closest("[data-select-all]");
    if (!box) return;
    document.querySelectorAll('input[name="' + box.dataset.selectAll + '"][form="bulk-form"]').forEach(function (el) {
      el.checked = box.checked;
    });
  });

  // Bulk actions: show only the choice the chosen action needs (a tag, a curator, a group).
  function syncBulkChoices() {
    const action = document.getElementById("bulk-action");
    if (!action) return;
    document.querySelectorAll("[data-bulk-for]").forEach(function (el) {
      const wanted = el.dataset.bulkFor.split(" ").indexOf(action.value) >= 0;
      el.hidden = !wanted;
      el.disabled = !wanted;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "bulk-action") syncBulkChoices();
  });
  document.addEventListener("DOMContentLoaded", syncBulkChoices);
  document.addEventListener("htmx:afterSettle", syncBulkChoices);

  // A picker suggestion: put the chosen client into the hidden field and show its name.
  document.addEventListener("click", function (event) {
    const choice = event.target.closest("[data-pick]");
    if (!choice) return;
    event.preventDefault();
    const target = document.getElementById(choice.dataset.pick);
    target.value = choice.dataset.id;
    const label = document.getElementById(choice.dataset.pick + "-label");
    if (label) label.value = choice.dataset.name;
    const list = choice.closest(".list-group");
    if (list) list.innerHTML = "";
  });

  // Close quick-search suggestions on Escape or a click elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      const results = document.getElementById("quick-search-results");
      if (results) results.innerHTML = "";
    }
  });
  document.addEventListener("click", function (event) {
    const results = document.getElementById("quick-search-results");
    if (results && !event.target.closest("#quick-search")) results.innerHTML = "";
  });
})();
