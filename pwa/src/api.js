// HTTP access to the EstateDesk server: Bearer token, JSON in/out, and the one error shape
// {code, message, message_en, details} turned into an ApiError. Runs in pages and in the service
// worker (no DOM use). Network failures become ApiError with status 0 and code 'network'.

let token = null;
let onUnauthorized = null;

export class ApiError extends Error {
  constructor({ status = 0, code = 'network', message = '', message_en = '', details = null, retryAfter = null }) {
    super(message_en || message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.message_zh = message;
    this.message_en = message_en;
    this.details = details;
    this.retryAfter = retryAfter;
  }

  /** True when the request never got an answer: keep the work and try again later. */
  get isNetwork() {
    return this.status === 0;
  }

  /** The shape i18n.serverMessage() reads. */
  get wire() {
    return { code: this.code, message: this.message_zh, message_en: this.message_en, details: this.details };
  }
}

/**
 * What stopped a sync, as an ApiError the status bar can show. A failure on the phone itself (not
 * an answer from the server) has status -1; a full phone is named as such (client.storage_full):
 * the entries stay waiting and are resent (the server answers duplicates), so nothing is lost, but
 * the person must know why the bar is red and what would fix it.
 */
export function syncFailure(e) {
  if (e instanceof ApiError) return e;
  if (e?.name === 'QuotaExceededError' || e?.cause?.name === 'QuotaExceededError') {
    return new ApiError({ status: -1, code: 'client.storage_full', message: '手机存储空间已满', message_en: "This phone's storage is full" });
  }
  return new ApiError({ status: -1, code: 'client', message: String(e?.message || e), message_en: String(e?.message || e) });
}

export function setToken(value) {
  token = value || null;
}

export function getToken() {
  return token;
}

/** Called once with the ApiError when the server answers 401 (token missing or revoked). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/**
 * request('POST', '/api/sync/push', {json: {...}}) → parsed JSON (or null for empty bodies).
 * Options: json (encoded as the body), body + contentType (raw bytes), timeoutMs (default 20 s),
 * raw: true (return the Response itself for HEAD / blob downloads; non-2xx still throws, except the
 * statuses listed in `expect`), headers (extra request headers).
 */
export async function request(method, path, {
  json, body, contentType, timeoutMs = 20000, raw = false, auth = true, headers: extra = {}, expect = [],
} = {}) {
  const headers = { Accept: 'application/json', ...extra };
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  let payload = body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(json);
  } else if (contentType) {
    headers['Content-Type'] = contentType;
  }
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, signal: ctrl.signal, cache: 'no-store' });
  } catch (e) {
    throw new ApiError({ status: 0, code: 'network', message: '网络不可用', message_en: `Network unavailable (${e.name})` });
  } finally {
    clearTimeout(timer);
  }
  if (!res.ok && !(raw && expect.includes(res.status))) {
    const err = await errorFrom(res);
    if (res.status === 401 && auth && onUnauthorized) onUnauthorized(err);
    throw err;
  }
  if (raw) return res;
  if (res.status === 204 || method === 'HEAD') return null;
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError({ status: res.status, code: 'bad_response', message: '服务器返回了无法识别的内容', message_en: 'Unreadable server response' });
  }
}

async function errorFrom(res) {
  let data = null;
  try {
    data = await res.json();
  } catch {
    /* not JSON: proxies, 502 pages */
  }
  const retry = res.headers.get('Retry-After');
  return new ApiError({
    status: res.status,
    code: data?.code || `http.${res.status}`,
    message: data?.message || `服务器错误（${res.status}）`,
    message_en: data?.message_en || `Server error (${res.status})`,
    details: data?.details ?? null,
    retryAfter: retry ? Number(retry) || null : null,
  });
}

export const get = (path, opts) => request('GET', path, opts);
export const post = (path, json, opts) => request('POST', path, { ...opts, json });
export const put = (path, json, opts) => request('PUT', path, { ...opts, json });
export const del = (path, opts) => request('DELETE', path, opts);

/** The object handed to desk/gate modules as ctx.api. */
export const api = { request, get, post, put, del, ApiError, getToken };
