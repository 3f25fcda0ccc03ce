// 数银在线: header clock, the confirm modal for forms that move money or end a case,
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
  // Irreversible actions (forms or submit buttons carrying data-confirm) ask in one modal dialog
  // (confirm-modal.js builds it). The message states the consequence; "{choice}" names the radio picked.
  function confirmText(form, submitter) {
    var msg = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (msg && msg.indexOf("{choice}") >= 0) {
      // name what was picked (the radio's data-label); nothing picked: the server answers with the form error
      var picked = form.querySelector("input[type=radio]:checked");
      msg = picked ? msg.replace("{choice}", picked.getAttribute("data-label") || picked.value) : "";
    }
    return msg;
  }
  function lockButtons(form) {
    if (form.method.toLowerCase() !== "post") { return; }
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
      setTimeout(function () { b.disabled = true; }, 0);
    });
  }
  document.addEventListener("submit", function (ev) {
    var form = ev.target, submitter = ev.submitter || null;
    if (form._syConfirmed) { form._syConfirmed = false; form._sySent = true; lockButtons(form); return; }
    if (form._sySent) { ev.preventDefault(); return; }  // a second Enter or click while the first post is under way
    var msg = confirmText(form, submitter);
    if (msg) {
      ev.preventDefault();
      var label = submitter ? (submitter.getAttribute("data-confirm-label") || submitter.textContent.trim()) : "";
      window.ShuyinConfirm.ask({
        title: form.getAttribute("data-confirm-title") || label || "请确认",
        message: msg,
        ok: label || "确定",
        danger: !!(submitter && /btn-(outline-)?danger/.test(submitter.className)),
        opener: submitter || form.querySelector("button")
      }, function () {
        form._syConfirmed = true;
        if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
        form._syConfirmed = false;  // requestSubmit dispatched "submit" synchronously (or validation stopped it)
      });
      return;
    }
    if (form.method.toLowerCase() === "post") { form._sySent = true; }
    lockButtons(form);
  }, true);
  // a page restored from the back/forward cache gets its buttons back
  window.addEventListener("pageshow", function (ev) {
    if (!ev.persisted) { return; }
    document.querySelectorAll("form").forEach(function (f) {
      f._sySent = false;
      f.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  });
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
// The confirm modal: one dialog for every irreversible action. Built once on first use (no markup in the layout),
// role="dialog" + aria-modal, focus kept inside (Tab cycles), Esc or the backdrop cancels, focus returns to the
// button that opened it. The confirm button is disabled on its first activation, so Enter held down or a double
// click posts once.
(function () {
  "use strict";
  var box = null, onOk = null, opener = null, openedAt = 0, lastEnter = 0;
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.repeat) { lastEnter = Date.now(); }
  }, true);
  function build() {
    box = document.createElement("div");
    box.className = "sy-modal-backdrop";
    box.hidden = true;
    box.innerHTML =
      '<div class="sy-modal" role="dialog" aria-modal="true" aria-labelledby="sy-modal-title" ' +
      'aria-describedby="sy-modal-message" data-testid="confirm-modal" tabindex="-1">' +
      '<div class="sy-modal-head"><i class="bi bi-exclamation-triangle-fill" aria-hidden="true"></i> ' +
      '<h2 class="sy-modal-title" id="sy-modal-title"></h2></div>' +
      '<p class="sy-modal-message" id="sy-modal-message" data-testid="confirm-message"></p>' +
      '<div class="sy-modal-actions">' +
      '<button type="button" class="btn btn-outline-secondary" data-modal-cancel data-testid="confirm-cancel">取消</button>' +
      '<button type="button" class="btn btn-primary" data-modal-ok data-testid="confirm-ok"></button></div></div>';
    document.body.appendChild(box);
    box.addEventListener("click", function (ev) {
      if (ev.target === box || ev.target.closest("[data-modal-cancel]")) { close(); return; }
      var ok = ev.target.closest("[data-modal-ok]");
      // the Enter that submitted the form (pressed in a text box just before the dialog opened) must not also
      // confirm it: its keypress lands on the focused confirm button
      if (ok && ev.detail === 0 && lastEnter && lastEnter <= openedAt && openedAt - lastEnter < 500) { return; }
      if (ok && !ok.disabled) {
        ok.disabled = true;
        box.querySelector("[data-modal-cancel]").disabled = true;
        var run = onOk;
        onOk = null;
        if (run) { run(); }
      }
    });
    box.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { ev.preventDefault(); close(); return; }
      if (ev.key === "Enter" && ev.repeat) { ev.preventDefault(); return; }
      if (ev.key !== "Tab") { return; }
      var items = Array.prototype.filter.call(box.querySelectorAll("button"), function (b) { return !b.disabled; });
      if (!items.length) { ev.preventDefault(); return; }
      var first = items[0], last = items[items.length - 1];
      if (ev.shiftKey && (document.activeElement === first || !box.contains(document.activeElement))) {
        ev.preventDefault(); last.focus();
      } else if (!ev.shiftKey && (document.activeElement === last || !box.contains(document.activeElement))) {
        ev.preventDefault(); first.focus();
      }
    });
    // focus that wanders out (a click on the page behind, a screen reader's jump) comes back into the dialog
    document.addEventListener("focusin", function (ev) {
      if (!box.hidden && !box.contains(ev.target)) { box.querySelector("[data-modal-ok]").focus(); }
    });
  }
  function close() {
    if (!box || box.hidden) { return; }
    box.hidden = true;
    onOk = null;
    document.body.classList.remove("sy-modal-open");
    if (opener && opener.focus) { opener.focus(); }
    opener = null;
  }
  window.ShuyinConfirm = {
    ask: function (opts, ok) {
      if (!box) { build(); }
      opener = opts.opener || document.activeElement;
      onOk = ok;
      box.querySelector(".sy-modal-title").textContent = opts.title || "请确认";
      box.querySelector(".sy-modal-message").textContent = opts.message;
      var okBtn = box.querySelector("[data-modal-ok]");
      okBtn.textContent = opts.ok || "确定";
      okBtn.className = "btn " + (opts.danger ? "btn-danger" : "btn-primary");
      okBtn.disabled = false;
      box.querySelector("[data-modal-cancel]").disabled = false;
      box.querySelector(".sy-modal").classList.toggle("danger", !!opts.danger);
      box.hidden = false;
      document.body.classList.add("sy-modal-open");
      openedAt = Date.now();
      okBtn.focus();
    },
    close: close
  };
})();
// Phones: list tables become stacked cards (CSS .table-stack under 576 px). Each cell gets its column's header as
// data-label, drawn before the value; a table opts out with data-no-stack.
(function () {
  "use strict";
  function stack(table) {
    if (table.hasAttribute("data-no-stack") || table._stacked) { return; }
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.replace(/[▲▼↑↓⇅]/g, "").trim();
    });
    if (!heads.length) { return; }
    table._stacked = true;
    table.classList.add("table-stack");
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      var col = 0;
      Array.prototype.forEach.call(tr.children, function (td) {
        if (heads[col] && !td.hasAttribute("colspan")) { td.setAttribute("data-label", heads[col]); }
        col += td.colSpan || 1;
      });
    });
  }
  function start() { document.querySelectorAll(".table-responsive > table.table, table.table[data-stack]").forEach(stack); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
  document.addEventListener("htmx:afterSwap", start);
})();
