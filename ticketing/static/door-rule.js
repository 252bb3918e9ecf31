// The door's rule on the device (issue 18): what a scan decided without the server gets, and how
// the server's copy of the tickets and this device's own admissions make one copy. Pure functions
// of their arguments (no IndexedDB, no page, no clock), so that `node --test` checks them against
// the same table of cases as the server's rule (services/checkin.py, `_judge`):
// tests/door_rules.json, run by tests/js/door_rules.test.mjs and tests/test_door_rules.py.
//
// A copy is what GET /api/v1/screenings/<id>/door-copy answers: `tickets` (hash -> name, seats,
// admitted, status), `other_tickets` (hash -> screening id), `other_screenings` (id -> title,
// starts_at), `is_cancelled`, `taken_at`. A ticket this device admitted also carries `local_at`
// (when) and, once the server has answered for it, `noted_at` (the server's time of it).

// The verdict on a scan ({hash, seats}) from `copy`, as the server would give it from its tables:
// result, reason, people admitted now, the ticket as it will be, and its earlier admission by
// this device (`thisDevice` names it). Nothing is changed: `admit` records an admission.
export function decide(copy, scan, thisDevice) {
  const verdict = (result, reason, extra) => ({
    result, reason, admitted_now: 0, earlier: [], local: true, ticket: null, taken_at: copy.taken_at, ...extra,
  });
  const ticket = copy.tickets[scan.hash];
  if (!ticket) {
    const other = copy.other_tickets[scan.hash];
    const shown = other !== undefined && copy.other_screenings[String(other)];
    return shown ? verdict("not_valid", "other_screening", { other: { ...shown, id: Number(other) } }) : verdict("not_valid", "unknown_code");
  }
  const details = { ticket: { name: ticket.name, seats: ticket.seats, admitted: ticket.admitted } };
  if (ticket.status !== "confirmed") return verdict("not_valid", ticket.status, details);
  if (copy.is_cancelled) return verdict("not_valid", "screening_cancelled", details);
  const remaining = ticket.seats - ticket.admitted;
  const wanted = scan.seats || remaining;
  if (remaining > 0 && wanted <= remaining) {
    return verdict("admitted", "", { admitted_now: wanted, ticket: { ...details.ticket, admitted: ticket.admitted + wanted } });
  }
  const earlier = ticket.local_at ? [{ at: ticket.local_at, staff: thisDevice }] : [];
  return verdict("already_checked_in", remaining ? "fewer_seats_left" : "all_in", { ...details, earlier });
}

// `ticket` with `seats` more people let in at `at` (never more than it holds): a new object.
export function admit(ticket, seats, at) {
  return { ...ticket, admitted: Math.min(ticket.seats, ticket.admitted + seats), local_at: at };
}

// The tickets of a fresh copy from the server, with what this device knows that the copy cannot:
// admissions the server answered after the copy was taken (`old`'s tickets noted since then), and
// the scans still waiting in the queue (`queued`: {screening, hash, scanned_at, offline}) that let
// people in. `screening` is the copy's. Neither argument is changed.
export function mergeCopy(fresh, old, queued, screening) {
  const tickets = {};
  for (const ticket of fresh.tickets) {
    const before = old && old.tickets[ticket.hash];
    if (before && before.noted_at && Date.parse(before.noted_at) > Date.parse(fresh.taken_at)) {
      tickets[ticket.hash] = { ...ticket, admitted: Math.max(ticket.admitted, before.admitted), noted_at: before.noted_at, local_at: before.local_at };
    } else {
      tickets[ticket.hash] = { ...ticket };
    }
  }
  for (const scan of queued) {
    const ticket = scan.screening === screening && scan.offline.result === "admitted" && tickets[scan.hash];
    if (ticket) tickets[scan.hash] = admit(ticket, scan.offline.seats, scan.scanned_at);
  }
  return { ...fresh, screening, tickets };
}
