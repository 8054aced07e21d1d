/*
 * The help desk's chat widget (issue 11; CONTRACT sections 4 and 6). One tag on a customer's page:
 *   <script src="https://HELPDESK/static/chat/widget.js" data-tenant="acme"></script>
 * Optional: data-lang (else <html lang>), data-user-email + data-user-hash (tenant-signed
 * identity), data-user-name.
 *
 * Words: the server's gettext catalog (chat/widget_strings.py), fetched once at start from
 * chat/strings/?lang=<the visitor's pick>,<the page's lang>; the server answers in the first
 * of those the tenant speaks, else in its default language, and lists the tenant's languages
 * for the picker in the header. The pick is remembered in localStorage. Every later request
 * says that language (Accept-Language), so the server's own words (errors, opening times) are
 * in it too, and so is the chat it starts (its emails).
 *
 * Plain JavaScript, no dependency. Everything lives in a shadow root with its own styles, so the
 * host page's CSS cannot reach in and ours cannot leak out. Text a person typed is only ever set
 * with textContent.
 *
 * Delivery: every outgoing message waits in an outbox (kept in sessionStorage with its client_id)
 * until the server echoes the stored frame back; the outbox drains at most one message per
 * SEND_GAP ms (under the server's 10/s), so a burst typed offline does not trip the limit, and an
 * `error` frame naming a client_id puts that message back. Incoming frames are deduplicated by
 * seq, and a reconnect asks only for what came after the last seq held (?after=).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__helpdeskChat) return;
  window.__helpdeskChat = true;

  var SEND_GAP = 150; // ms between two outgoing messages: under 7 a second
  var TYPING_GAP = 2000; // the server drops typing frames closer than this
  var MAX_BACKOFF = 30000;
  var FATAL_CLOSES = { 4401: 1, 4403: 1, 4404: 1 };
  // Errors a resend cannot cure (anything else, e.g. the rate limit, is retried later).
  var FINAL_ERRORS = { too_long: 1, empty: 1, invalid: 1, bad_client_id: 1, notallowed: 1, bad_json: 1 };

  var ORIGIN = new URL(script.src, location.href).origin;
  var TENANT = script.getAttribute("data-tenant") || "";
  var API = ORIGIN + "/api/v1/t/" + encodeURIComponent(TENANT) + "/";
  var KEY = "helpdesk-chat:" + ORIGIN + ":" + TENANT;
  var USER_EMAIL = script.getAttribute("data-user-email") || "";
  var USER_HASH = script.getAttribute("data-user-hash") || "";
  var USER_NAME = script.getAttribute("data-user-name") || "";
  var PAGE_LANG = script.getAttribute("data-lang") || document.documentElement.lang || "";
  var LANG_KEY = "helpdesk-chat-lang:" + ORIGIN + ":" + TENANT;
  var LANG = ""; // the language the server chose (chat/strings/): what everything speaks
  var languages = []; // the tenant's, for the picker: [{code, name}]

  // Only for a rejoined chat whose strings cannot be fetched (the server is unreachable):
  // everything else waits for the server's words.
  var strings = {
    launcher: "Chat", title: "Chat", close: "Close", send: "Send", agent: "Agent", you: "You",
    reconnecting: "Connection lost. Reconnecting…", failed: "Something went wrong. Please try again.",
  };
  function picked() {
    try {
      return localStorage.getItem(LANG_KEY) || "";
    } catch (e) {
      return "";
    }
  }
  function t(key, vars) {
    var text = strings[key] || "";
    return text.replace(/\{(\w+)\}/g, function (_, name) {
      return vars && vars[name] != null ? String(vars[name]) : "";
    });
  }
  function clock(iso) {
    try {
      return new Intl.DateTimeFormat(LANG || undefined, { hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
    } catch (e) {
      return "";
    }
  }
  function when(iso) {
    try {
      return new Intl.DateTimeFormat(LANG || undefined, {
        weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit",
      }).format(new Date(iso));
    } catch (e) {
      return iso;
    }
  }

  // --- State kept across a reload (sessionStorage: this tab only) -----------------------------
  var state = load();
  function load() {
    try {
      return JSON.parse(sessionStorage.getItem(KEY)) || { outbox: [] };
    } catch (e) {
      return { outbox: [] };
    }
  }
  function save() {
    try {
      sessionStorage.setItem(KEY, JSON.stringify(state));
    } catch (e) {
      /* private mode or full: the chat still works for this page view */
    }
  }
  function forget() {
    state = { outbox: [] };
    save();
  }

  // --- The page of the chat in memory -----------------------------------------------------------
  var messages = {}; // seq -> frame
  var lastSeq = 0; // highest contiguous seq held; what ?after= asks from
  var status = null; // waiting | active | closed
  var agentName = "";
  var agentRead = 0; // the agent has read up to this seq
  var sentRead = 0;
  var position = null;
  var offer = ""; // why a waiting chat offers leave-a-message: wait_limit | closed_hours
  var ticketRef = null;
  var everActive = false;
  var ws = null;
  var attempts = 0;
  var reconnectTimer = null;
  var flushTimer = null;
  var lastTyping = 0;
  var typingTimer = null;
  var unread = 0;
  var open = !!state.open;
  var view = null; // form | offline | left | chat | loading | unusable
  var availability = null;

  // --- DOM --------------------------------------------------------------------------------------
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v == null || v === false) continue;
      if (k === "text") el.textContent = v;
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    (children || []).forEach(function (c) {
      if (c) el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return el;
  }

  var CSS =
    ":host{all:initial!important;position:fixed!important;right:20px!important;bottom:20px!important;z-index:2147483000!important;display:block!important}" +
    ".w{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2430;text-align:left}" +
    ".w *{box-sizing:border-box;margin:0}button,input,textarea,select{font:inherit;color:inherit}" +
    "button{cursor:pointer;border:1px solid #d0d5dd;background:#fff;border-radius:8px;padding:6px 12px}" +
    "button.p{background:#2b5fd9;border-color:#2b5fd9;color:#fff}button:disabled{opacity:.6;cursor:default}" +
    "button.l{border:0;background:none;color:#2b5fd9;padding:0;text-decoration:underline}" +
    ".launch{display:flex;align-items:center;gap:8px;background:#2b5fd9;color:#fff;border:0;border-radius:24px;padding:12px 18px;box-shadow:0 4px 14px rgba(0,0,0,.2);font-weight:600;margin-left:auto}" +
    ".badge{background:#b42318;color:#fff;border-radius:10px;padding:0 7px;font-size:12px}" +
    ".panel{width:360px;max-width:calc(100vw - 40px);height:520px;max-height:calc(100vh - 100px);display:flex;flex-direction:column;background:#fff;border:1px solid #e3e6eb;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.18);overflow:hidden;margin-bottom:12px}" +
    ".head{background:#2b5fd9;color:#fff;padding:12px 14px;display:flex;align-items:flex-start;gap:8px}" +
    ".head .t{flex:1}.head b{display:block;font-size:15px}.head small{display:block;opacity:.9;font-size:12px}" +
    ".head button{background:none;border:0;color:#fff;font-size:18px;line-height:1;padding:2px 6px}" +
    ".head select{font-size:12px;border:0;border-radius:6px;padding:2px 4px;max-width:130px;background:#fff;color:#1f2430}" +
    ".body{flex:1;overflow-y:auto;padding:12px 14px;display:flex;flex-direction:column;gap:8px}" +
    "label{display:block;font-weight:600;font-size:13px;margin-top:6px}" +
    "input,textarea{display:block;width:100%;border:1px solid #d0d5dd;border-radius:8px;padding:7px 9px;background:#fff;margin-top:3px}" +
    "textarea{resize:vertical;min-height:70px}" +
    ".err{color:#b42318;font-size:13px}.note{color:#667085;font-size:13px}.ok{color:#067647}" +
    ".m{max-width:85%;padding:7px 10px;border-radius:12px;background:#f2f4f7;white-space:pre-wrap;overflow-wrap:anywhere}" +
    ".m.me{align-self:flex-end;background:#dfe9ff}.m.sys{align-self:center;background:none;color:#667085;font-size:12px;text-align:center}" +
    ".m .meta{display:block;font-size:11px;color:#667085;margin-top:2px}.m .who{display:block;font-size:11px;font-weight:600;color:#475467}" +
    ".m.pending{opacity:.7}.m.bad{border:1px solid #b42318}" +
    ".typing{min-height:18px;padding:0 14px;font-size:12px;color:#667085;font-style:italic}" +
    ".conn{background:#fef0c7;color:#7a2e0e;font-size:12px;padding:4px 14px}" +
    ".foot{border-top:1px solid #e3e6eb;padding:8px;display:flex;gap:6px;align-items:flex-end}" +
    ".foot textarea{min-height:38px;height:38px;margin:0;resize:none}" +
    ".actions{display:flex;gap:10px;justify-content:space-between;padding:6px 14px;border-top:1px solid #e3e6eb;font-size:12px}" +
    ".stars{display:flex;gap:4px;margin:6px 0}.stars button{padding:4px 9px;font-size:16px}.stars button[aria-pressed=true]{background:#fde68a;border-color:#d97706}" +
    ".card{border:1px solid #e3e6eb;border-radius:10px;padding:10px;background:#f9fafb;display:flex;flex-direction:column;gap:6px}";

  var host = document.createElement("helpdesk-chat");
  var root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets && typeof CSSStyleSheet === "function" && CSSStyleSheet.prototype.replaceSync) {
    // A constructed sheet is not an inline <style>, so a host page's CSP does not block it.
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(h("style", { text: CSS }));
  }
  var wrap = h("div", { class: "w", part: "widget" });
  root.appendChild(wrap);
  var panel = h("div", { class: "panel", role: "dialog", "aria-label": t("title"), hidden: true });
  var badge = h("span", { class: "badge", hidden: true });
  var launchText = h("span");
  var launcher = h("button", { class: "launch", type: "button", "aria-expanded": "false", onclick: toggle }, [
    launchText,
    badge,
  ]);
  var launchRow = h("div", { class: "lrow" }, [launcher]);
  wrap.appendChild(panel);
  wrap.appendChild(launchRow);

  // The panel's parts, rebuilt by each view.
  var headSub, body, typingLine, connLine, foot, actions, log, input;
  var redraw = null; // shows the current view again (in another language)

  // The words changed (first fetch, or the visitor picked a language).
  function speak(data) {
    strings = data.strings || strings;
    LANG = data.language || LANG;
    languages = data.languages || languages;
    wrap.setAttribute("lang", LANG);
    launchText.textContent = t("launcher");
    panel.setAttribute("aria-label", t("title"));
  }

  function fetchStrings(wanted) {
    return api("GET", "chat/strings/?lang=" + encodeURIComponent(wanted.filter(Boolean).join(",")));
  }

  function picker() {
    if (languages.length < 2) return null;
    var select = h("select", { class: "lang", name: "language", "aria-label": t("language") });
    languages.forEach(function (l) {
      select.appendChild(h("option", { value: l.code, lang: l.code, selected: l.code === LANG, text: l.name }));
    });
    select.addEventListener("change", function () {
      var code = select.value;
      try {
        localStorage.setItem(LANG_KEY, code);
      } catch (e) {
        /* not remembered: this page view still switches */
      }
      fetchStrings([code]).then(function (res) {
        if (!res.ok) return;
        speak(res.data);
        if (redraw) redraw();
      });
    });
    return select;
  }

  function frame(sub) {
    panel.textContent = "";
    headSub = h("small", { text: sub || "" });
    panel.appendChild(
      h("div", { class: "head" }, [
        h("div", { class: "t" }, [h("b", { text: t("title") }), headSub]),
        picker(),
        h("button", { type: "button", "aria-label": t("close"), text: "×", onclick: toggle }),
      ])
    );
    connLine = h("div", { class: "conn", role: "status", hidden: true, text: t("reconnecting") });
    body = h("div", { class: "body" });
    panel.appendChild(connLine);
    panel.appendChild(body);
  }

  function toggle() {
    open = !open;
    state.open = open;
    save();
    render();
    if (open) {
      unread = 0;
      markRead();
      if (input) input.focus();
    }
  }

  function render() {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    badge.hidden = !unread || open;
    badge.textContent = String(unread);
  }

  function field(label, attrs) {
    var el = h(attrs.rows ? "textarea" : "input", attrs);
    return { label: h("label", {}, [label, el]), input: el };
  }

  // --- Views --------------------------------------------------------------------------------------
  function showForm(error, typed) {
    view = "form";
    typed = typed || {};
    redraw = function () {
      // Another language: the same form, what was typed kept.
      showForm("", { n: name.input.value, e: email.input.value, m: msg.input.value });
    };
    frame(t("intro"));
    var name = field(t("name"), { name: "name", autocomplete: "name", required: true, maxlength: 200, value: typed.n || USER_NAME || state.name });
    var email = field(t("email"), { name: "email", type: "email", autocomplete: "email", required: true, maxlength: 254, value: typed.e || USER_EMAIL || state.email });
    var msg = field(t("message"), { name: "message", rows: 3, required: true, maxlength: 4000 });
    msg.input.value = typed.m || "";
    var err = h("p", { class: "err", role: "alert", text: error || "" });
    var button = h("button", { class: "p", type: "submit", text: t("start") });
    var form = h("form", { class: "card", novalidate: false }, [name.label, email.label, msg.label, err, button]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      button.disabled = true;
      err.textContent = "";
      startChat(name.input.value.trim(), email.input.value.trim(), msg.input.value.trim()).then(
        null,
        function (problem) {
          button.disabled = false;
          err.textContent = problem;
        }
      );
    });
    body.appendChild(form);
  }

  // `why`: a string's key ("busy") or ""; `next`: when chat opens again (ISO) and `nextText`,
  // the server's sentence for it (in the visitor's language, the calendar's zone, named).
  function showOffline(why, prefill, next, nextText) {
    view = "offline";
    redraw = function () {
      if (!next) return showOffline(why, prefill);
      api("GET", "chat/availability/").then(function (res) {
        showOffline(why, prefill, next, res.ok && res.data.next_open === next ? res.data.next_open_text : "");
      });
    };
    frame(t("leave"));
    if (next) body.appendChild(h("p", { class: "note", "data-next-open": next, text: t("closedNow") + " " + (nextText || when(next)) }));
    body.appendChild(h("p", { text: why ? t(why) + " " + t("leaveIntro") : t("leaveIntro") }));
    var name = field(t("name"), { name: "name", autocomplete: "name", required: true, maxlength: 200, value: USER_NAME || state.name });
    var email = field(t("email"), { name: "email", type: "email", autocomplete: "email", required: true, maxlength: 254, value: USER_EMAIL || state.email });
    var msg = field(t("message"), { name: "message", rows: 5, required: true });
    msg.input.value = prefill || "";
    var err = h("p", { class: "err", role: "alert" });
    var button = h("button", { class: "p", type: "submit", text: t("sendMessage") });
    var form = h("form", { class: "card" }, [name.label, email.label, msg.label, err, button]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      button.disabled = true;
      var payload = { name: name.input.value.trim(), email: email.input.value.trim(), message: msg.input.value.trim() };
      api("POST", "chat/offline-message/", payload).then(function (res) {
        if (res.ok) {
          forget();
          view = "left";
          redraw = null;
          frame();
          body.appendChild(h("p", { class: "card ok", role: "status", text: t("left") }));
        } else {
          button.disabled = false;
          err.textContent = problemText(res);
        }
      });
    });
    body.appendChild(form);
  }

  function showUnusable(text) {
    view = "unusable";
    redraw = null;
    frame();
    body.appendChild(h("p", { class: "note", text: text }));
  }

  function showChat() {
    view = "chat";
    redraw = showChat;
    frame(state.id ? t("chatId", { id: state.id }) : "");
    headSub.setAttribute("data-chat-id", state.id || "");
    log = h("div", { class: "log", role: "log", "aria-live": "polite" });
    body.appendChild(log);
    typingLine = h("div", { class: "typing", "aria-live": "polite" });
    panel.appendChild(typingLine);
    input = h("textarea", { name: "reply", rows: 1, maxlength: 4000, placeholder: t("placeholder"), "aria-label": t("placeholder") });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        sendTyped();
      }
    });
    input.addEventListener("input", sendTyping);
    foot = h("div", { class: "foot" }, [input, h("button", { class: "p", type: "button", text: t("send"), onclick: sendTyped })]);
    panel.appendChild(foot);
    actions = h("div", { class: "actions" }, [
      h("button", { class: "l", type: "button", text: t("transcript"), onclick: askTranscript }),
      h("button", { class: "l", type: "button", text: t("endChat"), "data-action": "end", onclick: endChat }),
    ]);
    panel.appendChild(actions);
    drawLog();
    drawStatus();
  }

  function drawStatus() {
    if (view !== "chat") return;
    var parts = [t("chatId", { id: state.id })];
    if (status === "active" && agentName) parts.push(t("chattingWith", { name: agentName }));
    else if (status === "waiting") parts.push(position ? t("waiting") + " " + t("position", { n: position }) : t("waiting"));
    else if (status === "closed") parts.push(t("ended"));
    headSub.textContent = parts.join(" · ");
    connLine.hidden = !state.token || status === "closed" || !!(ws && ws.readyState === 1);
    var closed = status === "closed";
    foot.hidden = closed;
    actions.lastChild.hidden = closed;
    var card = body.querySelector(".noagent");
    if (offer && status === "waiting" && !card) drawOffer(offer);
    else if (card && (!offer || status !== "waiting")) card.remove();
    if (ticketRef && !body.querySelector(".ticketref")) body.appendChild(h("p", { class: "card ticketref", text: t("becameTicket", { ref: ticketRef }) }));
    if (closed && !body.querySelector(".end")) drawEnd();
  }

  // Nobody accepted in time (wait limit), or the calendar closed meanwhile: offer to leave a
  // message. The server turns the waiting chat into a ticket whose thread is the conversation so
  // far (POST chats/<id>/ticket/ with the chat token), plus what the visitor adds here.
  function drawOffer(reason) {
    var extra = h("textarea", { name: "extra", rows: 2, maxlength: 4000, "aria-label": t("addMore"), placeholder: t("addMore") });
    var err = h("p", { class: "err", role: "alert" });
    var button = h("button", {
      class: "p", type: "button", text: t("leave"), "data-action": "leave",
      onclick: function () {
        button.disabled = true;
        var pending = state.outbox.map(function (i) { return i.b; });
        var message = pending.concat(extra.value.trim() ? [extra.value.trim()] : []).join("\n\n");
        api("POST", "chats/" + state.id + "/ticket/", message ? { message: message } : {}, true).then(function (res) {
          if (!res.ok) {
            button.disabled = false;
            err.textContent = problemText(res);
            return;
          }
          forget();
          reset();
          view = "left";
          redraw = null;
          frame();
          body.appendChild(h("p", { class: "card ok", role: "status", text: t("left") }));
        });
      },
    });
    body.appendChild(h("div", { class: "card noagent" }, [h("p", { text: t(reason === "closed_hours" ? "closedMeanwhile" : "noAgent") }), extra, err, button]));
    body.scrollTop = body.scrollHeight;
  }

  function drawLog() {
    if (!log) return;
    log.textContent = "";
    Object.keys(messages)
      .map(Number)
      .sort(function (a, b) { return a - b; })
      .forEach(function (seq) { log.appendChild(bubble(messages[seq])); });
    state.outbox.forEach(function (item) {
      var el = h("div", { class: "m me pending" + (item.bad ? " bad" : ""), "data-client-id": item.c }, [
        h("span", { class: "who", text: t("you") }),
        item.b,
        h("span", { class: "meta", text: item.bad ? t("notSent") + (typeof item.bad === "string" ? ": " + item.bad : "") : ws && ws.readyState === 1 ? t("sending") : t("queued") }),
      ]);
      log.appendChild(el);
    });
    var lastMine = 0;
    Object.keys(messages).forEach(function (seq) {
      if (isMine(messages[seq]) && +seq <= agentRead) lastMine = Math.max(lastMine, +seq);
    });
    if (lastMine) {
      var mark = log.querySelector('[data-seq="' + lastMine + '"] .meta');
      if (mark) mark.appendChild(h("span", { class: "read", text: " · " + t("read") }));
    }
    body.scrollTop = body.scrollHeight;
  }

  function isMine(m) {
    return m.author && (m.author.role === "customer" || m.author.role === "visitor");
  }

  function bubble(m) {
    var role = m.author ? m.author.role : "system";
    var cls = role === "system" ? "m sys" : isMine(m) ? "m me" : "m";
    var who = role === "system" ? null : isMine(m) ? t("you") : m.author.name || t("agent");
    return h("div", { class: cls, "data-seq": m.seq, "data-role": role }, [
      who && h("span", { class: "who", text: who }),
      m.body,
      h("span", { class: "meta", text: clock(m.created_at) }),
    ]);
  }

  function drawEnd() {
    var chosen = 0;
    var stars = h("div", { class: "stars", role: "group", "aria-label": t("rate") });
    for (var n = 1; n <= 5; n++) {
      (function (n) {
        stars.appendChild(
          h("button", {
            type: "button", text: "★", "aria-label": t("star", { n: n }), "aria-pressed": "false", "data-rating": n,
            onclick: function () {
              chosen = n;
              Array.prototype.forEach.call(stars.children, function (b, i) { b.setAttribute("aria-pressed", String(i < n)); });
              sendButton.disabled = false;
            },
          })
        );
      })(n);
    }
    var comment = h("textarea", { name: "comment", rows: 2, maxlength: 2000, "aria-label": t("comment"), placeholder: t("comment") });
    var out = h("p", { class: "note", role: "status" });
    var sendButton = h("button", {
      class: "p", type: "button", text: t("sendRating"), disabled: true,
      onclick: function () {
        sendButton.disabled = true;
        api("POST", "chats/" + state.id + "/rating/", { rating: chosen, comment: comment.value.trim() }, true).then(function (res) {
          if (res.ok || res.status === 409) {
            state.rated = true;
            save();
            card.textContent = "";
            card.appendChild(h("p", { class: "ok", text: t("thanks") }));
          } else {
            sendButton.disabled = false;
            out.textContent = problemText(res);
          }
        });
      },
    });
    var rateable = everActive || agentName;
    var card = h("div", { class: "card rating" }, state.rated || !rateable
      ? [h("p", { class: rateable ? "ok" : "", text: rateable ? t("thanks") : t("ended") })]
      : [h("p", { text: t("ended") + " " + t("rate") }), stars, comment, sendButton, out]);
    var end = h("div", { class: "end" }, [card, h("button", { type: "button", text: t("newChat"), onclick: function () { forget(); reset(); showForm(); } })]);
    body.appendChild(end);
    body.scrollTop = body.scrollHeight;
  }

  // --- HTTP -----------------------------------------------------------------------------------------
  function api(method, path, payload, withToken) {
    var headers = { Accept: "application/json" };
    if (LANG) headers["Accept-Language"] = LANG; // the server answers in the widget's language
    if (payload) headers["Content-Type"] = "application/json";
    if (withToken) headers.Authorization = "Chat " + state.token;
    return fetch(API + path, {
      method: method, headers: headers, body: payload ? JSON.stringify(payload) : undefined,
      credentials: "omit", mode: "cors",
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

  function problemText(res) {
    if (res.status === 429) return t("tooMany");
    if (res.status === 403) return t("unavailable");
    var data = res.data || {};
    if (res.status === 400 && typeof data === "object") {
      var first = Object.keys(data)[0];
      var detail = first && data[first];
      if (detail) return (first === "detail" || first === "non_field_errors" ? "" : first + ": ") + (Array.isArray(detail) ? detail.join(" ") : String(detail));
    }
    return data.detail ? String(data.detail) : t("failed");
  }

  function startChat(name, email, message) {
    var payload = { name: name, email: email, message: message, language: LANG || undefined };
    if (USER_EMAIL && USER_HASH) {
      payload.user_email = USER_EMAIL;
      payload.user_hash = USER_HASH;
    }
    return api("POST", "chats/", payload).then(function (res) {
      if (!res.ok) {
        // 409: chat is not offered now (it may say when it opens); 429 too_many_waiting: the
        // tenant's queue is full. Either way the visitor can still leave their message.
        var code = res.data && (res.data.code || res.data.reason);
        if (res.status === 409 || (res.status === 429 && code === "too_many_waiting")) {
          state.name = name;
          state.email = email;
          var data = res.data || {};
          showOffline(data.next_open ? "" : "busy", message, data.next_open, data.next_open_text);
          return;
        }
        throw problemText(res);
      }
      reset();
      state = { id: res.data.id, token: res.data.token, ws: res.data.ws_url, name: name, email: email, outbox: [], open: true };
      status = res.data.status || "waiting";
      save();
      showChat();
      connect();
    });
  }

  function askTranscript(e) {
    var button = e.target;
    button.disabled = true;
    api("POST", "chats/" + state.id + "/transcript/", {}, true).then(function (res) {
      button.textContent = res.ok ? t("transcriptSent", { email: state.email || "" }) : problemText(res);
    });
  }

  function endChat(e) {
    e.target.disabled = true;
    api("POST", "chats/" + state.id + "/close/", {}, true).then(function (res) {
      e.target.disabled = false;
      if (res.ok) {
        status = "closed";
        drawStatus();
      }
    });
  }

  // --- The socket -----------------------------------------------------------------------------------
  function socketUrl() {
    var url = /^wss?:/.test(state.ws) ? state.ws : ORIGIN.replace(/^http/, "ws") + state.ws;
    return url + (lastSeq ? (url.indexOf("?") < 0 ? "?" : "&") + "after=" + lastSeq : "");
  }

  function connect() {
    clearTimeout(reconnectTimer);
    if (ws || !state.token || (status === "closed" && lastSeq)) return;
    if (navigator.onLine === false) return; // the `online` event brings us back
    var socket = new WebSocket(socketUrl());
    ws = socket;
    var ready = false;
    socket.onmessage = function (e) {
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      if (f.type === "status" && !ready) {
        // The replay is over: now what is still in the outbox really is unsent.
        ready = true;
        attempts = 0;
        state.outbox.forEach(function (item) { item.s = 0; });
        flush();
      }
      onFrame(f);
    };
    socket.onclose = function (e) {
      if (ws !== socket) return;
      ws = null;
      clearTimeout(flushTimer);
      flushTimer = null;
      if (FATAL_CLOSES[e.code]) {
        // The token expired or the chat is gone: this chat cannot be resumed.
        forget();
        reset();
        if (view === "chat") showUnusable(t("expired"));
        return;
      }
      if (status === "closed") return drawStatus();
      drawStatus();
      drawLog();
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    clearTimeout(reconnectTimer);
    var delay = Math.min(MAX_BACKOFF, 1000 * Math.pow(2, attempts++)) * (0.75 + Math.random() * 0.5);
    reconnectTimer = setTimeout(connect, delay);
  }

  function drop() {
    // The browser says the network is gone: a socket may look open for minutes on a dead line.
    if (ws) {
      var socket = ws;
      ws = null;
      socket.onclose = null;
      try { socket.close(); } catch (e) { /* already closing */ }
      clearTimeout(flushTimer);
      flushTimer = null;
      drawStatus();
      drawLog();
    }
  }

  function onFrame(f) {
    if (f.type === "message") {
      if (messages[f.seq]) return; // replayed or resent: we have it
      messages[f.seq] = f;
      while (messages[lastSeq + 1]) lastSeq++;
      var before = state.outbox.length;
      state.outbox = state.outbox.filter(function (item) { return item.c !== f.client_id; });
      if (state.outbox.length !== before) save();
      if (f.author && f.author.role === "agent") {
        if (f.author.name) agentName = f.author.name;
        everActive = true;
        if (!open) unread++;
        render();
        markRead();
      }
      drawLog();
      drawStatus();
    } else if (f.type === "typing") {
      if (f.role === "agent") showTyping();
    } else if (f.type === "read") {
      if (f.role === "agent" && f.seq > agentRead) {
        agentRead = f.seq;
        drawLog();
      }
    } else if (f.type === "status") {
      status = f.status;
      if (f.agent) agentName = f.agent;
      if (status === "active") everActive = true;
      position = typeof f.position === "number" ? f.position : null;
      offer = f.offer_message ? f.offer_reason || "wait_limit" : "";
      ticketRef = f.ticket || ticketRef;
      drawStatus();
    } else if (f.type === "position") {
      position = f.position;
      drawStatus();
    } else if (f.type === "error" && f.client_id) {
      var item = state.outbox.filter(function (i) { return i.c === f.client_id; })[0];
      if (item) {
        if (FINAL_ERRORS[f.code]) item.bad = f.detail || true;
        item.s = 0;
        item.r = (item.r || 0) + 1;
        item.at = Date.now() + Math.min(MAX_BACKOFF, 1000 * item.r);
        save();
        drawLog();
        flush();
      }
    }
  }

  function showTyping() {
    if (!typingLine) return;
    typingLine.textContent = t("typing", { name: agentName || t("agent") });
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingLine.textContent = ""; }, 4000);
  }

  // Sends the outbox in order, one message per SEND_GAP, each once per socket (a new socket
  // resends what was not acknowledged: the server stores a client_id once and answers again).
  function flush() {
    if (flushTimer || !ws || ws.readyState !== 1) return;
    var next = state.outbox.filter(function (i) { return !i.bad && !i.s; })[0];
    if (!next) return;
    var wait = Math.max(0, (next.at || 0) - Date.now());
    flushTimer = setTimeout(function () {
      flushTimer = null;
      if (!ws || ws.readyState !== 1 || next.s) return;
      ws.send(JSON.stringify({ type: "message", body: next.b, client_id: next.c }));
      next.s = 1;
      save();
      flushTimer = setTimeout(function () {
        flushTimer = null;
        flush();
      }, SEND_GAP);
    }, wait);
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function sendTyped() {
    var text = input.value.trim();
    if (!text || status === "closed") return;
    input.value = "";
    state.outbox.push({ c: newId(), b: text, s: 0 });
    save();
    drawLog();
    flush();
  }

  function sendTyping() {
    var now = Date.now();
    if (ws && ws.readyState === 1 && now - lastTyping > TYPING_GAP) {
      lastTyping = now;
      ws.send(JSON.stringify({ type: "typing" }));
    }
  }

  function markRead() {
    if (!open || document.hidden || !ws || ws.readyState !== 1) return;
    var top = 0;
    Object.keys(messages).forEach(function (s) { if (!isMine(messages[s])) top = Math.max(top, +s); });
    if (top > sentRead) {
      sentRead = top;
      ws.send(JSON.stringify({ type: "read", seq: top }));
    }
  }

  function reset() {
    drop();
    clearTimeout(reconnectTimer);
    messages = {};
    lastSeq = 0;
    status = null;
    agentName = "";
    agentRead = sentRead = 0;
    position = null;
    offer = "";
    ticketRef = null;
    everActive = false;
    attempts = 0;
  }

  // --- Start ------------------------------------------------------------------------------------------
  window.addEventListener("offline", drop);
  window.addEventListener("online", function () { attempts = 0; connect(); });
  document.addEventListener("visibilitychange", markRead);

  function unusable(res) {
    // This site is not one of the tenant's allowed origins (its 403 carries no CORS header, so
    // the script sees a network error), no such desk, or the desk is unreachable: a launcher
    // that cannot work would only mislead, so show nothing.
    if (res.status !== 0 && res.status !== 403 && res.status !== 404) return false;
    host.remove();
    if (window.console) console.warn("helpdesk chat: not available on this site (" + (res.status || "refused") + ")");
    return true;
  }

  // Before a chat: is chat offered now (in the visitor's language), else leave a message.
  function welcome() {
    api("GET", "chat/availability/").then(function (res) {
      if (unusable(res)) return;
      availability = res.ok ? res.data : null;
      if (availability && !availability.open) {
        var why = availability.reason === "no_agent" ? "busy" : "";
        showOffline(why, "", availability.next_open, availability.next_open_text);
      } else showForm();
    });
  }

  function boot() {
    fetchStrings([picked(), PAGE_LANG]).then(function (res) {
      if (state.token) {
        // A chat to rejoin: it goes on even when the words cannot be had (English fallback).
        if (res.ok) speak(res.data);
        else launchText.textContent = t("launcher");
        document.body.appendChild(host);
        render();
        status = "waiting";
        showChat();
        connect();
        return;
      }
      if (unusable(res)) return;
      if (!res.ok) return host.remove();
      speak(res.data);
      document.body.appendChild(host);
      render();
      welcome();
    });
  }

  if (document.body) boot();
  else document.addEventListener("DOMContentLoaded", boot);
})();
