// The components table: filter (search, type, status, health, location, position, last
// tested, any column by its key) and sort in the browser, the view kept in the address'
// fragment (#type=module&status=installed&sort=-id), so a link reproduces it and a reload
// keeps it. Rows are kept as an array of the server-rendered <tr> elements with their search
// text in lower case; each change filters the array and shows the first PAGE matches,
// touching the table only when the rows shown change, so it stays fast at 10,000 rows.
// What the fragment holds is data only: compared with cell text and put in form fields'
// values, never into markup.
(function () {
  "use strict";
  var table = document.getElementById("components");
  if (!table) { return; }
  var PAGE = 100;
  var tbody = table.tBodies[0];
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var keys = heads.map(function (th) { return th.getAttribute("data-key") || ""; });
  var col = {};
  keys.forEach(function (k, i) { col[k] = i; });
  var rows = Array.prototype.slice.call(tbody.rows).map(function (tr, i) {
    var cells = Array.prototype.map.call(tr.cells, function (td) { return td.textContent.trim(); });
    var extra = tr.getAttribute("data-search") || "";
    return { tr: tr, cells: cells, text: (cells.join(" ") + " " + extra).toLowerCase(),
             order: i };
  });
  var current = [];  // the rows shown, in order
  var shown = PAGE;
  var sortKey = "", sortDir = 1;
  var fields = Array.prototype.slice.call(
    document.querySelectorAll("#filters [data-key]"));
  var bound = {};
  fields.forEach(function (f) { bound[f.getAttribute("data-key")] = f; });
  var extraFilters = {};  // fragment keys naming a column with no field (verdict-iv_curve)
  var count = document.getElementById("count");
  var moreRow = document.getElementById("more-row");

  function value(key) { return bound[key] ? bound[key].value.trim() : (extraFilters[key] || ""); }

  function matching() {
    var words = value("q").toLowerCase().split(/\s+/).filter(Boolean);
    var exact = [];
    ["type", "status", "health", "location"].concat(Object.keys(extraFilters)).forEach(function (k) {
      var v = value(k);
      if (v !== "" && col.hasOwnProperty(k)) { exact.push([col[k], v]); }
    });
    var pos = value("position").toLowerCase();
    var tested = value("tested");
    return rows.filter(function (r) {
      for (var i = 0; i < exact.length; i++) {
        if (r.cells[exact[i][0]] !== exact[i][1]) { return false; }
      }
      if (pos && r.cells[col.position].toLowerCase().indexOf(pos) < 0) { return false; }
      if (tested && r.cells[col.tested].indexOf(tested) !== 0) { return false; }
      for (var j = 0; j < words.length; j++) {
        if (r.text.indexOf(words[j]) < 0) { return false; }
      }
      return true;
    });
  }

  function same(found, n) {
    if (n !== current.length) { return false; }
    for (var i = 0; i < n; i++) {
      if (found[i] !== current[i]) { return false; }
    }
    return true;
  }

  function render() {
    var found = matching();
    var n = Math.min(found.length, shown);
    if (!same(found, n)) {  // one write: the new rows in a fragment replace the old ones
      var fragment = document.createDocumentFragment();
      for (var i = 0; i < n; i++) { fragment.appendChild(found[i].tr); }
      tbody.textContent = "";
      tbody.appendChild(fragment);
      current = found.slice(0, n);
    }
    count.textContent = found.length + " of " + rows.length + " components" +
      (found.length > n ? " (showing " + n + ")" : "");
    moreRow.hidden = found.length <= n;
  }

  // ---- the view in the address' fragment -------------------------------------------------
  function toHash() {
    var params = new URLSearchParams();
    fields.forEach(function (f) {
      var v = f.value.trim();
      if (v !== "") { params.set(f.getAttribute("data-key"), v); }
    });
    Object.keys(extraFilters).forEach(function (k) { params.set(k, extraFilters[k]); });
    if (sortKey) { params.set("sort", (sortDir < 0 ? "-" : "") + sortKey); }
    var text = params.toString();
    if (text === location.hash.replace(/^#/, "")) { return; }
    try {
      history.replaceState(null, "", text ? "#" + text : location.pathname + location.search);
    } catch (e) {
      location.hash = text;
    }
  }

  function fromHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    extraFilters = {};
    fields.forEach(function (f) {
      var v = params.get(f.getAttribute("data-key")) || "";
      if (f.tagName === "SELECT" && v !== "" &&
          !Array.prototype.some.call(f.options, function (o) { return o.value === v; })) {
        f.appendChild(new Option(v, v));  // a value no row has: shown, matching nothing
      }
      f.value = v;
    });
    params.forEach(function (v, k) {
      if (!bound[k] && k !== "sort" && col.hasOwnProperty(k) && v !== "") { extraFilters[k] = v; }
    });
    var sort = params.get("sort") || "";
    var key = sort.replace(/^-/, "");
    if (col.hasOwnProperty(key)) { applySort(key, sort.charAt(0) === "-" ? -1 : 1); }
    else if (sortKey) { applySort("", 1); }
    shown = PAGE;
    render();
  }

  function applySort(key, dir) {
    sortKey = key;
    sortDir = dir;
    var c = key ? col[key] : -1;
    rows.sort(function (a, b) {
      if (c < 0) { return a.order - b.order; }
      var x = a.cells[c], y = b.cells[c];
      var r = x < y ? -1 : x > y ? 1 : a.order - b.order;
      return r * dir;
    });
    heads.forEach(function (th, i) {
      th.className = (th.className.replace(/\b(asc|desc)\b/g, "").trim() +
        (i === c ? (dir > 0 ? " asc" : " desc") : "")).trim();
    });
  }

  function update() { shown = PAGE; render(); toHash(); }

  fields.forEach(function (f) {
    f.addEventListener(f.tagName === "SELECT" ? "change" : "input", update);
  });
  heads.forEach(function (th) {
    th.addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      applySort(key, key === sortKey ? -sortDir : 1);
      render();
      toHash();
    });
  });
  document.getElementById("more").addEventListener("click", function () {
    shown += PAGE; render();
  });
  document.getElementById("clear").addEventListener("click", function (event) {
    event.preventDefault();
    fields.forEach(function (f) { f.value = ""; });
    extraFilters = {};
    applySort("", 1);
    update();
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
}());
