// alertkit triage table: draws the page of rows Python sends and reports clicks as trait
// changes. Every piece of alert text goes through textContent, never innerHTML, so markup in
// an alert's title or message is shown as text and never parsed or run.

const PAGE_SIZES = [25, 50, 100];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function render({ model, el: host }) {
  const root = el("div", "alertkit-table-root");
  root.tabIndex = 0;
  host.appendChild(root);

  const commit = (changes) => {
    for (const [key, value] of Object.entries(changes)) model.set(key, value);
    model.save_changes();
  };

  const pageIds = () => model.get("rows").map((row) => row.alert_id);

  const toggle = (id, on) => {
    const current = model.get("selection").filter((x) => x !== id);
    commit({ selection: on ? [...current, id] : current });
  };

  const sortOn = (column) => {
    if (model.get("sort_by") === column.key) {
      commit({ sort_desc: !model.get("sort_desc") });
    } else {
      commit({ sort_by: column.key, sort_desc: Boolean(column.desc_first) });
    }
  };

  function header(columns, ids, selected) {
    const row = el("tr");
    const th = el("th", "alertkit-select-col");
    const all = el("input", "alertkit-select-page");
    all.type = "checkbox";
    all.title = "Select every alert on this page";
    const chosen = ids.filter((id) => selected.has(id)).length;
    all.checked = ids.length > 0 && chosen === ids.length;
    all.indeterminate = chosen > 0 && chosen < ids.length;
    all.addEventListener("change", () => commit({ selection: all.checked ? ids : [] }));
    th.appendChild(all);
    row.appendChild(th);
    for (const column of columns) {
      const cell = el("th", column.sortable ? "alertkit-sortable" : "", column.label);
      cell.dataset.col = column.key;
      if (model.get("sort_by") === column.key) {
        const desc = model.get("sort_desc");
        cell.setAttribute("aria-sort", desc ? "descending" : "ascending");
        cell.appendChild(el("span", "alertkit-sort-mark", desc ? " \u25BC" : " \u25B2"));
      }
      if (column.sortable) cell.addEventListener("click", () => sortOn(column));
      row.appendChild(cell);
    }
    const thead = el("thead");
    thead.appendChild(row);
    return thead;
  }

  function body(columns, rows, selected, focused) {
    const tbody = el("tbody");
    if (rows.length === 0) {
      const tr = el("tr", "alertkit-empty");
      const td = el("td", "", "No alerts match these filters.");
      td.colSpan = columns.length + 1;
      tr.appendChild(td);
      tbody.appendChild(tr);
      return tbody;
    }
    for (const row of rows) {
      const id = row.alert_id;
      const tr = el("tr", "alertkit-row");
      tr.dataset.alertId = id;
      tr.dataset.status = row.status ?? "";
      tr.setAttribute("aria-selected", String(selected.has(id)));
      if (selected.has(id)) tr.classList.add("alertkit-selected");
      if (id === focused) tr.classList.add("alertkit-focused");
      const pick = el("td", "alertkit-select-col");
      const box = el("input", "alertkit-row-select");
      box.type = "checkbox";
      box.checked = selected.has(id);
      box.addEventListener("click", (event) => event.stopPropagation());
      box.addEventListener("change", () => toggle(id, box.checked));
      pick.appendChild(box);
      tr.appendChild(pick);
      for (const column of columns) {
        const value = row[column.key] ?? "";
        const td = el("td", "alertkit-cell", String(value));
        td.dataset.col = column.key;
        td.dataset.value = String(value);
        td.title = String(value);
        tr.appendChild(td);
      }
      tr.addEventListener("click", () => commit({ focused: id }));
      tbody.appendChild(tr);
    }
    return tbody;
  }

  function pager() {
    const bar = el("div", "alertkit-pager");
    const total = model.get("total");
    const size = model.get("page_size");
    const page = model.get("page");
    const first = total === 0 ? 0 : page * size + 1;
    const last = Math.min(total, (page + 1) * size);
    const fmt = (n) => n.toLocaleString("en-US");
    const prev = el("button", "alertkit-prev", "\u2039 Prev");
    prev.disabled = page === 0;
    prev.addEventListener("click", () => commit({ page: page - 1 }));
    const next = el("button", "alertkit-next", "Next \u203A");
    next.disabled = last >= total;
    next.addEventListener("click", () => commit({ page: page + 1 }));
    const range = el("span", "alertkit-range", `${fmt(first)}\u2013${fmt(last)} of ${fmt(total)}`);
    const sizes = el("select", "alertkit-page-size");
    sizes.title = "Rows per page";
    for (const n of PAGE_SIZES) {
      const option = el("option", "", `${n} per page`);
      option.value = String(n);
      option.selected = n === size;
      sizes.appendChild(option);
    }
    sizes.addEventListener("change", () => commit({ page_size: Number(sizes.value), page: 0 }));
    const chosen = el("span", "alertkit-selected-count", `${model.get("selection").length} selected`);
    bar.append(prev, range, next, sizes, chosen);
    return bar;
  }

  function draw() {
    const columns = model.get("columns");
    const rows = model.get("rows");
    const selected = new Set(model.get("selection"));
    const table = el("table", "alertkit-table");
    table.append(
      header(columns, rows.map((r) => r.alert_id), selected),
      body(columns, rows, selected, model.get("focused")),
    );
    const scroller = el("div", "alertkit-table-scroll");
    scroller.appendChild(table);
    root.replaceChildren(scroller, pager());
  }

  // Arrow keys move the focused row; space toggles its selection.
  root.addEventListener("keydown", (event) => {
    if (event.target !== root) return; // leave checkboxes, buttons and the select alone
    const ids = pageIds();
    if (ids.length === 0) return;
    const at = ids.indexOf(model.get("focused"));
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const step = event.key === "ArrowDown" ? 1 : -1;
      const next = at < 0 ? 0 : Math.min(ids.length - 1, Math.max(0, at + step));
      commit({ focused: ids[next] });
      event.preventDefault();
    } else if (event.key === " " && at >= 0) {
      toggle(ids[at], !model.get("selection").includes(ids[at]));
      event.preventDefault();
    }
  });

  const events = [
    "rows",
    "columns",
    "selection",
    "focused",
    "sort_by",
    "sort_desc",
    "page",
    "page_size",
    "total",
  ].map((name) => `change:${name}`);
  for (const name of events) model.on(name, draw);
  draw();
  return () => {
    for (const name of events) model.off(name, draw);
  };
}

export default { render };
