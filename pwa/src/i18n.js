// Interface strings: Simplified Chinese first, English on request. Each view module registers its
// own strings with registerStrings({zh: {...}, en: {...}}); t(key, params) looks them up.
//
// The chosen language is kept in IndexedDB (kv 'lang', written by main.js) and mirrored to
// localStorage so the very first paint after a reload is already in the right language.

const tables = { zh: {}, en: {} };
const listeners = new Set();
let lang = readInitialLang();

function readInitialLang() {
  try {
    const saved = globalThis.localStorage?.getItem('estatedesk.lang');
    if (saved === 'zh' || saved === 'en') return saved;
  } catch {
    /* storage may be blocked; fall through */
  }
  return 'zh';
}

/** Adds strings; later registrations win for the same key (a view may override a shared label). */
export function registerStrings(strings) {
  for (const code of Object.keys(tables)) Object.assign(tables[code], strings?.[code] || {});
}

/** t('jobs.count', {n: 3}) → '3 个工单'. Missing English falls back to Chinese, then to the key. */
export function t(key, params) {
  let s = tables[lang][key] ?? tables.zh[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  return s;
}

export function getLang() {
  return lang;
}

/** BCP-47 tag for Intl formatting and <html lang>. */
export function locale() {
  return lang === 'en' ? 'en' : 'zh-CN';
}

export function setLang(next) {
  if (next !== 'zh' && next !== 'en') return;
  lang = next;
  try {
    globalThis.localStorage?.setItem('estatedesk.lang', next);
  } catch {
    /* ignore */
  }
  if (globalThis.document) document.documentElement.lang = locale();
  for (const fn of listeners) fn(lang);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Chooses the server message in the current language from the error shape {message, message_en}. */
export function serverMessage(err) {
  if (!err) return '';
  if (lang === 'en') return err.message_en || err.message || err.code || '';
  return err.message || err.message_en || err.code || '';
}

// Shared strings (the shell, sync bar, common buttons). Views register their own.
registerStrings({
  zh: {
    'app.name': '物业服务台',
    'app.full_name': 'EstateDesk 物业服务台',
    'common.save': '保存',
    'common.cancel': '取消',
    'common.back': '返回',
    'common.ok': '确定',
    'common.close': '关闭',
    'common.loading': '加载中…',
    'common.retry': '重试',
    'common.none': '无',
    'common.pending_sync': '待同步',
    'common.required': '必填',
    'error.network': '网络不可用，已保存在本机，稍后自动发送',
    'error.unknown': '出现错误：{msg}',
  },
  en: {
    'app.name': 'EstateDesk',
    'app.full_name': 'EstateDesk',
    'common.save': 'Save',
    'common.cancel': 'Cancel',
    'common.back': 'Back',
    'common.ok': 'OK',
    'common.close': 'Close',
    'common.loading': 'Loading…',
    'common.retry': 'Retry',
    'common.none': 'None',
    'common.pending_sync': 'Not yet synced',
    'common.required': 'Required',
    'error.network': 'No network. Saved on this phone; it will be sent automatically.',
    'error.unknown': 'Something went wrong: {msg}',
  },
});
