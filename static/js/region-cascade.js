// 数银在线: the 省/市/区 cascader (apps/regions/forms.py RegionCascadeWidget). Three linked <select>s: picking a
// province fills its cities, picking a city fills its districts. The tree comes once per page from /regions.json
// ([code, name, parent code] rows; the browser keeps it by its ETag). Hand-written, no dependencies.
(function () {
  "use strict";
  var LEVELS = ["province", "city", "district"];
  var PROMPTS = {province: "省份", city: "城市", district: "区县"};
  var trees = {};

  function load(src) {
    if (!trees[src]) {
      trees[src] = fetch(src, {credentials: "same-origin"}).then(function (r) {
        if (!r.ok) { throw new Error("regions " + r.status); }
        return r.json();
      }).then(function (rows) {
        var kids = {"": []};
        rows.forEach(function (row) { (kids[row[2]] = kids[row[2]] || []).push(row); });
        return kids;
      });
    }
    return trees[src];
  }

  function fill(select, rows, blank) {
    var keep = select.value;
    select.innerHTML = "";
    var first = document.createElement("option");
    first.value = "";
    first.textContent = blank + PROMPTS[select.getAttribute("data-level")];
    select.appendChild(first);
    (rows || []).forEach(function (row) {
      var o = document.createElement("option");
      o.value = row[0];
      o.textContent = row[1];
      select.appendChild(o);
    });
    select.value = (rows || []).some(function (row) { return row[0] === keep; }) ? keep : "";
    select.disabled = !rows || !rows.length;
  }

  function init(root) {
    if (root._cascade) { return; }
    root._cascade = true;
    var blank = root.getAttribute("data-blank") || "";
    var selects = LEVELS.map(function (l) { return root.querySelector('select[data-level="' + l + '"]'); })
      .filter(Boolean);
    root.addEventListener("change", function (ev) {
      var i = selects.indexOf(ev.target);
      if (i < 0 || i === selects.length - 1) { return; }
      // the levels below the changed one are emptied at once, then filled from the tree
      for (var j = i + 1; j < selects.length; j++) { fill(selects[j], [], blank); }
      var code = ev.target.value;
      if (!code) { return; }
      load(root.getAttribute("data-src")).then(function (kids) {
        if (selects[i].value !== code) { return; }  // changed again meanwhile
        fill(selects[i + 1], kids[code], blank);
        // a city with one district-level child only ("市辖区" of a municipality) is picked for the user
        if ((kids[code] || []).length === 1) {
          selects[i + 1].value = kids[code][0][0];
          selects[i + 1].dispatchEvent(new Event("change", {bubbles: true}));
        }
      });
    });
  }

  function start() { document.querySelectorAll("[data-region-cascade]").forEach(init); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
