// The guard's gate screen: scan (camera or a picture) or type a release slip's code, verify it offline
// against the cached compound keys and revocation list, show one clear verdict, and record the release
// through the outbox (mutation slip.release). Chinese first.
//
// Offline data: the change feed fills the slip_keys / slip_revocations stores and, in `docs`, the
// entities slip_use (released at another gate), gate_notice (tool names, R-RS-6) and gate_slip (a slip's
// short code, signed payload, items and requester: a typed code is verified offline, and the goods and
// the person are shown, see details.js). When online the screen also fetches GET /api/gate/keys into
// kv 'gate.keys'. kv 'gate.used' remembers what this phone released so it refuses a second release at
// once, before any sync; kv 'gate.code' is the guard's gate; kv 'gate.seen' maps short codes to
// payloads scanned before (typed codes of slips issued before gate_slip existed). The compound's gate
// names come from the feed's gate_directory document (or GET /api/gate/keys): a gate is shown as
// "北门（N）", the code staying what the slip carries and what is checked. Once the compound has named
// its gates the guard picks this phone's gate from that list, never types it (D47): a typo would record
// releases at a gate nobody knows, and a gate removed while the phone was offline stops counting as set.
import jsQR from 'jsqr';

import { findOffline, gateNames, indexGateDocs, slipDetails } from './details.js';
import { normalizeShortCode, shortCode } from './payload.js';
import { effectiveGate, offlineDataState, Verdict, verifyForRelease } from './verify.js';
import { formatDateTime } from '../clock.js';
import { dismissToast, ensureStylesheet, openDialog } from '../dom.js';
import { joinList, paren, serverMessage } from '../i18n.js';

// Keys and revocations older than this are not trusted: the guard calls the desk instead.
export const MAX_CACHE_AGE_MS = 24 * 3600 * 1000;
const SCAN_INTERVAL_MS = 250;
// How often the screen checks again, with no tap and no sync, what time alone changes: the offline data
// passing its age, a slip on screen reaching the end of its validity (R-RS-1).
const RECHECK_INTERVAL_MS = 15_000;
// At the confirmation the server is asked about the slip first; a guard waits at most this long for it
// before the phone's own verdict decides (a weak signal at the gate must not hold the goods up).
const RELEASE_ASK_TIMEOUT_MS = 4000;
const MAX_DECODE_SIDE = 1600;

export const STRINGS = {
  zh: {
    'gate.title': '门岗放行核验',
    'gate.my_gate': '本岗出入口代码',
    'gate.my_gate_choose': '本岗出入口',
    'gate.my_gate_placeholder': '请选择本岗出入口',
    'gate.my_gate_hint_list': '从本小区登记的出入口中选择；列表由管理处维护',
    'gate.my_gate_hint_none': '本小区尚未登记出入口名称，请输入本岗代码，如 N、S',
    'gate.here': '本岗：{gate}',
    'gate.here_unset': '尚未设置本岗出入口',
    'gate.not_listed': '本机原设的出入口 {gate} 不在本小区的出入口列表中（可能已被删除），请重新选择本岗',
    'gate.signed.requester.owner': '业主已签字：{who}',
    'gate.signed.requester.household_member': '登记家属已签字：{who}',
    'gate.signed.requester.other': '申请人已签字：{who}',
    'gate.signed.owner': '业主已签字',
    'gate.signed.letter_owner': '业主已在书面授权委托书上签字',
    'gate.signed.owner_named': '业主已签字：{who}',
    'gate.signed.letter_owner_named': '业主已在书面授权委托书上签字：{who}',
    'gate.signed.none': '放行单上没有签字，请以纸质放行单为准',
    'gate.signature': '签字',
    'gate.signature_img': '{who}的签字',
    'gate.cache_ok': '离线核验数据：{keys} 个密钥，{revoked} 张已作废，更新于 {ago}',
    // R-RS-1: past MAX_CACHE_AGE_MS the line turns to a warning by itself (renderStatus runs on a timer).
    'gate.cache_stale': '离线核验数据已过期（更新于 {at}，已超过 {hours} 小时），请联网同步后再核验',
    'gate.cache_missing': '本机还没有离线核验数据，请联网同步后再核验',
    'gate.note.stale': '本机离线核验数据已超过 {hours} 小时未更新，无法离线核验：请联网同步后再查，或致电服务中心',
    'gate.note.missing': '本机还没有离线核验数据，无法离线核验：请联网同步后再查，或致电服务中心',
    'gate.note.unknown_key': '该单的签名密钥比本机的离线数据新，无法离线核验：请联网同步后再查，或致电服务中心',
    'gate.scan': '扫码核验',
    'gate.scan_stop': '停止扫码',
    'gate.scan_hint': '将放行通知单上的二维码对准镜头',
    // The browser's own words (often English) go on a detail line below, never inside this sentence.
    'gate.camera_failed': '无法打开摄像头。可改用“从图片识别”或输入放行码。',
    'gate.camera_failed_why': '无法打开摄像头：{why}。可改用“从图片识别”或输入放行码。',
    'gate.camera.not_found': '本机没有可用的摄像头',
    'gate.camera.denied': '没有使用摄像头的权限',
    'gate.camera.busy': '摄像头被其他应用占用或无法启动',
    'gate.from_image': '从图片识别',
    'gate.no_qr_in_image': '图片中没有识别到二维码，请重新拍摄',
    'gate.code_label': '放行码（9位）',
    'gate.code_check': '查询',
    'gate.code_invalid': '放行码有误，请核对后重新输入',
    'gate.code_not_found': '未找到该放行码对应的放行通知单，请联系服务中心',
    'gate.code_not_cached': '本机离线数据中没有该放行码（可能是上次同步后新开的单），请扫码、联网查询或致电服务中心',
    'gate.verdict.valid': '有效 · 可以放行',
    'gate.verdict.expired': '已过期 · 不得放行',
    'gate.verdict.not_yet_valid': '尚未生效 · 不得放行',
    'gate.verdict.revoked': '已作废 · 不得放行',
    'gate.verdict.tampered': '二维码被篡改或伪造 · 不得放行',
    'gate.verdict.already_used': '已放行过 · 不得重复放行',
    'gate.verdict.released': '已确认放行 · 物品可以出门',
    'gate.verdict.wrong_gate': '非本出入口的放行单 · 不得放行',
    // {control}: the gate control's label as shown (a list, or a typed code before the compound names its gates).
    'gate.verdict.gate_unset': '请先设置{control}（本单限 {gates}）',
    'gate.verdict.gate_unset_typed': '请先设置{control}（本单限 {gates}）',
    'gate.verdict.malformed': '不是放行通知单的二维码',
    'gate.verdict.cannot_verify_offline': '无法离线核验 · 请致电服务中心确认',
    'gate.unit': '房号',
    'gate.items': '物品件数',
    'gate.items_n': '{n} 件',
    'gate.requester': '申请人',
    'gate.goods': '放行物品',
    'gate.goods_total': '共 {n} 件',
    'gate.goods_unchecked': '物品清单与申请人无法核对，请以纸质放行单为准',
    'gate.flag.large': '大件',
    'gate.flag.valuable': '贵重',
    'gate.flag.tool': '工具',
    'gate.relation.owner': '业主本人',
    'gate.relation.household_member': '登记家属',
    'gate.relation.tenant': '租户',
    'gate.relation.nanny': '保姆',
    'gate.relation.friend': '亲友',
    'gate.relation.employee': '雇员',
    'gate.relation.unregistered_relative': '未登记亲属',
    'gate.relation.contractor': '施工人员',
    'gate.relation.renovation_worker': '装修工人',
    'gate.tools': '工具',
    'gate.validity': '有效期',
    'gate.gates': '可放行出入口',
    'gate.code': '放行码',
    'gate.release': '确认放行',
    // The gate's label already carries its code in brackets (北门（N）): no second pair round it.
    'gate.released': '已在{gate}登记放行，待同步到服务中心',
    'gate.released_sent': '已在{gate}登记放行，已同步到服务中心',
    'gate.released_notice': '已在{gate}放行。{msg}',
    'gate.released_refused': '已在{gate}放行，但服务中心未接受这条记录：{msg}',
    'gate.recheck_changed': '确认放行时再次核验，结果已变化：未登记放行',
    'gate.rechecking': '正在核验…',
    'gate.need_gate': '请先选择本岗出入口',
    'gate.clear': '核验下一张',
    'gate.used_when': '已于 {at} 在{gate}放行',
    'gate.used_where': '已在{gate}放行',
    'gate.confirm_title': '确认放行以下物品出门？',
    'gate.confirm_gate': '出门：{gate}',
    'gate.confirm_once': '放行后本单即作废，不能再次使用',
    'gate.confirm_ok': '是，放行出门',
    'gate.confirm_cancel': '返回',
  },
  en: {
    'gate.title': 'Gate: release slips',
    'gate.my_gate': 'My gate code',
    'gate.my_gate_choose': 'My gate',
    'gate.my_gate_placeholder': 'Choose this gate',
    'gate.my_gate_hint_list': "Chosen from the compound's gates; the management office keeps the list",
    'gate.my_gate_hint_none': 'The compound has not named its gates yet: type this gate’s code, e.g. N or S',
    'gate.here': 'At gate: {gate}',
    'gate.here_unset': 'This gate is not set',
    'gate.not_listed': "This phone's gate {gate} is not one of the compound's gates (perhaps removed): choose the gate again",
    'gate.signed.requester.owner': 'Signed by {who}',
    'gate.signed.requester.household_member': 'Signed by {who}',
    'gate.signed.requester.other': 'Signed by {who}',
    'gate.signed.owner': 'Signed by the owner',
    'gate.signed.letter_owner': "The owner signed the written authorisation",
    'gate.signed.owner_named': 'Signed by the owner, {who}',
    'gate.signed.letter_owner_named': 'The owner, {who}, signed the written authorisation',
    'gate.signed.none': 'Nobody signed this slip: go by the paper slip',
    'gate.signature': 'Signature',
    'gate.signature_img': "{who}'s signature",
    'gate.cache_ok': 'Offline data: {keys, plural, one {# key} other {# keys}}, {revoked, plural, one {# revoked slip} other {# revoked slips}}, updated {ago}',
    'gate.cache_stale': 'Offline data is out of date (updated {at}, over {hours} h ago): sync online before verifying',
    'gate.cache_missing': 'This phone has no offline data yet: sync online before verifying',
    'gate.note.stale': 'This phone’s offline data is over {hours} h old, so it cannot verify offline: sync online and look again, or call the service desk',
    'gate.note.missing': 'This phone has no offline data yet, so it cannot verify offline: sync online and look again, or call the service desk',
    'gate.note.unknown_key': 'The slip is signed with a key newer than this phone’s offline data, so it cannot verify offline: sync online and look again, or call the service desk',
    'gate.scan': 'Scan',
    'gate.scan_stop': 'Stop scanning',
    'gate.scan_hint': 'Point the camera at the QR code on the slip',
    'gate.camera_failed': 'Cannot open the camera. Use “From a picture” or type the code.',
    'gate.camera_failed_why': 'Cannot open the camera: {why}. Use “From a picture” or type the code.',
    'gate.camera.not_found': 'this phone has no camera available',
    'gate.camera.denied': 'the camera is not allowed',
    'gate.camera.busy': 'the camera is in use or would not start',
    'gate.from_image': 'From a picture',
    'gate.no_qr_in_image': 'No QR code found in the picture; take it again',
    'gate.code_label': 'Slip code (9 characters)',
    'gate.code_check': 'Look up',
    'gate.code_invalid': 'That code is not valid; check it and type it again',
    'gate.code_not_found': 'No slip has this code; call the service desk',
    'gate.code_not_cached': 'This code is not in the phone’s offline data (perhaps a slip issued since the last sync): scan the QR, look it up online or call the desk',
    'gate.verdict.valid': 'Valid · release',
    'gate.verdict.expired': 'Expired · do not release',
    'gate.verdict.not_yet_valid': 'Not valid yet · do not release',
    'gate.verdict.revoked': 'Revoked · do not release',
    'gate.verdict.tampered': 'Tampered or forged QR · do not release',
    'gate.verdict.already_used': 'Already released · do not release again',
    'gate.verdict.released': 'Release confirmed · the items may leave',
    'gate.verdict.wrong_gate': 'Not for this gate · do not release',
    'gate.verdict.gate_unset': 'Choose this phone’s gate under “{control}” first (the slip is for {gates})',
    'gate.verdict.gate_unset_typed': 'Type this gate’s code under “{control}” first (the slip is for {gates})',
    'gate.verdict.malformed': 'Not a release slip QR code',
    'gate.verdict.cannot_verify_offline': 'Cannot verify offline · call the service desk',
    'gate.unit': 'Unit',
    'gate.items': 'Items',
    'gate.items_n': '{n, plural, one {# piece} other {# pieces}}',
    'gate.requester': 'Issued to',
    'gate.goods': 'Items',
    'gate.goods_total': '{n, plural, one {# piece} other {# pieces}} in all',
    'gate.goods_unchecked': 'The item list and the requester cannot be checked against the QR: go by the paper slip',
    'gate.flag.large': 'large',
    'gate.flag.valuable': 'valuable',
    'gate.flag.tool': 'tool',
    'gate.relation.owner': 'owner',
    'gate.relation.household_member': 'registered household member',
    'gate.relation.tenant': 'tenant',
    'gate.relation.nanny': 'nanny',
    'gate.relation.friend': 'friend',
    'gate.relation.employee': 'employee',
    'gate.relation.unregistered_relative': 'unregistered relative',
    'gate.relation.contractor': 'contractor',
    'gate.relation.renovation_worker': 'renovation worker',
    'gate.tools': 'Tools',
    'gate.validity': 'Valid',
    'gate.gates': 'Gates',
    'gate.code': 'Code',
    'gate.release': 'Release',
    'gate.released': 'Release recorded at {gate}; waiting to sync to the desk',
    'gate.released_sent': 'Release recorded at {gate} and sent to the desk',
    'gate.released_notice': 'Released at {gate}. {msg}',
    'gate.released_refused': 'Released at {gate}, but the desk did not accept the record: {msg}',
    'gate.recheck_changed': 'Checked again at the confirmation: the verdict has changed, so nothing was released',
    'gate.rechecking': 'Checking…',
    'gate.need_gate': 'Choose your gate first',
    'gate.clear': 'Next slip',
    'gate.used_when': 'Released {at} at {gate}',
    'gate.used_where': 'Released at {gate}',
    'gate.confirm_title': 'Let these items leave?',
    'gate.confirm_gate': 'Leaving by {gate}',
    'gate.confirm_once': 'Once released, the slip cannot be used again',
    'gate.confirm_ok': 'Yes, let them leave',
    'gate.confirm_cancel': 'Back',
  },
};

// Kept across re-renders (language switch, sync): the slip on screen stays on screen.
let current = null; // {payload, result, details, released, error}

// ---- offline cache -------------------------------------------------------------------------

async function loadCache(ctx) {
  const db = ctx.db;
  const [keyRows, revokedRows, docs, kvKeys, used, lastPullAt] = await Promise.all([
    db.getAll('slip_keys'),
    db.getAll('slip_revocations'),
    db.getAll('docs'),
    db.kvGet('gate.keys'),
    db.kvGet('gate.used'),
    db.kvGet('lastPullAt'),
  ]);
  const keys = { ...(kvKeys?.keys || {}) };
  for (const k of keyRows) keys[k.id] = { public: k.public, verify_until: k.verify_until ?? null };
  const revoked = new Set([...(kvKeys?.revoked || []), ...revokedRows.map((r) => r.id)]);
  const usedIds = new Set(Object.keys(used || {}));
  // When and where each used slip left, for "已于 … 在北门（N）放行": this phone's own releases, then
  // the feed's slip_use documents (the server's record, released here or at another gate).
  const usedInfo = new Map(Object.entries(used || {}).map(([id, u]) => [id, { gate: u.gate, at: u.at }]));
  const notices = {};
  for (const d of docs) {
    if (d.entity === 'slip_use') {
      usedIds.add(d.id);
      if (d.doc?.gate) usedInfo.set(d.id, { gate: d.doc.gate, at: d.doc.released_at || null });
    }
    else if (d.entity === 'gate_notice') notices[d.id] = d.doc;
  }
  const { slipsByCode, slipsById, revokedCodes } = indexGateDocs(docs, revokedRows);
  const names = gateNames(docs, kvKeys);
  // Device milliseconds of the newest download of keys + revocations (a full pull or GET /api/gate/keys).
  const fetchedDeviceMs = Math.max(Number(lastPullAt) || 0, Number(kvKeys?.fetched_device_ms) || 0);
  return {
    keys, revoked, usedIds, usedInfo, notices, slipsByCode, slipsById, revokedCodes, fetchedDeviceMs, names,
    hasAny: Object.keys(keys).length > 0,
  };
}

async function refreshKeys(ctx) {
  if (navigator.onLine === false) return false;
  try {
    const res = await ctx.api.get('/api/gate/keys', { timeoutMs: 10000 });
    await ctx.db.kvSet('gate.keys', { keys: res.keys || {}, revoked: res.revoked || [], gates: res.gates || [], fetched_device_ms: Date.now() });
    return true;
  } catch {
    return false; // offline or server trouble: the cached copy (if fresh) still serves
  }
}

// server: what the server said about this slip when asked online (serverAnswer), or null. Its
// refusals stand whenever the slip is checked again; its "issued" counts as fresh only as of when it
// was asked (verifyForRelease). requireGate is applied: no plain "valid" for a gated slip until the gate
// is set (R-RS-1).
function verify(ctx, cache, payload, server = null) {
  const now = ctx.serverNow();
  const offset = now - Date.now();
  return verifyForRelease(payload, {
    keys: cache.hasAny ? cache.keys : null,
    revoked: cache.revoked,
    usedIds: cache.usedIds,
    now,
    cacheFetchedAt: cache.fetchedDeviceMs ? cache.fetchedDeviceMs + offset : NaN,
    maxCacheAgeMs: MAX_CACHE_AGE_MS,
    gate: currentGate(cache),
  }, server);
}

/** The server's answer to GET /api/slips/by-code, as verify() takes it; asked_ms in server time. */
function serverAnswer(res, askedMs) {
  return {
    id: res.id, state: res.state, released_at: res.released_at || null, released_gate: res.released_gate || null,
    asked_ms: askedMs,
  };
}

let gateCode = '';
function currentGate(cache) {
  return effectiveGate(gateCode, cache?.names);
}

// ---- QR decoding ----------------------------------------------------------------------------

function decodeImageData(img) {
  const found = jsQR(img.data, img.width, img.height, { inversionAttempts: 'attemptBoth' });
  return found?.data || null;
}

async function decodeFile(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_DECODE_SIDE / Math.max(bitmap.width, bitmap.height));
  const w = Math.max(1, Math.round(bitmap.width * scale));
  const hgt = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = hgt;
  const c2d = canvas.getContext('2d', { willReadFrequently: true });
  c2d.fillStyle = '#fff';
  c2d.fillRect(0, 0, w, hgt);
  c2d.drawImage(bitmap, 0, 0, w, hgt);
  bitmap.close?.();
  return decodeImageData(c2d.getImageData(0, 0, w, hgt));
}

async function nativeDetector() {
  try {
    if (!('BarcodeDetector' in globalThis)) return null;
    const formats = await globalThis.BarcodeDetector.getSupportedFormats();
    return formats.includes('qr_code') ? new globalThis.BarcodeDetector({ formats: ['qr_code'] }) : null;
  } catch {
    return null;
  }
}

function startCamera(video, onFound, onError) {
  let stream = null;
  let timer = null;
  let stopped = false;
  const canvas = document.createElement('canvas');
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    stream?.getTracks().forEach((tr) => tr.stop());
    video.srcObject = null;
    video.hidden = true;
  };
  (async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      if (stopped) return stop();
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      const detector = await nativeDetector();
      const tick = async () => {
        if (stopped) return;
        let text = null;
        try {
          if (video.readyState >= 2) {
            if (detector) {
              const codes = await detector.detect(video);
              text = codes[0]?.rawValue || null;
            } else {
              canvas.width = video.videoWidth;
              canvas.height = video.videoHeight;
              const c2d = canvas.getContext('2d', { willReadFrequently: true });
              c2d.drawImage(video, 0, 0);
              text = decodeImageData(c2d.getImageData(0, 0, canvas.width, canvas.height));
            }
          }
        } catch {
          text = null;
        }
        if (text && !stopped) {
          stop();
          onFound(text);
        } else if (!stopped) timer = setTimeout(tick, SCAN_INTERVAL_MS);
      };
      tick();
    } catch (e) {
      stop();
      onError(e);
    }
  })();
  return stop;
}

// ---- view -----------------------------------------------------------------------------------

/**
 * The line a signature gets on the guard's screen, and who it names (the image's alt text).
 * The owner's signature beside a requester's, or on the written authorisation (R-RS-3), names the
 * registered owner the slip was issued for (D52), so the guard can compare it with the letter.
 */
export function signatureText(s, t) {
  const relationText = (rel) => {
    const key = `gate.relation.${rel}`;
    const label = t(key);
    return label === key ? rel : label;
  };
  const who = s.name ? paren(s.name, relationText(s.relation)) : relationText(s.relation);
  if (s.signer === 'requester') {
    const kind = s.relation === 'owner' || s.relation === 'household_member' ? s.relation : 'other';
    return { text: t(`gate.signed.requester.${kind}`, { who }), who };
  }
  // The relation is always "owner" here and the line says so already: only the name is added.
  return { text: s.name ? t(`gate.signed.${s.signer}_named`, { who: s.name }) : t(`gate.signed.${s.signer}`), who };
}

/**
 * "已于 12/07 19:57 在北门（N）放行": when and where a slip already used left (gate.verdict.already_used
 * says only that it did). info {gate, at}; gateLabel names the gate; null when the phone does not know.
 */
export function usedWhenText(info, t, gateLabel, formatTime) {
  if (!info?.gate) return null;
  const gate = gateLabel(info.gate);
  const at = info.at && !Number.isNaN(Date.parse(info.at)) ? formatTime(info.at) : '';
  return at ? t('gate.used_when', { at, gate }) : t('gate.used_where', { gate });
}

const CACHE_AGE_HOURS = MAX_CACHE_AGE_MS / 3_600_000;

/** R-RS-1: the offline data line once the data is past its age: out of date since `at`, sync first. */
export function staleText(t, at) {
  return t('gate.cache_stale', { at, hours: CACHE_AGE_HOURS });
}

/**
 * R-RS-1: the "set your gate first" verdict, naming the gate control as it is labelled: a list of the
 * compound's gates (本岗出入口 / My gate), or a code typed before the compound named them.
 */
export function gateUnsetText(t, listed, gates) {
  return listed
    ? t('gate.verdict.gate_unset', { control: t('gate.my_gate_choose'), gates })
    : t('gate.verdict.gate_unset_typed', { control: t('gate.my_gate'), gates });
}

const CAMERA_WHY = {
  NotFoundError: 'gate.camera.not_found',
  OverconstrainedError: 'gate.camera.not_found',
  NotAllowedError: 'gate.camera.denied',
  SecurityError: 'gate.camera.denied',
  NotReadableError: 'gate.camera.busy',
  AbortError: 'gate.camera.busy',
};

/**
 * Why the camera did not open, in the app's language ({text}), and the browser's own words apart
 * ({detail}, shown small below): they are in the browser's language, often English on a Chinese screen.
 */
export function cameraFailedText(e, t) {
  const key = CAMERA_WHY[e?.name];
  const text = key ? t('gate.camera_failed_why', { why: t(key) }) : t('gate.camera_failed');
  const message = String(e?.message || '');
  const detail = key ? message || e.name : [e?.name, message].filter(Boolean).join(': ') || String(e ?? '');
  return { text, detail };
}

/**
 * R-RS-1: the line under a slip released on this phone, from its outbox entry: waiting to sync, sent, or
 * what the server said about it — recorded as an incident (a notice beside "applied") or refused.
 * Returns {text, tone: 'ok'|'warn'}.
 */
export function releasedLine(entry, gate, t, serverMessage) {
  if (entry?.state === 'sent' && entry.notice) {
    return { text: t('gate.released_notice', { gate, msg: serverMessage(entry.notice) || entry.notice.code }), tone: 'warn' };
  }
  if (entry?.state === 'sent') return { text: t('gate.released_sent', { gate }), tone: 'ok' };
  if (entry?.state === 'refused') {
    return { text: t('gate.released_refused', { gate, msg: serverMessage(entry) || entry.code }), tone: 'warn' };
  }
  return { text: t('gate.released', { gate }), tone: 'ok' };
}

/**
 * `text` split around each of `names`, so a caller can keep every name whole: a Chinese name inside an
 * English sentence may otherwise break between any two of its characters on a 360 px phone ("高业 / 主").
 * Returns [{text, name: bool}] in order; names that do not occur are ignored.
 */
export function nameParts(text, names) {
  const wanted = [...new Set(names.filter(Boolean))].sort((a, b) => b.length - a.length);
  const parts = [];
  let rest = text;
  while (rest) {
    let best = null;
    for (const n of wanted) {
      const at = rest.indexOf(n);
      if (at >= 0 && (best === null || at < best.at)) best = { at, n };
    }
    if (!best) {
      parts.push({ text: rest, name: false });
      break;
    }
    if (best.at) parts.push({ text: rest.slice(0, best.at), name: false });
    parts.push({ text: best.n, name: true });
    rest = rest.slice(best.at + best.n.length);
  }
  return parts;
}

export async function renderGate(root, ctx) {
  ctx.registerStrings(STRINGS);
  // The signature and gate-pick styles live with the release slips' (precached like every sheet).
  ensureStylesheet('/slips.css');
  const { h, t } = ctx;
  gateCode = (await ctx.db.kvGet('gate.code')) || gateCode;
  let cache = await loadCache(ctx);
  let stopCamera = null;

  const statusLine = h('p', { class: 'small', 'data-testid': 'gate-cache' });
  const resultBox = h('div', { class: 'gate-result', 'aria-live': 'polite', 'data-testid': 'gate-result' });
  const video = h('video', { class: 'gate-video', playsinline: true, muted: true, hidden: true });
  const scanMsg = h('p', { class: 'small muted', role: 'status', 'data-testid': 'gate-scan-msg' });
  // The browser's own words about a camera failure, apart from the sentence above (often English).
  const scanDetail = h('p', { class: 'small muted gate-scan-detail', 'data-testid': 'gate-scan-detail', hidden: true });
  const scanBtn = h('button', { type: 'button', class: 'btn btn-primary btn-block', 'data-action': 'scan' }, t('gate.scan'));
  const fileInput = h('input', {
    type: 'file', accept: 'image/*', capture: 'environment', class: 'file-input', name: 'qr-image',
    id: 'gate-qr-image', 'data-testid': 'gate-qr-image',
  });
  const codeInput = h('input', {
    name: 'short-code', id: 'gate-short-code', autocomplete: 'off', autocapitalize: 'characters',
    inputmode: 'text', maxlength: '13', spellcheck: 'false',
  });
  // The gate control: a list of the compound's gates once it names them (no free text, D47), else a
  // code typed as before D42. Rebuilt when the directory changes (renderGateField).
  let gateInput = null;
  const gateField = h('div', { 'data-testid': 'gate-field' });
  const gateHere = h('p', { 'data-testid': 'gate-here' });

  // 'fresh' | 'stale' | 'missing', as verifySlip will judge the offline data now (both times the device's).
  function dataState() {
    return offlineDataState({
      hasAny: cache.hasAny, fetchedMs: cache.fetchedDeviceMs, nowMs: Date.now(), maxAgeMs: MAX_CACHE_AGE_MS,
    });
  }

  // R-RS-1: re-run on a timer too, so data that passes its age while the phone is offline turns to the
  // warning by itself rather than staying grey until a lookup is refused.
  function renderStatus() {
    const state = dataState();
    const at = cache.fetchedDeviceMs ? formatDateTime(new Date(cache.fetchedDeviceMs).toISOString()) : ''; // the app's language
    statusLine.className = state === 'fresh' ? 'small muted' : 'small notice notice-warn';
    statusLine.dataset.state = state;
    statusLine.textContent = state === 'fresh'
      ? t('gate.cache_ok', { keys: Object.keys(cache.keys).length, revoked: cache.revoked.size, ago: at })
      : state === 'stale' ? staleText(t, at) : t('gate.cache_missing');
  }

  // Why a slip "cannot be verified offline", said on its verdict (not a toast that outlives it). Notes
  // are kept as {key, params} and worded when drawn: the slip stays on screen across a language switch.
  function cannotVerifyNote(result) {
    const state = dataState();
    if (state !== 'fresh') return { key: `gate.note.${state}`, params: { hours: CACHE_AGE_HOURS } };
    return result?.unknownKey ? { key: 'gate.note.unknown_key' } : null;
  }

  const noteText = (note) => (note ? t(note.key, note.params) : '');

  function fmt(unixS) {
    return formatDateTime(new Date(unixS * 1000).toISOString());
  }

  function row(label, value) {
    return h('div', { class: 'kv-row' }, h('span', { class: 'kv-label', text: label }), h('span', { class: 'kv-value', text: value }));
  }

  // A sentence whose names do not break across lines (each name in a nowrap span).
  function withWholeNames(text, names) {
    return nameParts(text, names).map((p) => (p.name ? h('span', { class: 'gate-name', text: p.text }) : p.text));
  }

  function renderResult() {
    resultBox.replaceChildren();
    // R-RS-1: the gate field is marked (and focused) while a slip waits for it.
    const needGate = current?.result?.verdict === Verdict.GATE_UNSET && !current.released;
    if (needGate) gateInput.setAttribute('aria-invalid', 'true');
    else gateInput.removeAttribute('aria-invalid');
    if (needGate && document.activeElement !== gateInput) gateInput.focus();
    if (!current) return;
    if (current.error) {
      resultBox.append(h('div', { class: 'notice notice-error', role: 'alert', text: current.error }));
      return;
    }
    const { result, released, releasedNow } = current;
    // The guard who has just pressed 确认放行 sees that confirmed, in green: the red "already released,
    // do not release again" is for the next look at the same slip (a second scan, this gate or another).
    const verdict = releasedNow ? 'released' : released ? Verdict.ALREADY_USED : result.verdict;
    const ok = verdict === Verdict.VALID || verdict === 'released';
    const claims = result.slip;
    const card = h('div', {
      class: ['card', 'gate-verdict', ok ? 'notice-info' : 'error-card'],
      'data-verdict': verdict,
      'data-testid': 'gate-verdict',
    });
    const gates = joinList((claims?.gates ?? []).map(gateLabel));
    card.append(h('h2', {
      class: ok ? 'ok-text' : 'warn-text', tabindex: '-1', 'data-testid': 'gate-verdict-title',
      text: verdict === Verdict.GATE_UNSET ? gateUnsetText(t, cache.names.size > 0, gates) : t(`gate.verdict.${verdict}`, { gates }),
    }));
    // R-RS-1: the verdict changed between the lookup and the confirmation, and nothing was released.
    if (current.recheckNote) card.append(h('p', { class: 'notice notice-warn', 'data-testid': 'gate-recheck', text: noteText(current.recheckNote) }));
    if (current.note) card.append(h('p', { class: 'notice notice-warn', 'data-testid': 'gate-note', text: noteText(current.note) }));
    const usedWhen = verdict === Verdict.ALREADY_USED && !released
      ? usedWhenText(current.usedInfo, t, gateLabel, formatDateTime) : null;
    if (usedWhen) card.append(h('p', { class: 'warn-text', 'data-testid': 'gate-used-when', text: usedWhen }));
    // What became of this phone's release: waiting, sent, or recorded by the server as an incident (R-RS-1).
    if (released) {
      const line = releasedLine(current.releaseEntry, gateLabel(released), t, serverMessage);
      card.append(h('p', {
        class: line.tone === 'warn' ? 'notice notice-warn' : 'ok-text', 'data-testid': 'gate-released', text: line.text,
      }));
    } else if (verdict === Verdict.ALREADY_USED && current.releaseEntry?.notice) {
      // Released from this phone before, and the server recorded that release as an incident.
      const line = releasedLine(current.releaseEntry, gateLabel(current.usedInfo?.gate || ''), t, serverMessage);
      card.append(h('p', { class: 'notice notice-warn', 'data-testid': 'gate-release-notice', text: line.text }));
    }
    // A tampered payload's contents are not to be trusted, so they are never shown.
    if (claims) {
      const notice = cache.notices[claims.slipId];
      // What may leave and for whom: only for a slip the guard may release or has released, and only as
      // far as the cached list is the signed one (details.js); otherwise the signed count and a warning.
      const details = ok || verdict === Verdict.ALREADY_USED ? current.details : null;
      // Element.append prints null as the text "null": leave absent rows out.
      card.append(...[
        row(t('gate.unit'), claims.unitLabel),
        details?.requester ? h('div', { class: 'kv-row' }, h('span', { class: 'kv-label', text: t('gate.requester') }),
          h('span', { class: 'kv-value' }, withWholeNames(requesterText(details.requester), [details.requester.name]))) : null,
        details?.proven ? signaturesRow(details.signatures) : null,
        details?.proven ? goodsRow(details.items, claims.itemCount) : row(t('gate.items'), t('gate.items_n', { n: claims.itemCount })),
        details && !details.proven
          ? h('p', { class: 'notice notice-warn', 'data-testid': 'gate-goods-unchecked', text: t('gate.goods_unchecked') })
          : null,
        notice?.tool_names?.length ? row(t('gate.tools'), joinList(notice.tool_names)) : null,
        row(t('gate.validity'), `${fmt(claims.validFrom)} – ${fmt(claims.validUntil)}`),
        row(t('gate.gates'), joinList(claims.gates.map(gateLabel))),
        row(t('gate.code'), safeShortCode(current.payload)),
      ].filter(Boolean));
    }
    const actions = h('div', { class: 'actions' });
    if (ok && !released) {
      // While the confirmation is checked again (the server asked first) the button says so and waits.
      actions.append(h('button', {
        type: 'button', class: 'btn btn-primary', 'data-action': 'release', onclick: release,
        disabled: Boolean(current.checking), 'aria-busy': current.checking ? 'true' : null,
      }, t(current.checking ? 'gate.rechecking' : 'gate.release')));
    }
    actions.append(h('button', { type: 'button', class: 'btn', 'data-action': 'clear', onclick: clear }, t('gate.clear')));
    card.append(actions);
    resultBox.append(card);
  }

  // After a lookup or a scan the verdict may sit below a 360x740 screen, and 查询 looked dead: bring
  // it up under the sticky bars and move focus to it (screen readers read it out too).
  function revealResult() {
    const card = resultBox.firstElementChild;
    // A slip waiting for this phone's gate keeps the focus on the gate control (renderResult, R-RS-1).
    if (!card || current?.result?.verdict === Verdict.GATE_UNSET) return;
    const bars = [...document.querySelectorAll('.topbar, .syncbar')].map((el) => el.getBoundingClientRect().bottom);
    const covered = Math.max(0, ...bars.filter((b) => b > 0 && b < window.innerHeight / 2));
    window.scrollBy({ top: card.getBoundingClientRect().top - covered - 8, behavior: 'instant' });
    (card.querySelector('[tabindex="-1"]') || card).focus({ preventScroll: true });
  }

  function requesterText({ name, relation }) {
    const key = `gate.relation.${relation}`;
    const label = t(key);
    return paren(name, label === key ? relation : label);
  }

  function gateLabel(code) {
    const name = cache.names.get(code);
    return name ? paren(name, code) : code;
  }

  // R-RS-1/R-RS-2: who signed the slip at the desk, and the signature itself when the phone has it.
  function signaturesRow(list) {
    const lines = list.map((s) => {
      const { text, who } = signatureText(s, t);
      return h('li', { class: 'gate-signature', dataset: { signer: s.signer } },
        h('span', { class: 'ok-text' }, withWholeNames(`✓ ${text}`, [s.name])),
        s.image ? h('img', { class: 'gate-signature-img', src: s.image, alt: t('gate.signature_img', { who }) }) : null);
    });
    const body = lines.length ? h('ul', { class: 'gate-goods gate-signatures' }, lines)
      : h('span', { class: 'warn-text', text: t('gate.signed.none') });
    return h('div', { class: 'kv-row', 'data-testid': 'gate-signatures' },
      h('span', { class: 'kv-label', text: t('gate.signature') }), h('div', { class: 'kv-value' }, body));
  }

  // R-RS-1: the guard sees at a glance which gate the phone releases for; a stored gate the directory
  // no longer lists is named, so the guard knows why it has to choose again.
  function renderGateHere() {
    const gate = currentGate(cache);
    const stale = !gate && gateCode && cache.names.size ? gateCode : '';
    gateHere.className = gate ? 'notice notice-info gate-here' : 'notice notice-warn gate-here';
    gateHere.dataset.gate = gate;
    gateHere.textContent = stale ? t('gate.not_listed', { gate: stale })
      : gate ? t('gate.here', { gate: gateLabel(gate) }) : t('gate.here_unset');
  }

  function renderGateField() {
    const listed = cache.names.size > 0;
    const gate = currentGate(cache);
    const wasFocused = gateInput && document.activeElement === gateInput;
    gateInput = listed
      ? h('select', { name: 'gate', id: 'gate-code' },
        h('option', { value: '', text: t('gate.my_gate_placeholder') }),
        ...[...cache.names.keys()].map((code) => h('option', { value: code, text: gateLabel(code) })))
      : h('input', {
        name: 'gate', id: 'gate-code', value: gateCode, autocomplete: 'off', autocapitalize: 'characters', maxlength: '6',
      });
    if (listed) gateInput.value = gate;
    gateInput.addEventListener(listed ? 'change' : 'input', onGateChosen);
    gateField.replaceChildren(h('label', { class: 'field', for: 'gate-code' },
      h('span', { class: 'field-label', text: t(listed ? 'gate.my_gate_choose' : 'gate.my_gate') }), gateInput,
      h('span', { class: 'field-hint', text: t(listed ? 'gate.my_gate_hint_list' : 'gate.my_gate_hint_none') })));
    if (wasFocused) gateInput.focus();
    renderGateHere();
  }

  function goodsRow(items, count) {
    const list = h('ul', { class: 'gate-goods', 'data-testid': 'gate-goods' },
      ...items.map((i) => h('li', {},
        h('span', { text: `${i.name} ×${i.quantity}` }),
        ...['large', 'valuable', 'tool'].filter((f) => i[f])
          .map((f) => h('span', { class: 'badge badge-warn', text: t(`gate.flag.${f}`) })))),
      h('li', { class: 'muted', text: t('gate.goods_total', { n: count }) }));
    return h('div', { class: 'kv-row' }, h('span', { class: 'kv-label', text: t('gate.goods') }), h('div', { class: 'kv-value' }, list));
  }

  function safeShortCode(payload) {
    try {
      return shortCode(payload);
    } catch {
      return '';
    }
  }

  // doc: the slip's gate_slip document or by-code answer, when the code was typed; a scan looks its
  // document up by the signed slip id.
  // A key the phone has never seen may simply be newer than its cache: the desk can confirm.
  function shownResult(result) {
    return result.verdict === Verdict.UNKNOWN_KEY
      ? { ...result, verdict: Verdict.CANNOT_VERIFY_OFFLINE, unknownKey: true } : result;
  }

  // This phone's own release of a slip, as its outbox entry ({client_id, mutation_id} kept in gate.used).
  async function releaseEntryOf(slipId) {
    const mine = slipId ? ((await ctx.db.kvGet('gate.used')) || {})[slipId] : null;
    if (!mine?.client_id || !Number.isInteger(mine.mutation_id)) return null;
    return (await ctx.db.getOne('outbox', [mine.client_id, mine.mutation_id])) || null;
  }

  // doc: the slip's gate_slip document or by-code answer, when the code was typed; a scan looks its
  // document up by the signed slip id. server: the server's answer when it was asked online (serverAnswer).
  async function show(payload, doc = null, { reveal = false, server = null } = {}) {
    const text = String(payload || '').trim();
    cache = await loadCache(ctx);
    const result = shownResult(verify(ctx, cache, text, server));
    if (result.verdict === Verdict.VALID || result.slip) {
      const seen = (await ctx.db.kvGet('gate.seen')) || {};
      seen[safeShortCode(text)] = text;
      await ctx.db.kvSet('gate.seen', seen);
    }
    const slipId = result.slip?.slipId;
    const details = result.slip ? await slipDetails(result.slip, doc || cache.slipsById.get(slipId)) : null;
    const usedInfo = result.slip ? cache.usedInfo.get(slipId) || result.usedInfo || null : null;
    const releaseEntry = result.verdict === Verdict.ALREADY_USED ? await releaseEntryOf(slipId) : null;
    const note = result.verdict === Verdict.CANNOT_VERIFY_OFFLINE ? cannotVerifyNote(result) : null;
    current = { payload: text, doc, result, details, released: null, error: null, usedInfo, server, note, releaseEntry };
    renderResult();
    if (reveal) revealResult();
  }

  /**
   * R-RS-1: check the slip on screen again against what the phone knows now — the revocations and uses a
   * sync brought, the gate, server time — keeping what the server said at its lookup. A slip released
   * here stays released (the goods have left); otherwise a changed verdict replaces the one shown.
   */
  async function recheckShown() {
    const shown = current;
    if (!shown?.payload || shown.released || shown.checking) return;
    const fresh = shownResult(verify(ctx, cache, shown.payload, shown.server));
    if (fresh.verdict === shown.result?.verdict) return;
    // "Cannot verify offline" that a sync made verifiable: the goods and the person come up too.
    const details = shown.details || (fresh.slip
      ? await slipDetails(fresh.slip, shown.doc || cache.slipsById.get(fresh.slip.slipId)) : null);
    if (current !== shown || shown.released || shown.checking) return;
    shown.result = fresh;
    shown.details = details;
    shown.usedInfo = cache.usedInfo.get(fresh.slip?.slipId) || fresh.usedInfo || shown.usedInfo;
    shown.note = fresh.verdict === Verdict.CANNOT_VERIFY_OFFLINE ? cannotVerifyNote(fresh) : null;
    if (fresh.verdict === Verdict.ALREADY_USED) shown.releaseEntry = await releaseEntryOf(fresh.slip?.slipId);
    if (current === shown) renderResult();
  }

  /**
   * R-RS-1: the verdict at the moment of confirmation. Online, the server is asked first (the lookup's
   * endpoint, a short wait); offline, or with no answer in time, the phone's own check against the
   * revocation list as now known and server time now decides.
   */
  async function verdictAtRelease(shown) {
    let server = null;
    if (navigator.onLine !== false) {
      const code = safeShortCode(shown.payload);
      try {
        const res = await ctx.api.get(`/api/slips/by-code/${encodeURIComponent(code)}`, { timeoutMs: RELEASE_ASK_TIMEOUT_MS });
        server = serverAnswer(res, ctx.serverNow());
      } catch (e) {
        // The server knows no slip by this code: nothing is released on it.
        if (e?.status === 404) return { result: { verdict: Verdict.CANNOT_VERIFY_OFFLINE }, note: { key: 'gate.code_not_found' } };
        // No answer (network, timeout, server trouble): the offline verdict decides.
      }
    }
    cache = await loadCache(ctx);
    if (server) shown.server = server;
    const result = shownResult(verify(ctx, cache, shown.payload, server || shown.server));
    return { result, note: result.verdict === Verdict.CANNOT_VERIFY_OFFLINE ? cannotVerifyNote(result) : null };
  }

  function showError(message) {
    current = { error: message };
    renderResult();
    revealResult();
  }

  async function release() {
    const shown = current;
    const claims = shown?.result?.slip;
    if (!claims || shown.result.verdict !== Verdict.VALID || shown.released || shown.checking) return;
    const gate = currentGate(cache) || (claims.gates.length === 1 ? claims.gates[0] : '');
    if (!gate) {
      gateInput.focus();
      ctx.toast(t('gate.need_gate'), 'error');
      return;
    }
    if (!(await confirmRelease(claims, shown.details, gate))) return;
    if (current !== shown || shown.released) return; // another slip came up meanwhile
    // R-RS-1: the verdict on screen may be minutes old. Check again now; a changed verdict is shown and
    // nothing is released.
    shown.checking = true;
    renderResult();
    let fresh;
    try {
      fresh = await verdictAtRelease(shown);
    } finally {
      shown.checking = false;
    }
    if (current !== shown || shown.released) return;
    if (fresh.result.verdict !== Verdict.VALID) {
      shown.result = fresh.result;
      shown.usedInfo = cache.usedInfo.get(claims.slipId) || fresh.result.usedInfo || shown.usedInfo;
      shown.note = fresh.note;
      shown.recheckNote = { key: 'gate.recheck_changed' };
      renderResult();
      revealResult();
      return;
    }
    // Remember first, so this phone refuses a second release at once even if the app is killed now.
    const used = (await ctx.db.kvGet('gate.used')) || {};
    if (used[claims.slipId]) {
      shown.released = used[claims.slipId].gate;
      shown.releaseEntry = await releaseEntryOf(claims.slipId);
      renderResult();
      return;
    }
    used[claims.slipId] = { gate, at: new Date(ctx.serverNow()).toISOString() };
    await ctx.db.kvSet('gate.used', used);
    const entry = await ctx.outbox.enqueue('slip.release', { slip_id: claims.slipId, gate });
    // Which outbox entry carries this release: its line follows what the server makes of it.
    used[claims.slipId] = { ...used[claims.slipId], client_id: entry.client_id, mutation_id: entry.mutation_id };
    await ctx.db.kvSet('gate.used', used);
    shown.released = gate;
    shown.releasedNow = true;
    shown.releaseEntry = entry;
    cache = await loadCache(ctx);
    renderResult();
  }

  // D92: 确认放行 sits beside 核验下一张 and uses the slip for good, so one tap only asks. The dialog
  // lists what leaves and by which gate, its button says something else, and it takes no tap in its
  // first half second: the second tap of a double tap cannot release.
  function confirmRelease(claims, details, gate) {
    return openDialog((close) => {
      const ok = h('button', {
        type: 'button', class: 'btn btn-primary', 'data-action': 'release-confirm', disabled: true, onclick: () => close(true),
      }, t('gate.confirm_ok'));
      setTimeout(() => {
        ok.disabled = false;
      }, 500);
      const goods = details?.proven
        ? goodsRow(details.items, claims.itemCount)
        : row(t('gate.items'), t('gate.items_n', { n: claims.itemCount }));
      return h('div', { 'data-testid': 'gate-release-confirm' },
        h('h2', { class: 'dialog-title', text: t('gate.confirm_title') }),
        row(t('gate.unit'), claims.unitLabel),
        goods,
        h('p', { class: 'ok-text', text: t('gate.confirm_gate', { gate: gateLabel(gate) }) }),
        h('p', { class: 'small muted', text: t('gate.confirm_once') }),
        h('div', { class: 'dialog-actions' },
          h('button', { type: 'button', class: 'btn', 'data-action': 'release-cancel', onclick: () => close(false) }, t('gate.confirm_cancel')),
          ok));
    }, { className: 'dialog-release' }).then(Boolean);
  }

  function clear() {
    current = null;
    codeInput.value = '';
    fileInput.value = '';
    renderResult();
  }

  async function lookupCode(ev) {
    ev.preventDefault();
    // A new lookup: what the last one said (its verdict, its error, a message about it) goes now, so
    // nothing of it can sit over the next verdict.
    dismissToast();
    current = null;
    renderResult();
    const code = normalizeShortCode(codeInput.value);
    if (!code) return showError(t('gate.code_invalid'));
    const seen = (await ctx.db.kvGet('gate.seen')) || {};
    if (navigator.onLine !== false) {
      try {
        const res = await ctx.api.get(`/api/slips/by-code/${encodeURIComponent(code)}`, { timeoutMs: 10000 });
        const askedMs = ctx.serverNow();
        await refreshKeys(ctx);
        // The server's answer knows a revocation or a release this phone has not synced yet (R-RS-1).
        return show(res.payload, { ...res, slip_id: res.id }, { reveal: true, server: serverAnswer(res, askedMs) });
      } catch (e) {
        if (e?.status === 404) return showError(t('gate.code_not_found'));
        if (e?.status === 400) return showError(t('gate.code_invalid'));
        // network trouble: fall through to what this phone holds
      }
    }
    // Offline: the synced gate_slip documents, then slips scanned here before. The payload found is
    // verified exactly like a scan: keys, revocations, uses, validity, gate.
    cache = await loadCache(ctx);
    const found = findOffline(code, { ...cache, seen });
    if (found?.payload) return show(found.payload, found.doc, { reveal: true });
    // The desk revoked it and the phone synced since: refuse it by name rather than as unknown.
    const verdict = found?.revokedSlipId ? Verdict.REVOKED : Verdict.CANNOT_VERIFY_OFFLINE;
    // Why it cannot be verified goes in the verdict itself, not a toast that outlives it: data past its
    // age first (nothing can be verified then), else a code this phone has no slip for.
    const note = found ? null : dataState() !== 'fresh' ? cannotVerifyNote(null) : { key: 'gate.code_not_cached' };
    current = { payload: '', result: { verdict }, details: null, released: null, error: null, note };
    renderResult();
    revealResult();
  }

  scanBtn.addEventListener('click', () => {
    if (stopCamera) {
      stopCamera();
      stopCamera = null;
      scanBtn.textContent = t('gate.scan');
      scanMsg.textContent = '';
      return;
    }
    scanBtn.textContent = t('gate.scan_stop');
    scanMsg.textContent = t('gate.scan_hint');
    scanDetail.hidden = true;
    scanDetail.textContent = '';
    stopCamera = startCamera(
      video,
      (text) => {
        stopCamera = null;
        scanBtn.textContent = t('gate.scan');
        scanMsg.textContent = '';
        show(text, null, { reveal: true });
      },
      (e) => {
        stopCamera = null;
        scanBtn.textContent = t('gate.scan');
        const said = cameraFailedText(e, t);
        scanMsg.textContent = said.text;
        scanDetail.textContent = said.detail;
        scanDetail.hidden = !said.detail;
      },
    );
  });

  fileInput.addEventListener('change', async () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    let text = null;
    try {
      text = await decodeFile(file);
    } catch {
      text = null;
    }
    if (!text) return showError(t('gate.no_qr_in_image'));
    await show(text, null, { reveal: true });
  });

  // A typed code is taken on 'input', not 'change': a guard who edits the gate and scans at once must
  // be checked against it. A chosen one arrives on 'change'.
  async function onGateChosen() {
    gateCode = gateInput.value.trim().toUpperCase();
    if (gateInput.tagName === 'INPUT') gateInput.value = gateCode;
    await ctx.db.kvSet('gate.code', gateCode);
    renderGateHere();
    // The slip on screen is checked again for this gate, keeping what the server said at its lookup.
    if (current?.payload) await show(current.payload, current.doc, { server: current.server });
  }

  const page = h('section', { class: 'view-gate', 'data-view': 'gate' },
    h('div', { class: 'view-head' }, h('h1', { text: t('gate.title') })),
    h('div', { class: 'card' },
      statusLine,
      gateHere,
      gateField),
    h('div', { class: 'card' },
      scanBtn, video, scanMsg, scanDetail,
      h('label', { class: 'btn btn-block btn-file', for: 'gate-qr-image' }, t('gate.from_image'), fileInput),
      h('form', { class: 'form', onsubmit: lookupCode },
        h('label', { class: 'field', for: 'gate-short-code' }, h('span', { class: 'field-label', text: t('gate.code_label') }), codeInput),
        h('button', { type: 'submit', class: 'btn', 'data-action': 'lookup' }, t('gate.code_check')))),
    resultBox,
  );
  root.replaceChildren(page);
  renderStatus();
  renderGateField();
  renderResult();

  // The line under a slip released here follows its outbox entry (sent, recorded as an incident).
  async function refreshReleaseLine() {
    const shown = current;
    const slipId = shown?.result?.slip?.slipId;
    if (!slipId || !(shown.released || shown.result.verdict === Verdict.ALREADY_USED)) return;
    const entry = await releaseEntryOf(slipId);
    if (current !== shown) return;
    shown.releaseEntry = entry || shown.releaseEntry;
    renderResult();
  }

  const refresh = async () => {
    cache = await loadCache(ctx);
    renderStatus();
    renderGateField();
    renderResult(); // the new gate control gets the result's marks (aria-invalid) again
    // R-RS-1: what the sync brought (a revocation, a release at another gate, the directory changing
    // this phone's gate) may change the verdict on screen; a slip released here stays released.
    await recheckShown();
    await refreshReleaseLine();
  };
  const offData = ctx.sync.on('data', refresh);
  const offOutbox = ctx.sync.on('outbox', refreshReleaseLine);
  refreshKeys(ctx).then((ok) => ok && refresh());
  // R-RS-1: time alone ages the offline data and ends a slip's validity; neither waits for a tap.
  const ticker = setInterval(() => {
    renderStatus();
    recheckShown();
  }, RECHECK_INTERVAL_MS);

  return () => {
    offData?.();
    offOutbox?.();
    clearInterval(ticker);
    stopCamera?.();
  };
}
