// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  document.querySelectorAll("[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  function renumber(list) {
    list.querySelectorAll("[data-task-row]").forEach(function (row, index) {
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

  document.querySelectorAll("[data-add-task]").forEach(function (button) {
    var list = button.form.querySelector("[data-task-list]");
    button.addEventListener("click", function () {
      var rows = list.querySelectorAll("[data-task-row]");
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelectorAll("textarea, input[type=date], input[type=time], input[type=text], input[type=hidden]")
        .forEach(function (el) { el.value = ""; });
      copy.querySelectorAll("input[type=checkbox]").forEach(function (el) { el.checked = false; });
      copy.querySelectorAll(".alert, .invalid-feedback, .source-sentence").forEach(function (el) { el.remove(); });
      list.appendChild(copy);
      renumber(list);
      copy.querySelector("textarea").focus();
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-task]");
    if (!button) { return; }
    var list = button.closest("[data-task-list]");
    if (list.querySelectorAll("[data-task-row]").length > 1) {
      button.closest("[data-task-row]").remove();
      renumber(list);
    }
  });

  // A second click on a submit button while the first is on its way does nothing.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      setTimeout(function () { delete form.dataset.sent; }, 5000);
    });
  });
})();
