// The NIK check as the officer types: the workbench answers with intake's own rule
// (POST /periksa-nik, the session's CSRF token in a header). No framework; a few lines.
(function () {
  "use strict";
  var form = document.getElementById("visit");
  if (!form || !window.fetch) return;
  var csrf = form.querySelector("input[name=csrf]").value;
  var timers = {};

  function value(name) {
    var input = form.querySelector("[name=" + name + "]");
    return input ? input.value : "";
  }

  function check(i) {
    var nik = value("m" + i + "_nik").trim();
    var out = document.getElementById("m" + i + "_nik-check");
    var input = document.getElementById("m" + i + "_nik");
    if (!out) return;
    if (nik.length === 0) { out.textContent = ""; out.className = "check-result"; return; }
    out.textContent = form.dataset.nikChecking;
    fetch("/periksa-nik", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ nik: nik, birth_date: value("m" + i + "_birth_date"), sex: value("m" + i + "_sex") })
    }).then(function (r) { return r.json(); }).then(function (answer) {
      out.textContent = answer.message;
      out.className = "check-result " + (answer.ok ? "good" : "bad");
      input.setAttribute("aria-invalid", answer.ok ? "false" : "true");
    }).catch(function () { out.textContent = ""; });
  }

  function later(i) {
    clearTimeout(timers[i]);
    timers[i] = setTimeout(function () { check(i); }, 300);
  }

  form.addEventListener("input", function (e) {
    var m = /^m(\d+)_(nik|birth_date|sex)$/.exec(e.target.name || "");
    if (m) later(m[1]);
  });
  form.addEventListener("change", function (e) {
    var m = /^m(\d+)_(birth_date|sex)$/.exec(e.target.name || "");
    if (m) later(m[1]);
  });
  // a form shown again (a member added, intake's refusal) checks the NIKs already typed
  Array.prototype.forEach.call(form.querySelectorAll("input.nik"), function (input) {
    if (input.value) check(input.dataset.member);
  });
})();
