// Release-slip QR payload: strict parsing of "ED1." + base64url(body || signature), the typed short
// code and the items digest. Mirrors server/gate/signing.py; the byte layout is documented there.

export const PREFIX = 'ED1.';
export const VERSION = 1;
export const SIGNING_CONTEXT = new TextEncoder().encode('EstateDesk release slip v1\u0000');
export const SIGNATURE_LEN = 64;
export const DIGEST_LEN = 16;
export const VERIFY_MAX_CHARS = 512;
export const MAX_GATES = 8;

const KID_RE = /^[A-Za-z0-9_-]{1,12}$/;
const SLIP_ID_RE = /^[A-Za-z0-9_-]{1,36}$/;
const GATE_RE = /^[A-Z0-9]{1,6}$/;
const B64URL_RE = /^[A-Za-z0-9_-]*$/;
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export const SHORT_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const SHORT_CODE_LEN = 9;

export class MalformedPayload extends Error {}

export function b64uEncode(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63].map((v) => B64URL[v]);
    out += chars.slice(0, Math.min(4, bytes.length - i + 1)).join('');
  }
  return out;
}

// Strict: only the url alphabet, no padding, and canonical (no stray bits in the last character).
export function b64uDecode(text) {
  if (typeof text !== 'string' || !B64URL_RE.test(text) || text.length % 4 === 1) {
    throw new MalformedPayload('not base64url');
  }
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let j = 0;
  for (const ch of text) {
    acc = (acc << 6) | B64URL.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw new MalformedPayload('non-canonical base64url');
  return out;
}

export function crc8(bytes) {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

function hasControl(text) {
  for (const ch of text) {
    const c = ch.codePointAt(0);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.pos = 0;
  }
  take(n) {
    if (this.pos + n > this.bytes.length) throw new MalformedPayload('truncated');
    const chunk = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return chunk;
  }
  u8() {
    return this.take(1)[0];
  }
  u16() {
    const b = this.take(2);
    return (b[0] << 8) | b[1];
  }
  u32() {
    const b = this.take(4);
    return ((b[0] << 24) >>> 0) + ((b[1] << 16) | (b[2] << 8) | b[3]);
  }
  ascii(re) {
    const text = String.fromCharCode(...this.take(this.u8()));
    if (!re.test(text)) throw new MalformedPayload('bad characters');
    return text;
  }
}

/**
 * Parse a payload without checking its signature.
 * @returns {{claims: object, body: Uint8Array, signature: Uint8Array}}
 * @throws {MalformedPayload}
 */
export function parsePayload(payload) {
  if (typeof payload !== 'string' || payload.length > VERIFY_MAX_CHARS || !payload.startsWith(PREFIX)) {
    throw new MalformedPayload('not an ED1 payload');
  }
  const raw = b64uDecode(payload.slice(PREFIX.length));
  if (raw.length <= SIGNATURE_LEN) throw new MalformedPayload('too short');
  const body = raw.subarray(0, raw.length - SIGNATURE_LEN);
  const signature = raw.subarray(raw.length - SIGNATURE_LEN);
  const r = new Reader(body);
  const version = r.u8();
  if (version !== VERSION) throw new MalformedPayload('unsupported version');
  const kid = r.ascii(KID_RE);
  if (r.u8() !== crc8(new TextEncoder().encode(kid))) throw new MalformedPayload('key id check failed');
  const slipId = r.ascii(SLIP_ID_RE);
  let unitLabel;
  try {
    unitLabel = utf8.decode(r.take(r.u8()));
  } catch (err) {
    if (err instanceof MalformedPayload) throw err;
    throw new MalformedPayload('unit label is not UTF-8');
  }
  if (!unitLabel || hasControl(unitLabel)) throw new MalformedPayload('bad unit label');
  const itemsDigest = toHex(r.take(DIGEST_LEN));
  const itemCount = r.u16();
  const validFrom = r.u32();
  const validUntil = r.u32();
  if (itemCount < 1 || validUntil <= validFrom) throw new MalformedPayload('bad count or window');
  const gateCount = r.u8();
  if (gateCount < 1 || gateCount > MAX_GATES) throw new MalformedPayload('bad gate count');
  const gates = [];
  for (let i = 0; i < gateCount; i++) gates.push(r.ascii(GATE_RE));
  if (r.pos !== body.length) throw new MalformedPayload('trailing bytes');
  const claims = { version, kid, slipId, unitLabel, itemsDigest, itemCount, validFrom, validUntil, gates };
  return { claims, body, signature };
}

function shortCheck(values) {
  return values.reduce((sum, v, i) => sum + (i + 1) * v, 0) % 31;
}

/** The 9-character code a guard types when the camera fails (taken from the signature). */
export function shortCode(payload) {
  const { signature } = parsePayload(payload);
  const values = [];
  let acc = 0;
  let bits = 0;
  for (const byte of signature.subarray(0, 5)) {
    acc = ((acc << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      values.push((acc >> bits) & 31);
    }
  }
  return values.map((v) => SHORT_CODE_ALPHABET[v]).join('') + SHORT_CODE_ALPHABET[shortCheck(values)];
}

/** Canonical form of a typed code, or null when it cannot be one (wrong length, bad check character). */
export function normalizeShortCode(typed) {
  const text = String(typed)
    .trim()
    .toUpperCase()
    .replace(/[-\s]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (text.length !== SHORT_CODE_LEN || [...text].some((ch) => !SHORT_CODE_ALPHABET.includes(ch))) return null;
  const values = [...text].map((ch) => SHORT_CODE_ALPHABET.indexOf(ch));
  return shortCheck(values.slice(0, 8)) === values[8] ? text : null;
}

/**
 * sha256 of the canonical item list [[name, qty], ...] (slip order), first 16 bytes as hex: lets the
 * guard check that the item list cached on the phone is the one the QR was signed for.
 * @param {Array<[string, number]>} items
 */
export async function itemsDigest(items) {
  const bytes = new TextEncoder().encode(JSON.stringify(items.map(([name, qty]) => [name, qty])));
  const hash = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
  return toHex(hash.subarray(0, DIGEST_LEN));
}
