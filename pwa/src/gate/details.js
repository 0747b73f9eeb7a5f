// What a slip's `gate_slip` document adds to a verified payload: the item names, quantities and flags,
// and who the slip was issued to (R-RS-1..3: the guard checks the goods and the person against it).
// The document comes from the change feed (server/services/gate.py GateSlipDoc) or from the online
// by-code answer. It never decides a verdict: the payload it carries is verified like a scanned QR,
// and its contents are believed only as far as they agree with what was signed — the item list must
// hash to the payload's items_digest, exactly as server/gate/signing.py items_digest computes it
// (shared vectors: tests/vectors/release_slips.json "items_digests" and "gate_slips").
import { itemsDigest } from './payload.js';

/**
 * Index the cached gate documents for lookups by typed code and by scanned slip id.
 * @param {Array<{entity: string, id: string, doc: object}>} docs rows of the `docs` store
 * @param {Array<{id: string, short_code?: string}>} revocations rows of the `slip_revocations` store
 */
export function indexGateDocs(docs, revocations = []) {
  const slipsByCode = new Map();
  const slipsById = new Map();
  for (const d of docs) {
    if (d.entity !== 'gate_slip' || !d.doc || typeof d.doc.payload !== 'string') continue;
    slipsById.set(d.id, d.doc);
    if (typeof d.doc.short_code === 'string') slipsByCode.set(d.doc.short_code, d.doc);
  }
  // Revocations made before they carried the short code have none: such a code stays "not found".
  const revokedCodes = new Map();
  for (const r of revocations) if (typeof r.short_code === 'string') revokedCodes.set(r.short_code, r.id);
  return { slipsByCode, slipsById, revokedCodes };
}

/**
 * A typed (normalised) code looked up on the phone alone.
 * @returns {{payload: string, doc: object|null} | {revokedSlipId: string} | null}
 *   payload: verify it like a scan (doc: its gate_slip document, if any); revokedSlipId: the code is of a
 *   slip the desk revoked (its document was removed); null: this phone knows nothing about the code.
 */
export function findOffline(code, { slipsByCode, revokedCodes, seen }) {
  const doc = slipsByCode?.get(code);
  if (doc) return { payload: doc.payload, doc };
  if (seen && typeof seen[code] === 'string') return { payload: seen[code], doc: null };
  const revoked = revokedCodes?.get(code);
  if (revoked) return { revokedSlipId: revoked };
  return null;
}

function cleanItems(items) {
  if (!Array.isArray(items) || items.length === 0) return null;
  const out = [];
  for (const i of items) {
    if (!i || typeof i.name !== 'string' || !i.name || !Number.isInteger(i.quantity) || i.quantity < 1) return null;
    out.push({ name: i.name, quantity: i.quantity, valuable: i.valuable === true, large: i.large === true, tool: i.tool === true });
  }
  return out;
}

/**
 * The details to show beside a verdict.
 * @param {object|undefined} claims the signed claims verifySlip returned (absent: nothing is shown)
 * @param {object|null|undefined} doc a gate_slip document or by-code answer ({slip_id|id, items, requester_name, relation})
 * @returns {Promise<{proven: boolean, items: Array|null, requester: {name: string, relation: string}|null, signatures: Array}>}
 *   proven: the items are the signed list; when false, items and requester are null — a document that
 *   disagrees with the signature (or is about another slip) is not believed in anything.
 */
export async function slipDetails(claims, doc) {
  const none = { proven: false, items: null, requester: null, signatures: [] };
  if (!claims || !doc) return none;
  if ((doc.slip_id ?? doc.id) !== claims.slipId) return none;
  const items = cleanItems(doc.items);
  if (!items) return none;
  let digest;
  try {
    digest = await itemsDigest(items.map((i) => [i.name, i.quantity]));
  } catch {
    return none; // no WebCrypto (not a secure context): the list cannot be checked, so it is not shown
  }
  const count = items.reduce((sum, i) => sum + i.quantity, 0);
  if (digest !== claims.itemsDigest || count !== claims.itemCount) return none;
  const requester =
    typeof doc.requester_name === 'string' && doc.requester_name
      ? { name: doc.requester_name, relation: typeof doc.relation === 'string' ? doc.relation : '' }
      : null;
  return { proven: true, items, requester, signatures: cleanSignatures(doc.signatures) };
}

const SIGNERS = ['requester', 'owner', 'letter_owner'];
// Only an inline raster image is shown: the document comes from the feed, not from the signature.
const IMAGE_RE = /^data:image\/(png|webp|jpeg);base64,[A-Za-z0-9+/]+={0,2}$/;

/**
 * The signatures a gate_slip document lists (D42): who signed the slip at the desk and, when the server
 * could make it small enough, the signature image as a data URI. Like the requester they are not signed
 * by the QR, so slipDetails returns them only beside a proven item list.
 * @returns {Array<{signer: string, name: string, relation: string, signedAt: string, image: string|null}>}
 */
export function cleanSignatures(list) {
  if (!Array.isArray(list)) return [];
  return list.filter((s) => s && SIGNERS.includes(s.signer)).map((s) => ({
    signer: s.signer,
    name: typeof s.name === 'string' ? s.name : '',
    relation: typeof s.relation === 'string' ? s.relation : '',
    signedAt: typeof s.signed_at === 'string' ? s.signed_at : '',
    image: typeof s.image === 'string' && IMAGE_RE.test(s.image) ? s.image : null,
  }));
}

/**
 * The compound's gate names as the phone holds them: the feed's gate_directory document, else the
 * list GET /api/gate/keys last returned. code -> name.
 */
export function gateNames(docs, keysAnswer) {
  const dir = docs.find((d) => d.entity === 'gate_directory' && Array.isArray(d.doc?.gates));
  const list = dir ? dir.doc.gates : Array.isArray(keysAnswer?.gates) ? keysAnswer.gates : [];
  const names = new Map();
  for (const g of list) if (g && typeof g.code === 'string' && typeof g.name === 'string' && g.name) names.set(g.code, g.name);
  return names;
}
