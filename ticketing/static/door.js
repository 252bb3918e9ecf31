// The door page: scan by camera, USB scanner or hand; show a verdict that fills the screen.
// Talks to /api/v1 with the staff session and its CSRF token. Without the network (or when the
// server is slow) scans are decided on the device and sent later: door-offline.js; the status
// line: door-status.js; the camera: door-camera.js (all loaded first).
// Without this script the form still works by a plain POST.
(async () => {
  "use strict";
  const root = document.querySelector("[data-door]");
  if (!root) return;
  // A door page kept for offline use by an older version of the app is served with this version's
  // scripts (the service worker keeps the pages across versions): it may lack some of the modules
  // this script needs. They are loaded here then (the service worker has them).
  const MODULES = { DoorOffline: "door-offline.js", DoorStatus: "door-status.js", DoorCamera: "door-camera.js" };
  const here = document.currentScript.src;
  await Promise.all(Object.entries(MODULES).filter(([name]) => !window[name]).map(([, file]) => new Promise((resolve) => {
    const script = Object.assign(document.createElement("script"), { src: new URL(file, here).href });
    script.onload = script.onerror = resolve;
    document.head.append(script);
  })));
  const screening = Number(root.dataset.screening);
  const text = JSON.parse(document.getElementById("door-text").textContent);
  const form = document.getElementById("scan-form");
  const input = document.getElementById("code");
  const verdict = document.getElementById("verdict");
  const actions = document.getElementById("verdict-actions");
  const matches = document.getElementById("matches");
  const undoButton = document.getElementById("undo");
  const cameraButton = document.getElementById("camera-toggle");
  const video = document.getElementById("camera");
  const CODE = /^[A-Z2-7]{26}$/;
  const SHORT = /^[A-Z2-7]{8}$/; // the short code printed under the QR, without its dash
  // What may be a person's name to search for: letters of any script, spaces, ' . and -.
  const NAME = /^[\p{L}\p{M}][\p{L}\p{M}\s'’.-]{0,79}$/u;
  const REPEAT_MS = 3000; // a code seen again this soon is the same ticket still in front of the camera
  let lastAdmission = null;
  let lastSeen = { code: "", at: 0 };

  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => values[key] ?? "");
  // A counted text: the page gives one form per plural category of its language.
  const plurals = new Intl.PluralRules(document.documentElement.lang);
  const counted = (forms, n) => fill(forms[plurals.select(n)] ?? forms.other, { n });
  const clock = (iso) => new Intl.DateTimeFormat(document.documentElement.lang, {
    timeStyle: "short", timeZone: root.dataset.timezone }).format(new Date(iso));
  // Another screening's time names its day as well, as the server writes it in the page's
  // language (the browser's own date names are missing for some languages, Kazakh among them).
  const day = (screening) => text.screening_times[screening.id] || clock(screening.starts_at);
  const normalize = (raw) => raw.replace(/[\s-]/g, "").toUpperCase();
  const earlierText = (first) => fill(text.earlier, { time: clock(first.at), who: [first.staff, first.device].filter(Boolean).join(", ") || text.someone });

  async function api(method, path, body) {
    const response = await fetch("/api/v1" + path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(data.error ? data.error.message : response.statusText), { data });
    return data;
  }

  // Offline work (door-offline.js): scans decided here, the queue, the sync; door-status.js
  // shows it in the status line and the conflicts list.
  const offline = window.DoorOffline.open({ screening, root, onChange: () => { showStatus(); } });
  const setOnline = (ok) => offline.answered(ok);
  const showStatus = () => window.DoorStatus.show(offline, { text, fill, counted, clock, earlierText });

  // Distinct sounds and vibrations, where the device allows.
  let audio = null;
  function signal(state) {
    const tones = { admitted: [[880, 0.12]], already_checked_in: [[440, 0.12], [440, 0.12]], not_valid: [[196, 0.5]] }[state];
    const buzz = { admitted: 80, already_checked_in: [80, 60, 80], not_valid: [300] }[state];
    if (navigator.vibrate) navigator.vibrate(buzz);
    try {
      audio = audio || new AudioContext();
      let at = audio.currentTime;
      for (const [frequency, length] of tones) {
        const oscillator = audio.createOscillator();
        const gain = audio.createGain();
        oscillator.frequency.value = frequency;
        gain.gain.value = 0.2;
        oscillator.connect(gain).connect(audio.destination);
        oscillator.start(at);
        oscillator.stop(at + length);
        at += length + 0.08;
      }
    } catch (error) { /* no sound on this device */ }
  }

  function line(className, content) {
    const p = document.createElement("p");
    p.className = className;
    p.textContent = content;
    return p;
  }

  function button(label, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function show(result, code) {
    verdict.dataset.state = result.result;
    verdict.dataset.offline = String(Boolean(result.local));
    verdict.replaceChildren(line("verdict-title", text.titles[result.result]));
    actions.replaceChildren();
    const ticket = result.ticket;
    if (ticket) {
      verdict.append(line("verdict-name", ticket.name));
      if (result.result !== "not_valid") {
        let detail = fill(text.of_in, { admitted: ticket.admitted, seats: ticket.seats });
        if (ticket.admitted < ticket.seats) detail += " · " + counted(text.to_come, ticket.seats - ticket.admitted);
        verdict.append(line("verdict-detail", detail));
      }
    }
    if (result.result === "already_checked_in" && result.earlier.length) verdict.append(line("verdict-detail", earlierText(result.earlier[0])));
    if (result.result !== "admitted") {
      // A code the phone's copy does not know may have been booked since the copy was taken.
      const reason = result.local && result.reason === "unknown_code" && text.not_in_copy ? fill(text.not_in_copy, { time: clock(result.taken_at) })
        : text.reasons[result.reason] || result.message;
      verdict.append(line("verdict-detail", reason));
      // The other screening's title and day, as the page without JavaScript shows them.
      const other = result.reason === "other_screening" && ((ticket && ticket.screening) || result.other);
      if (other) verdict.append(line("verdict-detail", `${other.title}, ${day(other)}`));
    }
    if (result.local) verdict.append(line("verdict-offline", text.decided_here));
    if (result.result === "admitted" && result.local) {
      lastAdmission = null; // not on the server yet: nothing to undo there
      undoButton.disabled = true;
      const inside = document.getElementById("count-in");
      inside.textContent = Number(inside.textContent) + result.admitted_now;
      for (let n = 1; n < result.admitted_now; n += 1) {
        actions.append(button(counted(text.only_now, n), () => admitFewerHere(result, code, n)));
      }
    } else if (result.result === "admitted") {
      lastAdmission = result.checkin_id;
      undoButton.disabled = false;
      // A group ticket admits everyone by default; one tap admits fewer now.
      for (let n = 1; n < result.admitted_now; n += 1) {
        actions.append(button(counted(text.only_now, n), () => admitFewer(result.checkin_id, code, n)));
      }
    }
    signal(result.result);
    inView();
    refreshCounts();
  }

  // On a phone the verdict is always in view: after a scan, a search or a tap further down.
  function inView() {
    const box = verdict.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) verdict.scrollIntoView({ block: "start" });
  }

  // The moment a new code or a search starts, the previous verdict goes.
  function clearVerdict() {
    verdict.dataset.state = "checking";
    delete verdict.dataset.offline;
    verdict.replaceChildren(line("verdict-title", "…"));
    actions.replaceChildren();
    matches.replaceChildren();
  }

  // Scans run one after another, none is dropped: a code typed while the previous one is
  // still being checked waits its turn (the verdict says "checking" meanwhile).
  let queue = Promise.resolve();
  let pending = 0;
  function scan(code, seats) {
    pending += 1;
    clearVerdict();
    queue = queue.then(() => checkIn(code, seats)).finally(() => { pending -= 1; });
    return queue;
  }

  function fail(error) {
    if (!error.data) setOnline(false);
    verdict.dataset.state = "error";
    delete verdict.dataset.offline;
    verdict.replaceChildren(line("verdict-title", error.message));
    actions.replaceChildren();
  }

  // A scan gets its own id and the device's time first. The server decides it if it answers
  // within 1.5 s; else the device does, from its copy, and keeps it in the queue before showing
  // the verdict. Without a copy nothing can be decided: no one is let in.
  async function checkIn(code, seats) {
    try {
      const scan = await offline.newScan(code, seats);
      const result = await offline.post(scan);
      if (result && result.error) throw result.error;
      if (result) {
        show(result, code);
        return;
      }
      let local = await offline.decide(scan, { thisDevice: text.this_device });
      if (local && local.reason === "unknown_code" && offline.late) {
        // The server is slow, not gone, and the copy does not know this code: it may have been
        // booked since the copy was taken. Ask the server again and wait for it this time.
        verdict.replaceChildren(line("verdict-title", text.still_checking || "…"));
        // An error answer (a lapsed session, say) leaves the first request's fate unknown: the
        // scan is then decided here and queued, and the sync settles it with the server.
        const answer = await offline.post(scan, true);
        if (answer && !answer.error) {
          show(answer, code);
          return;
        }
        local = await offline.decide(scan, { thisDevice: text.this_device });
      }
      if (!local) throw new Error(text.no_copy);
      await offline.keep(scan, local);
      show({ ...local, scan_id: scan.scan_id }, code);
    } catch (error) {
      fail(error);
    } finally {
      input.focus();
    }
  }

  async function admitFewer(checkinId, code, n) {
    try {
      await api("POST", `/checkins/${checkinId}/undo`);
      offline.refreshCopy();
    } catch (error) {
      fail(error);
      return;
    }
    await scan(code, n);
  }

  // The same for a group let in offline: the queued scan is changed before it is sent.
  async function admitFewerHere(result, code, n) {
    if (await offline.reduce(result.scan_id, n)) {
      const inside = document.getElementById("count-in");
      inside.textContent = Number(inside.textContent) - result.admitted_now;
      const ticket = { ...result.ticket, admitted: result.ticket.admitted - (result.admitted_now - n) };
      show({ ...result, admitted_now: n, ticket }, code);
    } else if (offline.sentAs(result.scan_id)) {
      await admitFewer(offline.sentAs(result.scan_id), code, n);
    }
  }

  // A name search: the people found are listed under the verdict, which says how many; none
  // found is a verdict of its own. A tap on one checks their ticket in by its short code.
  // With `below`, the verdict stays (a name that has a short code's shape was judged first).
  async function search(query, below = false) {
    if (!below) clearVerdict();
    const { tickets } = await api("GET", `/screenings/${screening}/tickets?q=${encodeURIComponent(query)}`);
    if (below) {
      if (tickets.length) listMatches(tickets);
      return;
    }
    if (!tickets.length) {
      verdict.dataset.state = "no_match";
      verdict.replaceChildren(line("verdict-title", text.no_match), line("verdict-detail", query));
      signal("not_valid");
      inView();
      return;
    }
    verdict.dataset.state = "matches";
    verdict.replaceChildren(line("verdict-title", counted(text.matches, tickets.length)));
    listMatches(tickets);
    inView();
  }

  function listMatches(tickets) {
    for (const ticket of tickets) {
      const item = document.createElement("li");
      item.append(line("match-name", `${ticket.name} · ${ticket.short_code} · ${ticket.admitted}/${ticket.seats}`));
      item.append(button(text.check_in, () => { scan(ticket.short_code); }));
      matches.append(item);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const raw = input.value.trim();
    input.value = "";
    if (!raw) return;
    // A ticket's code or short code is judged at once; so is anything that cannot be a name (a
    // URL, a product's barcode, another event's QR): it gets its red verdict. A name is searched.
    const code = normalize(raw);
    if (CODE.test(code) || SHORT.test(code) || !NAME.test(raw)) {
      // Eight letters may be a short code or a name ("Marianne"): judged first, then, if no ticket
      // has that short code, the people of that name are listed under the red verdict.
      const maybeName = SHORT.test(code) && NAME.test(raw);
      scan(code || raw).then(() => {
        if (maybeName && verdict.dataset.state === "not_valid") search(raw, true).catch(() => {});
      });
    } else {
      search(raw).catch(fail);
    }
  });

  // The field keeps the focus, so that a keyboard-like scanner always types into it.
  document.addEventListener("click", (event) => {
    if (!event.target.closest("button, a, input, label, video, .walkin")) input.focus();
  });

  undoButton.addEventListener("click", async () => {
    if (!lastAdmission) return;
    try {
      await api("POST", `/checkins/${lastAdmission}/undo`);
    } catch (error) {
      fail(error);
      return;
    }
    lastAdmission = null;
    undoButton.disabled = true;
    offline.refreshCopy();
    verdict.dataset.state = "undone";
    verdict.replaceChildren(line("verdict-title", text.undone));
    actions.replaceChildren();
    refreshCounts();
    input.focus();
  });

  async function refreshCounts() {
    try {
      const data = await api("GET", `/screenings/${screening}`);
      setOnline(true);
      document.getElementById("count-in").textContent = data.people_in;
      document.getElementById("count-confirmed").textContent = data.seats_confirmed;
      document.getElementById("count-capacity").textContent = data.capacity;
      showSeats(data);
      const pace = document.getElementById("pace");
      const rate = data.pace.admitted / data.pace.minutes;
      if (rate <= 0) {
        pace.textContent = counted(text.pace_none, data.pace.minutes);
        return;
      }
      const waiting = Math.max(data.seats_confirmed - data.people_in, 0);
      const doneAt = Date.now() + (waiting / rate) * 60000;
      const late = Math.round((doneAt - new Date(root.dataset.starts).getTime()) / 60000);
      pace.dataset.late = String(late > 0);
      pace.textContent = fill(text.pace, { rate: rate.toFixed(1), when: late > 0 ? counted(text.pace_late, late) : text.pace_early });
    } catch (error) {
      if (!error.data) setOnline(false);
    }
  }
  // Free seats, seats held for guests, and the release of unclaimed seats before the film.
  const walkinForm = document.getElementById("walkin-form");
  const walkinButton = document.getElementById("walkin-add");
  const walkinState = document.getElementById("walkin-state");
  let seatsFree = Number(document.getElementById("count-free").textContent);

  function showSeats(data) {
    seatsFree = data.seats_free;
    document.getElementById("count-free").textContent = data.seats_free;
    document.getElementById("count-held").textContent = data.seats_held;
    document.getElementById("held-line").hidden = !data.seats_held;
    const release = document.getElementById("release");
    release.hidden = !data.release_at;
    if (data.release_at) release.textContent = data.released ? text.released : fill(text.release_at, { time: clock(data.release_at) });
    walkinButton.disabled = data.seats_free <= 0;
    if (data.seats_free <= 0) walkinState.textContent = text.no_seats;
    else if (walkinState.textContent === text.no_seats) walkinState.textContent = "";
  }

  function walkinRefused(message) {
    walkinState.textContent = message;
    verdict.dataset.state = "not_valid";
    verdict.replaceChildren(line("verdict-title", text.walkin_refused), line("verdict-detail", message));
    actions.replaceChildren();
    signal("not_valid");
  }

  walkinForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = document.getElementById("walkin-name");
    const seats = document.getElementById("walkin-seats");
    const typed = seats.value.trim() || "1";
    if (!/^[0-9]{1,3}$/.test(typed)) { // the API takes a number; the form's rule, said here
      walkinRefused(text.seats_whole);
      return;
    }
    walkinButton.disabled = true;
    try {
      const result = await api("POST", `/screenings/${screening}/walkins`, { name: name.value.trim(), seats: Number(typed) });
      setOnline(true);
      const n = result.registration.seats;
      verdict.dataset.state = "admitted";
      verdict.replaceChildren(line("verdict-title", counted(text.walkin, n)),
        line("verdict-name", result.registration.name));
      actions.replaceChildren();
      walkinState.textContent = "";
      name.value = "";
      seats.value = "1";
      document.getElementById("count-free").textContent = result.seats_free;
      seatsFree = result.seats_free;
      signal("admitted");
      refreshCounts();
    } catch (error) {
      if (!error.data) setOnline(false);
      const fields = (error.data && error.data.error && error.data.error.fields) || {};
      walkinRefused(Object.values(fields).join(" ") || error.message);
    } finally {
      walkinButton.disabled = seatsFree <= 0;
      input.focus();
    }
  });

  setInterval(refreshCounts, 3000);
  refreshCounts();

  // The copy of the tickets: now and every 30 s while online. Waiting scans go when the network
  // is back (and after any answer of the server, and every few seconds while some wait).
  offline.copy().then(showStatus);
  offline.count();
  offline.refreshCopy();
  setInterval(() => { if (navigator.onLine) offline.refreshCopy(); }, 30000);
  window.addEventListener("online", () => { offline.sync(); offline.refreshCopy(); refreshCounts(); });
  window.addEventListener("offline", () => { showStatus(); });
  if ("serviceWorker" in navigator && root.dataset.sw) {
    navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope }).catch(() => { /* no offline pages */ });
  }

  // The camera (door-camera.js): a ticket still in front of it is not scanned again.
  async function seen(raw) {
    const code = normalize(raw);
    const now = Date.now();
    if (code === lastSeen.code && now - lastSeen.at < REPEAT_MS) {
      lastSeen.at = now;
      return;
    }
    lastSeen = { code, at: now };
    await scan(code);
  }

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    cameraButton.hidden = false;
    cameraButton.addEventListener("click", () => {
      window.DoorCamera.start(video, { vendor: root.dataset.vendor, idle: () => pending === 0, onCode: seen })
        .then(() => { cameraButton.hidden = true; })
        .catch(() => {
          verdict.dataset.state = "error";
          verdict.replaceChildren(line("verdict-title", text.camera_error));
        });
    });
  }
  input.focus();
})();
