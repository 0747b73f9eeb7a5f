// A lazy module (a desk page, the reports with Chart.js, the gate) that cannot be loaded. The usual
// cause is a new build on the server while this page still runs the previous one: the page asks for
// its own hashed chunk, which the server no longer has. The service worker answers that from the
// previous build's cache it keeps (service-worker.js, D127); this is the safety net when it cannot
// (no service worker, or a page left open across two deploys). The browser's message is an English
// sentence with the chunk's URL, of no use to the person and too long for a 360 px card, so it is not
// shown: a plain sentence and a 刷新 button, which loads the current build (D127).
import { h } from './dom.js';
import { registerStrings, t } from './i18n.js';

registerStrings({
  zh: {
    'lazy.failed': '页面未能加载，可能是应用刚刚更新。请刷新页面。',
    'lazy.reload': '刷新',
  },
  en: {
    'lazy.failed': 'This page could not be loaded; the app may have just been updated. Please reload the page.',
    'lazy.reload': 'Reload',
  },
});

// Chromium: "Failed to fetch dynamically imported module: <url>"; Firefox: "error loading
// dynamically imported module: <url>"; Safari: "Importing a module script failed."
const CHUNK_ERROR = /dynamically imported module|importing a module script failed/i;

/** True when `e` is the browser refusing a lazy import() (a missing or unreadable chunk), not an error thrown by the module's own code. */
export function isChunkLoadError(e) {
  return CHUNK_ERROR.test(String(e?.message || e || ''));
}

/** The notice shown in place of a module that could not be loaded: `text` (default lazy.failed) and a reload button. */
export function chunkFailedNotice(text = t('lazy.failed')) {
  return h('div', { class: 'notice notice-error chunk-failed', role: 'alert' },
    h('p', { class: 'chunk-failed-text', text }),
    h('button', { type: 'button', class: 'btn btn-small', onclick: () => location.reload() }, t('lazy.reload')));
}
