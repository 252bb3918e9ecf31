// The door's status line (#network): offline or not, the copy's time, how many scans wait to be
// sent; and the list of conflicts and refused scans (#conflicts), kept until the volunteer
// clears it. `offline` is door-offline.js's `open(...)`; door.js calls `show` when it changes.
window.DoorStatus = (() => {
  "use strict";
  let clearing = false;
  async function show(offline, { text, fill, counted, clock, earlierText }) {
    const network = document.getElementById("network");
    const parts = [];
    if (offline.offline) {
      parts.push(text.offline_now);
      if (offline.takenAt) parts.push(fill(text.copy_from, { time: clock(offline.takenAt) }));
    }
    if (offline.waiting) parts.push(counted(text.waiting, offline.waiting));
    if (offline.sessionLost) parts.push(text.log_in_again);
    network.textContent = parts.join(" ");
    network.hidden = !parts.length;
    network.dataset.offline = String(offline.offline);
    const notices = await offline.notices();
    document.getElementById("conflict-list").replaceChildren(...notices.map((notice) => {
      const item = document.createElement("li");
      const [time, first] = [clock(notice.scanned_at), notice.earlier && notice.earlier[0]];
      const server = notice.result !== "not_valid" && first ? earlierText(first) : fill(text.reasons[notice.reason] || "", {});
      item.textContent = notice.kind === "refused" ? fill(text.refused, { name: notice.name, time, message: notice.message })
        : fill(text.conflict, { name: notice.name, time, server });
      return item;
    }));
    const conflicts = document.getElementById("conflicts");
    conflicts.hidden = !notices.length;
    if (!clearing) {
      clearing = true;
      document.getElementById("conflicts-clear").addEventListener("click", () => offline.clearNotices());
    }
  }

  return { show };
})();
