// A field job as the phone shows it: the server's doc (from the change feed) with this user's
// unsent intents laid over it, so every action shows at once, offline, marked 待同步. The server
// doc stays untouched; when the push is answered and the next pull lands, the overlay falls away
// and the server's truth shows (including a refusal, which is listed with its reason).
import { emit } from './bus.js';
import { getJob, getJobGone, kvGet, listJobs } from './db.js';
import { entriesOfUser, enqueue } from './outbox.js';
import { currentUser } from './session.js';
import { entryTime } from './clock.js';

export const DONE_STATES = new Set(['completed', 'done', 'closed', 'cancelled', 'canceled', 'unable', 'finished']);

/** Entries that still shape the view: waiting ones, and sent ones the feed has not reflected yet. */
function overlayEntries(entries, lastPullAt) {
  return entries.filter((e) => e.state === 'waiting' || (e.state === 'sent' && Date.parse(e.sent_at) > (lastPullAt || 0)));
}

// Clocks an arrival meets (server/domain/deadlines.py: satisfied by the first arrival). Met on the
// phone the moment 到场 is pressed, so an arrival recorded offline in a basement does not keep the
// "15 minutes to be on site" countdown running, and turning red, until the next sync.
const ARRIVAL_CLOCKS = new Set(['FU4_ON_SITE_15M', 'FU7_PAID_ARRIVE_20M', 'FU7_PAID_PROMISE_25M', 'FU7_LAUNDRY_15M', 'FU7_GAMES_10M']);

// The linked problems the server recorded on this job (D98), listed among its notes by time: each
// with the number of the case opened for it (the technician tells the resident), or held on this one.
function serverLinked(doc) {
  return (doc.linked_problems || []).map((p) => ({ kind: 'linked_problem', text: p.text, at: p.at, case_no: p.case_no || null, held: Boolean(p.held) }));
}

// The notes of the same person's earlier orders this job replaced (an unable job dispatched again to
// them, D105): the part number and the photo taken then belong to the visit they are on now.
function earlierNotes(doc) {
  return (doc.earlier || []).flatMap((w) => (w.notes || []).map((n) => ({ ...n, earlier: true })));
}

// A clock met at `at` (server time) until the server says: on time, or missed by whole minutes, as
// server/domain/deadlines.py phone_clock_state decides it (a part minute late counts as one).
function metAt(c, at) {
  const lateMs = Date.parse(at) - Date.parse(c.due_at);
  const late = lateMs > 0 ? Math.ceil(lateMs / 60000) : null;
  return { satisfied_at: at, overdue: Boolean(late), running: false, state: late ? 'missed' : 'met', late_min: late };
}

/**
 * How the job page shows one of its clocks (D106), the same before and after a sync: 'running' (a live
 * countdown, red once overdue), 'met' (when, on time), 'missed' (when, late by `late_min` minutes, red),
 * or 'ended' (a finished job's clock nobody met: its time only). The server's `state` decides; a clock
 * of an older document without it is read from its times alike.
 */
export function clockStatus(c, job) {
  if (c.satisfied_at) {
    const s = c.state === 'met' || c.state === 'missed' ? c : metAt(c, c.satisfied_at);
    return s.state === 'missed' ? { state: 'missed', at: c.satisfied_at, late_min: s.late_min } : { state: 'met', at: c.satisfied_at };
  }
  return !job.is_done && c.running !== false ? { state: 'running' } : { state: 'ended' };
}

export function applyIntents(doc, entries, lastPullAt) {
  const notes = [...earlierNotes(doc), ...(doc.notes || []), ...serverLinked(doc)].sort((a, b) => (Date.parse(a.at) || 0) - (Date.parse(b.at) || 0));
  const job = { ...doc, notes, pending: [], refused: [] };
  for (const e of entries) {
    if (String(e.args?.job_id) !== String(doc.id)) continue;
    if (e.state === 'refused' && !e.dismissed_at) job.refused.push(e);
  }
  for (const e of overlayEntries(entries, lastPullAt)) {
    if (String(e.args?.job_id) !== String(doc.id)) continue;
    if (e.state === 'waiting') job.pending.push(e);
    const a = e.args;
    const at = entryTime(e); // shown on the server's clock, as the server will count it (D128)
    switch (e.type) {
      case 'job.accept':
        job.accepted_at = job.accepted_at || at;
        if (!job.arrived_at) job.state = 'accepted';
        break;
      case 'job.arrive':
        job.arrived_at = job.arrived_at || at;
        job.state = 'on_site';
        job.clocks = (job.clocks || []).map((c) => (ARRIVAL_CLOCKS.has(c.code) && !c.satisfied_at
          ? { ...c, ...metAt(c, job.arrived_at) } : c));
        break;
      case 'job.note':
        job.notes.push({ text: a.text, photo_sha256: a.photo_sha256 || null, at, local: true });
        break;
      case 'job.linked_problem':
        job.notes.push({ kind: 'linked_problem', text: a.content, at, local: true, held: a.separately === false });
        break;
      case 'job.unable':
        job.state = 'unable';
        job.unable_reason = a.reason;
        break;
      case 'job.complete':
        job.state = 'completed';
        job.completed_at = job.completed_at || at;
        job.completion = { ...a };
        break;
      default:
        break;
    }
  }
  // Unable is not the end (D99): until the desk reassigns or reschedules, the job stays open and takes
  // notes and photos. The server says when the desk has acted; an unsent report has not reached it yet.
  job.awaiting_desk = job.state === 'unable' && (doc.state !== 'unable' || doc.awaiting_desk !== false);
  job.is_done = DONE_STATES.has(job.state) && !job.awaiting_desk;
  job.local = job.pending.length > 0;
  return job;
}

async function context() {
  const user = currentUser();
  const entries = user ? await entriesOfUser(user.id) : [];
  return { entries, lastPullAt: (await kvGet('lastPullAt')) || 0 };
}

/** The earliest open deadline of a job: its own, or the earliest not-yet-met clock. */
export function nextDue(job) {
  const open = (job.clocks || []).filter((c) => c.running !== false && !c.satisfied_at);
  // A paid service's order is to be on site in 20 minutes (R-FU-7): its deadline is met by the
  // arrival, so a technician at work is not counted down to it, nor shown overdue after it.
  const own = job.kind === 'special_service' && job.arrived_at ? null : job.deadline_at;
  const dues = [own, ...open.map((c) => c.due_at)].filter(Boolean);
  dues.sort((a, b) => Date.parse(a) - Date.parse(b));
  return dues[0] || null;
}

/**
 * The clock nextDue counts down to, for the countdown's label (D107: "剩余 23 小时 32 分钟" said not which
 * deadline): the open clock due then, or null when it is the work order's own deadline.
 */
export function nextDueClock(job) {
  const due = nextDue(job);
  if (!due) return null;
  const open = (job.clocks || []).filter((c) => c.running !== false && !c.satisfied_at);
  return open.find((c) => Date.parse(c.due_at) === Date.parse(due)) || null;
}

const LAST = Number.MAX_SAFE_INTEGER;
const ms = (iso) => (iso ? Date.parse(iso) : NaN);
const orLast = (n) => (Number.isFinite(n) ? n : LAST);

/**
 * The job list's order: open jobs by the deadline their card counts down to (nextDue: the nearest
 * running clock, so an overdue one comes first), then by the job's own deadline; finished jobs
 * after, the most recently finished first. Sorting by the work order's deadline alone put a job
 * 14 minutes from its on-site deadline below one with two hours left.
 */
export function compareJobs(a, b) {
  if (a.is_done !== b.is_done) return a.is_done ? 1 : -1;
  if (a.is_done) return (ms(b.completed_at) || 0) - (ms(a.completed_at) || 0); // NaN (never completed: unable) → 0, last
  return orLast(ms(nextDue(a))) - orLast(ms(nextDue(b))) || orLast(ms(a.deadline_at)) - orLast(ms(b.deadline_at));
}

/** This person's jobs as the list shows them (compareJobs), their unsent intents laid over. */
export async function loadJobs() {
  const [docs, ctx] = await Promise.all([listJobs(), context()]);
  const jobs = docs.map((d) => applyIntents(d, ctx.entries, ctx.lastPullAt));
  jobs.sort(compareJobs);
  return jobs;
}

export async function loadJob(id) {
  const [doc, ctx] = await Promise.all([getJob(id), context()]);
  return doc ? applyIntents(doc, ctx.entries, ctx.lastPullAt) : null;
}

/**
 * The slip this phone recorded for `jobId` from its own outbox: the person's job.complete (waiting or
 * sent, not refused), as the slip's fields. Once the desk closes the case the job leaves the phone
 * (its feed says remove), but the completion entry stays in the outbox for 7 days: that is the
 * signed slip the phone still has. Null when this phone completed no such job.
 */
export function ownCompletion(entries, jobId) {
  const mine = entries.filter((e) => e.type === 'job.complete' && String(e.args?.job_id) === String(jobId) && e.state !== 'refused');
  const e = mine[mine.length - 1];
  if (!e) return null;
  const { job_id: id, ...slip } = e.args;
  return { ...slip, id, case_no: e.case_no || null, completed_at: entryTime(e), local: e.state === 'waiting' };
}

/**
 * The slip this phone recorded for `jobId` when its latest completion was refused (the same person's other
 * phone completed the job first, or the desk reassigned it): this phone's own signed slip, with the
 * server's reason in `refusal`, so its slip page shows what the resident signed here as refused rather than
 * the server's slip under the same job (D145). Its arrival is this phone's too. No check code or
 * countersign: the server never took it. Null when the latest completion was not refused, or none was made.
 */
export function refusedCompletion(entries, jobId) {
  const mine = entries.filter((e) => String(e.args?.job_id) === String(jobId));
  const e = mine.filter((x) => x.type === 'job.complete').pop();
  if (e?.state !== 'refused') return null;
  const arrival = mine.filter((x) => x.type === 'job.arrive').pop();
  const { job_id: id, ...slip } = e.args;
  return {
    ...slip, id, case_no: e.case_no || null, completed_at: entryTime(e), arrived_at: arrival ? entryTime(arrival) : null,
    content_hash: null, countersigned_by: null, countersigned_at: null, local: false,
    refusal: { code: e.code, message: e.message, message_en: e.message_en },
  };
}

/** refusedCompletion for the signed-in person's outbox. */
export async function loadRefusedCompletion(jobId) {
  const { entries } = await context();
  return refusedCompletion(entries, jobId);
}

/**
 * What the job page says about a job no longer on this phone (D105): the pull's reason for taking it off
 * (`gone`: {reason, case_no, new_job_id}, kept by db.js), and the outbox entry still holding what this
 * phone recorded on it — a refused signed completion first. {key, case_no, new_job_id, entry}: `key` an
 * i18n key, `entry` the outbox entry to link to (null when there is none).
 */
export function goneNotice(gone, entries, jobId) {
  const mine = entries.filter((e) => String(e.args?.job_id) === String(jobId) && !(e.state === 'refused' && e.dismissed_at));
  const completion = [...mine].reverse().find((e) => e.type === 'job.complete');
  const refused = [...mine].reverse().find((e) => e.state === 'refused');
  // done_earlier: the desk accepted an earlier completion of the work, refused at its sync (D141);
  // new_job_id is that completed job when it was this person's own.
  const reason = ['reassigned', 'redispatched', 'cancelled', 'closed', 'done_earlier'].includes(gone?.reason) ? gone.reason : null;
  return {
    key: reason ? `job.gone.${reason}` : 'job.not_found',
    case_no: gone?.case_no || completion?.case_no || null,
    new_job_id: reason === 'redispatched' || reason === 'done_earlier' ? gone.new_job_id || null : null,
    entry: (completion?.state === 'refused' ? completion : null) || refused || null,
  };
}

/** ownCompletion for the signed-in person's outbox. */
export async function loadOwnCompletion(jobId) {
  const { entries } = await context();
  return ownCompletion(entries, jobId);
}

/** goneNotice for a job of the signed-in person that is not on this phone. */
export async function loadGoneNotice(jobId) {
  const [gone, { entries }] = await Promise.all([getJobGone(jobId), context()]);
  return goneNotice(gone, entries, jobId);
}

/** A service slip exists only for work actually completed (not for an unable or cancelled job). */
export function isCompleted(job) {
  return Boolean(job?.completed_at);
}

/**
 * Whether the slip may carry a fee (the server's resident_may_be_charged, case.fee_not_chargeable):
 * a paid service, or a repair the owner pays for or not yet judged. Common facilities and the
 * developer's defects (R-IN-6 b, d), complaints and help cost the resident nothing (R-SS-3).
 */
export function residentMayBeCharged(job) {
  if (job?.kind === 'special_service') return true;
  if (job?.kind !== 'repair') return false;
  return !['common', 'developer_defect'].includes(job.repair_responsibility);
}

/**
 * The completion form's fee line where the resident pays nothing, as i18n keys (D95): a free repair
 * says so with the hint to have its class changed first if the owner pays; a kind that never carries
 * a fee (a cleaner's complaint, a help request) reads a plain 不收费 — the repair hint meant nothing
 * there. Null where the resident may be charged (the form offers the amount).
 */
export function noFeeNote(job) {
  if (residentMayBeCharged(job)) return null;
  return job?.kind === 'repair' ? { label: 'complete.no_fee', hint: 'complete.no_fee_hint' } : { label: 'complete.no_charge', hint: null };
}

/**
 * Whether a fee may go on this job's slip as it stands, before the resident signs (the server decides
 * the same, cases.slip_fee_refusal): 'over_agreed' for a per-visit special service above the fee the
 * resident agreed to (R-SS-2), 'reason_needed' for a repair above the fee told without a reason
 * (R-IN-6 a), null when it may stand.
 */
export function feeProblem(job, feeCents, reason = '') {
  const told = job?.fee_quote_cents;
  if (told === null || told === undefined || feeCents <= told) return null;
  if (job.kind === 'special_service' && job.fee_unit_code === 'per_visit') return 'over_agreed';
  if (job.kind === 'repair' && !String(reason).trim()) return 'reason_needed';
  return null;
}

/** Whether the fee is above the one told, so the slip must say why (R-IN-6 a). */
export function feeAboveTold(job, feeCents) {
  const told = job?.fee_quote_cents;
  return job?.kind === 'repair' && told !== null && told !== undefined && feeCents > told;
}

/** What the person may do next (the server still decides; this only guides the buttons). */
export function nextActions(job) {
  if (job.awaiting_desk) return ['note'];
  if (job.is_done) return [];
  const acts = [];
  if (!job.accepted_at) acts.push('accept');
  else if (!job.arrived_at) acts.push('arrive');
  else acts.push('complete');
  acts.push('note', 'linked_problem', 'unable');
  return acts;
}

async function intent(type, args, opts) {
  const user = currentUser();
  if (!user) throw new Error('not signed in');
  const entry = await enqueue(user.id, type, args, opts);
  emit('job', { job_id: args.job_id });
  return entry;
}

export const acceptJob = (jobId) => intent('job.accept', { job_id: jobId });

export async function arriveJob(jobId, geo) {
  return intent('job.arrive', geo ? { job_id: jobId, geo } : { job_id: jobId });
}

export function addNote(jobId, text, photoSha) {
  const args = { job_id: jobId, text };
  if (photoSha) args.photo_sha256 = photoSha;
  return intent('job.note', args, { blobs: photoSha ? [photoSha] : [] });
}

/** separately: open it as its own case (the default) or keep it on this one (R-CL-2 D). */
export const reportLinkedProblem = (jobId, content, separately = true) =>
  intent('job.linked_problem', { job_id: jobId, content, separately });
export const markUnable = (jobId, reason) => intent('job.unable', { job_id: jobId, reason });

/** args: {work_done, materials, fee_cents, photo_sha256s, signature_sha256, signer_name, signer_relation,
 *  resident_grade (A/B/C or null), resident_opinion, fee_over_reason (why above the fee told, R-IN-6 a)} */
export function completeJob(jobId, args) {
  return intent('job.complete', { job_id: jobId, ...args }, { blobs: [...(args.photo_sha256s || []), args.signature_sha256] });
}

/**
 * Position for the arrival record as [lat, lng], or null. Never blocks the action: a short timeout, and any
 * refusal or error just means "no position".
 */
export function currentPosition(timeoutMs = 6000) {
  if (!navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs + 500);
    navigator.geolocation.getCurrentPosition(
      (p) => {
        clearTimeout(timer);
        resolve([p.coords.latitude, p.coords.longitude]); // wire shape: geo = [lat, lng]
      },
      () => {
        clearTimeout(timer);
        resolve(null);
      },
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 60000 },
    );
  });
}

