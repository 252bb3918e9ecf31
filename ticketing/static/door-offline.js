// The door without the network (issue 7): the copy of the tickets, scans decided on the device,
// the queue of scans waiting to be sent, the sync. door.js uses it; door-status.js shows it.
//
// IndexedDB "ticketing-door" (durable: survives a reload or a closed browser):
//   copies   one per screening: the server's door copy (codes as SHA-256 hashes only), with the
//            admissions this device made since it was taken;
//   queue    scans decided here, oldest first, until the server has answered each one;
//   notices  what the server said about a scan that the volunteer must know: a conflict, or a
//            scan it refused for good (nothing disappears silently).
// An ES module (loaded with type="module"): the rule itself is door-rule.js, pure and tested
// under node; this module keeps it on the device and talks to the server.
import { admit, decide as decideFrom, mergeCopy } from "./door-rule.js";

window.DoorOffline = (() => {
  const DB_NAME = "ticketing-door";
  const POST_TIMEOUT_MS = 1500; // a scan not answered by then is decided on the device
  const SYNC_TIMEOUT_MS = 10000;

  let opening = null;
  function database() {
    opening = opening || new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("copies", { keyPath: "screening" });
        db.createObjectStore("queue", { keyPath: "seq", autoIncrement: true }).createIndex("scan_id", "scan_id", { unique: true });
        db.createObjectStore("notices", { keyPath: "id", autoIncrement: true });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return opening;
  }

  // One transaction over `stores`; `work(stores)` may return a promise-like value read inside.
  async function transaction(stores, mode, work) {
    const db = await database();
    return new Promise((resolve, reject) => {
      // "strict": a scan written to the queue is on disk before the verdict shows (power loss).
      const tx = db.transaction(stores, mode, mode === "readwrite" ? { durability: "strict" } : undefined);
      const objects = Object.fromEntries(stores.map((name) => [name, tx.objectStore(name)]));
      let result;
      Promise.resolve(work(objects)).then((value) => { result = value; }, (error) => { tx.abort(); reject(error); });
      tx.oncomplete = () => resolve(result);
      tx.onerror = tx.onabort = () => reject(tx.error || new Error("IndexedDB transaction failed"));
    });
  }
  const ask = (request) => new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  // The code's SHA-256, or null where the browser has no crypto.subtle (plain http:// from another
  // host is not a secure context): such a door checks online only.
  async function hash(code) {
    if (!(window.crypto && crypto.subtle)) return null;
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(code));
    return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  function newScanId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // Only one tab at a time syncs or replaces a copy (a copy taken while a scan was being synced
  // would miss it): the Web Locks API where the browser has it.
  let chain = Promise.resolve();
  function exclusive(work) {
    if (navigator.locks) return navigator.locks.request("ticketing-door", work);
    const run = chain.then(work, work);
    chain = run.catch(() => {});
    return run;
  }

  // A JSON request to the API; throws an error marked `network` on no answer, and also
  // `late` when the answer did not come within `timeout`.
  async function request(method, path, csrf, body, timeout) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    let response;
    try {
      response = await fetch("/api/v1" + path, {
        method, credentials: "same-origin", signal: controller.signal, cache: "no-store",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw Object.assign(new Error("no answer"), { network: true, late: controller.signal.aborted });
    } finally {
      clearTimeout(timer);
    }
    const data = await response.json().catch(() => ({}));
    return { status: response.status, ok: response.ok, data };
  }

  // After a long offline spell the session's CSRF token may have changed: read the door page's
  // again (into root's data-csrf). True if it did.
  async function renewCsrf(root) {
    try {
      const response = await fetch(location.pathname, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok || response.redirected) return false;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").querySelector("[data-door]");
      if (!fresh || !fresh.dataset.csrf) return false;
      root.dataset.csrf = fresh.dataset.csrf;
      return true;
    } catch (error) {
      return false;
    }
  }

  // `root` is the door's element (its data-csrf holds the CSRF token); `onChange()` is called
  // when what the status line shows may have changed.
  function open({ screening, root, onChange }) {
    const csrf = () => root.dataset.csrf;
    let reachable = true; // the server answered the last request
    let waiting = 0; // scans in the queue (all screenings)
    let sessionLost = false;
    let takenAt = null; // when the server took the copy this device holds
    let syncTimer = null;
    let syncing = false;
    let late = false; // the last scan sent was not answered in time (the network itself was up)

    const changed = () => onChange && onChange();
    // Whether the server answered a request; any answer is a moment to send the waiting scans.
    function answered(ok) {
      const before = reachable;
      reachable = ok;
      if (before !== ok) changed();
      if (ok && waiting && !syncing) sync();
    }

    async function count() {
      waiting = await transaction(["queue"], "readonly", ({ queue }) => ask(queue.count()));
      changed();
      if (waiting) scheduleSync();
      return waiting;
    }

    // The server's copy, with this device's admissions that the server has not seen yet, and the
    // ones it answered after the copy was taken (they are not in it).
    function refreshCopy() {
      return exclusive(async () => {
        let answer;
        try {
          answer = await request("GET", `/screenings/${screening}/door-copy`, csrf(), undefined, SYNC_TIMEOUT_MS);
        } catch (error) {
          answered(false);
          return;
        }
        answered(answer.status < 500);
        if (!answer.ok) return;
        const data = answer.data;
        await transaction(["copies", "queue"], "readwrite", async ({ copies, queue }) => {
          const old = await ask(copies.get(screening));
          copies.put(mergeCopy(data, old, await ask(queue.getAll()), screening));
        });
        takenAt = data.taken_at;
        changed();
      });
    }

    async function copy() {
      const kept = await transaction(["copies"], "readonly", ({ copies }) => ask(copies.get(screening)));
      if (kept) takenAt = kept.taken_at;
      return kept;
    }

    // Decide a scan from the copy, as the server would (door-rule.js); null without a copy.
    async function decide(scan, words) {
      const kept = scan.hash && await copy();
      return kept ? decideFrom(kept, scan, words.thisDevice) : null;
    }

    // Keep a scan decided here: in the queue, and its admission in the copy, in one transaction,
    // before the volunteer sees the verdict.
    async function keep(scan, verdict) {
      const entry = { ...scan, name: verdict.ticket ? verdict.ticket.name : "",
        offline: { result: verdict.result, reason: verdict.reason, seats: verdict.admitted_now } };
      await transaction(["copies", "queue"], "readwrite", async ({ copies, queue }) => {
        queue.add(entry);
        const kept = await ask(copies.get(screening));
        const ticket = kept && kept.tickets[scan.hash];
        if (ticket && verdict.admitted_now) {
          kept.tickets[scan.hash] = admit(ticket, verdict.admitted_now, scan.scanned_at);
          copies.put(kept);
        }
      });
      await count();
    }

    // "Only n now" on a group let in offline: the queued scan lets fewer in. False once it has
    // been sent (the server's check-in is then `sentAs(scan_id)`, to undo online).
    // Under the sync's lock: a scan being sent meanwhile is sent whole, then undone online.
    async function reduce(scanId, n) {
      return exclusive(() => transaction(["copies", "queue"], "readwrite", async ({ copies, queue }) => {
        const entry = await ask(queue.index("scan_id").get(scanId));
        if (!entry || entry.offline.result !== "admitted" || n >= entry.offline.seats) return false;
        const fewer = entry.offline.seats - n;
        entry.offline.seats = n;
        queue.put(entry);
        const kept = await ask(copies.get(entry.screening));
        const ticket = kept && kept.tickets[entry.hash];
        if (ticket) {
          ticket.admitted = Math.max(0, ticket.admitted - fewer);
          copies.put(kept);
        }
        return true;
      }));
    }
    const sent = new Map(); // scan id -> the server's check-in id, for the scans sent by this page

    // An answer of the server to a scan made online: the copy follows it.
    async function note(scan, result) {
      if (!result.ticket || !result.admitted_now) return;
      await transaction(["copies"], "readwrite", async ({ copies }) => {
        const kept = await ask(copies.get(screening));
        const ticket = kept && kept.tickets[scan.hash];
        if (!ticket) return;
        ticket.admitted = Math.max(ticket.admitted, result.ticket.admitted);
        ticket.noted_at = result.ticket.last_admitted_at;
        ticket.local_at = scan.scanned_at;
        copies.put(kept);
      });
    }

    // A scan, online: the server's verdict, or null when it is unreachable, failing (5xx) or
    // slower than 1.5 s. Other refusals (4xx) come back as {error}.
    // Once the server has not answered, scans are decided here at once (no 1.5 s wait each)
    // until an answer to the door's other requests (counts every 3 s, the sync) says it is back.
    // `patient`: the same scan once more, waited for up to 10 s, even while the server is
    // thought unreachable (door.js asks for it when the copy cannot know the code).
    async function post(scan, patient = false) {
      late = false;
      if (!navigator.onLine || (!reachable && !patient)) return null;
      let answer;
      try {
        answer = await request("POST", "/checkins", csrf(), body(scan), patient ? SYNC_TIMEOUT_MS : POST_TIMEOUT_MS);
      } catch (error) {
        late = error.late;
        answered(false);
        return null;
      }
      if (answer.status >= 500 || answer.ok && !isVerdict(answer.data)) {
        answered(false);
        return null;
      }
      if (answer.status === 429) return null; // over the look-up limit (a sync used it up): decide here
      answered(true);
      if (answer.ok) {
        await note(scan, answer.data);
        sync();
        return answer.data;
      }
      const message = answer.data.error ? answer.data.error.message : String(answer.status);
      return { error: Object.assign(new Error(message), { data: answer.data }) };
    }

    const isVerdict = (data) => Number.isInteger(data.checkin_id) && typeof data.result === "string";

    function body(scan) {
      const sent = { code: scan.code, screening: scan.screening, scan_id: scan.scan_id, scanned_at: scan.scanned_at };
      if (scan.seats) sent.seats = scan.seats;
      if (scan.offline) sent.offline = scan.offline;
      return sent;
    }

    function scheduleSync(seconds = 4) {
      if (syncTimer) return;
      syncTimer = setTimeout(() => { syncTimer = null; sync(); }, seconds * 1000);
    }

    // The queue, oldest first, one scan at a time; each leaves the queue only once answered.
    async function sync() {
      if (syncing || !navigator.onLine) {
        if (waiting) scheduleSync();
        return;
      }
      syncing = true;
      let wait = 4;
      try {
        await exclusive(async () => {
          let csrfRenewed = false;
          for (;;) {
            const scan = await transaction(["queue"], "readonly", ({ queue }) => ask(queue.openCursor()).then((c) => c && c.value));
            if (!scan) break;
            let answer;
            try {
              answer = await request("POST", "/checkins", csrf(), body(scan), SYNC_TIMEOUT_MS);
            } catch (error) {
              answered(false);
              break;
            }
            if (answer.ok && !isVerdict(answer.data)) { // a proxy's page, a login page: not the app's answer
              answered(false);
              break;
            }
            answered(answer.status < 500);
            const kind = answer.data.error && answer.data.error.kind;
            if (answer.status === 429) {
              wait = Math.max(1, Number((answer.data.error || {}).retry_after) || 10);
              break;
            }
            if (answer.status === 403 && kind === "csrf_failed" && !csrfRenewed) {
              csrfRenewed = true;
              if (await renewCsrf(root)) continue;
              break;
            }
            if (answer.status === 401) {
              sessionLost = true;
              break;
            }
            if (answer.status >= 500 || answer.status === 403 && kind === "csrf_failed") break;
            sessionLost = false;
            const notice = answer.ok
              ? answer.data.conflict && { kind: "conflict", name: scan.name, scanned_at: scan.scanned_at, result: answer.data.result,
                reason: answer.data.reason, earlier: answer.data.earlier, cancelled: answer.data.result === "not_valid" }
              : { kind: "refused", name: scan.name, scanned_at: scan.scanned_at, message: answer.data.error ? answer.data.error.message : String(answer.status) };
            if (answer.ok) sent.set(scan.scan_id, answer.data.checkin_id);
            await transaction(["queue", "notices"], "readwrite", ({ queue, notices }) => {
              queue.delete(scan.seq);
              if (notice) notices.add(notice);
            });
            await count();
          }
        });
      } finally {
        syncing = false;
        await count();
        if (waiting) scheduleSync(wait);
      }
    }

    async function notices() {
      return transaction(["notices"], "readonly", ({ notices: store }) => ask(store.getAll()));
    }
    async function clearNotices() {
      await transaction(["notices"], "readwrite", ({ notices: store }) => { store.clear(); });
      changed();
    }

    // A new scan: its own id and the device's time first, whatever happens next.
    async function newScan(code, seats) {
      const scan = { scan_id: newScanId(), scanned_at: new Date().toISOString(), screening, code, hash: await hash(code) };
      if (seats) scan.seats = seats;
      return scan;
    }

    return {
      newScan, post, decide, keep, reduce, refreshCopy, sync, count, notices, clearNotices, copy,
      answered, sentAs: (scanId) => sent.get(scanId),
      get offline() { return !navigator.onLine || !reachable; },
      get waiting() { return waiting; },
      get sessionLost() { return sessionLost; },
      get takenAt() { return takenAt; },
      get late() { return late; },
    };
  }

  return { open };
})();
