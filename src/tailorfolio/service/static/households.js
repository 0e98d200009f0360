// Add and remove goal / income-stream rows in the household form without a round trip.
// Without JavaScript the same buttons submit the form, and the server re-renders it with a
// row more or less (nothing is saved until "Create client" / "Save profile").
(function () {
  "use strict";
  var form = document.getElementById("household-form");
  if (!form) { return; }
  var LEGEND = { goal: "Goal ", stream: "Income stream " };
  var REMOVE = { goal: "Remove goal ", stream: "Remove income stream " };

  function suffix(i) { return i === 0 ? "" : "-" + (i + 1); }
  function base(id) { return id.replace(/-\d+$/, ""); }

  function renumber(kind) {
    var rows = form.querySelectorAll('[data-rows="' + kind + '"] > fieldset');
    rows.forEach(function (row, i) {
      row.querySelector("legend").textContent = LEGEND[kind] + (i + 1);
      row.querySelectorAll("[id]").forEach(function (el) { el.id = base(el.id) + suffix(i); });
      row.querySelectorAll("label[for]").forEach(function (el) {
        el.htmlFor = base(el.htmlFor) + suffix(i);
      });
      row.querySelectorAll("[aria-describedby]").forEach(function (el) {
        el.setAttribute("aria-describedby", el.getAttribute("aria-describedby").split(" ")
          .filter(Boolean).map(function (d) { return base(d) + suffix(i); }).join(" "));
      });
      var rm = row.querySelector("[data-remove]");
      if (rm) {
        rm.value = "remove_" + kind + "_" + i;
        rm.textContent = REMOVE[kind] + (i + 1);
        rm.hidden = kind === "goal" && rows.length === 1;
      }
    });
  }

  form.addEventListener("click", function (ev) {
    var add = ev.target.closest("[data-add]");
    var rm = ev.target.closest("[data-remove]");
    if (add) {
      ev.preventDefault();
      var kind = add.getAttribute("data-add");
      var tpl = document.getElementById("tpl-" + kind);
      var holder = form.querySelector('[data-rows="' + kind + '"]');
      holder.appendChild(tpl.content.cloneNode(true));
      renumber(kind);
      var rows = holder.querySelectorAll(":scope > fieldset");
      var first = rows[rows.length - 1].querySelector("input, select");
      if (first) { first.focus(); }
    } else if (rm) {
      ev.preventDefault();
      var k = rm.getAttribute("data-remove");
      rm.closest("fieldset").remove();
      renumber(k);
    }
  });
  renumber("goal");
  renumber("stream");
})();
