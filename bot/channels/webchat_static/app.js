// The web chat page: sign in (or, in the demo on this computer, pick a person), then talk to Ustaz.
"use strict";
const $ = (id) => document.getElementById(id);
// A demo seat lives in this tab only (two tabs, two people); a real sign-in is an HttpOnly cookie.
let seat = sessionStorage.getItem("seat");
let open = false;
let lastId = 0;
let texts = {};
let pickerShown = false;

const roleNames = {
  kk: { student: "Білім алушылар", parent: "Ата-аналар", teacher: "Педагогтер", head: "Басшы", deputy: "Басшының орынбасары", methodist: "Әдіскер", admin: "Әкімші", tutor: "Тьютор" },
  ru: { student: "Обучающиеся", parent: "Родители", teacher: "Педагоги", head: "Руководитель", deputy: "Заместитель руководителя", methodist: "Методист", admin: "Администратор", tutor: "Тьютор" },
};

function headers(json) {
  const h = {};
  if (json) h["Content-Type"] = "application/json";
  if (seat) h["X-Ustaz-Seat"] = seat;
  return h;
}

function post(path, body) {
  return fetch(path, { method: "POST", headers: headers(true), body: JSON.stringify(body || {}) });
}

// The page's words come from the server's catalogs, in the chosen language.
async function loadTexts() {
  texts = await (await fetch(`/api/webchat/texts?lang=${$("lang").value}`)).json();
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = texts[el.dataset.t] || el.textContent;
  document.documentElement.lang = $("lang").value;
}

function showError(key) {
  $("error").textContent = key ? texts[key] || texts.bad_request : "";
}

async function errorOf(res) {
  try {
    return (await res.json()).error || "bad_request";
  } catch (e) {
    return "bad_request";
  }
}

function showSignIn(error) {
  open = false;
  $("chat").hidden = true;
  $("signin").hidden = false;
  $("picker").hidden = !pickerShown;
  if (pickerShown && !$("people").childElementCount) loadPeople();
  showError(error);
}

async function start() {
  await loadTexts();
  const me = await (await fetch("/api/webchat/me", { headers: headers(false) })).json();
  pickerShown = me.picker;
  if (me.signed_in) {
    openChat(me.name, me.notices, false);
    return;
  }
  if (seat) forgetSeat();
  showSignIn("");
}

function forgetSeat() {
  seat = null;
  sessionStorage.removeItem("seat");
}

async function loadPeople() {
  const res = await fetch("/api/webchat/people");
  if (!res.ok) return;
  const people = await res.json();
  const lang = $("lang").value;
  const box = $("people");
  box.textContent = "";
  const order = ["head", "deputy", "methodist", "admin", "teacher", "tutor", "student", "parent"];
  for (const role of order) {
    const list = people.filter((p) => p.role === role);
    if (!list.length) continue;
    const title = document.createElement("div");
    title.className = "role-title";
    title.textContent = roleNames[lang][role] || role;
    box.appendChild(title);
    for (const p of list) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "person";
      b.dataset.role = role;
      b.textContent = p.name;
      if (p.group) {
        const g = document.createElement("small");
        g.textContent = " · " + p.group;
        b.appendChild(g);
      }
      b.addEventListener("click", () => openSeat(p.person_id, role, p.name));
      box.appendChild(b);
    }
  }
}

async function openSeat(personId, role, name) {
  forgetSeat();
  const res = await post("/api/webchat/seat", { person_id: personId, role: role, lang: $("lang").value });
  if (!res.ok) return showSignIn(await errorOf(res));
  const data = await res.json();
  seat = data.seat;
  sessionStorage.setItem("seat", seat);
  openChat(name || "Ustaz", false, true);
}

// The log is the account's: after a reload it comes back from the first message.
function openChat(name, notices, fresh) {
  open = true;
  lastId = 0;
  $("who-name").textContent = name || "Ustaz";
  $("log").textContent = "";
  $("notices").checked = notices;
  $("back").hidden = !seat;
  $("notices-box").hidden = !!seat;
  $("signout").hidden = !!seat;
  $("signin").hidden = true;
  $("picker").hidden = true;
  $("chat").hidden = false;
  poll();
  if (fresh) send({ text: "/menu" }, true).catch(() => notSent(""));
}

// One request at a time, in the order the person sent them: two quick messages must not
// overtake each other on the way to the inbox (the second would answer the first one's question).
let inFlight = Promise.resolve();
function inOrder(post) {
  const checked = async () => {
    const response = await post();
    if (response.status === 401) showSignIn("signed_out");
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response;
  };
  inFlight = inFlight.then(checked, checked);
  return inFlight;
}

// A message the server did not take (it is down, or restarting) is said so and put back in the box.
function notSent(text) {
  const li = document.createElement("li");
  li.className = "msg failed";
  li.textContent = "⚠ Жіберілмеді, қайталап көріңіз / Не отправлено, попробуйте ещё раз";
  $("log").appendChild(li);
  li.scrollIntoView();
  if (text && !$("text").value) $("text").value = text;
}

function send(fields, silent) {
  const body = { lang: $("lang").value, message_id: crypto.randomUUID(), ...fields };
  if (silent) body.label = "";
  return inOrder(() => post("/api/webchat/send", body));
}

function sendFiles(files, text) {
  const form = new FormData();
  form.append("lang", $("lang").value);
  form.append("message_id", crypto.randomUUID());
  if (text) form.append("text", text);
  for (const f of files) form.append("file", f, f.name);
  return inOrder(() => fetch("/api/webchat/send", { method: "POST", headers: headers(false), body: form }));
}

function render(m) {
  if (m.from_person && !m.text && !(m.files && m.files.length)) return;
  const li = document.createElement("li");
  li.className = "msg " + (m.from_person ? "me" : "bot");
  li.dataset.id = m.id;
  const text = document.createElement("div");
  text.className = "text";
  text.textContent = m.from_person && m.files && m.files.length ? [m.text, ...m.files.map((f) => "📎 " + f)].filter(Boolean).join("\n") : m.text;
  li.appendChild(text);
  for (const f of m.files || []) {
    if (m.from_person) break;
    const a = document.createElement("a");
    a.className = "file";
    a.href = f.url;
    a.target = "_blank";
    a.textContent = "📎 " + f.name + (f.caption ? " — " + f.caption : "");
    li.appendChild(a);
  }
  if (m.quiz) {
    const q = document.createElement("div");
    q.className = "quiz";
    q.textContent = m.quiz.question;
    li.appendChild(q);
  }
  if (m.buttons && m.buttons.length) {
    const wrap = document.createElement("div");
    wrap.className = "buttons";
    for (const row of m.buttons) {
      const r = document.createElement("div");
      r.className = "row";
      for (const b of row) {
        let el;
        if (b.url) {
          el = document.createElement("a");
          el.href = b.url;
          el.target = "_blank";
        } else {
          el = document.createElement("button");
          el.type = "button";
          el.addEventListener("click", () => send({ button: b.payload, label: b.label }).catch(() => notSent("")));
        }
        el.textContent = b.label;
        r.appendChild(el);
      }
      wrap.appendChild(r);
    }
    li.appendChild(wrap);
  }
  $("log").appendChild(li);
  li.scrollIntoView({ block: "end" });
}

// One loop per open chat: a loop whose chat was left stops by itself.
async function poll() {
  const mine = (poll.round = (poll.round || 0) + 1);
  while (open && poll.round === mine) {
    try {
      const res = await fetch(`/api/webchat/messages?after=${lastId}&wait=20`, { headers: headers(false) });
      if (res.status === 401) {
        if (seat) forgetSeat();
        showSignIn("signed_out");
        break;
      }
      const data = await res.json();
      if (!open || poll.round !== mine) break;
      for (const m of data.messages) {
        lastId = Math.max(lastId, m.id);
        render(m);
      }
    } catch (e) {
      await new Promise((r) => setTimeout(r, 1000)); // the server restarted: try again shortly
    }
  }
}

$("composer").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("text").value.trim();
  const files = $("file").files;
  $("text").value = "";
  try {
    if (files.length) {
      await sendFiles(files, text);
      $("file").value = "";
    } else if (text) {
      await send({ text });
    }
  } catch (err) {
    notSent(text);
  }
});
$("file").addEventListener("change", async () => {
  if ($("file").files.length) {
    try {
      await sendFiles($("file").files, $("text").value.trim());
      $("file").value = "";
      $("text").value = "";
    } catch (err) {
      notSent("");
    }
  }
});
$("back").addEventListener("click", () => {
  forgetSeat();
  showSignIn("");
});
$("signout").addEventListener("click", async () => {
  await post("/api/webchat/signout");
  forgetSeat();
  showSignIn("");
});
$("notices").addEventListener("change", async () => {
  const res = await post("/api/webchat/notices", { on: $("notices").checked });
  if (!res.ok) $("notices").checked = !$("notices").checked;
});
$("ask-code").addEventListener("submit", async (e) => {
  e.preventDefault();
  const res = await post("/api/webchat/code", { who: $("who").value, lang: $("lang").value });
  showError(res.ok ? "" : await errorOf(res));
  if (res.ok) {
    $("enter-code").hidden = false;
    $("code").focus();
  }
});
$("enter-code").addEventListener("submit", async (e) => {
  e.preventDefault();
  const res = await post("/api/webchat/signin", { who: $("who").value, code: $("code").value });
  $("code").value = "";
  if (!res.ok) return showError(await errorOf(res));
  forgetSeat();
  openChat((await res.json()).name, false, true);
});
$("by-invite").addEventListener("submit", async (e) => {
  e.preventDefault();
  const res = await post("/api/webchat/invite", { code: $("invite").value, lang: $("lang").value });
  if (!res.ok) return showError(await errorOf(res));
  $("invite").value = "";
  forgetSeat();
  openChat((await res.json()).name, false, true);
});
$("lang").addEventListener("change", async () => {
  await loadTexts();
  if (pickerShown) loadPeople();
});
$("visitor").addEventListener("click", () => openSeat(null, null, "Ustaz"));
start();
