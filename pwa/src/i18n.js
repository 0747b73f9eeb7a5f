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

// Plurals, in the ICU message form: '{n, plural, one {# attempt} other {# attempts}}' picks the
// branch for params.n by Intl.PluralRules of the current language ('=0 {…}' matches exactly); '#'
// is the number. Chinese strings need no plural and stay plain '{n} 次'.
const PLURAL = /\{(\w+), plural,((?:\s*=?\w+\s*\{[^{}]*\})+)\s*\}/g;
const pluralRules = {};

function pluralBranch(name, branches, params) {
  const n = Number(params?.[name]);
  const forms = {};
  for (const [, sel, text] of branches.matchAll(/(=?\w+)\s*\{([^{}]*)\}/g)) forms[sel] = text;
  pluralRules[lang] ??= new Intl.PluralRules(locale());
  const text = forms[`=${n}`] ?? forms[pluralRules[lang].select(n)] ?? forms.other ?? '';
  return text.replace(/#/g, String(params?.[name] ?? ''));
}

/** t('jobs.count', {n: 3}) → '3 个工单'. Missing English falls back to Chinese, then to the key. */
export function t(key, params) {
  let s = tables[lang][key] ?? tables.zh[key] ?? key;
  if (s.includes(', plural,')) s = s.replace(PLURAL, (m, name, branches) => pluralBranch(name, branches, params));
  if (params) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  return s;
}

/** "王调度（调度员）" / "Wang (Dispatcher)": an aside in the current language's brackets. */
export function paren(main, aside) {
  return aside ? t('fmt.paren', { main, aside }) : String(main ?? '');
}

/** "外出：王调度" / "Outgoing: Wang": a label and its value with the language's colon. */
export function colon(label, value) {
  return t('fmt.colon', { label, value: value ?? '' });
}

/**
 * A failure on the phone itself, in words. A full phone is the one a person can act on: the record
 * was not stored (IndexedDB aborts the whole transaction), the form still holds it, and saving
 * again after freeing space works — so say exactly that instead of a browser error name.
 */
export function localErrorText(e) {
  if (e?.name === 'QuotaExceededError' || e?.cause?.name === 'QuotaExceededError') return t('error.storage_full');
  return t('error.unknown', { msg: e?.message || String(e) });
}

/**
 * "满意：服务很好" / "Satisfied: good service": a word and the words that follow it, with the
 * language's colon; either one alone when the other is empty (a grade given without a comment).
 */
export function colonPair(first, second) {
  return first && second ? colon(first, second) : String(first || second || '');
}

/** A list joined the way the language writes one: 、 in Chinese, ", " in English. */
export function joinList(items) {
  return items.join(lang === 'en' ? ', ' : '、');
}

/** Clauses a person typed, joined as the language writes them: '；' in Chinese, '; ' in English. */
export function joinClauses(items) {
  return items.filter(Boolean).join(t('fmt.clauses'));
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
  if (globalThis.document) {
    document.documentElement.lang = locale();
    // A toast (dom.js) is a sentence already written in the old language, and views re-render but
    // it does not; it would fade in 3.5 s anyway, so the switch takes it away at once rather than
    // leave "Saved; will sync" on a Chinese screen. Before the listeners: a toast they show is new.
    const shown = document.getElementById('toast');
    if (shown) {
      shown.classList.remove('show');
      shown.textContent = '';
    }
  }
  for (const fn of listeners) fn(lang);
}

/**
 * A frozen copy of the registered tables, for the parity test (pwa/test/i18n-parity.test.mjs): it
 * reads what the modules registered without being able to change what t() returns.
 */
export function stringTables() {
  return Object.freeze({ zh: Object.freeze({ ...tables.zh }), en: Object.freeze({ ...tables.en }) });
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
    'error.storage_full': '手机存储空间已满，这条记录没有保存。已填写的内容还在：请删除一些照片或文件，腾出空间后再保存一次。',
    'fmt.paren': '{main}（{aside}）',
    'fmt.colon': '{label}：{value}',
    'fmt.clauses': '；',
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
    'error.storage_full': "This phone's storage is full, so this record was not saved. What you entered is still here: free some space (photos, files) and save again.",
    'fmt.paren': '{main} ({aside})',
    'fmt.colon': '{label}: {value}',
    'fmt.clauses': '; ',
  },
});
