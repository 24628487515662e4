"""The HTML report's inline stylesheet and script (no network: the page works from disk and as an artifact).

The script reads the case data from the JSON block and builds the case table with `textContent`
only; it never assigns markup, so text from models and files stays text.
"""

from __future__ import annotations

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1200px;
padding:16px 24px;color:#1d232e;background:#fff}
h1{font-size:22px;margin:4px 0}
h2{font-size:18px;margin:28px 0 6px;border-top:1px solid #dde2ea;padding-top:14px}
.verdict{display:inline-block;font-weight:700;padding:2px 10px;border-radius:4px;background:#e8ebf0}
.v-PASS{background:#d8f3dc;color:#14532d}.v-FAIL{background:#fde2e1;color:#7f1d1d}
.v-INCONCLUSIVE,.v-could{background:#fff1c2;color:#713f12}
.reason{color:#465063;margin-top:4px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #dde2ea;padding:4px 8px;text-align:left;
vertical-align:top}th{background:#f4f6f9}
table.metrics td:nth-child(n+2),table.summary td:nth-child(n+3)
{text-align:right;font-variant-numeric:tabular-nums}
.c-pass{color:#14532d}.c-fail{color:#b91c1c;font-weight:700}.c-inconclusive{color:#92400e}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #eef1f5;border-radius:4px}
.chart .title{font-size:12px;font-weight:600}.chart .axis,.chart .tick{font-size:9px;fill:#5b6577}
.chart line.base{stroke:#9aa3b2}
.key{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px}
.key.base{background:#8a94a6}.key.head{background:#2f6fde}
.filters{display:flex;gap:16px;align-items:center;margin:12px 0 4px;flex-wrap:wrap}
.f-count{color:#5b6577}
table.cases{width:100%;table-layout:fixed}table.cases td.out{white-space:pre-wrap;word-break:break-word;
font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
table.cases th:nth-child(1){width:90px}table.cases th:nth-child(2){width:110px}
table.cases th:nth-child(3){width:100px}table.cases th:nth-child(4){width:110px}
tr.s-new_failure,tr.s-flipped,tr.s-critical_failure,tr.s-error{background:#fff5f5}tr.s-fixed{background:#f3fbf5}
mark.del{background:#fde2e1;text-decoration:line-through}mark.ins{background:#d8f3dc}
.missing{color:#8a94a6}.note{color:#5b6577;font-style:italic}
"""

SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function tokens(text) { return text.match(/\s+|[^\s]+/g) || []; }

  // word-level LCS diff; returns the pieces of each side, each [text, changed]
  function diff(a, b) {
    var x = tokens(a), y = tokens(b), n = x.length, m = y.length;
    if (n * m > 250000) return [[[a, a !== b]], [[b, a !== b]]];
    var table = [], i, j;
    for (i = 0; i <= n; i++) { table.push(new Array(m + 1).fill(0)); }
    for (i = n - 1; i >= 0; i--) {
      for (j = m - 1; j >= 0; j--) {
        table[i][j] = x[i] === y[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
      }
    }
    var left = [], right = [];
    i = 0; j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && x[i] === y[j]) { left.push([x[i], false]); right.push([y[j], false]); i++; j++; }
      else if (j < m && (i >= n || table[i][j + 1] >= table[i + 1][j])) { right.push([y[j], true]); j++; }
      else { left.push([x[i], true]); i++; }
    }
    return [left, right];
  }

  function outputCell(text, pieces, kind) {
    var cell = el("td", "out");
    if (text === null) { cell.appendChild(el("span", "missing", "—")); return cell; }
    pieces.forEach(function (piece) {
      if (piece[1] && piece[0].trim()) cell.appendChild(el("mark", kind, piece[0]));
      else cell.appendChild(document.createTextNode(piece[0]));
    });
    return cell;
  }

  function score(value) { return value === null ? "—" : value.toFixed(3); }

  document.querySelectorAll("section.panel").forEach(function (section) {
    var panel = data.panels[Number(section.getAttribute("data-panel"))];
    var body = section.querySelector("table.cases tbody");
    var rows = panel.cases.map(function (c) {
      var row = el("tr", "s-" + c.status);
      var base = c.base_output;
      var head = c.head_output === null && c.error ? "error: " + c.error : c.head_output;
      var changed = base !== null && head !== null && base !== head;
      var pieces = base !== null && head !== null ? diff(base, head) : [[[base, false]], [[head, false]]];
      row.appendChild(el("td", "id", c.id));
      row.appendChild(el("td", "status", c.status.replace("_", " ") + (c.regressed ? " \u2193" : "")));
      row.appendChild(el("td", "tags", c.tags.join(", ")));
      row.appendChild(el("td", "score", score(c.base_score) + " \u2192 " + score(c.head_score)));
      row.appendChild(outputCell(base, pieces[0], "del"));
      row.appendChild(outputCell(head, pieces[1], "ins"));
      body.appendChild(row);
      var failing = c.head_passed === false || c.status === "error";
      var haystack = [c.id, base || "", head || ""].join("\n").toLowerCase();
      return {row: row, c: c, changed: changed, failing: failing, haystack: haystack};
    });
    var status = section.querySelector(".f-status");
    var tag = section.querySelector(".f-tag");
    var search = section.querySelector(".f-search");
    var count = section.querySelector(".f-count");
    function apply() {
      var shown = 0, wanted = status.value, needle = search.value.trim().toLowerCase();
      rows.forEach(function (r) {
        var regressed = r.c.regressed || r.c.status === "new_failure";
        var ok = (wanted === "all" || (wanted === "regressed" && regressed)
                  || (wanted === "failing" && r.failing) || (wanted === "changed" && r.changed))
                 && (!tag.value || r.c.tags.indexOf(tag.value) >= 0)
                 && (!needle || r.haystack.indexOf(needle) >= 0);
        r.row.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = shown + " of " + rows.length + " cases";
    }
    status.addEventListener("change", apply);
    tag.addEventListener("change", apply);
    search.addEventListener("input", apply);
    apply();
  });
})();
"""
