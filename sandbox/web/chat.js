// The sandbox's web chat: plain JavaScript over the emulator's control API (see README).
// Each pane shows one persona's private chat with the bot and waits for changes with a
// long poll (GET /sandbox/users/<id>/chat?after=<version>&wait=25).
"use strict";

const state = { personas: [], zone: "UTC", panes: [] };

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: body instanceof FormData ? {} : { "Content-Type": "application/json" },
    body: body instanceof FormData ? body : JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.description || response.statusText);
  return data;
}

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function timeOf(unixSeconds) {
  return new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit", minute: "2-digit", timeZone: state.zone,
  }).format(new Date(unixSeconds * 1000));
}

function sizeOf(bytes) {
  if (!bytes) return "";
  return bytes < 1024 ? `${bytes} B` : bytes < 1048576 ? `${(bytes / 1024).toFixed(1)} KB`
    : `${(bytes / 1048576).toFixed(1)} MB`;
}

function showAlert(text) {
  const box = document.getElementById("alert");
  box.querySelector(".alert-text").textContent = text;
  box.hidden = false;
}

const ACTIONS = {
  typing: "typing…", upload_photo: "sending a photo…", upload_document: "sending a file…",
  record_voice: "recording a voice message…", upload_voice: "sending a voice message…",
};

class Pane {
  constructor(personaId) {
    const root = document.getElementById("pane-template").content.firstElementChild.cloneNode(true);
    this.root = root;
    this.messages = root.querySelector(".messages");
    this.keyboard = root.querySelector(".keyboard");
    this.input = root.querySelector(".text");
    this.seenToasts = null;
    this.loopToken = 0;
    root.querySelector(".composer").addEventListener("submit", (e) => { e.preventDefault(); this.sendText(); });
    root.querySelector(".attach").addEventListener("click", () => root.querySelector(".file").click());
    root.querySelector(".voice").addEventListener("click", () => root.querySelector(".voice-file").click());
    root.querySelector(".file").addEventListener("change", (e) => this.upload(e.target, null));
    root.querySelector(".voice-file").addEventListener("change", (e) => this.upload(e.target, "voice"));
    root.querySelector(".sticker").addEventListener("click", () => this.send({ sticker: "👍" }));
    root.querySelector(".contact").addEventListener("click", () => this.send({ contact: "own" }));
    root.querySelector(".block").addEventListener("click", () => this.setBlocked(!this.blocked));
    root.querySelector(".unblock").addEventListener("click", () => this.setBlocked(false));
    this.renderPersonas();
    this.select(personaId);
  }

  renderPersonas() {
    const nav = this.root.querySelector(".personas");
    nav.replaceChildren(...state.personas.map((p) => el("button", {
      type: "button", "data-persona": String(p.id), title: `${p.role}, Telegram id ${p.id}`,
      onclick: () => this.select(p.id),
    }, [el("span", { text: p.name, dir: "auto" }), el("span", { class: "role", text: p.role })])));
  }

  select(personaId) {
    this.persona = state.personas.find((p) => p.id === personaId) || state.personas[0];
    this.root.dataset.persona = String(this.persona.id);
    for (const button of this.root.querySelectorAll(".personas button")) {
      button.classList.toggle("active", button.dataset.persona === String(this.persona.id));
    }
    this.whoText =
      `bot · you are ${this.persona.name} (${this.persona.role}, ${this.persona.language_code}` +
      `${this.persona.phone ? `, ${this.persona.phone}` : ""})`;
    this.root.querySelector(".who").textContent = this.whoText;
    this.messages.replaceChildren();
    this.nodes = new Map();
    this.seenToasts = null;
    this.version = -1;
    this.poll(++this.loopToken);
  }

  async poll(token) {
    while (token === this.loopToken) {
      try {
        const wait = this.version < 0 ? 0 : 25;
        const chat = await api(`/sandbox/users/${this.persona.id}/chat?after=${this.version}&wait=${wait}`);
        if (token !== this.loopToken) return;
        if (chat.version !== this.version) this.render(chat);
      } catch (error) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  render(chat) {
    this.version = chat.version;
    this.blocked = chat.blocked;
    this.root.querySelector(".block").textContent = chat.blocked ? "Unblock bot" : "Block bot";
    this.root.querySelector(".blocked-banner").hidden = !chat.blocked;
    const atBottom = this.messages.scrollHeight - this.messages.scrollTop - this.messages.clientHeight < 40;
    // Unchanged messages keep their node (selection, focus and audio playback survive).
    const kept = new Map();
    const nodes = chat.messages.map((m) => {
      const key = JSON.stringify(m);
      const old = this.nodes.get(m.message_id);
      const node = old && old.key === key ? old.node : this.messageNode(m);
      kept.set(m.message_id, { key, node });
      return node;
    });
    this.nodes = kept;
    if (!nodes.length) nodes.push(el("div", { class: "empty", text: "No messages yet: send /start" }));
    const current = [...this.messages.children];
    if (current.length !== nodes.length || current.some((node, i) => node !== nodes[i])) {
      this.messages.replaceChildren(...nodes);
    }
    if (atBottom || this.version <= 3) this.messages.scrollTop = this.messages.scrollHeight;
    this.renderKeyboard(chat.keyboard);
    this.showAction(chat.action);
    const toasts = chat.toasts || [];
    if (this.seenToasts !== null) {
      for (const toast of toasts.slice(this.seenToasts)) this.toast(toast);
    }
    this.seenToasts = toasts.length;
    scheduleClockRefresh(); // a registration or a broadcast may have scheduled something
  }

  showAction(action) {
    const who = this.root.querySelector(".who");
    clearTimeout(this.actionTimer);
    who.textContent = action ? ACTIONS[action] || `${action.replaceAll("_", " ")}…` : this.whoText;
    who.classList.toggle("acting", Boolean(action));
    if (action) this.actionTimer = setTimeout(() => this.showAction(null), 5000);
  }

  messageNode(m) {
    const bubble = el("div", { class: "bubble" });
    if (m.media) bubble.append(this.mediaNode(m.media));
    if (m.html) {
      const text = el("div", { class: "text" });
      text.innerHTML = m.html; // rendered and escaped by the emulator (sandbox/render.py)
      bubble.append(text);
    }
    bubble.append(el("span", { class: "meta", text: `${m.edited ? "edited " : ""}${timeOf(m.date)}` }));
    const node = el("div", { class: `msg ${m.from_bot ? "bot" : "me"}`, "data-message-id": String(m.message_id) }, [bubble]);
    if (m.buttons && m.buttons.length) {
      const kb = el("div", { class: "inline-kb" });
      m.buttons.forEach((row, r) => {
        kb.append(el("div", { class: "row" }, row.map((b, c) => el("button", {
          type: "button", dir: "auto", class: b.url ? "url" : "callback", text: b.text,
          onclick: () => b.url ? window.open(b.url, "_blank", "noopener")
            : this.press(m.message_id, r, c),
        }))));
      });
      node.append(kb);
    }
    return node;
  }

  mediaNode(media) {
    const box = el("div", { class: "media" });
    if (media.type === "photo") {
      box.append(el("a", { href: media.url, target: "_blank" }, [el("img", { src: media.url, alt: "photo" })]));
    } else if (media.type === "voice" || media.type === "audio") {
      box.append(el("audio", { controls: "", src: media.url, preload: "none" }));
    } else if (media.type === "document" || media.type === "video") {
      box.append(el("a", { class: "doc", href: media.url, download: media.file_name || "" }, [
        el("span", { class: "icon", text: "📄" }),
        el("span", {}, [el("span", { dir: "auto", text: media.file_name || "document" }),
          el("small", { text: sizeOf(media.size) })]),
      ]));
    } else if (media.type === "sticker") {
      box.append(el("div", { class: "sticker-emoji", text: media.emoji || "🖼" }));
    } else if (media.type === "contact") {
      box.append(el("div", { class: "card" }, [el("strong", { dir: "auto", text: `👤 ${media.name}` }),
        el("div", { text: media.phone })]));
    } else if (media.type === "location") {
      box.append(el("div", { class: "card", text: `📍 ${media.latitude}, ${media.longitude}` }));
    }
    return box;
  }

  renderKeyboard(keyboard) {
    this.keyboard.hidden = !keyboard;
    if (!keyboard) { this.keyboard.replaceChildren(); this.input.placeholder = "Message"; return; }
    this.input.placeholder = keyboard.placeholder || "Message";
    this.keyboard.replaceChildren(...keyboard.rows.map((row) => el("div", { class: "row" },
      row.map((b) => el("button", {
        type: "button", dir: "auto", text: b.contact ? `📞 ${b.text}` : b.text,
        onclick: () => b.contact ? this.send({ contact: "own" })
          : b.location ? this.send({ location: { latitude: 34.0209, longitude: -6.8416 } })
          : this.send({ text: b.text }),
      })))));
  }

  toast(toast) {
    if (toast.show_alert) { showAlert(toast.text); return; }
    const node = el("div", { class: "toast", dir: "auto", text: toast.text });
    this.root.querySelector(".toasts").append(node);
    setTimeout(() => node.remove(), 3600);
  }

  async send(body) {
    try { await api(`/sandbox/users/${this.persona.id}/send`, body); }
    catch (error) { this.toast({ text: error.message }); }
  }

  async sendText() {
    const text = this.input.value;
    if (!text.trim()) return;
    this.input.value = "";
    await this.send({ text });
  }

  async upload(input, kind) {
    const file = input.files[0];
    input.value = "";
    if (!file) return;
    const form = new FormData();
    form.append("file", file, file.name);
    if (kind) form.append("kind", kind);
    const caption = this.input.value.trim();
    if (caption && kind !== "voice") { form.append("caption", caption); this.input.value = ""; }
    await this.send(form);
  }

  async press(messageId, row, column) {
    try {
      await api(`/sandbox/users/${this.persona.id}/press`, { message_id: messageId, row, column });
    } catch (error) { this.toast({ text: error.message }); }
  }

  async setBlocked(blocked) {
    try { await api("/sandbox/block", { user_id: this.persona.id, blocked }); }
    catch (error) { this.toast({ text: error.message }); }
  }
}

// --- clock -------------------------------------------------------------------------------

const DUE_NAMES = {
  day_before: "day-before reminder", morning_agenda: "morning agenda", session: "session reminder",
  notice: "notice", campaign: "scheduled broadcast",
  daily_summary: "organizers' daily summary", organizer_notice: "organizers' notice",
  followup: "follow-up prompt", escalation: "escalation to organizers",
  weekly_summary: "organizers' weekly follow-up summary", digest: "participants' digest",
};

function showClock(clock) {
  state.zone = clock.zone || state.zone;
  document.getElementById("clock-now").textContent = `${clock.local} (${clock.zone})`;
  const due = clock.next_due;
  const dueText = due ? `next: ${DUE_NAMES[due.kind] || due.kind} at ${due.local}` : "nothing scheduled";
  const dueNode = document.getElementById("clock-due");
  dueNode.textContent = dueText;
  dueNode.title = dueText;
}

async function refreshClock() {
  try { showClock(await api("/sandbox/clock")); } catch (error) {
    document.getElementById("clock-now").textContent = "no bot clock";
  }
}

let clockTimer = null;
function scheduleClockRefresh() {
  clearTimeout(clockTimer);
  clockTimer = setTimeout(refreshClock, 300);
}

async function moveClock(body) {
  try { showClock(await api("/sandbox/clock", body)); } catch (error) { showAlert(error.message); }
}

// --- faults ------------------------------------------------------------------------------

async function refreshFaults() {
  const [flood, faults] = await Promise.all([api("/sandbox/flood"), api("/sandbox/faults")]);
  document.getElementById("flood").checked = flood.enabled;
  document.getElementById("faults-status").textContent =
    `429 answered: ${flood.rejected} · faults hit: ${JSON.stringify(faults.injected)}`;
}

function wireFaults() {
  document.getElementById("faults-toggle").addEventListener("click", () => {
    const panel = document.getElementById("faults");
    panel.hidden = !panel.hidden;
    if (!panel.hidden) refreshFaults();
  });
  document.getElementById("flood").addEventListener("change", async (e) => {
    await api("/sandbox/flood", { enabled: e.target.checked });
    refreshFaults();
  });
  document.getElementById("errors").addEventListener("change", async (e) => {
    await api("/sandbox/faults", { random_errors: { rate: Number(e.target.value), codes: [500, 502] } });
    refreshFaults();
  });
  document.getElementById("timeouts").addEventListener("change", async (e) => {
    await api("/sandbox/faults", { random_timeouts: { rate: Number(e.target.value), seconds: 10 } });
    refreshFaults();
  });
  document.getElementById("faults-clear").addEventListener("click", async () => {
    await api("/sandbox/faults", { clear: true });
    await api("/sandbox/flood", { enabled: false });
    document.getElementById("errors").value = "0";
    document.getElementById("timeouts").value = "0";
    refreshFaults();
  });
}

// --- start -------------------------------------------------------------------------------

function layout(split) {
  const panes = document.getElementById("panes");
  panes.classList.toggle("split", split);
  if (split && state.panes.length === 1) {
    const organizer = state.personas.find((p) => p.role === "organizer") || state.personas[1];
    const pane = new Pane(organizer.id);
    state.panes.push(pane);
    panes.append(pane.root);
  } else if (!split && state.panes.length === 2) {
    const pane = state.panes.pop();
    pane.loopToken++;
    pane.root.remove();
  }
}

async function start() {
  state.personas = await api("/sandbox/personas");
  if (!state.personas.length) {
    state.personas = [{ id: 1001, name: "User", role: "participant", language_code: "en" }];
  }
  await refreshClock();
  const first = new Pane(state.personas[0].id);
  state.panes.push(first);
  document.getElementById("panes").append(first.root);
  document.getElementById("split").addEventListener("change", (e) => layout(e.target.checked));
  for (const button of document.querySelectorAll(".clock-move")) {
    button.addEventListener("click", () => moveClock({ seconds: Number(button.dataset.seconds) }));
  }
  document.getElementById("clock-next").addEventListener("click", () => moveClock({ to: "next" }));
  document.querySelector(".alert-ok").addEventListener("click", () => { document.getElementById("alert").hidden = true; });
  wireFaults();
  setInterval(refreshClock, 5000);
}

start();
