// The queue dashboard (templates/agent/queue.html): live rows over the queue socket, ticking
// due countdowns, keyboard shortcuts. Rows arrive as values (CONTRACT section 6); every label
// comes from the page's catalog (#queue-labels), so nothing here is untranslated text.

const root = document.getElementById("queue");
const tbody = document.getElementById("queue-rows");
const labels = JSON.parse(document.getElementById("queue-labels").textContent);
const text = labels.text;
const data = root.dataset;
const zone = data.zone;
const myTier = data.tier ? Number(data.tier) : null; // empty: an admin sees every tier
const page = Number(data.page);
const pageSize = Number(data.pageSize);
const params = new URLSearchParams(data.filters);
const searching = Boolean(data.searching);
let since = data.since;
let rows = JSON.parse(document.getElementById("queue-data").textContent);

// --- Formatting -------------------------------------------------------------------------

// The page's language (<html lang>), so times read as the rest of the page does (issue 14).
const pageLanguage = document.documentElement.lang || undefined;
const tenantFormat = new Intl.DateTimeFormat(pageLanguage, {
  timeZone: zone, dateStyle: "medium", timeStyle: "short",
});
const localFormat = new Intl.DateTimeFormat(pageLanguage, { dateStyle: "medium", timeStyle: "short" });

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => values[name]);
}

// Unit abbreviations in the page's language (en "2d 3h", de "2 T. 3 Std.").
const units = Object.fromEntries(["day", "hour", "minute", "second"].map((unit) => [
  unit, new Intl.NumberFormat(pageLanguage, { style: "unit", unit, unitDisplay: "narrow" }),
]));

function span(ms) {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (d) return `${units.day.format(d)} ${units.hour.format(h)}`;
  if (h) return `${units.hour.format(h)} ${units.minute.format(m)}`;
  return `${units.minute.format(m)} ${units.second.format(sec)}`;
}

function dueTitle(due) {
  const tenant = fill(text.tenant_time, { time: tenantFormat.format(due), zone });
  return `${tenant} · ${fill(text.your_time, { time: localFormat.format(due) })}`;
}

function tick() {
  const now = Date.now();
  for (const time of tbody.querySelectorAll("td.due time[datetime]")) {
    const due = new Date(time.getAttribute("datetime"));
    const left = due - now;
    time.textContent = fill(left < 0 ? text.overdue : text.due_in, { time: span(left) });
    time.classList.toggle("overdue", left < 0);
    if (!time.title.includes("·")) time.title = dueTitle(due);
  }
}

// --- Rows -------------------------------------------------------------------------------

function cell(content, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  if (content instanceof Node) td.append(content); else td.textContent = content ?? "";
  return td;
}

function pill(kind, value) {
  const s = document.createElement("span");
  s.className = `${kind} ${kind}-${value}`;
  s.textContent = labels[kind === "prio" ? "priority" : kind][value] ?? value;
  return s;
}

function muted(value) {
  const s = document.createElement("span");
  s.className = "muted";
  s.textContent = value;
  return s;
}

function badge(kind, label) {
  const s = document.createElement("span");
  s.className = `badge badge-${kind}`;
  s.textContent = label;
  return s;
}

function renderRow(row) {
  const tr = document.createElement("tr");
  tr.dataset.number = row.number;
  tr.dataset.testid = "row";
  const box = document.createElement("input");
  box.type = "checkbox"; box.name = "tickets"; box.value = row.number;
  box.setAttribute("form", "bulk");
  box.setAttribute("aria-label", `${text.tick} ${row.reference}`); // as the server's rows
  const link = document.createElement("a");
  link.className = "ref";
  link.href = data.ticketUrl.replace(/\/0\/$/, `/${row.number}/`);
  link.textContent = row.reference;
  const requester = document.createElement("span");
  requester.append(row.requester ?? "");
  if (row.organization) {
    const org = document.createElement("span");
    org.className = "muted small";
    org.textContent = row.organization;
    requester.append(document.createElement("br"), org);
  }
  const due = document.createElement("span");
  if (row.sla.due) {
    const time = document.createElement("time");
    time.setAttribute("datetime", row.sla.due);
    due.append(time, " ");
  } else {
    due.append(muted(row.sla.paused ? text.paused : text.no_clock), " ");
  }
  if (row.sla.breached) due.append(badge("breached", text.breached));
  else if (row.sla.at_risk) due.append(badge("at-risk", text.at_risk));
  tr.append(
    cell(box), cell(link), cell(row.subject, "subject"), cell(requester, "requester"),
    cell(pill("prio", row.priority)), cell(pill("status", row.status)),
    cell(row.category ? (labels.category[row.category] ?? row.category) : muted("—")),
    cell(row.assignee ?? muted(text.nobody)), cell(String(row.tier)),
    cell(labels.channel[row.channel] ?? row.channel), cell(due, "due"),
  );
  return tr;
}

function urgency(a, b) {
  if (a.sla.breached !== b.sla.breached) return a.sla.breached ? -1 : 1;
  const da = a.sla.due ? Date.parse(a.sla.due) : Infinity;
  const db = b.sla.due ? Date.parse(b.sla.due) : Infinity;
  if (da !== db) return da < db ? -1 : 1;
  return a.number - b.number;
}

function matches(row) {
  if (myTier !== null && row.tier > myTier) return false;
  const status = params.get("status") || "";
  if (status === "" && row.status === "closed") return false;
  if (status && status !== "any" && row.status !== status) return false;
  for (const name of ["priority", "category", "channel"]) {
    const wanted = params.get(name);
    if (wanted && row[name] !== wanted) return false;
  }
  const assignee = params.get("assignee") || "";
  if (assignee === "me" && row.assignee !== data.me) return false;
  if (assignee === "none" && row.assignee !== null) return false;
  if (!["", "me", "none", "anyone"].includes(assignee)
      && (row.assignee || "").toLowerCase() !== assignee.toLowerCase()) return false;
  if (params.get("tier") && row.tier !== Number(params.get("tier"))) return false;
  if (params.get("plan") && row.sla.plan !== params.get("plan")) return false;
  if (params.get("breached") && !row.sla.breached) return false;
  if (params.get("at_risk") && !(row.sla.at_risk && !row.sla.breached)) return false;
  return true;
}

function place(row) {
  const at = rows.findIndex((r) => r.number === row.number);
  const shown = at >= 0;
  // A search's matches are the server's to decide: rows already shown are kept up to date,
  // and so are later pages' rows; new rows are placed on the first page of plain filters only.
  const fits = matches(row) && (shown || (!searching && page === 1));
  if (shown) rows.splice(at, 1);
  const old = tbody.querySelector(`tr[data-number="${row.number}"]`);
  const wasSelected = old?.classList.contains("selected");
  const wasTicked = old?.querySelector("input")?.checked;
  old?.remove();
  if (!fits) return;
  let index = shown && (searching || page > 1) ? at : rows.findIndex((r) => urgency(row, r) < 0);
  if (index < 0) index = rows.length;
  if (index >= pageSize) return; // it belongs on a later page
  rows.splice(index, 0, row);
  const tr = renderRow(row);
  tr.classList.add("changed");
  tr.title = text.new_row;
  if (wasSelected) tr.classList.add("selected");
  if (wasTicked) tr.querySelector("input").checked = true;
  tbody.insertBefore(tr, tbody.children[index] ?? null);
  setTimeout(() => tr.classList.remove("changed"), 4000);
  while (rows.length > pageSize) {
    rows.pop();
    tbody.lastElementChild?.remove();
  }
  document.querySelector("[data-testid=empty]")?.remove();
  tick();
}

function setCounts(views) {
  for (const [name, count] of Object.entries(views)) {
    const el = root.querySelector(`[data-count="${name}"]`);
    if (el) el.textContent = count;
  }
  const total = root.querySelector("[data-testid=total]");
  if (total && data.view && views[data.view] !== undefined) total.textContent = views[data.view];
}

// --- Socket -----------------------------------------------------------------------------

const state = document.getElementById("live-state");
let delay = 1000;

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${scheme}//${location.host}/ws/t/${data.tenant}/queue/?counts=1&since=${encodeURIComponent(since)}`;
  const socket = new WebSocket(url);
  socket.addEventListener("open", () => {
    delay = 1000;
    state.textContent = text.live;
    state.classList.remove("offline");
    root.dataset.live = "1";
  });
  socket.addEventListener("message", (message) => {
    const frame = JSON.parse(message.data);
    if (frame.type === "ticket") {
      if (Date.parse(frame.ticket.updated_at) > Date.parse(since)) {
        since = frame.ticket.updated_at;
      }
      place(frame.ticket);
    } else if (frame.type === "counts") {
      setCounts(frame.views);
    } else if (frame.type === "reset") {
      location.reload();
    }
  });
  socket.addEventListener("close", (event) => {
    root.dataset.live = "";
    state.textContent = text.offline;
    state.classList.add("offline");
    if ([4401, 4403, 4404].includes(event.code)) return; // reconnecting would not help
    setTimeout(connect, delay + Math.random() * 500);
    delay = Math.min(delay * 2, 30000);
  });
}

// --- Keyboard ---------------------------------------------------------------------------

let selected = -1;

function select(index) {
  const trs = tbody.querySelectorAll("tr");
  if (!trs.length) return;
  selected = Math.max(0, Math.min(index, trs.length - 1));
  trs.forEach((tr, i) => {
    tr.classList.toggle("selected", i === selected);
    tr.setAttribute("aria-selected", i === selected ? "true" : "false");
  });
  trs[selected].scrollIntoView({ block: "nearest" });
}

function current() {
  return tbody.querySelector("tr.selected");
}

document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (target.closest("input, select, textarea, dialog[open]")) {
    if (event.key === "Escape" && target.matches("input")) target.blur();
    return;
  }
  const row = current();
  switch (event.key) {
    case "j": select(selected + 1); break;
    case "k": select(selected - 1); break;
    case "Enter": case "o":
      if (row) location.href = row.querySelector("a.ref").href;
      else return;
      break;
    case "x":
      if (row) { const box = row.querySelector("input"); box.checked = !box.checked; }
      break;
    case "a": {
      if (!row) { state.textContent = text.no_row_selected; return; }
      const form = document.getElementById("assign-me");
      form.elements.tickets.value = row.dataset.number;
      form.action = location.pathname + location.search;
      form.submit();
      break;
    }
    case "/": document.querySelector("#filters input[name=q]").focus(); break;
    case "?": document.getElementById("queue-help").showModal(); break;
    default: return;
  }
  event.preventDefault();
});

tbody.addEventListener("click", (event) => {
  const tr = event.target.closest("tr");
  if (tr) select([...tbody.children].indexOf(tr));
});
document.getElementById("help-open").addEventListener("click", () => {
  document.getElementById("queue-help").showModal();
});

tick();
setInterval(tick, 1000);
connect();
