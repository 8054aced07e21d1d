/*
 * The canned-response picker, for any reply box:
 *
 *   <textarea data-canned-url="/api/v1/t/acme/canned-responses/?ticket=42"
 *             data-canned-i18n="canned-i18n"            (id of a json_script with the words)
 *             data-canned-id-field="id_canned"          (optional: gets the response's id)
 *             data-canned-status-field="id_status"      (optional: preselected status)
 *             data-canned-priority-field="id_priority"> (optional: preselected priority)
 *
 * Type "/" at the start of a word, or Ctrl+Space: a list opens under the box, filtered by title
 * as you type; Up/Down choose, Enter inserts the body rendered by the server (placeholders filled
 * for the ticket) at the caret, Esc closes. After inserting, the textarea dispatches
 * `canned:inserted` with {id, title, status, priority} for pages that want to do more (the chat
 * console counts the use with POST .../canned-responses/<id>/use/). Text goes in through
 * `.value` and `textContent` only: nothing a user wrote is parsed as HTML.
 */
(function () {
  "use strict";

  function words(textarea) {
    const node = document.getElementById(textarea.dataset.cannedI18n || "canned-i18n");
    try {
      return node ? JSON.parse(node.textContent) : {};
    } catch (e) {
      return {};
    }
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function attach(textarea) {
    if (textarea.dataset.cannedReady) return;
    textarea.dataset.cannedReady = "1";
    const t = words(textarea);
    let items = null; // loaded once per page, on first use
    let shown = [];
    let active = 0;
    let trigger = null; // where the "/" that opened the picker sits, to remove it on insert

    const box = el("div", "canned-picker");
    box.hidden = true;
    box.setAttribute("data-testid", "canned-picker");
    const head = el("div", "canned-head", t.title || "Canned responses");
    const filter = el("input", "canned-filter");
    filter.type = "text";
    filter.placeholder = t.filter || "";
    filter.setAttribute("aria-label", t.filter || "Filter");
    filter.setAttribute("data-testid", "canned-filter");
    const list = el("ul", "canned-list");
    list.setAttribute("role", "listbox");
    const hint = el("div", "canned-hint", t.hint || "");
    box.append(head, filter, list, hint);
    textarea.insertAdjacentElement("afterend", box);

    function load() {
      if (items) return Promise.resolve(items);
      return fetch(textarea.dataset.cannedUrl + (textarea.dataset.cannedUrl.includes("?") ? "&" : "?") + "page_size=100", {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (r) {
          if (!r.ok) throw new Error(r.status);
          return r.json();
        })
        .then(function (data) {
          items = data.results || [];
          return items;
        });
    }

    function render() {
      const q = filter.value.trim().toLowerCase();
      shown = (items || []).filter(function (item) {
        return !q || item.title.toLowerCase().includes(q);
      });
      active = Math.min(active, Math.max(shown.length - 1, 0));
      list.replaceChildren();
      if (!shown.length) {
        list.append(el("li", "canned-empty", t.empty || ""));
        return;
      }
      shown.forEach(function (item, i) {
        const li = el("li", "canned-item" + (i === active ? " is-active" : ""));
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        li.append(el("strong", "", item.title));
        const meta = [];
        if (item.shared) meta.push(t.shared || "shared");
        if (item.status) meta.push((t.sets || "sets") + " " + item.status.replace(/_/g, " "));
        if (item.priority) meta.push((t.sets || "sets") + " " + (item.priority_label || item.priority));
        if (meta.length) li.append(el("span", "canned-meta", " · " + meta.join(" · ")));
        li.append(el("div", "canned-preview", item.rendered.slice(0, 140)));
        li.addEventListener("mousedown", function (e) {
          e.preventDefault();
          active = i;
          choose();
        });
        list.append(li);
      });
      const current = list.children[active];
      if (current && current.scrollIntoView) current.scrollIntoView({ block: "nearest" });
    }

    function open(fromSlash) {
      trigger = fromSlash ? textarea.selectionStart : null;
      filter.value = "";
      active = 0;
      box.hidden = false;
      list.replaceChildren(el("li", "canned-empty", "…"));
      filter.focus();
      load().then(render, function () {
        list.replaceChildren(el("li", "canned-empty error", t.error || "Error"));
      });
    }

    function close(refocus) {
      box.hidden = true;
      if (refocus) textarea.focus();
    }

    function setField(id, value) {
      const field = id && document.getElementById(id);
      if (!field || !value) return;
      field.value = value;
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function choose() {
      const item = shown[active];
      if (!item) return;
      let start = textarea.selectionStart;
      let end = textarea.selectionEnd;
      if (trigger !== null && textarea.value.charAt(trigger - 1) === "/") {
        start = trigger - 1; // the "/" typed to open the picker goes
        end = Math.max(end, trigger);
      }
      const before = textarea.value.slice(0, start);
      const after = textarea.value.slice(end);
      textarea.value = before + item.rendered + after;
      const caret = before.length + item.rendered.length;
      close(true);
      textarea.setSelectionRange(caret, caret);
      setField(textarea.dataset.cannedIdField, String(item.id));
      setField(textarea.dataset.cannedStatusField, item.status);
      setField(textarea.dataset.cannedPriorityField, item.priority);
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      textarea.dispatchEvent(
        new CustomEvent("canned:inserted", {
          bubbles: true,
          detail: { id: item.id, title: item.title, status: item.status, priority: item.priority },
        })
      );
    }

    textarea.addEventListener("keydown", function (e) {
      if (e.ctrlKey && (e.code === "Space" || e.key === " ")) {
        e.preventDefault();
        open(false);
      }
    });
    // "/" opens the picker at the start of a word (so "and/or" and URLs type normally); the
    // slash is kept in the text until a response replaces it, so Esc leaves it as typed.
    textarea.addEventListener("input", function (e) {
      if (e.inputType !== "insertText" || e.data !== "/") return;
      const at = textarea.selectionStart;
      const prev = textarea.value.charAt(at - 2);
      if (at === 1 || /\s/.test(prev)) open(true);
    });
    filter.addEventListener("input", function () {
      active = 0;
      render();
    });
    filter.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        active = Math.min(active + 1, shown.length - 1);
        render();
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        active = Math.max(active - 1, 0);
        render();
      } else if (e.key === "Enter") {
        e.preventDefault();
        if (items) choose();
        else load().then(function () { render(); choose(); }); // typed ahead of the list
      } else if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        close(true);
      }
    });
    filter.addEventListener("blur", function () {
      setTimeout(function () {
        if (document.activeElement !== filter) box.hidden = true;
      }, 150);
    });
  }

  function attachAll(root) {
    (root || document).querySelectorAll("textarea[data-canned-url]").forEach(attach);
  }

  window.CannedPicker = { attach: attach, attachAll: attachAll };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      attachAll();
    });
  } else {
    attachAll();
  }
})();
