/* The portal's little bit of script (no CDN, no build step). Everything works without it but
   adding a unit row and filling a row from CPRO's records; htmx does the live verdict. */
(function () {
  "use strict";

  function addItemRow(button) {
    var prefix = button.getAttribute("data-prefix");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById("item-row-template");
    var rows = document.getElementById("item-rows");
    if (!total || !template || !rows) return;
    var index = parseInt(total.value, 10);
    var html = template.innerHTML
      .replace(/__prefix__/g, String(index))
      .replace(/__number__/g, String(index + 1));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var row = document.getElementById(prefix + "-" + index);
    if (window.htmx) window.htmx.process(row);
    var serial = document.getElementById("id_" + prefix + "-" + index + "-serial_number");
    if (serial) serial.focus();
  }

  function fillFromRecords(button) {
    var prefix = button.getAttribute("data-fill-row");
    ["model_code", "shipment_date", "po_number", "pi_number"].forEach(function (name) {
      var input = document.getElementById("id_" + prefix + "-" + name);
      if (input && !input.value) input.value = button.getAttribute("data-" + name) || "";
    });
    var row = document.getElementById(prefix);
    if (row) row.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.id === "add-item") {
      event.preventDefault();
      addItemRow(target);
    } else if (target.hasAttribute("data-fill-row")) {
      event.preventDefault();
      fillFromRecords(target);
    }
  });

  // After a refused submission, take keyboard and screen-reader users to the error summary.
  document.addEventListener("DOMContentLoaded", function () {
    var errors = document.getElementById("errors");
    if (errors) errors.focus();
  });
})();
