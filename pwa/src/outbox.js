// The outbox: intents waiting to reach the server (design guarantees 1, 2 and 6).
//
// - Each entry is keyed (client_id, mutation_id). Ids are handed out strictly increasing per
//   client inside the same IndexedDB transaction that stores the entry, so there is never a hole.
// - client_id is a random UUID made once per install *per user*: the outbox survives logout and is
//   sent with the same user's next session, while another user signing in on a shared phone gets
//   their own sequence (mixing users in one sequence would make the server see gaps, or apply one
//   person's intents under another's token).
// - Nothing is deleted silently: applied/duplicate → 'sent'; rejected → 'refused' with the server's
//   code and message, visible until the person dismisses it. Sent entries and dismissed refusals
//   are pruned only after 7 days.
// - A refused entry the desk later accepted as done (a signed completion refused because the job had been
//   reassigned, D141), which this phone learns from its pull (the job's `accepted_refusals`) → 'accepted':
//   shown as such, no longer counted as refused, pruned like a sent entry a week after it was accepted.
// - An applied entry the server still had something to say about (a guard's release recorded as an
//   incident, R-RS-1) stays 'sent' — it is not resent, the record stands — and keeps what was said in
//   `notice` {code, message, message_en, details}, counted as unseen until the person dismisses it. A
//   step already recorded from the person's other phone is said the same way but only informs (isIncident).
import { db, kvGet } from './db.js';
import { emit } from './bus.js';
import { hasOffset, serverNow } from './clock.js';

const PRUNE_AFTER_MS = 7 * 24 * 3600 * 1000;

function uuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const rangeFor = (clientId) => IDBKeyRange.bound([clientId, 0], [clientId, Number.MAX_SAFE_INTEGER]);

/** The sync client id of `userId` on this install (created on first use). */
export async function clientIdFor(userId) {
  const d = await db();
  const tx = d.transaction('kv', 'readwrite');
  const map = (await tx.store.get('clientId')) || {};
  if (!map[userId]) {
    map[userId] = uuid();
    await tx.store.put(map, 'clientId');
  }
  await tx.done;
  return map[userId];
}

/**
 * Stores an intent. `blobs` lists sha256s the mutation references: sync uploads them first and
 * holds the entry back until they are on the server (guarantee 5).
 */
export async function enqueue(userId, type, args, { blobs = [] } = {}) {
  const clientId = await clientIdFor(userId);
  const d = await db();
  const tx = d.transaction(['kv', 'outbox', 'jobs'], 'readwrite');
  const kv = tx.objectStore('kv');
  const outbox = tx.objectStore('outbox');
  // The case number, kept on the entry itself: if the desk takes the job off this phone before
  // the entry is sent, the outbox can still say which job it was about.
  const job = args?.job_id ? await tx.objectStore('jobs').get(String(args.job_id)) : null;
  const nextMap = (await kv.get('nextMutationId')) || {};
  // Never reuse an id even if the kv counter were lost: also look at the last stored entry.
  const last = await outbox.openCursor(rangeFor(clientId), 'prev');
  const mutationId = Math.max(nextMap[clientId] || 1, last ? last.value.mutation_id + 1 : 1);
  const now = new Date();
  const entry = {
    client_id: clientId,
    user_id: userId,
    mutation_id: mutationId,
    type,
    args,
    device_time: now.toISOString(),
    // Server time at the tap, which the server counts the step at (D128, guarantee 4): kept
    // across a later change of this phone's clock. Only once an offset was ever measured here: a
    // never-synced phone's estimate would be its bare wall clock. Entries from before lack it and
    // are placed by device_time as before (D35).
    ...(hasOffset() ? { server_time_est: new Date(serverNow()).toISOString() } : {}),
    state: 'waiting',
    code: null,
    message: null,
    message_en: null,
    attempts: 0,
    created_at: now.toISOString(),
    sent_at: null,
    dismissed_at: null,
    blobs,
    case_no: job?.case_no || null,
  };
  await outbox.put(entry);
  nextMap[clientId] = mutationId + 1;
  await kv.put(nextMap, 'nextMutationId');
  await tx.done;
  emit('outbox', { client_id: clientId, enqueued: true });
  return entry;
}

/** All entries of a client in id order (what the outbox view shows). */
export async function entriesFor(clientId) {
  return (await db()).getAll('outbox', rangeFor(clientId));
}

export async function waitingFor(clientId) {
  return (await entriesFor(clientId)).filter((e) => e.state === 'waiting');
}

/**
 * Every entry `userId` queued on this install, oldest first. A rebase (rebaseToNewClient) moves only
 * the waiting entries to the new client id; the sent ones and the refusals stay under the old one
 * and must still show (guarantee 1: a refusal is shown until dismissed), so older client ids of the
 * same person come first, then the current one in id order.
 */
export async function entriesOfUser(userId) {
  const map = (await kvGet('clientId')) || {};
  const current = map[userId];
  if (!current) return [];
  const all = await (await db()).getAll('outbox');
  const older = all.filter((e) => e.user_id === userId && e.client_id !== current);
  older.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.mutation_id - b.mutation_id);
  return [...older, ...(await entriesFor(current))];
}

export async function pendingCount(userId) {
  return (await entriesOfUser(userId)).filter((e) => e.state === 'waiting').length;
}

/** Unsent entries left by other users of this phone (shown as a hint, never sent with our token). */
export async function othersPendingCount(userId) {
  const all = await (await db()).getAllFromIndex('outbox', 'by_state', 'waiting');
  return all.filter((e) => e.user_id !== userId).length;
}

/** Records the server's answers for one pushed batch. */
export async function recordResults(clientId, results) {
  const d = await db();
  const tx = d.transaction('outbox', 'readwrite');
  const now = new Date().toISOString();
  for (const r of results) {
    const entry = await tx.store.get([clientId, r.mutation_id]);
    if (!entry) continue;
    entry.attempts += 1;
    // A duplicate carries the outcome of the first time (`original`): a refusal stays a refusal.
    const refused = r.status === 'rejected' || (r.status === 'duplicate' && r.original === 'rejected');
    if ((r.status === 'applied' || r.status === 'duplicate') && !refused) {
      entry.state = 'sent';
      entry.sent_at = entry.sent_at || now;
      entry.result = r.status;
      if (r.code) {
        entry.notice = { code: r.code, message: r.message || null, message_en: r.message_en || null, details: r.details || null };
      }
    } else if (refused) {
      entry.state = 'refused';
      entry.sent_at = entry.sent_at || now;
      entry.code = r.code || 'rejected';
      entry.message = r.message || null;
      entry.message_en = r.message_en || null;
      entry.details = r.details || null;
    } else {
      // 'waiting': the server has not recorded it (a blob is missing); it stays in the queue.
      entry.last_error = { code: r.code || r.status, message: r.message || null, message_en: r.message_en || null };
    }
    await tx.store.put(entry);
  }
  await tx.done;
  emit('outbox', { client_id: clientId });
}

/** Counts a failed attempt (network, 5xx) so the outbox view can show it is being retried. */
export async function noteAttempt(clientId, mutationIds, error) {
  const d = await db();
  const tx = d.transaction('outbox', 'readwrite');
  for (const id of mutationIds) {
    const entry = await tx.store.get([clientId, id]);
    if (!entry || entry.state !== 'waiting') continue;
    entry.attempts += 1;
    entry.last_error = error || null;
    await tx.store.put(entry);
  }
  await tx.done;
}

// Notices that only inform: a step the same person already recorded from another phone (D145).
// Shown on the entry, but not an incident: nothing to count in the sync bar, nothing to acknowledge.
const INFO_NOTICES = new Set(['case.step_already_recorded']);

/** A sent entry the server recorded with something the person must see (a release recorded as an incident). */
export function isIncident(e) {
  return e.state === 'sent' && Boolean(e.notice) && !INFO_NOTICES.has(e.notice.code);
}

/** Sent entries with an incident the person has not dismissed yet (the sync bar counts them). */
export function unseenNotices(entries) {
  return entries.filter((e) => isIncident(e) && !e.dismissed_at);
}

/**
 * The person acknowledges a refusal, which then disappears from the list but is kept for 7 days, or a
 * sent entry's notice, which then stays on its line but is no longer counted.
 */
export async function dismiss(clientId, mutationId) {
  const d = await db();
  const tx = d.transaction('outbox', 'readwrite');
  const entry = await tx.store.get([clientId, mutationId]);
  if (entry && (entry.state === 'refused' || isIncident(entry))) {
    entry.dismissed_at = new Date().toISOString();
    await tx.store.put(entry);
  }
  await tx.done;
  emit('outbox', { client_id: clientId });
}

/**
 * The records the desk accepted after they were refused (D141), as the pull's job documents (and a removed
 * job's reason, once the case was closed) name them: [{client_id, mutation_id}].
 */
export function acceptedRefs(changes) {
  return (changes || []).filter((ch) => ch.entity === 'job' && Array.isArray(ch.doc?.accepted_refusals))
    .flatMap((ch) => ch.doc.accepted_refusals)
    .filter((r) => r && typeof r.client_id === 'string' && Number.isInteger(r.mutation_id));
}

/**
 * Those refused entries become 'accepted': the server refused them at the sync, the desk then took them as the
 * work done. Kept with the refusal's reason; a refusal dismissed before is accepted too (its slip is what the
 * phone keeps of the job). Returns how many changed.
 */
export async function markAcceptedByDesk(refs) {
  if (!refs?.length) return 0;
  const d = await db();
  const tx = d.transaction('outbox', 'readwrite');
  const now = new Date().toISOString();
  const clients = new Set();
  let changed = 0;
  for (const r of refs) {
    const entry = await tx.store.get([r.client_id, r.mutation_id]);
    if (!entry || entry.state !== 'refused') continue;
    entry.state = 'accepted';
    entry.accepted_at = now;
    await tx.store.put(entry);
    clients.add(entry.client_id);
    changed += 1;
  }
  await tx.done;
  for (const clientId of clients) emit('outbox', { client_id: clientId });
  return changed;
}
/**
 * Deletes sent entries, dismissed refusals and entries the desk accepted older than 7 days (an accepted one
 * counted from when this phone learned it); waiting entries are never pruned, nor is a sent entry's notice
 * before it was dismissed (like a refusal).
 */
export async function prune(now = Date.now()) {
  const d = await db();
  const tx = d.transaction('outbox', 'readwrite');
  let cursor = await tx.store.openCursor();
  while (cursor) {
    const e = cursor.value;
    const doneAt = e.state === 'sent' ? (isIncident(e) ? e.dismissed_at : e.sent_at)
      : e.state === 'refused' ? e.dismissed_at : e.state === 'accepted' ? e.accepted_at : null;
    if (doneAt && now - Date.parse(doneAt) > PRUNE_AFTER_MS) await cursor.delete();
    cursor = await cursor.continue();
  }
  await tx.done;
}

/**
 * The server reports it expects `expectedId` but our lowest unsent id is higher and the entries in
 * between are gone (e.g. the server was restored from a backup after acknowledging them). The
 * waiting entries are moved, in order, to a fresh client id starting at 1 — never dropped.
 */
export async function rebaseToNewClient(userId, oldClientId) {
  const d = await db();
  // The entries keep their own case_no (set by enqueue): nothing to look up here.
  const tx = d.transaction(['kv', 'outbox'], 'readwrite');
  const kv = tx.objectStore('kv');
  const outbox = tx.objectStore('outbox');
  const newId = uuid();
  const map = (await kv.get('clientId')) || {};
  map[userId] = newId;
  await kv.put(map, 'clientId');
  const waiting = (await outbox.getAll(rangeFor(oldClientId))).filter((e) => e.state === 'waiting');
  let n = 1;
  for (const e of waiting) {
    await outbox.delete([oldClientId, e.mutation_id]);
    await outbox.put({ ...e, client_id: newId, mutation_id: n, rebased_from: [oldClientId, e.mutation_id] });
    n += 1;
  }
  const nextMap = (await kv.get('nextMutationId')) || {};
  nextMap[newId] = n;
  await kv.put(nextMap, 'nextMutationId');
  await tx.done;
  emit('outbox', { client_id: newId });
  return newId;
}

/**
 * The server expects `fromId` but we sent later ids: put the entries from `fromId` up to (not
 * including) `beforeId` back to 'waiting' so they are sent again. Returns false when one of those
 * ids is no longer in the outbox (pruned), in which case the caller rebases instead.
 */
export async function requeueRange(clientId, fromId, beforeId) {
  const d = await db();
  const tx = d.transaction('outbox', 'readwrite');
  const entries = await tx.store.getAll(IDBKeyRange.bound([clientId, fromId], [clientId, beforeId], false, true));
  const complete = entries.length === beforeId - fromId;
  if (complete) {
    for (const e of entries) {
      if (e.state === 'waiting') continue;
      e.state = 'waiting';
      e.requeued_at = new Date().toISOString();
      await tx.store.put(e);
    }
  }
  await tx.done;
  if (complete) emit('outbox', { client_id: clientId });
  return complete;
}
