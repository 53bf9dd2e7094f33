// The components table: filter (search, type, status, location, position) and sort in the
// browser. Rows are kept as an array of the server-rendered <tr> elements with their search
// text in lower case; each keystroke filters the array and shows the first PAGE matches,
// touching the table only when the rows shown change, so it stays fast at 10,000 rows.
(function () {
  "use strict";
  var table = document.getElementById("components");
  if (!table) { return; }
  var PAGE = 100;
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows).map(function (tr, i) {
    var cells = Array.prototype.map.call(tr.cells, function (td) { return td.textContent.trim(); });
    return { tr: tr, cells: cells, text: cells.join(" ").toLowerCase(),
             position: cells[4].toLowerCase(), order: i };
  });
  var current = [];  // the rows shown, in order
  var shown = PAGE;
  var sortCol = -1, sortDir = 1;
  var q = document.getElementById("q");
  var position = document.getElementById("f-position");
  var selects = ["f-type", "f-status", "f-location"].map(function (id) {
    return document.getElementById(id);
  });
  var count = document.getElementById("count");
  var moreRow = document.getElementById("more-row");

  function matching() {
    var words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var pos = position.value.toLowerCase();
    var wanted = selects.map(function (s) { return [Number(s.dataset.col), s.value]; })
      .filter(function (w) { return w[1] !== ""; });
    return rows.filter(function (r) {
      for (var i = 0; i < wanted.length; i++) {
        if (r.cells[wanted[i][0]] !== wanted[i][1]) { return false; }
      }
      if (pos && r.position.indexOf(pos) < 0) { return false; }
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

  function update() { shown = PAGE; render(); }

  function sortBy(col) {
    sortDir = col === sortCol ? -sortDir : 1;
    sortCol = col;
    rows.sort(function (a, b) {
      var x = a.cells[col], y = b.cells[col];
      var c = x < y ? -1 : x > y ? 1 : a.order - b.order;
      return c * sortDir;
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.className = i === col ? (sortDir > 0 ? "asc" : "desc") : "";
    });
    render();
  }

  q.addEventListener("input", update);
  position.addEventListener("input", update);
  selects.forEach(function (s) { s.addEventListener("change", update); });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.addEventListener("click", function () { sortBy(Number(th.dataset.sort)); });
  });
  document.getElementById("more").addEventListener("click", function () {
    shown += PAGE; render();
  });
  render();
}());
