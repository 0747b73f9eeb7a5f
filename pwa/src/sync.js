// Moves data between this phone and the server: pending blobs first, then the outbox in order,
// then the change feed until it is drained. Runs in pages and in the service worker (Background
// Sync) from the same code; a Web Lock makes runs exclusive across tabs and the SW, and an
// in-memory promise makes triggers within one context coalesce (single flight).
//
// Server time: every push/pull answer carries server_time; offset = server_time − midpoint of the
// request, keeping the sample with the shortest round trip of each run (guarantee 4: countdowns
// use clock.js serverNow(), built on this offset, never the bare device clock).
import { ApiError, get, post, request, setToken, syncFailure } from './api.js';
import { emit, on } from './bus.js';
import {
  applyChanges, getBlob, getCursor, getSession, kvGet, kvSet, markBlobUploaded, pendingBlobs, setBlobError,
} from './db.js';
import {
  acceptedRefs, clientIdFor, markAcceptedByDesk, noteAttempt, prune, rebaseToNewClient, recordResults, requeueRange,
  waitingFor,
} from './outbox.js';

const PUSH_BATCH = 100;
const PULL_LIMIT = 1000;

/**
 * Current status, also broadcast as bus event 'sync'. state: idle|syncing|offline|error|auth|signed_out;
 * upload: {sent, total} bytes of the blob being uploaded, or null.
 */
let status = { state: 'idle', lastSyncAt: null, error: null, upload: null };
let inflight = null;
let again = false;
// A run of this context holds the sync lock now (not merely waits for it while another context runs).
let running = false;

export function getStatus() {
  return status;
}

function setStatus(patch) {
  status = { ...status, ...patch };
  emit('sync', status);
}

// States another context's report may give this page: signed out is for the session to say.
const FOLLOWED = new Set(['idle', 'syncing', 'offline', 'error', 'auth']);
const later = (a, b) => (!a ? b || null : !b ? a : Date.parse(b) > Date.parse(a) ? b : a);

/**
 * This page's status after a word from outside its own runs (D145): `{type: 'remote', status}`
 * — the service worker's Background Sync, or another tab, reporting its run — or the browser's `online` /
 * `offline`. A page whose own push failed at the network said 离线 until its next run, up to a minute, though
 * the service worker had meanwhile sent everything. While this page runs a sync itself, its own run decides.
 */
export function followedStatus(current, event, { running: busy }) {
  if (busy) return current;
  if (event.type === 'remote') {
    const r = event.status;
    if (!r || !FOLLOWED.has(r.state)) return current;
    return { ...current, state: r.state, error: r.error ?? null, upload: r.upload ?? null, lastSyncAt: later(current.lastSyncAt, r.lastSyncAt) };
  }
  if (current.state === 'auth' || current.state === 'signed_out') return current;
  if (event.type === 'online' && current.state === 'offline') return { ...current, state: 'idle', error: null };
  if (event.type === 'offline') return { ...current, state: 'offline' };
  return current;
}

/**
 * Makes this page's status follow the other contexts' runs (over the app's BroadcastChannel, bus.js) and the
 * network's events on `net` (the window). Pages only: the service worker reports, it does not follow.
 */
export function followOthers(net = globalThis.window) {
  const follow = (event) => {
    const next = followedStatus(status, event, { running });
    if (next === status) return;
    status = next;
    emit('sync', status, { local: true }); // not echoed back to the context it came from
  };
  const offs = [on('sync', (d) => {
    if (!d.remote) return;
    const { remote, ...reported } = d;
    follow({ type: 'remote', status: reported });
  })];
  if (net?.addEventListener) {
    const online = () => follow({ type: 'online' });
    const offline = () => follow({ type: 'offline' });
    net.addEventListener('online', online);
    net.addEventListener('offline', offline);
    offs.push(() => net.removeEventListener('online', online), () => net.removeEventListener('offline', offline));
  }
  return () => offs.forEach((f) => f());
}

function isOffline() {
  return typeof navigator !== 'undefined' && navigator.onLine === false;
}

/**
 * Runs a sync unless one is already running here, in which case one more run is queued after it
 * (so an entry enqueued mid-sync is not left waiting a full minute). Never throws; resolves to
 * the final status. Pass {throwOnFailure: true} (service worker) to get the error.
 */
export function syncNow({ throwOnFailure = false } = {}) {
  if (inflight) {
    again = true;
    return inflight;
  }
  inflight = (async () => {
    let lastError = null;
    do {
      again = false;
      lastError = await exclusive(async () => {
        running = true;
        try {
          return await runOnce();
        } finally {
          running = false;
        }
      });
    } while (again && !lastError);
    if (lastError && throwOnFailure) throw lastError;
    return status;
  })().finally(() => {
    inflight = null;
  });
  return inflight;
}

async function exclusive(fn) {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : null;
  if (locks?.request) return locks.request('estatedesk-sync', fn);
  return fn();
}

/** One full sync. Returns null on success or the error that stopped it. */
async function runOnce() {
  const session = await getSession();
  if (!session?.token || session.revoked) {
    setStatus({ state: session?.revoked ? 'auth' : 'signed_out', error: null });
    return null;
  }
  if (isOffline()) {
    setStatus({ state: 'offline', error: null });
    return new ApiError({ status: 0, code: 'network', message: '离线', message_en: 'Offline' });
  }
  setToken(session.token);
  setStatus({ state: 'syncing', error: null });
  const clock = { best: null };
  try {
    // A refused upload or push (a 4xx that retrying cannot fix) must not stop the pull: new jobs
    // still arrive, and the error stays visible on the entries and in the status bar.
    let sendError = null;
    try {
      await uploadBlobs();
      await pushOutbox(session.user.id, clock);
    } catch (e) {
      if (!isPermanent(e)) throw e;
      sendError = e;
    }
    await pullChanges(session.user.id, clock);
    const lastSyncAt = new Date().toISOString();
    await kvSet('lastSyncAt', lastSyncAt);
    await prune();
    if (sendError) {
      setStatus({ state: 'error', lastSyncAt, error: sendError.wire });
      return sendError;
    }
    setStatus({ state: 'idle', lastSyncAt, error: null });
    return null;
  } catch (e) {
    const err = syncFailure(e); // a full phone is named as such (client.storage_full)
    const state = err.status === 401 ? 'auth' : err.isNetwork ? 'offline' : 'error';
    setStatus({ state, error: err.wire });
    return err;
  }
}

/**
 * Keeps the shortest-round-trip sample of this run and publishes it at once (bus 'clock'), so
 * views re-rendered by the pull that follows already count down on the new offset.
 */
async function sampleClock(clock, serverTime, t0, t1) {
  const server = Date.parse(serverTime);
  if (!Number.isFinite(server)) return;
  const rtt = t1 - t0;
  const offset = Math.round(server - (t0 + t1) / 2);
  if (clock.best && rtt >= clock.best.rtt) return;
  clock.best = { rtt, offset };
  await kvSet('serverOffsetMs', offset);
  emit('clock', { offsetMs: offset });
}

/**
 * An outbox entry as the push sends it. `server_time_est` (the phone's server time at the tap) is sent
 * when the entry has one: the server then counts the step at it, so a clock changed between the tap
 * and this send cannot move it (D128); without it the server reads device_time against sent_at.
 */
export function wireMutation(e) {
  const m = { mutation_id: e.mutation_id, type: e.type, args: e.args, device_time: e.device_time };
  if (e.server_time_est) m.server_time_est = e.server_time_est;
  return m;
}

/** A failure that retrying will not fix: a 4xx other than 401 (sign in again), 408 and 429. */
function isPermanent(e) {
  return e instanceof ApiError && e.status >= 400 && e.status < 500 && ![401, 408, 429].includes(e.status);
}

// Pieces small enough to get through a basement's weak signal between drop-outs; a downscaled
// photo (≤ 1600 px JPEG, a few hundred KB) takes one to three.
const PIECE_BYTES = 256 * 1024;
const MAX_OFFSET_CORRECTIONS = 3;

/**
 * Guarantee 5: blobs travel apart, before the mutations that reference them, and resume: HEAD says
 * how much of the blob the server already has (Upload-Offset), then PATCH sends the rest in pieces.
 * A dropped link costs at most one piece. A blob the server refuses keeps its error and holds back
 * only the intents that reference it.
 */
async function uploadBlobs() {
  for (const rec of await pendingBlobs()) {
    try {
      await uploadBlob(rec);
      await markBlobUploaded(rec.sha256);
    } catch (e) {
      if (!isPermanent(e)) throw e;
      await setBlobError(rec.sha256, e.wire);
    } finally {
      setStatus({ upload: null });
    }
  }
}

async function uploadBlob(rec) {
  const path = `/api/blobs/${rec.sha256}`;
  const total = rec.blob.size;
  const head = await request('HEAD', path, { raw: true, expect: [404], timeoutMs: 15000 });
  if (head.ok) return;
  let offset = Number(head.headers.get('Upload-Offset')) || 0;
  let corrections = 0;
  for (;;) {
    setStatus({ upload: { sent: offset, total } });
    const end = Math.min(offset + PIECE_BYTES, total);
    let out;
    try {
      out = await request('PATCH', path, {
        body: rec.blob.slice(offset, end), contentType: rec.type || 'application/octet-stream',
        headers: { 'Upload-Offset': String(offset), 'Upload-Length': String(total) }, timeoutMs: 60000,
      });
    } catch (e) {
      // Another tab or the service worker sent this piece first, or an answer was lost: the server
      // names where it stands, and the upload continues from there.
      const at = e instanceof ApiError && e.code === 'blob.offset_mismatch' ? e.details?.offset : undefined;
      if (Number.isInteger(at) && corrections++ < MAX_OFFSET_CORRECTIONS) {
        offset = at;
        continue;
      }
      throw e;
    }
    if (out?.complete) return;
    if (!(out?.offset > offset)) throw new ApiError({ status: -1, code: 'client', message: '上传没有进展', message_en: 'The upload made no progress' });
    offset = out.offset;
    corrections = 0;
  }
}

async function uploadedSet(shas) {
  const done = new Set();
  for (const sha of shas) {
    const rec = await getBlob(sha);
    if (!rec || rec.uploaded) done.add(sha); // unknown locally: it was uploaded by another route
  }
  return done;
}

async function pushOutbox(userId, clock) {
  let clientId = await clientIdFor(userId);
  let stalls = 0;
  let blobRetries = 0;
  let rebased = false;
  for (;;) {
    const waiting = await waitingFor(clientId);
    if (!waiting.length) return;
    const batch = [];
    for (const e of waiting) {
      const need = e.blobs || [];
      if (need.length) {
        const ok = await uploadedSet(need);
        const missing = need.filter((s) => !ok.has(s));
        if (missing.length) {
          // The mutation waits for its blob, and so does everything after it (order is kept).
          const blobErr = (await getBlob(missing[0]))?.error;
          if (blobErr) await noteAttempt(clientId, [e.mutation_id], blobErr);
          break;
        }
      }
      batch.push(e);
      if (batch.length === PUSH_BATCH) break;
    }
    if (!batch.length) return;
    const t0 = Date.now();
    let res;
    try {
      res = await post('/api/sync/push', {
        client_id: clientId,
        mutations: batch.map(wireMutation),
        // This clock's reading now: the server takes its own time minus this as the phone's offset
        // and places each device_time in server time, so an arrival tapped offline counts when it
        // happened, whatever this phone's clock says (D35).
        sent_at: new Date().toISOString(),
      }, { timeoutMs: 30000 });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'sync.client_other_user' && !rebased) {
        // The server ties this client id to another user (e.g. restored data): start a new one.
        clientId = await rebaseToNewClient(userId, clientId);
        rebased = true;
        continue;
      }
      if (e instanceof ApiError) await noteAttempt(clientId, batch.map((b) => b.mutation_id), e.wire);
      throw e;
    }
    await sampleClock(clock, res.server_time, t0, Date.now());
    const results = res.results || [];
    await recordResults(clientId, results);
    const waitingBlob = results.find((r) => r.status === 'waiting');
    if (waitingBlob) {
      // The server lacks a blob we thought uploaded: upload again once, else retry next run.
      const entry = batch.find((b) => b.mutation_id === waitingBlob.mutation_id);
      const missing = waitingBlob.details?.sha256 ? [waitingBlob.details.sha256] : entry?.blobs || [];
      for (const sha of missing) await markBlobUploaded(sha, false);
      if (++blobRetries > 1) return;
      await uploadBlobs();
      continue;
    }
    if (results.length >= batch.length) {
      stalls = 0;
      continue;
    }
    // The server stopped early: a gap, or it wants a resend from expected_next_id.
    const expected = Number(res.expected_next_id);
    const first = batch[0].mutation_id;
    if (Number.isFinite(expected) && expected < first) {
      const refilled = await requeueRange(clientId, expected, first);
      if (!refilled) clientId = await rebaseToNewClient(userId, clientId);
    }
    stalls = results.length ? 0 : stalls + 1;
    if (stalls >= 3) {
      throw new ApiError({ status: 409, code: 'sync.stalled', message: `服务器不接受编号 ${first} 起的记录（期望 ${res.expected_next_id}）`, message_en: `The server does not accept mutations from ${first} (expects ${res.expected_next_id})` });
    }
  }
}

async function pullChanges(userId, clock) {
  let cursor = await getCursor(userId);
  let applied = 0;
  for (let page = 0; page < 10000; page++) {
    const t0 = Date.now();
    const res = await get(`/api/sync/pull?cursor=${encodeURIComponent(cursor)}&limit=${PULL_LIMIT}`, { timeoutMs: 30000 });
    await sampleClock(clock, res.server_time, t0, Date.now());
    const changes = res.changes || [];
    await applyChanges(changes, res.cursor, userId, { reset: Boolean(res.reset) });
    // A refused completion the desk accepted as done comes back on its job (D141): its outbox entries say so.
    await markAcceptedByDesk(acceptedRefs(changes));
    applied += changes.length;
    cursor = res.cursor;
    if (!res.more) break;
  }
  await kvSet('lastPullAt', Date.now());
  emit('data', { applied });
}

/** For the status bar on start (before the first run in this context). */
export async function loadStatus() {
  const lastSyncAt = await kvGet('lastSyncAt');
  status = { ...status, lastSyncAt: lastSyncAt || null, state: isOffline() ? 'offline' : status.state };
  return status;
}
