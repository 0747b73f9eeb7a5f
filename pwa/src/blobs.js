// Photos and signatures as content-addressed blobs (guarantee 5): downscaled on the phone, hashed
// with SHA-256, kept in IndexedDB until uploaded, referenced from mutations by hash.
import { getToken } from './api.js';
import { getBlob, putBlob } from './db.js';

const MAX_EDGE = 1600;
const JPEG_QUALITY = 0.82;

export async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Stores a blob (idempotent by content) and returns its sha256. */
export async function storeBlob(blob) {
  const sha256 = await sha256Hex(blob);
  await putBlob({ sha256, blob, type: blob.type });
  return sha256;
}

async function decode(file) {
  if (globalThis.createImageBitmap) {
    try {
      return await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch {
      /* older Safari: fall back to <img> */
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.decoding = 'async';
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** A camera photo → JPEG no larger than 1600 px on its longest edge. */
export async function downscalePhoto(file) {
  const img = await decode(file);
  const w = img.width || img.naturalWidth;
  const hgt = img.height || img.naturalHeight;
  const scale = Math.min(1, MAX_EDGE / Math.max(w, hgt));
  const cw = Math.max(1, Math.round(w * scale));
  const ch = Math.max(1, Math.round(hgt * scale));
  const canvas = document.createElement('canvas');
  canvas.width = cw;
  canvas.height = ch;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff'; // transparent PNGs become white, not black, as JPEG
  ctx.fillRect(0, 0, cw, ch);
  ctx.drawImage(img, 0, 0, cw, ch);
  img.close?.();
  return canvasToBlob(canvas, 'image/jpeg', JPEG_QUALITY);
}

export function canvasToBlob(canvas, type, quality) {
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('canvas.toBlob failed'))), type, quality));
}

const urls = new Map();

/** An object URL for a blob by hash: the local copy if we have it, else GET /api/blobs/<sha>. */
export async function blobUrl(sha256) {
  if (urls.has(sha256)) return urls.get(sha256);
  let blob = (await getBlob(sha256))?.blob;
  if (!blob) {
    const headers = getToken() ? { Authorization: `Bearer ${getToken()}` } : {};
    const res = await fetch(`/api/blobs/${sha256}`, { headers });
    if (!res.ok) return null;
    blob = await res.blob();
  }
  const url = URL.createObjectURL(blob);
  urls.set(sha256, url);
  return url;
}
