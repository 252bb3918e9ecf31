// The door's rule on the device (static/door-rule.js) against the table the server is held to
// (tests/door_rules.json), and the merging of the door copy. Run: node --test tests/js
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { admit, decide, mergeCopy } from "../../ticketing/static/door-rule.js";

const { cases } = JSON.parse(readFileSync(new URL("../door_rules.json", import.meta.url), "utf8"));
const HASH = "a".repeat(64); // the scanned code's hash; the copy holds hashes only
const TAKEN_AT = "2026-12-07T18:00:00+00:00";

// The door copy the server would send for the case's world (GET .../door-copy).
function copyOf(caseData) {
  const ticket = caseData.ticket;
  const copy = {
    screening: 1, is_cancelled: caseData.screening_cancelled, taken_at: TAKEN_AT,
    tickets: {}, other_tickets: {}, other_screenings: { 2: { title: "Other Film", starts_at: "2026-12-08T19:00:00+00:00" } },
  };
  if (ticket.where === "this") {
    copy.tickets[HASH] = { hash: HASH, name: "Ana Attendee", seats: ticket.seats, admitted: ticket.admitted, status: ticket.status };
  } else if (ticket.where === "other") {
    copy.other_tickets[HASH] = 2;
  }
  return copy;
}

for (const caseData of cases.filter((c) => c.offline === null)) {
  test(caseData.name, () => {
    const copy = copyOf(caseData);
    const frozen = JSON.stringify(copy);
    const verdict = decide(copy, { hash: HASH, seats: caseData.scan.seats }, "this device");
    const expect = caseData.expect;
    assert.deepEqual(
      { result: verdict.result, reason: verdict.reason, admitted_now: verdict.admitted_now, local: verdict.local },
      { result: expect.result, reason: expect.reason, admitted_now: expect.admitted_now, local: true },
    );
    if (verdict.ticket && caseData.ticket.where === "this") {
      assert.equal(verdict.ticket.admitted, expect.admitted_after);
    }
    if (expect.reason === "other_screening") assert.deepEqual(verdict.other, { ...copy.other_screenings[2], id: 2 });
    assert.equal(JSON.stringify(copy), frozen, "deciding changes nothing");
  });
}

test("an offline decision is always one the server accepts", () => {
  // What keep() queues: result, reason, and seats that are 0 unless admitted (checkin.Offline).
  const pairs = new Set(cases.map((c) => `${c.expect.result}/${c.expect.reason}`));
  for (const caseData of cases.filter((c) => c.offline === null)) {
    const verdict = decide(copyOf(caseData), { hash: HASH, seats: caseData.scan.seats }, "this device");
    assert.ok(pairs.has(`${verdict.result}/${verdict.reason}`));
    assert.equal(verdict.admitted_now > 0, verdict.result === "admitted");
  }
});

test("a ticket this device let in shows when, and by this device, on the next scan", () => {
  const copy = copyOf({ ticket: { where: "this", seats: 1, admitted: 0, status: "confirmed" }, screening_cancelled: false });
  copy.tickets[HASH] = admit(copy.tickets[HASH], 1, "2026-12-07T18:30:00Z");
  const again = decide(copy, { hash: HASH }, "this device");
  assert.deepEqual([again.result, again.reason, again.earlier], ["already_checked_in", "all_in", [{ at: "2026-12-07T18:30:00Z", staff: "this device" }]]);
});

test("admitting never lets in more than the ticket holds, and changes only a copy", () => {
  const ticket = { hash: HASH, name: "A", seats: 2, admitted: 1, status: "confirmed" };
  assert.deepEqual(admit(ticket, 5, "t"), { ...ticket, admitted: 2, local_at: "t" });
  assert.equal(ticket.admitted, 1);
});

test("a fresh copy keeps the admissions queued on this device", () => {
  const fresh = { taken_at: TAKEN_AT, is_cancelled: false, other_tickets: {}, other_screenings: {},
    tickets: [{ hash: HASH, name: "A", seats: 3, admitted: 1, status: "confirmed" }] };
  const queued = [
    { screening: 1, hash: HASH, scanned_at: "2026-12-07T18:05:00Z", offline: { result: "admitted", reason: "", seats: 1 } },
    { screening: 1, hash: HASH, scanned_at: "2026-12-07T18:06:00Z", offline: { result: "not_valid", reason: "unknown_code", seats: 0 } },
    { screening: 2, hash: HASH, scanned_at: "2026-12-07T18:07:00Z", offline: { result: "admitted", reason: "", seats: 1 } },
  ];
  const merged = mergeCopy(fresh, undefined, queued, 1);
  assert.equal(merged.tickets[HASH].admitted, 2); // 1 on the server, 1 queued here; the refusal and the other screening's scan add none
  assert.equal(merged.tickets[HASH].local_at, "2026-12-07T18:05:00Z");
  assert.equal(fresh.tickets[0].admitted, 1, "the server's copy is not changed");
});

test("a fresh copy keeps an admission the server answered after the copy was taken", () => {
  const fresh = { taken_at: TAKEN_AT, is_cancelled: false, other_tickets: {}, other_screenings: {},
    tickets: [{ hash: HASH, name: "A", seats: 2, admitted: 0, status: "confirmed" }] };
  const later = { tickets: { [HASH]: { admitted: 2, noted_at: "2026-12-07T18:00:05+00:00", local_at: "2026-12-07T18:00:04Z" } } };
  assert.equal(mergeCopy(fresh, later, [], 1).tickets[HASH].admitted, 2);
  const earlier = { tickets: { [HASH]: { admitted: 2, noted_at: "2026-12-07T17:59:00+00:00" } } };
  assert.equal(mergeCopy(fresh, earlier, [], 1).tickets[HASH].admitted, 0, "the copy is newer: it knows better (an undo, say)");
});
