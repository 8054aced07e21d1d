/*
 * The agents' chat console (/t/<tenant>/agent/chats/, issue 11; CONTRACT sections 4 and 6).
 *
 * Left: the available/away switch (a presence heartbeat every 30 s; the server forgets an agent
 * after ~90 s without one), the waiting chats (live from the queue socket's `chat` frames, with
 * their wait time and first-response countdown) and the agent's own chats. Right: one tab per
 * open chat, each with its own socket, which resumes from its last seq after a drop and
 * deduplicates by seq; replies wait in an outbox until the server echoes them (by client_id).
 *
 * Every string comes from the page (chat/views.py console_strings, through json_script).
 */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("chat-console-config").textContent);
  var S = cfg.strings;
  var root = document.getElementById("chat-console");
  var WS_ORIGIN = location.origin.replace(/^http/, "ws");
  var SEND_GAP = 150;
  var TYPING_GAP = 2000;
  var HEARTBEAT = 30000;
  var FATAL_CLOSES = { 4401: 1, 4403: 1, 4404: 1 };
  var FINAL_ERRORS = { too_long: 1, empty: 1, invalid: 1, bad_client_id: 1, notallowed: 1, bad_json: 1 }; // a resend cannot cure these
  var PRESENCE_KEY = "helpdesk-chat-available:" + cfg.tenant;
  var ALERTS_KEY = "helpdesk-chat-alerts";

  function t(key, vars) {
    return (S[key] || key).replace(/\{(\w+)\}/g, function (_, name) {
      return vars && vars[name] != null ? String(vars[name]) : "";
    });
  }
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v == null || v === false) return;
      if (k === "text") el.textContent = v;
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach(function (c) {
      if (c) el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return el;
  }
  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var hours = Math.floor(s / 3600);
    var mm = String(Math.floor((s % 3600) / 60));
    var ss = String(s % 60).padStart(2, "0");
    return hours ? hours + ":" + mm.padStart(2, "0") + ":" + ss : mm + ":" + ss;
  }
  function clock(iso) {
    return new Date(iso).toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
  }
  function newId() {
    return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function api(method, path, payload) {
    var headers = { Accept: "application/json", "X-CSRFToken": cfg.csrf };
    if (payload) headers["Content-Type"] = "application/json";
    return fetch(cfg.api + path, {
      method: method, headers: headers, credentials: "same-origin",
      body: payload ? JSON.stringify(payload) : undefined,
    }).then(
      function (res) {
        return res.json().then(
          function (data) { return { ok: res.ok, status: res.status, data: data }; },
          function () { return { ok: res.ok, status: res.status, data: {} }; }
        );
      },
      function () { return { ok: false, status: 0, data: {} }; }
    );
  }
  function detailOf(res) {
    var d = res.data || {};
    if (d.detail) return String(d.detail);
    var first = Object.keys(d)[0];
    return first ? first + ": " + [].concat(d[first]).join(" ") : String(res.status || "network");
  }

  // --- Presence -------------------------------------------------------------------------------
  var available = false;
  var heartbeat = null;
  function setPresence(on) {
    available = on;
    localStorage.setItem(PRESENCE_KEY, on ? "1" : "0");
    root.querySelectorAll("[data-presence]").forEach(function (b) {
      b.setAttribute("aria-pressed", String((b.dataset.presence === "available") === on));
    });
    root.classList.toggle("is-available", on);
    clearInterval(heartbeat);
    api("POST", "chat/presence/", { available: on });
    if (on) heartbeat = setInterval(function () { api("POST", "chat/presence/", { available: true }); }, HEARTBEAT);
  }
  root.querySelectorAll("[data-presence]").forEach(function (b) {
    b.addEventListener("click", function () { setPresence(b.dataset.presence === "available"); });
  });

  // --- Alerts: a generated beep (no audio file) and, opted in, a browser notification ---------
  var audio = null;
  var alertsButton = root.querySelector("[data-action=alerts]");
  function enableAlerts() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (Context && !audio) audio = new Context();
    if (audio && audio.state === "suspended") audio.resume();
    localStorage.setItem(ALERTS_KEY, "1");
    alertsButton.textContent = t("alertsEnabled");
    if (window.Notification && Notification.permission === "default") {
      Notification.requestPermission().then(showAlertState);
    } else showAlertState();
  }
  function showAlertState() {
    if (window.Notification && Notification.permission === "denied") alertsButton.textContent = t("alertsBlocked");
  }
  alertsButton.addEventListener("click", enableAlerts);
  if (localStorage.getItem(ALERTS_KEY) === "1") {
    // Browsers start sound only after a gesture: the first click on the page resumes it.
    alertsButton.textContent = t("alertsEnabled");
    document.addEventListener("click", function once() {
      document.removeEventListener("click", once);
      if (!audio) enableAlerts();
    });
  }
  function beep() {
    if (!audio || audio.state !== "running") return;
    var now = audio.currentTime;
    [0, 0.18].forEach(function (offset) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, now + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, now + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.15);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + offset);
      osc.stop(now + offset + 0.16);
    });
  }
  function alertAgent(title, chat) {
    if (!available) return;
    beep();
    if (localStorage.getItem(ALERTS_KEY) === "1" && window.Notification && Notification.permission === "granted") {
      var note = new Notification(title, { body: chat.customer.name + " <" + chat.customer.email + ">", tag: "chat-" + chat.id });
      note.onclick = function () { window.focus(); openTab(chat.id); };
    }
  }

  // --- The lists (waiting, mine) ---------------------------------------------------------------
  var chats = new Map();
  var slaState = {}; // chat id -> "warning" | "breached", from the queue socket
  function upsert(chat, event) {
    var before = chats.get(chat.id);
    chats.set(chat.id, chat);
    if (event === "sla_warning" || event === "sla_breached") slaState[chat.id] = event.slice(4);
    if (!event) return;
    if (chat.status === "waiting" && (!before || before.status !== "waiting")) alertAgent(t("newChatAlert"), chat);
    if (chat.status === "active" && chat.agent === cfg.me && before && before.agent && before.agent !== cfg.me) {
      alertAgent(t("chatAssigned"), chat);
      openTab(chat.id);
    }
    var tab = tabs.get(chat.id);
    if (tab) tab.update(chat);
  }
  function loadLists() {
    return Promise.all(
      ["waiting", "active"].map(function (status) {
        return api("GET", "chats/?status=" + status + "&page_size=100").then(function (res) {
          if (!res.ok) return;
          chats.forEach(function (c, id) { if (c.status === status) chats.delete(id); });
          (res.data.results || []).forEach(function (c) { upsert(c); });
        });
      })
    ).then(drawLists);
  }
  function drawLists() {
    var all = Array.from(chats.values()).sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
    var waiting = all.filter(function (c) { return c.status === "waiting"; });
    var mine = all.filter(function (c) { return c.status === "active" && c.agent === cfg.me; });
    fill("waiting", waiting, t("noneWaiting"));
    fill("mine", mine, t("noneMine"));
    tick();
  }
  function fill(name, list, empty) {
    var ul = root.querySelector('[data-list="' + name + '"]');
    root.querySelector('[data-count="' + name + '"]').textContent = String(list.length);
    ul.textContent = "";
    if (!list.length) ul.appendChild(h("li", { class: "muted cc-none", text: empty }));
    list.forEach(function (chat) {
      var buttons = name === "waiting"
        ? [
            h("button", { type: "button", text: t("preview"), onclick: function () { openTab(chat.id); } }),
            h("button", { type: "button", class: "primary", text: t("accept"), "data-action": "accept", onclick: function () { accept(chat.id); } }),
          ]
        : [h("button", { type: "button", text: t("open"), onclick: function () { openTab(chat.id); } })];
      ul.appendChild(
        h("li", { class: "cc-item" + (slaState[chat.id] ? " sla-" + slaState[chat.id] : ""), "data-chat": chat.id }, [
          h("div", { class: "cc-who" }, [
            h("strong", { text: chat.customer.name || chat.customer.email }),
            h("span", { class: "muted small", text: chat.customer.email }),
          ]),
          h("div", { class: "small cc-clocks" }, [
            h("span", { "data-since": chat.created_at, "data-label": name === "waiting" ? "waitingFor" : "chattingFor" }),
            h("span", { "data-due": chat.first_responded_at ? "" : chat.first_response_due || "" }),
          ]),
          h("div", { class: "cc-buttons" }, buttons),
        ])
      );
    });
  }
  function tick() {
    var now = Date.now();
    root.querySelectorAll("[data-since]").forEach(function (el) {
      el.textContent = t(el.dataset.label, { time: duration(now - Date.parse(el.dataset.since)) });
    });
    root.querySelectorAll("[data-due]").forEach(function (el) {
      if (!el.dataset.due) {
        el.textContent = "";
        return;
      }
      var left = Date.parse(el.dataset.due) - now;
      el.textContent = left >= 0 ? t("replyDue", { time: duration(left) }) : t("replyOverdue", { time: duration(-left) });
      el.classList.toggle("breached", left < 0);
      el.classList.toggle("at-risk", left >= 0 && left < 60000);
    });
  }
  setInterval(tick, 1000);

  function accept(id) {
    return api("POST", "chats/" + id + "/accept/").then(function (res) {
      if (res.ok) {
        upsert(res.data && res.data.id ? res.data : Object.assign({}, chats.get(id), { status: "active", agent: cfg.me }));
        drawLists();
        openTab(id).connect();
      } else {
        window.alert(res.status === 409 ? t("acceptTaken") : t("failed", { detail: detailOf(res) }));
        loadLists();
      }
      return res;
    });
  }

  // --- The queue socket: chats appear and change live ----------------------------------------
  var queueAttempts = 0;
  function queueSocket() {
    var ws = new WebSocket(WS_ORIGIN + cfg.queueSocket);
    ws.onopen = function () {
      if (queueAttempts) loadLists(); // what changed while the socket was down
      queueAttempts = 0;
    };
    ws.onmessage = function (e) {
      var f = JSON.parse(e.data);
      if (f.type !== "chat" || !f.chat) return;
      upsert(f.chat, f.event || "changed");
      drawLists();
    };
    ws.onclose = function (e) {
      if (FATAL_CLOSES[e.code]) return;
      queueAttempts++;
      setTimeout(queueSocket, Math.min(30000, 1000 * Math.pow(2, queueAttempts)) * (0.75 + Math.random() / 2));
    };
  }

  // --- Tabs: one per open chat, each with its own socket ---------------------------------------
  var tabs = new Map();
  var tabBar = root.querySelector(".cc-tabs");
  var panels = root.querySelector(".cc-panels");
  var empty = root.querySelector(".cc-empty");

  function openTab(id) {
    var tab = tabs.get(id);
    if (!tab) {
      tab = new Tab(id);
      tabs.set(id, tab);
    }
    select(id);
    return tab;
  }
  function select(id) {
    tabs.forEach(function (tab, key) { tab.show(key === id); });
    empty.hidden = tabs.size > 0;
  }

  function Tab(id) {
    var self = this;
    this.id = id;
    this.chat = chats.get(id) || { id: id, status: "waiting", customer: {} };
    this.messages = {};
    this.lastSeq = 0;
    this.outbox = [];
    this.ws = null;
    this.attempts = 0;
    this.visitorRead = 0;
    this.sentRead = 0;
    this.lastTyping = 0;
    this.unread = 0;

    this.button = h("button", { type: "button", role: "tab", class: "cc-tab", "data-tab": id, onclick: function () { select(id); } });
    this.closeButton = h("button", { type: "button", class: "cc-tab-close", "aria-label": t("closeTab"), text: "×", onclick: function () { self.destroy(); } });
    tabBar.appendChild(h("span", { class: "cc-tabwrap" }, [this.button, this.closeButton]));

    this.title = h("h2", {});
    this.meta = h("p", { class: "muted small" });
    this.notice = h("p", { class: "cc-notice", role: "status" });
    this.acceptButton = h("button", { type: "button", class: "primary", text: t("accept"), onclick: function () { accept(id); } });
    var agentSelect = h("select", { "aria-label": t("transferTo") },
      cfg.agents.length ? cfg.agents.map(function (a) { return h("option", { value: a.email, text: a.name + " <" + a.email + ">" }); })
        : [h("option", { value: "", text: t("noOtherAgent") })]);
    this.transfer = h("div", { class: "cc-transfer" }, [
      h("label", { class: "small", text: t("transferTo") }), agentSelect,
      h("button", { type: "button", text: t("transfer"), disabled: !cfg.agents.length, onclick: function () { self.doTransfer(agentSelect.value, agentSelect.selectedOptions[0].textContent); } }),
    ]);
    this.ticketButton = h("button", { type: "button", text: t("makeTicket"), "data-action": "ticket", onclick: function () { self.makeTicket(); } });
    this.ticketLink = h("a", { class: "cc-ticket", hidden: true });
    this.summary = h("textarea", { rows: 2, maxlength: 4000, name: "summary", id: "cc-summary-" + id });
    this.closeForm = h("div", { class: "cc-close" }, [
      h("label", { for: "cc-summary-" + id, text: t(cfg.summaryRequired ? "summaryRequiredLabel" : "summaryLabel") }), this.summary,
      h("button", { type: "button", text: t("closeChat"), "data-action": "close", onclick: function () { self.doClose(); } }),
    ]);
    this.log = h("ol", { class: "cc-log", role: "log", "aria-live": "polite" });
    this.typingLine = h("p", { class: "cc-typing muted small", "aria-live": "polite" });
    this.conn = h("p", { class: "cc-conn", hidden: true, text: t("reconnecting") });
    this.input = h("textarea", {
      name: "reply", rows: 3, maxlength: 4000, "aria-label": t("replyLabel"), placeholder: t("replyPlaceholder"),
      "data-canned-url": root.dataset.cannedUrl,
    });
    // The canned-response picker (static/agent/canned.js) attaches once the box is on the page.
    this.input.addEventListener("focus", function () {
      if (window.CannedPicker) window.CannedPicker.attach(self.input);
    });
    this.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.defaultPrevented) {
        e.preventDefault();
        self.sendTyped();
      }
    });
    this.input.addEventListener("input", function () { self.sendTyping(); });
    this.composer = h("div", { class: "cc-composer" }, [
      this.input, h("button", { type: "button", class: "primary", text: t("send"), onclick: function () { self.sendTyped(); } }),
    ]);
    this.history = h("aside", { class: "cc-history" });
    this.panel = h("div", { class: "cc-panel", role: "tabpanel", "data-panel": id }, [
      h("header", { class: "cc-head" }, [
        h("div", {}, [this.title, this.meta]),
        h("div", { class: "cc-actions" }, [this.acceptButton, this.ticketButton, this.ticketLink]),
      ]),
      this.notice,
      h("div", { class: "cc-body" }, [
        h("div", { class: "cc-thread" }, [this.conn, this.log, this.typingLine, this.composer, this.transfer, this.closeForm]),
        this.history,
      ]),
    ]);
    panels.appendChild(this.panel);
    this.update(this.chat);
    this.load();
  }

  Tab.prototype.show = function (on) {
    this.panel.hidden = !on;
    this.button.setAttribute("aria-selected", String(on));
    if (on) {
      this.unread = 0;
      this.drawButton();
      this.markRead();
    }
  };
  Tab.prototype.drawButton = function () {
    var c = this.chat.customer || {};
    this.button.textContent = (c.name || c.email || t("chatId", { id: this.id })) + (this.unread ? " (" + this.unread + ")" : "");
    this.button.classList.toggle("has-unread", !!this.unread);
  };
  Tab.prototype.update = function (chat) {
    this.chat = Object.assign({}, this.chat, chat);
    var c = this.chat.customer || {};
    this.title.textContent = (c.name || "") + " ";
    this.title.appendChild(h("span", { class: "badge " + (c.verified ? "verified" : ""), text: c.verified ? t("verified") : t("unverified") }));
    // The visitor's language (a code: frames carry values, the page names nothing itself).
    if (c.language) this.title.appendChild(h("span", { class: "badge lang", lang: c.language, "data-language": c.language, text: c.language.toUpperCase() }));
    var statusText = t("status" + this.chat.status.charAt(0).toUpperCase() + this.chat.status.slice(1));
    this.meta.textContent = [c.email, t("chatId", { id: this.id }), statusText].filter(Boolean).join(" · ");
    var mine = this.chat.agent === cfg.me;
    var open = this.chat.status !== "closed";
    this.acceptButton.hidden = this.chat.status !== "waiting";
    this.composer.hidden = !(mine && this.chat.status === "active");
    this.transfer.hidden = this.closeForm.hidden = !(mine && this.chat.status === "active");
    this.ticketButton.hidden = !!this.chat.ticket || !mine;
    if (this.chat.ticket) this.showTicket(this.chat.ticket, this.ticketRef);
    if (!open) this.notice.textContent = t("closedChat");
    this.drawButton();
  };
  Tab.prototype.showTicket = function (number, reference) {
    if (reference) this.ticketRef = reference;
    reference = this.ticketRef;
    this.ticketLink.hidden = false;
    this.ticketLink.href = cfg.ticketPage + number + "/";
    this.ticketLink.textContent = t("ticketMade", { reference: reference || "#" + number });
    this.ticketButton.hidden = true;
  };
  Tab.prototype.load = function () {
    var self = this;
    api("GET", "chats/" + this.id + "/").then(function (res) {
      if (!res.ok) return;
      self.update(res.data);
      self.drawHistory(res.data);
      if (self.chat.agent === cfg.me && self.chat.status === "active") self.connect();
      else self.preview();
    });
  };
  Tab.prototype.preview = function () {
    // Not ours (yet): read the messages over REST, without joining the chat.
    var self = this;
    api("GET", "chats/" + this.id + "/messages/?page_size=100").then(function (res) {
      if (!res.ok) return;
      (Array.isArray(res.data) ? res.data : res.data.results || []).forEach(function (m) { self.add(m); });
      self.drawLog();
    });
  };
  Tab.prototype.drawHistory = function (chat) {
    this.history.textContent = "";
    this.history.appendChild(h("h3", { text: t("history") }));
    if (!chat.customer || !chat.customer.verified) {
      this.history.appendChild(h("p", { class: "muted small", text: t("historyUnverified") }));
      return;
    }
    var past = chat.visitor_history || {};
    var earlierChats = (past.chats || []).filter(function (c) { return c.id !== chat.id; });
    var tickets = past.tickets || [];
    if (!earlierChats.length && !tickets.length) {
      this.history.appendChild(h("p", { class: "muted small", text: t("historyNone") }));
      return;
    }
    if (earlierChats.length) {
      this.history.appendChild(h("h4", { text: t("historyChats") }));
      this.history.appendChild(h("ul", {}, earlierChats.map(function (c) {
        return h("li", { class: "small" }, [
          t("chatId", { id: c.id }) + " · " + new Date(c.created_at).toLocaleDateString(document.documentElement.lang || undefined) + " · " +
            t("status" + c.status.charAt(0).toUpperCase() + c.status.slice(1)),
          c.ticket ? h("a", { href: cfg.ticketPage + c.ticket + "/", text: " #" + c.ticket }) : null,
        ]);
      })));
    }
    if (tickets.length) {
      this.history.appendChild(h("h4", { text: t("historyTickets") }));
      this.history.appendChild(h("ul", {}, tickets.map(function (tk) {
        return h("li", { class: "small" }, [
          h("a", { href: cfg.ticketPage + tk.number + "/", text: (tk.reference || "#" + tk.number) + " " + (tk.subject || "") }),
          " · " + (tk.status || ""),
        ]);
      })));
    }
  };

  Tab.prototype.connect = function () {
    var self = this;
    clearTimeout(this.reconnectTimer);
    if (this.ws || this.chat.status === "closed" || this.destroyed) return;
    var url = WS_ORIGIN + cfg.chatSocket + encodeURIComponent(this.id) + "/" + (this.lastSeq ? "?after=" + this.lastSeq : "");
    var socket = new WebSocket(url);
    var ready = false;
    this.ws = socket;
    socket.onmessage = function (e) {
      var f = JSON.parse(e.data);
      if (f.type === "status" && !ready) {
        ready = true;
        self.attempts = 0;
        self.conn.hidden = true;
        self.outbox.forEach(function (item) { item.sent = false; });
        self.flush();
      }
      self.onFrame(f);
    };
    socket.onclose = function (e) {
      if (self.ws !== socket) return;
      self.ws = null;
      clearTimeout(self.flushTimer);
      self.flushTimer = null;
      if (FATAL_CLOSES[e.code] || self.chat.status === "closed" || self.destroyed) return;
      self.conn.hidden = false;
      var delay = Math.min(30000, 1000 * Math.pow(2, self.attempts++)) * (0.75 + Math.random() / 2);
      self.reconnectTimer = setTimeout(function () { self.connect(); }, delay);
    };
  };
  Tab.prototype.add = function (m) {
    if (m.seq == null || this.messages[m.seq]) return false;
    this.messages[m.seq] = m;
    while (this.messages[this.lastSeq + 1]) this.lastSeq++;
    var cid = m.client_id;
    this.outbox = this.outbox.filter(function (item) { return item.id !== cid; });
    return true;
  };
  Tab.prototype.onFrame = function (f) {
    if (f.type === "message") {
      if (!this.add(f)) return;
      if (f.author && f.author.role === "customer") {
        if (this.panel.hidden) this.unread++;
        this.drawButton();
        this.markRead();
        this.typingLine.textContent = "";
      }
      this.drawLog();
    } else if (f.type === "typing" && f.role !== "agent") {
      var self = this;
      this.typingLine.textContent = t("typing", { name: this.chat.customer.name || t("visitor") });
      clearTimeout(this.typingTimer);
      this.typingTimer = setTimeout(function () { self.typingLine.textContent = ""; }, 4000);
    } else if (f.type === "read" && f.role !== "agent") {
      if (f.seq > this.visitorRead) {
        this.visitorRead = f.seq;
        this.drawLog();
      }
    } else if (f.type === "status") {
      if (f.ticket) this.ticketRef = f.ticket; // the status frame names the ticket by reference
      this.update({ status: f.status });
      if (f.status === "closed") {
        chats.delete(this.id);
        drawLists();
      }
    } else if (f.type === "error" && f.client_id) {
      var item = this.outbox.filter(function (i) { return i.id === f.client_id; })[0];
      if (item) {
        item.sent = false;
        item.tries = (item.tries || 0) + 1;
        item.at = Date.now() + Math.min(30000, 1000 * item.tries);
        if (FINAL_ERRORS[f.code]) item.bad = f.detail || f.code;
        this.drawLog();
        this.flush();
      }
    } else if (f.type === "error") {
      this.notice.textContent = f.detail || f.code;
    }
  };
  Tab.prototype.drawLog = function () {
    var self = this;
    this.log.textContent = "";
    var seqs = Object.keys(this.messages).map(Number).sort(function (a, b) { return a - b; });
    var lastMine = 0;
    seqs.forEach(function (seq) {
      var m = self.messages[seq];
      var role = (m.author && m.author.role) || m.role || "system";
      if (role === "agent" && seq <= self.visitorRead) lastMine = seq;
      var name = role === "agent" ? (m.author && m.author.name) || t("you") : role === "system" ? "" : self.chat.customer.name || t("visitor");
      self.log.appendChild(h("li", { class: "cc-msg cc-" + role, "data-seq": seq }, [
        h("div", { class: "cc-msg-head small" }, [h("strong", { text: name }), " ", h("time", { datetime: m.created_at, text: clock(m.created_at) })]),
        h("div", { class: "body", text: m.body }),
      ]));
    });
    this.outbox.forEach(function (item) {
      self.log.appendChild(h("li", { class: "cc-msg cc-agent cc-pending", "data-client-id": item.id }, [
        h("div", { class: "cc-msg-head small muted", text: item.bad || (self.ws && self.ws.readyState === 1 ? t("sending") : t("queued")) }),
        h("div", { class: "body", text: item.body }),
      ]));
    });
    if (lastMine) {
      var head = this.log.querySelector('[data-seq="' + lastMine + '"] .cc-msg-head');
      if (head) head.appendChild(h("span", { class: "cc-read", text: " · " + t("read") }));
    }
    this.log.scrollTop = this.log.scrollHeight;
  };
  Tab.prototype.flush = function () {
    var self = this;
    if (this.flushTimer || !this.ws || this.ws.readyState !== 1) return;
    var next = this.outbox.filter(function (i) { return !i.sent && !i.bad; })[0];
    if (!next) return;
    this.flushTimer = setTimeout(function () {
      self.flushTimer = null;
      if (!self.ws || self.ws.readyState !== 1 || next.sent) return;
      self.ws.send(JSON.stringify({ type: "message", body: next.body, client_id: next.id }));
      next.sent = true;
      self.flushTimer = setTimeout(function () {
        self.flushTimer = null;
        self.flush();
      }, SEND_GAP);
    }, Math.max(0, (next.at || 0) - Date.now()));
  };
  Tab.prototype.sendTyped = function () {
    var body = this.input.value.trim();
    if (!body) return;
    this.input.value = "";
    this.outbox.push({ id: newId(), body: body, sent: false });
    this.drawLog();
    this.flush();
  };
  Tab.prototype.sendTyping = function () {
    var now = Date.now();
    if (this.ws && this.ws.readyState === 1 && now - this.lastTyping > TYPING_GAP) {
      this.lastTyping = now;
      this.ws.send(JSON.stringify({ type: "typing" }));
    }
  };
  Tab.prototype.markRead = function () {
    if (this.panel.hidden || document.hidden || !this.ws || this.ws.readyState !== 1) return;
    var self = this;
    var top = 0;
    Object.keys(this.messages).forEach(function (s) {
      var m = self.messages[s];
      if (m.author && m.author.role === "customer") top = Math.max(top, +s);
    });
    if (top > this.sentRead) {
      this.sentRead = top;
      this.ws.send(JSON.stringify({ type: "read", seq: top }));
    }
  };
  Tab.prototype.doTransfer = function (email, label) {
    var self = this;
    if (!email) return;
    api("POST", "chats/" + this.id + "/transfer/", { agent: email }).then(function (res) {
      if (!res.ok) {
        self.notice.textContent = t("failed", { detail: detailOf(res) });
        return;
      }
      self.notice.textContent = t("transferred", { name: label });
      self.update(res.data && res.data.id ? res.data : { agent: email });
      upsert(self.chat);
      drawLists();
      self.stop();
    });
  };
  Tab.prototype.makeTicket = function () {
    var self = this;
    this.ticketButton.disabled = true;
    api("POST", "chats/" + this.id + "/ticket/").then(function (res) {
      self.ticketButton.disabled = false;
      if (!res.ok) {
        self.notice.textContent = t("failed", { detail: detailOf(res) });
        return;
      }
      self.chat.ticket = res.data.number;
      self.showTicket(res.data.number, res.data.reference);
    });
  };
  Tab.prototype.doClose = function () {
    var self = this;
    var payload = this.summary.value.trim() ? { summary: this.summary.value.trim() } : {};
    api("POST", "chats/" + this.id + "/close/", payload).then(function (res) {
      if (!res.ok) {
        self.notice.textContent = t("failed", { detail: detailOf(res) });
        return;
      }
      self.update(res.data && res.data.id ? res.data : { status: "closed" });
      chats.delete(self.id);
      drawLists();
    });
  };
  Tab.prototype.stop = function () {
    clearTimeout(this.reconnectTimer);
    if (this.ws) {
      var socket = this.ws;
      this.ws = null;
      socket.close(1000);
    }
  };
  Tab.prototype.destroy = function () {
    this.destroyed = true;
    this.stop();
    this.panel.remove();
    this.button.parentNode.remove();
    tabs.delete(this.id);
    var first = tabs.keys().next();
    if (!first.done) select(first.value);
    else empty.hidden = false;
  };

  document.addEventListener("visibilitychange", function () {
    tabs.forEach(function (tab) { tab.markRead(); });
  });
  window.addEventListener("online", function () {
    tabs.forEach(function (tab) {
      tab.attempts = 0;
      tab.connect();
    });
  });

  // --- Start ------------------------------------------------------------------------------------
  loadLists().then(function () {
    chats.forEach(function (chat) {
      if (chat.status === "active" && chat.agent === cfg.me) openTab(chat.id);
    });
  });
  queueSocket();
  // The queue socket's frames are best effort (a lost one costs nothing): re-read now and then.
  setInterval(loadLists, 30000);
  if (localStorage.getItem(PRESENCE_KEY) === "1") setPresence(true);
})();
