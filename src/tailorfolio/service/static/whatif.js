// What-if sliders: every move asks the server to re-simulate the plan's goals on the plan's
// own random numbers (POST .../whatif) and shows each goal's odds next to the plan's.
// Vanilla JS, no dependencies; the sign-in cookie plus the page's CSRF token authenticate.
(function () {
  "use strict";
  var form = document.getElementById("whatif");
  if (!form) { return; }
  var status = document.getElementById("whatif-status");
  var csrf = form.dataset.csrf;
  var pending = null;   // the latest request's inputs (older answers are ignored)
  var timer = null;
  var lastChanges = {};

  function money(x) { return Math.round(x).toLocaleString("en-US"); }
  function pct(x, d) { return (100 * x).toFixed(d) + " %"; }
  function pts(x) {
    var v = 100 * x;
    return (v > 0.05 ? "+" : (v < -0.05 ? "−" : "±")) + Math.abs(v).toFixed(1) + " pts";
  }

  function changes() {
    var out = { goal_amounts: {} };
    form.querySelectorAll("input[type=range]").forEach(function (el) {
      var v = Number(el.value);
      if (v === Number(el.dataset.plan)) { return; }   // the plan's value: no change
      if (el.dataset.goal) { out.goal_amounts[el.dataset.goal] = v; }
      else { out[el.name] = v; }
    });
    return out;
  }

  function showOutput(el) {
    var out = document.getElementById("o-" + el.id.slice(2));
    if (out) { out.value = el.dataset.format === "money" ? money(Number(el.value)) : el.value; }
  }

  function render(view) {
    view.goals.forEach(function (g) {
      var row = document.querySelector('#whatif-goals tr[data-goal="' + CSS.escape(g.name) + '"]');
      if (!row) { return; }
      row.querySelector(".amount").textContent = money(g.amount);
      row.querySelector(".whatif").textContent = pct(g.probability, 1);
      var c = row.querySelector(".change");
      c.textContent = pts(g.change);
      c.className = "num change " + (g.change > 0.0005 ? "up" : (g.change < -0.0005 ? "down" : ""));
    });
    document.getElementById("m-equity").textContent = pct(view.equity_share_now, 0);
    document.getElementById("m-return").textContent = pct(view.expected_return_now, 2);
    document.getElementById("m-weighted").textContent = pct(view.weighted_success, 1);
    status.textContent = "Re-simulated " + view.n_paths.toLocaleString("en-US") +
      " paths in " + Math.round(view.elapsed_ms) + " ms (same random numbers as the plan).";
  }

  function ask() {
    var body = changes();
    var key = JSON.stringify(body);
    pending = key;
    status.textContent = "Re-simulating…";
    fetch(form.dataset.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: key
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      if (pending !== key) { return; }
      if (!res.ok) {
        status.textContent = (res.data && res.data.message) || "The what-if failed.";
        return;
      }
      lastChanges = body;
      render(res.data);
    }).catch(function () {
      if (pending === key) { status.textContent = "The server could not be reached."; }
    });
  }

  form.querySelectorAll("input[type=range]").forEach(function (el) {
    el.addEventListener("input", function () {
      showOutput(el);
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
  });

  document.getElementById("whatif-reset").addEventListener("click", function () {
    form.querySelectorAll("input[type=range]").forEach(function (el) {
      el.value = el.dataset.plan;
      showOutput(el);
    });
    ask();
  });

  var save = document.getElementById("save-scenario-button");
  if (save) {
    save.addEventListener("click", function () {
      var name = document.getElementById("f-scenario-name").value.trim();
      var msg = document.getElementById("e-scenario");
      if (!name) { msg.textContent = "Give the scenario a name."; return; }
      msg.textContent = "Saving…";
      fetch(form.dataset.scenariosUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ name: name, changes: changes() })
      }).then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; });
      }).then(function (res) {
        if (!res.ok) { msg.textContent = res.data.message || "Not saved."; return; }
        msg.textContent = "Saved “" + res.data.name + "”.";
        var list = document.getElementById("scenario-list");
        var none = list.querySelector(".none");
        if (none) { none.remove(); }
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = form.dataset.compareUrl + "?a=" + encodeURIComponent(form.dataset.planRef) +
          "&b=scenario:" + res.data.id;
        a.textContent = res.data.name;
        li.appendChild(a);
        list.insertBefore(li, list.firstChild);
      }).catch(function () { msg.textContent = "The server could not be reached."; });
    });
  }
}());
