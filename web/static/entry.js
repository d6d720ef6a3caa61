// The entry and correction pages: add, remove and renumber task rows. The pages work without it.
(function () {
  "use strict";

  function renumber(list) {
    list.querySelectorAll("[data-entry-task]").forEach(function (row, index) {
      row.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.replace(/^tasks-\d+-/, "tasks-" + index + "-")); }
        });
      });
      var number = row.querySelector("[data-task-number]");
      if (number) { number.textContent = String(index + 1); }
    });
  }

  document.querySelectorAll("[data-add-entry-task]").forEach(function (button) {
    var list = button.form.querySelector("[data-entry-task-list]");
    button.addEventListener("click", function () {
      var rows = list.querySelectorAll("[data-entry-task]");
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelectorAll("textarea, input").forEach(function (el) {
        if (el.type === "checkbox") { el.checked = false; } else { el.value = ""; }
      });
      copy.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
      copy.querySelectorAll(".alert, .invalid-feedback, .source-sentence").forEach(function (el) { el.remove(); });
      list.appendChild(copy);
      renumber(list);
      copy.querySelector("textarea").focus();
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-entry-task]");
    if (!button) { return; }
    var list = button.closest("[data-entry-task-list]");
    if (list.querySelectorAll("[data-entry-task]").length > 1) {
      button.closest("[data-entry-task]").remove();
      renumber(list);
    }
  });
})();
