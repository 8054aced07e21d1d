/*
 * The ticket workspace (templates/agent/workspace.html): the reply box's modes, keyboard
 * shortcuts, local times on hover and the collision notice (tickets/presence.py's socket).
 * Words come from the json_script "ws-strings"; no HTML is built from text.
 */
(function () {
  "use strict";

  const root = document.getElementById("workspace");
  if (!root) return;
  const t = JSON.parse(document.getElementById("ws-strings").textContent);
  const me = Number(root.dataset.me);
  const form = document.getElementById("reply-form");
  const body = document.getElementById("id_body");
  const status = document.getElementById("id_status");
  const draftKey = "ws-draft:" + root.dataset.tenant + ":" + root.dataset.ticket;

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) {
      return values[k] !== undefined ? values[k] : m;
    });
  }

  // -- local time on hover --------------------------------------------------------------
  document.querySelectorAll("time[data-local]").forEach(function (node) {
    const when = new Date(node.getAttribute("datetime"));
    if (isNaN(when)) return;
    node.title = fill(t.local, { time: when.toLocaleString(document.documentElement.lang || undefined, {
      weekday: "short", year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short",
    }) });
  });

  // -- the reply box: public reply or internal note -----------------------------------------
  function mode(name) {
    const radio = form.querySelector('input[name="mode"][value="' + name + '"]');
    if (radio) radio.checked = true;
    syncMode();
  }
  function syncMode() {
    const note = form.querySelector('input[name="mode"]:checked');
    const isNote = note && note.value === "note";
    form.classList.toggle("is-note", isNote);
    if (status) {
      status.disabled = isNote; // a note never changes the status (tickets/policy.py)
      if (isNote) status.value = "";
    }
  }
  form.querySelectorAll('input[name="mode"]').forEach(function (radio) {
    radio.addEventListener("change", syncMode);
  });
  syncMode();

  // A draft kept across "show the new messages" (a reload).
  const kept = sessionStorage.getItem(draftKey);
  if (kept !== null) {
    sessionStorage.removeItem(draftKey);
    if (!body.value) body.value = kept;
    body.focus();
  }

  // -- keyboard shortcuts ------------------------------------------------------------------
  const help = document.getElementById("shortcuts");
  document.getElementById("shortcuts-open").addEventListener("click", function () {
    help.showModal();
  });

  function typingInField(target) {
    return target.closest("input, textarea, select, [contenteditable=true]") !== null;
  }

  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      if (document.activeElement === body || form.contains(document.activeElement)) {
        e.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    if (e.key === "Escape" && document.activeElement === body) {
      body.blur();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || typingInField(e.target) || help.open) return;
    const go = {
      r: function () { mode("reply"); body.focus(); },
      n: function () { mode("note"); body.focus(); },
      a: function () {
        const take = document.getElementById("take-form");
        if (take) take.requestSubmit();
      },
      j: function () { if (root.dataset.nextUrl) location.href = root.dataset.nextUrl; },
      k: function () { if (root.dataset.previousUrl) location.href = root.dataset.previousUrl; },
      "?": function () { help.showModal(); },
    }[e.key];
    if (go) {
      e.preventDefault();
      go();
    }
  });

  // -- the collision notice ----------------------------------------------------------------
  const presence = document.getElementById("presence");
  const banner = document.getElementById("posted-banner");
  let others = [];
  const typingUntil = {}; // agent id -> ms
  let socket = null;
  let retry = 0;
  let lastTyping = 0;
  let sentIdle = true;

  function renderPresence() {
    const now = Date.now();
    presence.replaceChildren();
    if (!others.length) {
      presence.hidden = true;
      return;
    }
    presence.hidden = false;
    presence.append(document.createTextNode(t.here + " "));
    others.forEach(function (agent, i) {
      const typing = agent.typing || (typingUntil[agent.id] || 0) > now;
      const who = document.createElement("span");
      who.className = "ws-who" + (typing ? " is-typing" : "");
      who.setAttribute("data-testid", "presence-agent");
      who.textContent = agent.name + " (" + (typing ? t.typing : t.viewing) + ")";
      if (i) presence.append(document.createTextNode(", "));
      presence.append(who);
    });
  }
  setInterval(renderPresence, 2000); // "typing" fades without a frame

  function showPosted(frame) {
    if (frame.author_id === me) return;
    const text = frame.internal ? t.posted_note : t.posted;
    banner.querySelector(".ws-banner-text").textContent = fill(text, { name: frame.author });
    banner.hidden = false;
  }
  document.getElementById("posted-show").addEventListener("click", function () {
    if (body.value) sessionStorage.setItem(draftKey, body.value);
    location.reload();
  });

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.presencePath);
    socket.addEventListener("open", function () {
      retry = 0;
      if (body.value && document.activeElement === body) send({ type: "typing" });
    });
    socket.addEventListener("message", function (event) {
      const frame = JSON.parse(event.data);
      if (frame.type === "presence") {
        others = frame.agents;
        others.forEach(function (a) {
          if (!a.typing) delete typingUntil[a.id];
        });
        renderPresence();
      } else if (frame.type === "typing") {
        typingUntil[frame.agent.id] = Date.now() + 6000;
        if (!others.some(function (a) { return a.id === frame.agent.id; })) {
          others.push(Object.assign({ typing: true }, frame.agent));
        }
        renderPresence();
      } else if (frame.type === "posted") {
        showPosted(frame);
      }
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      if ([4401, 4403, 4404].indexOf(event.code) !== -1) return; // no point retrying
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * Math.pow(2, retry - 1) + Math.random() * 500);
    });
  }
  if (root.dataset.presencePath && "WebSocket" in window) {
    connect();
    setInterval(function () { send({ type: "heartbeat" }); }, 10000);
  }

  body.addEventListener("input", function () {
    const now = Date.now();
    if (!body.value) {
      if (!sentIdle) send({ type: "idle" });
      sentIdle = true;
      return;
    }
    sentIdle = false;
    if (now - lastTyping > 2000) {
      lastTyping = now;
      send({ type: "typing" });
    }
  });
  form.addEventListener("submit", function () {
    send({ type: "idle" });
    sentIdle = true;
  });
})();
