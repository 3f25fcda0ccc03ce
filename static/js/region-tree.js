// 数银在线: a tree of checkboxes for provinces → cities → districts, with search and a readable summary
// (apps/regions/forms.py RegionTreeWidget). Hand-written, no dependencies. A chosen province or city stands for
// everything beneath it; the form posts one hidden input per chosen node.
(function () {
  "use strict";
  var ANON = {"市辖区": 1, "县": 1, "省直辖县级行政区划": 1, "自治区直辖县级行政区划": 1};

  function whole(name) { return /省$/.test(name) ? "全省" : (/市$/.test(name) ? "全市" : "全区"); }

  function init(root) {
    var data = JSON.parse(document.getElementById(root.getAttribute("data-region-tree")).textContent);
    var name = root.getAttribute("data-name");
    var byId = {}, kids = {0: []};
    data.nodes.forEach(function (n) {
      byId[n[0]] = {id: n[0], name: n[1], parent: n[2] || 0};
      (kids[n[2] || 0] = kids[n[2] || 0] || []).push(n[0]);
    });
    var chosen = {};
    data.selected.forEach(function (id) { chosen[id] = true; });
    var open = {}, body = root.querySelector("[data-body]"), search = root.querySelector("[data-search]");
    var summary = root.querySelector("[data-summary]");

    function ancestors(id) { var out = [], p = byId[id].parent; while (p) { out.push(p); p = byId[p].parent; } return out; }
    function covered(id) { return chosen[id] || ancestors(id).some(function (a) { return chosen[a]; }); }
    function partly(id) { return (kids[id] || []).some(function (k) { return chosen[k] || partly(k); }); }
    function clearBelow(id) { (kids[id] || []).forEach(function (k) { delete chosen[k]; clearBelow(k); }); }

    function toggle(id, on) {
      if (on) { chosen[id] = true; clearBelow(id); return; }
      // unchecking a node covered by a wider choice: its siblings stay chosen on every level up to that choice
      var path = [id].concat(ancestors(id));
      if (path.slice(1).some(function (a) { return chosen[a]; })) {
        for (var i = 1; i < path.length; i++) {
          var up = path[i], below = path[i - 1];
          (kids[up] || []).forEach(function (k) { if (k !== below) chosen[k] = true; });
          if (chosen[up]) { delete chosen[up]; break; }
        }
      }
      delete chosen[id]; clearBelow(id);
    }

    function summaryText() {
      var out = [];
      (kids[0] || []).forEach(function (p) {
        if (chosen[p]) { out.push(byId[p].name + whole(byId[p].name)); return; }
        var parts = [];
        (kids[p] || []).forEach(function (c) {
          var city = byId[c];
          if (chosen[c]) { parts.push(ANON[city.name] ? whole(byId[p].name) : city.name); return; }
          (kids[c] || []).forEach(function (d) {
            if (chosen[d]) parts.push(ANON[city.name] ? byId[d].name : city.name + byId[d].name);
          });
        });
        if (parts.length) out.push(byId[p].name + parts.join("、"));
      });
      return out.length ? out.join("；") : "未选择";
    }

    function matches(id, q) {
      if (!q) return true;
      if (byId[id].name.indexOf(q) >= 0) return true;
      return (kids[id] || []).some(function (k) { return matches(k, q); });
    }

    function nodeHtml(id, depth, q) {
      if (!matches(id, q)) return "";
      var n = byId[id], has = (kids[id] || []).length > 0;
      var expanded = open[id] || (q && (kids[id] || []).some(function (k) { return matches(k, q); }));
      var on = covered(id), mixed = !on && partly(id);
      var html = '<div class="region-node" style="padding-left:' + (depth * 1.4) + 'em">' +
        (has ? '<button type="button" class="btn btn-link btn-sm p-0 me-1 text-decoration-none" data-expand="' + id +
          '" aria-label="展开">' + (expanded ? "▾" : "▸") + "</button>" : '<span class="d-inline-block me-1" style="width:.8em"></span>') +
        '<label class="form-check-label"><input type="checkbox" class="form-check-input me-1" data-node="' + id + '"' +
        (on ? " checked" : "") + (mixed ? ' data-mixed="1"' : "") + "> " + byId[id].name.replace(/[<>&]/g, "") + "</label></div>";
      if (has && expanded) (kids[id] || []).forEach(function (k) { html += nodeHtml(k, depth + 1, q); });
      return html;
    }

    function draw() {
      var q = search.value.trim();
      body.innerHTML = (kids[0] || []).map(function (p) { return nodeHtml(p, 0, q); }).join("") ||
        '<div class="text-secondary small">没有匹配的地区</div>';
      body.querySelectorAll("[data-mixed]").forEach(function (cb) { cb.indeterminate = true; });
      summary.textContent = "已选：" + summaryText();
      root.querySelectorAll('input[type=hidden][name="' + name + '"]').forEach(function (h) { h.remove(); });
      Object.keys(chosen).forEach(function (id) {
        var h = document.createElement("input");
        h.type = "hidden"; h.name = name; h.value = id;
        root.appendChild(h);
      });
    }

    body.addEventListener("click", function (ev) {
      var b = ev.target.closest("[data-expand]");
      if (b) { var id = +b.getAttribute("data-expand"); open[id] = !open[id]; draw(); }
    });
    body.addEventListener("change", function (ev) {
      var cb = ev.target.closest("[data-node]");
      if (cb) { toggle(+cb.getAttribute("data-node"), cb.checked); draw(); }
    });
    search.addEventListener("input", draw);
    search.addEventListener("keydown", function (ev) { if (ev.key === "Enter") ev.preventDefault(); });
    draw();
  }

  function start() { document.querySelectorAll("[data-region-tree]").forEach(init); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
