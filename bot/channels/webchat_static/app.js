// The web chat page: pick a person, then talk to Ustaz through /api/webchat.
"use strict";
const $ = (id) => document.getElementById(id);
let seat = null;
let lastId = 0;

const roleNames = {
  kk: { student: "Білім алушылар", parent: "Ата-аналар", teacher: "Педагогтер", head: "Басшы", deputy: "Басшының орынбасары", methodist: "Әдіскер", admin: "Әкімші", tutor: "Тьютор" },
  ru: { student: "Обучающиеся", parent: "Родители", teacher: "Педагоги", head: "Руководитель", deputy: "Заместитель руководителя", methodist: "Методист", admin: "Администратор", tutor: "Тьютор" },
};

async function loadPeople() {
  const people = await (await fetch("/api/webchat/people")).json();
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
  const res = await fetch("/api/webchat/seat", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ person_id: personId, role: role, lang: $("lang").value }),
  });
  const data = await res.json();
  seat = data.seat;
  lastId = 0;
  $("who").textContent = name || "Ustaz";
  $("log").textContent = "";
  $("picker").hidden = true;
  $("chat").hidden = false;
  poll();
  send({ text: "/menu" }, true).catch(() => notSent(""));
}

// One request at a time, in the order the person sent them: two quick messages must not
// overtake each other on the way to the inbox (the second would answer the first one's question).
let inFlight = Promise.resolve();
function inOrder(post) {
  const checked = async () => {
    const response = await post();
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
  const body = { seat: seat, lang: $("lang").value, message_id: crypto.randomUUID(), ...fields };
  if (silent) body.label = "";
  return inOrder(() =>
    fetch("/api/webchat/send", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    })
  );
}

function sendFiles(files, text) {
  const form = new FormData();
  form.append("seat", seat);
  form.append("lang", $("lang").value);
  form.append("message_id", crypto.randomUUID());
  if (text) form.append("text", text);
  for (const f of files) form.append("file", f, f.name);
  return inOrder(() => fetch("/api/webchat/send", { method: "POST", body: form }));
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

// One loop per open seat: a loop whose seat was left stops by itself.
async function poll() {
  const mySeat = seat;
  while (seat === mySeat) {
    try {
      const res = await fetch(`/api/webchat/messages?seat=${encodeURIComponent(seat)}&after=${lastId}&wait=20`);
      const data = await res.json();
      if (seat !== mySeat) break;
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
  seat = null;
  $("chat").hidden = true;
  $("picker").hidden = false;
});
$("lang").addEventListener("change", loadPeople);
$("visitor").addEventListener("click", () => openSeat(null, null, "Ustaz"));
loadPeople();
