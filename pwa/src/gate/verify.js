// Offline release-slip verifier for the guard's phone: same verdicts as server/gate/signing.py, plus
// cannot_verify_offline when the cached keys / revocation list are too old to trust.
import { ed25519 } from '@noble/curves/ed25519.js';

import { b64uDecode, MalformedPayload, parsePayload, SIGNING_CONTEXT } from './payload.js';

export const Verdict = Object.freeze({
  VALID: 'valid',
  EXPIRED: 'expired',
  NOT_YET_VALID: 'not_yet_valid',
  REVOKED: 'revoked',
  TAMPERED: 'tampered',
  UNKNOWN_KEY: 'unknown_key',
  ALREADY_USED: 'already_used',
  MALFORMED: 'malformed',
  WRONG_GATE: 'wrong_gate',
  CANNOT_VERIFY_OFFLINE: 'cannot_verify_offline',
  // Phone only (R-RS-1): the slip names gates but this phone does not know which gate it is at.
  GATE_UNSET: 'gate_unset',
});

// A phone clock that jumped back further than this since the cache was fetched is not trusted.
const CLOCK_BACKWARD_TOLERANCE_MS = 60_000;

function has(collection, id) {
  if (!collection) return false;
  if (collection instanceof Set) return collection.has(id);
  return Array.from(collection).includes(id);
}

// keys[kid] is the cached `slip_key` entity {public, verify_until} or just the base64url public key.
function keyEntry(entry) {
  const pub = typeof entry === 'string' ? entry : entry?.public;
  const until = typeof entry === 'string' ? null : (entry?.verify_until ?? null);
  const raw = b64uDecode(pub);
  if (raw.length !== 32 || (until !== null && !Number.isInteger(until))) throw new Error('bad key entry');
  return { raw, until };
}

/**
 * Verify a scanned (or looked-up) payload offline.
 * @param {string} payloadStr
 * @param {{keys: Object<string, string|{public: string, verify_until: number|null}>,
 *          revoked?: Set<string>|string[], usedIds?: Set<string>|string[], now: number,
 *          cacheFetchedAt: number, maxCacheAgeMs: number, gate?: string}} opts
 *        now and cacheFetchedAt are epoch milliseconds (Date.now()).
 * @returns {{verdict: string, slip?: object}} slip is present only once the signature checked out.
 */
export function verifySlip(payloadStr, opts) {
  const { keys, revoked, usedIds, now, cacheFetchedAt, maxCacheAgeMs, gate } = opts ?? {};
  if (
    !Number.isFinite(now) ||
    !Number.isFinite(cacheFetchedAt) ||
    !Number.isFinite(maxCacheAgeMs) ||
    now - cacheFetchedAt > maxCacheAgeMs ||
    now < cacheFetchedAt - CLOCK_BACKWARD_TOLERANCE_MS ||
    !keys
  ) {
    return { verdict: Verdict.CANNOT_VERIFY_OFFLINE };
  }
  const nowS = Math.floor(now / 1000);
  let parsed;
  try {
    parsed = parsePayload(payloadStr);
  } catch (err) {
    if (err instanceof MalformedPayload) return { verdict: Verdict.MALFORMED };
    throw err;
  }
  const { claims, body, signature } = parsed;
  if (!Object.hasOwn(keys, claims.kid)) return { verdict: Verdict.UNKNOWN_KEY };
  let key;
  try {
    key = keyEntry(keys[claims.kid]);
  } catch {
    return { verdict: Verdict.UNKNOWN_KEY };
  }
  if (key.until !== null && nowS >= key.until) return { verdict: Verdict.UNKNOWN_KEY };
  const message = new Uint8Array(SIGNING_CONTEXT.length + body.length);
  message.set(SIGNING_CONTEXT);
  message.set(body, SIGNING_CONTEXT.length);
  let ok = false;
  try {
    ok = ed25519.verify(signature, message, key.raw, { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) return { verdict: Verdict.TAMPERED };
  let verdict;
  if (has(revoked, claims.slipId)) verdict = Verdict.REVOKED;
  else if (has(usedIds, claims.slipId)) verdict = Verdict.ALREADY_USED;
  else if (gate != null && !claims.gates.includes(gate)) verdict = Verdict.WRONG_GATE;
  else if (nowS < claims.validFrom) verdict = Verdict.NOT_YET_VALID;
  else if (nowS >= claims.validUntil) verdict = Verdict.EXPIRED;
  else verdict = Verdict.VALID;
  return { verdict, slip: claims };
}

/**
 * R-RS-1: on a phone that does not know its own gate, a slip that names gates is not a plain "valid":
 * the guard sets the gate first (verifySlip, like the Python verifier, skips the gate check when no gate
 * is given, so the shared vectors still hold). Other verdicts and slips naming no gates pass unchanged.
 * @param {{verdict: string, slip?: object}} result verifySlip's answer
 * @param {string|undefined} gate the phone's gate code, '' or undefined when unset
 */
export function requireGate(result, gate) {
  if (result?.verdict !== Verdict.VALID || gate) return result;
  if (!result.slip?.gates?.length) return result;
  return { ...result, verdict: Verdict.GATE_UNSET };
}

/**
 * R-RS-1, D47: the gate this phone stands at. The stored code, unless the compound names its gates and
 * this code is not one of them (typed before the phone offered the list, or removed while the phone was
 * offline): then none, so a slip that names gates waits for the guard to choose (requireGate) instead of
 * a release being recorded at a gate nobody knows.
 * @param {string|undefined|null} code the phone's stored gate code
 * @param {Map<string, string>|undefined} names the cached gate directory, code → name (empty: none named)
 */
export function effectiveGate(code, names) {
  const g = String(code || '').trim().toUpperCase();
  return names?.size && !names.has(g) ? '' : g;
}

function withId(collection, id) {
  return new Set([...(collection || []), id]);
}

/**
 * R-RS-1: the verdict at the moment of release. The slip on screen was checked at its lookup; by the
 * tap that releases it the desk may have revoked it, another gate may have released it, or its validity
 * may have ended. `opts` are verifySlip's, read now (the revocation list as now known, `now` server time
 * now); `gate` may be '' (unset: requireGate). `server` is the server's answer about this slip asked just
 * now — {id, state, released_at, released_gate} as GET /api/slips/by-code gives, and asked_ms, the
 * server time it was asked (default: now) — or null when the phone is offline or got no answer: then
 * the offline verdict is the answer.
 *
 * The server's word can only refuse: revoked, released or expired there is that verdict here, whatever
 * the cache says; its "issued" never makes valid what this phone refuses (a forged QR, another gate, the
 * end of the window by server time). An answer about this very slip, given just now, is fresher than
 * any cached list, so an old cache does not make "cannot verify offline" of it; an answer kept from the
 * lookup vouches only as of when it was asked.
 * @returns {{verdict: string, slip?: object, usedInfo?: {gate: string, at: string|null}}}
 */
export function verifyForRelease(payloadStr, opts, server = null) {
  let slipId = null;
  try {
    slipId = parsePayload(payloadStr).claims.slipId;
  } catch {
    slipId = null;
  }
  const answer = server && slipId && server.id === slipId ? server : null;
  const o = { ...opts, gate: opts?.gate || undefined };
  if (answer) {
    // The answer is as good as offline data downloaded when it was asked, for this slip.
    const asked = Number.isFinite(answer.asked_ms) ? answer.asked_ms : o.now;
    o.cacheFetchedAt = Number.isFinite(o.cacheFetchedAt) ? Math.max(o.cacheFetchedAt, asked) : asked;
    if (answer.state === 'revoked') o.revoked = withId(o.revoked, slipId);
    if (answer.state === 'released' || answer.released_at) o.usedIds = withId(o.usedIds, slipId);
  }
  const result = requireGate(verifySlip(payloadStr, o), o.gate);
  if (!answer || !result.slip) return result;
  if (result.verdict === Verdict.ALREADY_USED && answer.released_gate) {
    return { ...result, usedInfo: { gate: answer.released_gate, at: answer.released_at || null } };
  }
  if (answer.state === 'expired' && (result.verdict === Verdict.VALID || result.verdict === Verdict.GATE_UNSET)) {
    return { ...result, verdict: Verdict.EXPIRED };
  }
  return result;
}

/**
 * Whether the phone's offline data (keys and revocations) can be trusted now, as verifySlip judges it:
 * 'missing' (never downloaded), 'stale' (older than maxAgeMs, or the clock went back past its download
 * so its age cannot be told) or 'fresh'. Both times are the same clock's milliseconds.
 */
export function offlineDataState({ hasAny, fetchedMs, nowMs, maxAgeMs }) {
  if (!hasAny || !Number(fetchedMs)) return 'missing';
  if (nowMs - fetchedMs > maxAgeMs || nowMs < fetchedMs - CLOCK_BACKWARD_TOLERANCE_MS) return 'stale';
  return 'fresh';
}
