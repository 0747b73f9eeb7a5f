// The one IndexedDB module: owns the schema, its versioned migrations and the small typed
// accessors everyone else uses (pages, desk/gate modules via ctx.db, and the service worker
// through dist/sw-lib.js). Nothing else calls indexedDB.open.
//
// Database 'estatedesk'. Stores (version 1):
//   kv                out-of-line keys. Known keys:
//                       session        {token, device_id, user, logged_in_at}
//                       cursor         {user_id, value}          pull cursor of that user's feed
//                       clientId       {[user_id]: uuid}        sync client id, made once per install
//                                                               per user (see outbox.js for why)
//                       nextMutationId {[client_id]: n}         next id to hand out for that client
//                       serverOffsetMs number                   server clock − device clock
//                       lang           'zh' | 'en'
//                       lastSyncAt     ISO time of the last sync that reached the server
//                       lastPullAt     device ms when the last full pull finished
//                       dataOwner      user_id whose jobs/cases are in the stores
//   jobs              keyPath 'id'; index by_case (case_id), by_state (state)    — entity 'job'
//   cases             keyPath 'id'; index by_state (state)                       — entity 'case'
//   outbox            keyPath ['client_id', 'mutation_id']; index by_state (state)
//                       {client_id, user_id, mutation_id, type, args, device_time,
//                        server_time_est? (the phone's server time at the tap, once an offset was
//                        measured; older entries lack it), state: 'waiting'|'sent'|'refused'|'accepted'
//                        (refused, then accepted at the desk: accepted_at, D141), code,
//                        message, message_en, attempts, created_at, sent_at, dismissed_at, blobs: [sha256],
//                        notice?: {code, message, message_en, details} what the server said about an
//                        applied entry}
//   blobs             keyPath 'sha256' {sha256, blob, type, size, uploaded: 0|1, created_at, error?}
//   reminders         keyPath 'id'                                               — entity 'reminder'
//   slip_keys         keyPath 'id'                                               — entity 'slip_key'
//   slip_revocations  keyPath 'id'                                               — entity 'slip_revocation'
//   docs              keyPath ['entity', 'id'] — any other entity in the change feed, so a feed
//                     entity this build does not know yet is still kept, never skipped; and
//                     ['job_gone', job id] {doc: {reason, case_no, new_job_id}}: why a job was removed;
//                     ['summons', '<case id>:<post>'] {doc}: an emergency this user was summoned to (R-EM-2);
//                     ['summons_gone', '<case id>:<post>'] {doc: {reason, case_no, role, to_names?}}: why a
//                     summons left this phone (the case closed; the post it called passed to someone else).
// Stores (version 2):
//   drafts            keyPath ['user_id', 'form', 'id'] {user_id, form, id, saved_at, ...fields}
//                     a form filled on the phone and not yet sent (form 'complete': the completion
//                     and sign-off of job `id`, its signature as signature_pad point data). Per user,
//                     so the next worker signing in on a shared phone never gets it (D91).
//
// Migrations: append a function to MIGRATIONS; the database version is its length. Each runs
// inside the upgrade transaction exactly once per browser. Never edit a released migration.
import { openDB } from 'idb';

export const DB_NAME = 'estatedesk';

const MIGRATIONS = [
  // v1: the initial schema.
  (db) => {
    db.createObjectStore('kv');
    const jobs = db.createObjectStore('jobs', { keyPath: 'id' });
    jobs.createIndex('by_case', 'case_id');
    jobs.createIndex('by_state', 'state');
    const cases = db.createObjectStore('cases', { keyPath: 'id' });
    cases.createIndex('by_state', 'state');
    const outbox = db.createObjectStore('outbox', { keyPath: ['client_id', 'mutation_id'] });
    outbox.createIndex('by_state', 'state');
    db.createObjectStore('blobs', { keyPath: 'sha256' });
    db.createObjectStore('reminders', { keyPath: 'id' });
    db.createObjectStore('slip_keys', { keyPath: 'id' });
    db.createObjectStore('slip_revocations', { keyPath: 'id' });
    db.createObjectStore('docs', { keyPath: ['entity', 'id'] });
  },
  // v2: drafts of forms the worker has not sent yet (D91).
  (db) => {
    db.createObjectStore('drafts', { keyPath: ['user_id', 'form', 'id'] });
  },
];

export const DB_VERSION = MIGRATIONS.length;

/** Feed entity → object store. Anything else goes to 'docs'. */
export const ENTITY_STORES = {
  job: 'jobs',
  case: 'cases',
  reminder: 'reminders',
  slip_key: 'slip_keys',
  slip_revocation: 'slip_revocations',
};

/** Stores holding the signed-in user's server data (wiped when another user signs in). */
const USER_DATA_STORES = ['jobs', 'cases', 'reminders', 'slip_keys', 'slip_revocations', 'docs'];

let dbPromise = null;

export function db() {
  if (!dbPromise) {
    dbPromise = openDB(DB_NAME, DB_VERSION, {
      upgrade(database, oldVersion, _newVersion, tx) {
        for (let v = oldVersion; v < MIGRATIONS.length; v++) MIGRATIONS[v](database, tx);
      },
      blocking() {
        // A newer build in another tab wants to upgrade: step aside; the next call reopens.
        dbPromise?.then((d) => d.close());
        dbPromise = null;
      },
      terminated() {
        dbPromise = null;
      },
    });
    dbPromise.catch(() => {
      dbPromise = null;
    });
  }
  return dbPromise;
}

// ---- kv -------------------------------------------------------------------------------------
export async function kvGet(key) {
  return (await db()).get('kv', key);
}
export async function kvSet(key, value) {
  return (await db()).put('kv', value, key);
}
export async function kvDel(key) {
  return (await db()).delete('kv', key);
}

export const getSession = () => kvGet('session');
export const setSession = (s) => kvSet('session', s);
export const clearSession = () => kvDel('session');

// Who each account on this phone is, by user id ({display_name, username}): the outbox keeps only
// a user id on an entry, and after a sign-out the session with the name is gone, yet the sign-in
// page must say whose records wait (D113). Kept across sign-outs, like the outbox it describes.
export async function rememberAccount(user) {
  if (!user?.id) return;
  const d = await db();
  const tx = d.transaction('kv', 'readwrite');
  const map = (await tx.store.get('accounts')) || {};
  map[user.id] = { display_name: user.display_name || '', username: user.username || '' };
  await tx.store.put(map, 'accounts');
  await tx.done;
}
export async function knownAccounts() {
  return (await kvGet('accounts')) || {};
}

export async function getServerOffsetMs() {
  return (await kvGet('serverOffsetMs')) || 0;
}

// ---- server data ----------------------------------------------------------------------------
export async function getAll(store) {
  return (await db()).getAll(store);
}
export async function getOne(store, key) {
  return (await db()).get(store, key);
}
export const listJobs = () => getAll('jobs');
export const getJob = (id) => getOne('jobs', String(id));
/** Why job `id` left this phone, as the pull said ({reason, case_no, new_job_id}), or undefined. */
export async function getJobGone(id) {
  return (await getOne('docs', ['job_gone', String(id)]))?.doc;
}
/** Why summons `id` ('<case id>:<post>') left this phone, as the pull said ({reason, case_no, role, to_names}). */
export async function getSummonsGone(id) {
  return (await getOne('docs', ['summons_gone', String(id)]))?.doc;
}
export const listCases = () => getAll('cases');
export const getCase = (id) => getOne('cases', String(id));
export const listReminders = () => getAll('reminders');
/** The kept feed documents of one entity without a store of its own ('summons' …), as {entity, id, doc}. */
export async function listDocs(entity) {
  return (await db()).getAll('docs', IDBKeyRange.bound([entity, ''], [entity, '\uffff']));
}

/**
 * Applies one pull page and stores the new cursor in the same transaction, so the cursor can
 * never move past a change that was not written.
 */
export async function applyChanges(changes, cursor, userId, { reset = false } = {}) {
  const d = await db();
  const tx = d.transaction([...USER_DATA_STORES, 'kv'], 'readwrite');
  // reset: the server did not know our cursor (restored backup, new database): drop the copies
  // and take the feed from zero — in this same transaction, so a crash cannot leave half of each.
  if (reset) for (const s of USER_DATA_STORES) tx.objectStore(s).clear();
  for (const ch of changes) {
    const storeName = ENTITY_STORES[ch.entity];
    const id = String(ch.id);
    if (storeName) {
      const store = tx.objectStore(storeName);
      if (ch.op === 'remove') store.delete(id);
      else store.put({ ...(ch.doc || {}), id, _seq: ch.seq });
      // Why a job left this phone (reassigned, closed …, D105): kept so its page can say so. A job back
      // on the phone (a reopened case) is no longer gone.
      if (ch.entity === 'job') {
        if (ch.op === 'remove' && ch.doc) tx.objectStore('docs').put({ entity: 'job_gone', id, doc: ch.doc, _seq: ch.seq });
        else tx.objectStore('docs').delete(['job_gone', id]);
      }
    } else {
      const store = tx.objectStore('docs');
      if (ch.op === 'remove') store.delete([ch.entity, id]);
      else store.put({ entity: ch.entity, id, doc: ch.doc, _seq: ch.seq });
      // Why a summons left this phone (its post passed to someone else, the case closed): kept so its page
      // and the inbox item that opens it can say so. Back on the phone, it is no longer gone.
      if (ch.entity === 'summons') {
        if (ch.op === 'remove' && ch.doc) store.put({ entity: 'summons_gone', id, doc: ch.doc, _seq: ch.seq });
        else store.delete(['summons_gone', id]);
      }
    }
  }
  tx.objectStore('kv').put({ user_id: userId, value: cursor }, 'cursor');
  await tx.done;
}

export async function getCursor(userId) {
  const c = await kvGet('cursor');
  return c && c.user_id === userId ? c.value : 0;
}

/**
 * Makes the stores belong to `userId`: when another user signs in on this phone, their jobs and
 * the pull cursor are cleared. The outbox and unsent blobs are never touched here.
 */
export async function claimDataFor(userId) {
  const owner = await kvGet('dataOwner');
  if (owner === userId) return false;
  const d = await db();
  const tx = d.transaction([...USER_DATA_STORES, 'kv'], 'readwrite');
  for (const s of USER_DATA_STORES) tx.objectStore(s).clear();
  tx.objectStore('kv').delete('cursor');
  tx.objectStore('kv').delete('lastPullAt');
  tx.objectStore('kv').put(userId, 'dataOwner');
  await tx.done;
  return true;
}

// ---- drafts ---------------------------------------------------------------------------------
// A form the worker is filling (the completion at the resident's door): saved as they type, so
// leaving the screen, a reload or a killed app loses nothing; deleted once the form is sent (D91).
export async function getDraft(userId, form, id) {
  return (await db()).get('drafts', [String(userId), form, String(id)]);
}
export async function putDraft(userId, form, id, fields) {
  const rec = { ...fields, user_id: String(userId), form, id: String(id), saved_at: new Date().toISOString() };
  await (await db()).put('drafts', rec);
  return rec;
}
export async function deleteDraft(userId, form, id) {
  return (await db()).delete('drafts', [String(userId), form, String(id)]);
}

// ---- blobs ----------------------------------------------------------------------------------
export async function putBlob({ sha256, blob, type }) {
  const d = await db();
  const existing = await d.get('blobs', sha256);
  if (existing) return existing;
  const rec = { sha256, blob, type: type || blob.type, size: blob.size, uploaded: 0, created_at: new Date().toISOString() };
  await d.put('blobs', rec);
  return rec;
}
export const getBlob = (sha256) => getOne('blobs', sha256);
export async function pendingBlobs() {
  return (await getAll('blobs')).filter((b) => !b.uploaded);
}
/** The server refused this blob (too large, wrong type): keep it, and say why. */
export async function setBlobError(sha256, error) {
  const d = await db();
  const tx = d.transaction('blobs', 'readwrite');
  const rec = await tx.store.get(sha256);
  if (rec) {
    rec.error = error;
    await tx.store.put(rec);
  }
  await tx.done;
}

export async function markBlobUploaded(sha256, uploaded = true) {
  const d = await db();
  const tx = d.transaction('blobs', 'readwrite');
  const rec = await tx.store.get(sha256);
  if (rec) {
    rec.uploaded = uploaded ? 1 : 0;
    if (uploaded) delete rec.error;
    await tx.store.put(rec);
  }
  await tx.done;
}

/** The object handed to desk/gate modules as ctx.db. */
export const dbApi = {
  db, kvGet, kvSet, kvDel, getAll, getOne, listJobs, getJob, listCases, getCase, listReminders,
  getBlob, putBlob, getServerOffsetMs, ENTITY_STORES,
};
