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
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); return; }
    if (form.method.toLowerCase() === "post") {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        setTimeout(function () { b.disabled = true; }, 0);
      });
    }
  }, true);
})();
