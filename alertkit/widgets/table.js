// alertkit triage table: draws the page of rows Python sends and reports clicks and keys as
// trait changes (and actions as messages). Every piece of alert text goes through
// textContent or createTextNode, never as markup, so markup in an alert's title or message is
// shown as text and never parsed or run. Keys pressed inside the table stay inside it:
// JupyterLab's command-mode shortcuts (a, b, d d, ...) never see them.

const PAGE_SIZES = [25, 50, 100];
const HIGHLIGHTED = new Set(["title", "message", "symbol", "rule"]);
const ACTIONS = { a: "acknowledge", r: "resolve", d: "dismiss" };

// "1 alert", "2 alerts", "1,204 groups" (as alertkit.widgets._render.plural).
function plural(n, noun) {
  return `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
}

// The pager's count of ticked rows: "nothing ticked", "1 alert ticked",
// "2 alerts and 1 group ticked", "3 groups ticked".
function tickedText(alerts, groups) {
  const parts = [];
  if (alerts) parts.push(plural(alerts, "alert"));
  if (groups) parts.push(plural(groups, "group"));
  return parts.length ? `${parts.join(" and ")} ticked` : "nothing ticked";
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Append `text` to `node`, each case-insensitive match of a word wrapped in <mark>, all as
// text nodes.
function appendMarked(node, text, words) {
  const lower = text.toLowerCase();
  let at = 0;
  while (words.length > 0) {
    let best = -1;
    let len = 0;
    for (const word of words) {
      const i = lower.indexOf(word, at);
      if (i >= 0 && (best < 0 || i < best || (i === best && word.length > len))) {
        best = i;
        len = word.length;
      }
    }
    if (best < 0) break;
    if (best > at) node.appendChild(document.createTextNode(text.slice(at, best)));
    node.appendChild(el("mark", "alertkit-mark", text.slice(best, best + len)));
    at = best + len;
  }
  if (at < text.length) node.appendChild(document.createTextNode(text.slice(at)));
}

function render({ model, el: host }) {
  const root = el("div", "alertkit-table-root");
  root.tabIndex = 0;
  root.setAttribute("role", "grid");
  root.setAttribute("aria-label", "Alerts: j/k move, x tick, Enter details, a/r/d act, / search, Esc leave");
  // Lumino (JupyterLab) skips its keyboard shortcuts for events from inside such a node.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  host.appendChild(root);

  // Changes go to Python as messages, not trait syncs: ipywidgets holds trait syncs back
  // while the kernel is busy, so a tick could arrive after the action it preceded (and
  // re-tick what the action just cleared). Messages keep the order they were made in; Python
  // sets the traits, which come back here.
  const commit = (changes) => {
    for (const [key, value] of Object.entries(changes)) model.set(key, value);
    model.send({ type: "set", changes });
  };

  const rowKey = (row) => (row.kind === "group" ? `group:${row.key}` : row.alert_id);
  const navigable = () =>
    model.get("rows").filter((row) => row.kind === "group" || row.kind === "alert" || !row.kind);
  const grouped = () => Boolean(model.get("group_by"));

  const toggle = (id, on) => {
    const current = model.get("selection").filter((x) => x !== id);
    commit({ selection: on ? [...current, id] : current });
  };
  const toggleGroup = (key, on) => {
    const current = model.get("group_selection").filter((x) => x !== key);
    commit({ group_selection: on ? [...current, key] : current });
  };
  const expand = (key) => {
    const open = model.get("expanded");
    commit({ expanded: open.includes(key) ? open.filter((k) => k !== key) : [...open, key] });
  };

  const sortOn = (column) => {
    if (model.get("sort_by") === column.key) {
      commit({ sort_desc: !model.get("sort_desc") });
    } else {
      commit({ sort_by: column.key, sort_desc: Boolean(column.desc_first) });
    }
  };

  function header(columns, rows) {
    const row = el("tr");
    const th = el("th", "alertkit-select-col");
    th.style.width = "2em";
    const all = el("input", "alertkit-select-page");
    all.type = "checkbox";
    const byGroup = grouped();
    const ids = byGroup
      ? rows.filter((r) => r.kind === "group").map((r) => r.key)
      : rows.map((r) => r.alert_id);
    const selected = new Set(model.get(byGroup ? "group_selection" : "selection"));
    all.title = byGroup ? "Tick every group on this page" : "Tick every alert on this page";
    const chosen = ids.filter((id) => selected.has(id)).length;
    all.checked = ids.length > 0 && chosen === ids.length;
    all.indeterminate = chosen > 0 && chosen < ids.length;
    all.addEventListener("change", () =>
      commit({ [byGroup ? "group_selection" : "selection"]: all.checked ? ids : [] }),
    );
    th.appendChild(all);
    row.appendChild(th);
    for (const column of columns) {
      const cell = el("th", column.sortable ? "alertkit-sortable" : "", column.label);
      cell.dataset.col = column.key;
      if (column.narrow_hide) cell.dataset.narrowHide = "true";
      // Widths on the header cells: with a fixed layout they size the columns, and a column
      // hidden while the detail panel is open gives its room back.
      if (column.width) cell.style.width = column.width;
      cell.title = column.sortable ? `${column.label}: click to sort` : column.label;
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

  function alertRow(columns, row, selected, focused, cursor, words) {
    const id = row.alert_id;
    const tr = el("tr", "alertkit-row");
    tr.dataset.alertId = id;
    tr.dataset.status = row.status ?? "";
    if (row.group) tr.classList.add("alertkit-member");
    tr.setAttribute("aria-selected", String(selected.has(id)));
    if (selected.has(id)) tr.classList.add("alertkit-selected");
    if (id === focused) tr.classList.add("alertkit-focused");
    if (id === cursor) tr.classList.add("alertkit-cursor");
    const pick = el("td", "alertkit-select-col");
    const box = el("input", "alertkit-row-select");
    box.type = "checkbox";
    box.tabIndex = -1;
    box.checked = selected.has(id);
    box.addEventListener("click", (event) => event.stopPropagation());
    box.addEventListener("change", () => toggle(id, box.checked));
    pick.appendChild(box);
    tr.appendChild(pick);
    for (const column of columns) {
      const value = String(row[column.key] ?? "");
      const td = el("td", "alertkit-cell");
      td.dataset.col = column.key;
      td.dataset.value = value;
      if (column.narrow_hide) td.dataset.narrowHide = "true";
      const main = el("div", "alertkit-cell-main");
      // Badges (snoozed, flapping) before the value, only on the rows that have them.
      const flags = (column.badges ?? []).filter((key) => row[key]);
      for (const key of flags) {
        const badge = el("span", "alertkit-flag", String(row[key]));
        badge.dataset.flag = key;
        main.appendChild(badge);
      }
      if (HIGHLIGHTED.has(column.key)) appendMarked(main, value, words);
      else main.appendChild(document.createTextNode(value));
      td.appendChild(main);
      let hover = column.hover ? String(row[column.hover] ?? "") : value;
      if (column.sub) {
        const sub = String(row[column.sub] ?? "");
        const line = el("div", "alertkit-cell-sub");
        appendMarked(line, sub, words);
        td.appendChild(line);
        hover = `${value}\n${sub}`;
      }
      if (flags.length > 0) {
        const told = flags.map((key) => String(row[`${key}_hover`] ?? row[key]));
        hover = `${told.join("\n")}\n${hover}`;
      }
      td.title = hover;
      if (column.key === "created_at" && row.age) td.dataset.age = row.age;
      tr.appendChild(td);
    }
    tr.addEventListener("click", () => {
      commit({ focused: id, cursor: id });
      root.focus({ preventScroll: true });
    });
    return tr;
  }

  function groupRow(columns, row, cursor) {
    const key = row.key;
    const tr = el("tr", "alertkit-group");
    tr.dataset.groupKey = key;
    tr.dataset.severity = row.severity;
    if (row.accent) tr.dataset.accent = row.accent;
    const chosen = model.get("group_selection").includes(key);
    if (chosen) tr.classList.add("alertkit-selected");
    if (`group:${key}` === cursor) tr.classList.add("alertkit-cursor");
    tr.setAttribute("aria-expanded", String(Boolean(row.expanded)));
    const pick = el("td", "alertkit-select-col");
    const box = el("input", "alertkit-group-select");
    box.type = "checkbox";
    box.tabIndex = -1;
    box.checked = chosen;
    box.title = "Tick the whole group: an action applies to every alert in it that can take it";
    box.addEventListener("click", (event) => event.stopPropagation());
    box.addEventListener("change", () => toggleGroup(key, box.checked));
    pick.appendChild(box);
    tr.appendChild(pick);
    const td = el("td", "alertkit-group-cell");
    td.colSpan = columns.length;
    const twisty = el("span", "alertkit-twisty", row.expanded ? "\u25BE" : "\u25B8");
    const badge = el("span", "alertkit-badge", row.severity);
    badge.dataset.value = row.severity;
    const label = el("span", "alertkit-group-label", row.label);
    const summary = el("span", "alertkit-group-summary", row.summary);
    td.append(twisty, badge, label, summary);
    tr.appendChild(td);
    tr.addEventListener("click", () => {
      commit({ cursor: `group:${key}` });
      expand(key);
      root.focus({ preventScroll: true });
    });
    return tr;
  }

  function body(columns, rows) {
    const tbody = el("tbody");
    if (rows.length === 0) {
      const tr = el("tr", "alertkit-empty");
      const td = el("td", "", model.get("empty_text"));
      td.colSpan = columns.length + 1;
      tr.appendChild(td);
      tbody.appendChild(tr);
      return tbody;
    }
    const selected = new Set(model.get("selection"));
    const focused = model.get("focused");
    const cursor = model.get("cursor");
    const words = model.get("highlight").map((w) => w.toLowerCase()).filter((w) => w);
    for (const row of rows) {
      if (row.kind === "group") {
        tbody.appendChild(groupRow(columns, row, cursor));
      } else if (row.kind === "more") {
        const tr = el("tr", "alertkit-more");
        const td = el("td", "", row.text);
        td.colSpan = columns.length + 1;
        tr.appendChild(td);
        tbody.appendChild(tr);
      } else {
        tbody.appendChild(alertRow(columns, row, selected, focused, cursor, words));
      }
    }
    return tbody;
  }

  function pager() {
    const bar = el("div", "alertkit-pager");
    const byGroup = grouped();
    const total = model.get(byGroup ? "groups_total" : "total");
    const unit = byGroup ? "group" : "alert";
    const size = model.get("page_size");
    const page = model.get("page");
    const last = Math.min(total, (page + 1) * size);
    const fmt = (n) => n.toLocaleString("en-US");
    const prev = el("button", "alertkit-prev", "\u2039 Prev");
    prev.tabIndex = -1;
    prev.disabled = page === 0;
    prev.addEventListener("click", () => commit({ page: page - 1 }));
    const next = el("button", "alertkit-next", "Next \u203A");
    next.tabIndex = -1;
    next.disabled = last >= total;
    next.addEventListener("click", () => commit({ page: page + 1 }));
    const text =
      total === 0
        ? `no ${unit}s`
        : `${fmt(page * size + 1)}\u2013${fmt(last)} of ${fmt(total)} ${unit}${total === 1 ? "" : "s"}`;
    const range = el("span", "alertkit-range", text);
    const sizes = el("select", "alertkit-page-size");
    sizes.title = "Rows per page";
    for (const n of PAGE_SIZES) {
      const option = el("option", "", `${n} per page`);
      option.value = String(n);
      option.selected = n === size;
      sizes.appendChild(option);
    }
    sizes.addEventListener("change", () => commit({ page_size: Number(sizes.value), page: 0 }));
    const ticked = model.get("selection").length;
    const groups = model.get("group_selection").length;
    const chosen = el("span", "alertkit-selected-count", tickedText(ticked, groups));
    const keys = el("span", "alertkit-keys", "keys: j/k x Enter a r d / Esc");
    keys.title =
      "j/k or \u2193/\u2191 move \u00b7 x or space tick \u00b7 Enter details (opens a group)" +
      " \u00b7 a/r/d acknowledge, resolve, dismiss the ticked alerts (or the one you are on)," +
      " with the note \u00b7 / search \u00b7 Esc leave the table";
    bar.append(prev, range, next, sizes, chosen);
    if (model.get("focused")) {
      const close = el("button", "alertkit-close-detail", "Close details \u00d7");
      close.tabIndex = -1;
      close.title = "Close the detail panel: the table takes its room back";
      close.addEventListener("click", () => commit({ focused: "" }));
      bar.appendChild(close);
    }
    bar.appendChild(keys);
    return bar;
  }

  function draw() {
    const columns = model.get("columns");
    const rows = model.get("rows");
    const table = el("table", "alertkit-table");
    table.append(header(columns, rows), body(columns, rows));
    root.classList.toggle("alertkit-detail-open", Boolean(model.get("focused")));
    const scroller = el("div", "alertkit-table-scroll");
    scroller.appendChild(table);
    root.replaceChildren(scroller, pager());
    const at = root.querySelector(".alertkit-cursor");
    if (at && document.activeElement === root) at.scrollIntoView({ block: "nearest" });
    watchBars();
  }

  // The board's action bars stay at the top of the notebook while its table scrolls by
  // (position: sticky in board.css), one under the other, and the table's header under them:
  // their heights are measured here, as the bars wrap to the width there is.
  let bars = null;
  function watchBars() {
    const board = host.closest(".alertkit-board");
    if (bars || !board) return;
    const found = [".alertkit-actions", ".alertkit-policy-actions"]
      .map((selector) => board.querySelector(selector))
      .filter((bar) => bar);
    const place = () => {
      let top = 0;
      for (const bar of found) {
        bar.style.top = `${top}px`;
        top += bar.offsetHeight;
      }
      board.style.setProperty("--alertkit-bars-height", `${top}px`);
    };
    bars = new ResizeObserver(place);
    for (const bar of found) bars.observe(bar);
    place();
  }
  // The table is drawn before ipywidgets puts it into the board: look again until it is.
  let tries = 0;
  const waitForBoard = setInterval(() => {
    watchBars();
    if (bars || ++tries > 50) clearInterval(waitForBoard);
  }, 200);

  function onKey(event) {
    // Nothing typed in the table reaches JupyterLab: "a" would add a cell, "d d" delete ours.
    event.stopPropagation();
    if (event.target.tagName === "SELECT" || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    const rows = navigable();
    const cursor = model.get("cursor");
    const at = rows.findIndex((row) => rowKey(row) === cursor);
    const here = at >= 0 ? rows[at] : undefined;
    const key = event.key;
    let handled = true;
    if (key === "j" || key === "k" || key === "ArrowDown" || key === "ArrowUp") {
      if (rows.length > 0) {
        const step = key === "j" || key === "ArrowDown" ? 1 : -1;
        const next = at < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, at + step));
        commit({ cursor: rowKey(rows[next]) });
      }
    } else if ((key === "x" || key === " ") && here) {
      if (here.kind === "group") toggleGroup(here.key, !model.get("group_selection").includes(here.key));
      else toggle(here.alert_id, !model.get("selection").includes(here.alert_id));
    } else if (key === "Enter" && here) {
      if (here.kind === "group") expand(here.key);
      else commit({ focused: here.alert_id });
    } else if (key in ACTIONS && !event.shiftKey) {
      model.send({ type: "act", action: ACTIONS[key] });
    } else if (key === "/") {
      const board = host.closest(".alertkit-board");
      const search = board ? board.querySelector(".alertkit-filter-text input") : null;
      if (search) search.focus();
    } else if (key === "Escape") {
      root.blur();
    } else {
      handled = false;
    }
    if (handled) event.preventDefault();
  }
  host.addEventListener("keydown", onKey);
  // keypress/keyup too: nothing typed here is JupyterLab's business.
  const swallow = (event) => event.stopPropagation();
  host.addEventListener("keypress", swallow);
  host.addEventListener("keyup", swallow);

  const events = [
    "rows",
    "columns",
    "selection",
    "group_selection",
    "expanded",
    "group_by",
    "cursor",
    "focused",
    "highlight",
    "empty_text",
    "sort_by",
    "sort_desc",
    "page",
    "page_size",
    "total",
    "groups_total",
  ].map((name) => `change:${name}`);
  for (const name of events) model.on(name, draw);
  draw();
  return () => {
    clearInterval(waitForBoard);
    if (bars) bars.disconnect();
    for (const name of events) model.off(name, draw);
    host.removeEventListener("keydown", onKey);
    host.removeEventListener("keypress", swallow);
    host.removeEventListener("keyup", swallow);
  };
}

export { plural, tickedText };
export default { render };
