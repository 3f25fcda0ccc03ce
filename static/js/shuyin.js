// 数银在线: header clock, confirm dialogs for forms that move money or end a case,
// and disabling submit buttons so a double click submits once.
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  // Business time is Asia/Shanghai whatever the browser's own zone.
  function shanghaiNow() {
    var d = new Date();
    return new Date(d.getTime() + (d.getTimezoneOffset() + 480) * 60000);
  }
  function tick() {
    var d = shanghaiNow();
    var text = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    document.querySelectorAll("[data-clock]").forEach(function (el) { el.textContent = text; });
  }
  tick();
  setInterval(tick, 1000);
  // Deadline countdowns: <span data-countdown="<deadline epoch s>" data-now="<server epoch s>">. The
  // server's time at render corrects a browser clock that is off, so everyone sees the same minutes left.
  function countdowns() {
    var nowS = Date.now() / 1000;
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      if (el._skew === undefined) {
        var server = parseFloat(el.getAttribute("data-now"));
        el._skew = isNaN(server) ? 0 : nowS - server;
      }
      var left = parseFloat(el.getAttribute("data-countdown")) - (nowS - el._skew);
      el.classList.remove("text-danger", "text-warning");
      if (left <= 0) { el.textContent = "已超时"; el.classList.add("text-danger"); return; }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60);
      var text = "剩余 ";
      if (d) { text += d + " 天 "; }
      if (d || h) { text += h + " 小时 " + m + " 分"; } else { text += m + " 分 " + pad(Math.floor(left % 60)) + " 秒"; }
      el.textContent = text;
      if (left < 3600) { el.classList.add("text-danger"); } else if (left < 4 * 3600) { el.classList.add("text-warning"); }
    });
  }
  countdowns();
  setInterval(countdowns, 1000);
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute("data-confirm");
    if (msg && msg.indexOf("{choice}") >= 0) {
      // name what was picked (the radio's data-label); nothing picked: the server answers with the form error
      var picked = form.querySelector("input[type=radio]:checked");
      msg = picked ? msg.replace("{choice}", picked.getAttribute("data-label") || picked.value) : "";
    }
    if (msg && !window.confirm(msg)) { ev.preventDefault(); return; }
    if (form.method.toLowerCase() === "post") {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        setTimeout(function () { b.disabled = true; }, 0);
      });
    }
  }, true);
})();
// Phones: the sidebar is an off-canvas menu (the ☰ button and the backdrop toggle it). The header's figures
// collapse into one truncated line; the ⓘ button opens them all in a popover below the bar.
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    if (ev.target.closest("[data-menu-toggle]")) {
      document.body.classList.toggle("menu-open");
      return;
    }
    var more = ev.target.closest("[data-info-toggle]");
    var info = document.getElementById("topbar-info");
    if (!info) { return; }
    if (more) {
      var open = info.classList.toggle("expanded");
      more.setAttribute("aria-expanded", open ? "true" : "false");
    } else if (info.classList.contains("expanded") && !ev.target.closest("#topbar-info")) {
      info.classList.remove("expanded");
      document.querySelectorAll("[data-info-toggle]").forEach(function (b) { b.setAttribute("aria-expanded", "false"); });
    }
  });
})();
