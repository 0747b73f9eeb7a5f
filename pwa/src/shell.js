// The frame around every view: header (title, navigation, language, emergency numbers) and the
// sync status bar, which is always visible once signed in (guarantee 6: the person always sees
// what is still unsent); under it, a red strip for each emergency this person is summoned to and
// has not yet reported back from (R-EM-2), on every screen, whatever their home.
import { on } from './bus.js';
import { formatAgo } from './clock.js';
import { getSummonsGone } from './db.js';
import { h, mount, toast } from './dom.js';
import {
  loadSummonses, openEmergency, refreshEmergencyInfo, stillCalling, summonsPassedToast, summonsStrip,
} from './emergency.js';
import { getLang, registerStrings, t } from './i18n.js';
import { entriesOfUser, othersPendingCount, unseenNotices } from './outbox.js';
import { currentUser } from './session.js';
import { getStatus } from './sync.js';

registerStrings({
  zh: {
    'nav.jobs': '工单',
    'nav.reminders': '提醒',
    'nav.settings': '我的',
    'nav.home': '首页',
    'nav.main': '主导航',
    'nav.lang': 'EN',
    'nav.lang_label': 'Switch to English',
    'emergency.button': '紧急电话',
    'emergency.title': '紧急电话',
    'emergency.hint': '点击号码直接拨打',
    'emergency.110': '报警',
    'emergency.119': '火警',
    'emergency.120': '急救',
    'emergency.122': '交通事故',
    'sync.online': '在线',
    'sync.offline': '离线',
    'sync.syncing': '同步中…',
    'sync.error': '同步失败',
    'sync.storage_full': '同步失败：手机存储已满，请清理空间',
    'sync.auth': '需重新登录',
    'sync.pending': '待发送 {n} 条',
    'sync.uploading': '正在上传图片 {pct}%',
    'sync.all_sent': '全部已发送',
    'sync.refused': '被拒 {n} 条',
    'sync.notices': '异常 {n} 条',
    'sync.last': '上次同步 {ago}',
    'sync.never': '尚未同步',
    'sync.others': '另有其他账号 {n} 条',
    'sync.open_outbox': '查看待发送记录',
    'update.ready': '新版本已就绪',
    'update.reload': '刷新',
  },
  en: {
    'nav.jobs': 'Jobs',
    'nav.reminders': 'Inbox',
    'nav.settings': 'Me',
    'nav.home': 'Home',
    'nav.main': 'Main navigation',
    'nav.lang': '中文',
    'nav.lang_label': '切换到中文',
    'emergency.button': 'Emergency',
    'emergency.title': 'Emergency numbers',
    'emergency.hint': 'Tap a number to call',
    'emergency.110': 'Police',
    'emergency.119': 'Fire',
    'emergency.120': 'Ambulance',
    'emergency.122': 'Traffic accident',
    'sync.online': 'Online',
    'sync.offline': 'Offline',
    'sync.syncing': 'Syncing…',
    'sync.error': 'Sync failed',
    'sync.storage_full': 'Sync failed: phone storage full, free some space',
    'sync.auth': 'Sign in again',
    // As short as the Chinese 待发送 n 条: the bar is one line at 360 px with a refusal beside it.
    'sync.pending': '{n} to send',
    'sync.uploading': 'uploading an image {pct}%',
    'sync.all_sent': 'All sent',
    'sync.refused': '{n} refused',
    'sync.notices': '{n, plural, one {# incident} other {# incidents}}',
    'sync.last': 'synced {ago}',
    'sync.never': 'never synced',
    'sync.others': '+{n} of other accounts',
    'sync.open_outbox': 'Open the outbox',
    'update.ready': 'A new version is ready',
    'update.reload': 'Reload',
  },
});

// The ☎ sheet (public and compound numbers, the report form for staff on rounds) lives in emergency.js.
export { openEmergency };

/** Builds the frame into `app`; returns {view, refresh}. */
export function buildShell(app, { onToggleLang, homeLinks }) {
  const user = currentUser();
  const nav = h('nav', { class: 'topnav', 'aria-label': t('nav.main') }, // read out in the screen's language
    (homeLinks || []).map(([hash, key]) => h('a', { href: hash, class: 'topnav-link', dataset: { route: hash } }, t(key))));
  const header = h('header', { class: 'topbar' },
    h('a', { class: 'brand', href: '#/' },
      h('img', { src: '/icons/icon-192.png', alt: '', width: 28, height: 28, class: 'brand-icon' }),
      h('span', { class: 'brand-name', text: t('app.name') })),
    user ? nav : null,
    h('div', { class: 'topbar-tools' },
      h('button', { type: 'button', class: 'btn-lang', 'aria-label': t('nav.lang_label'), onclick: onToggleLang }, t('nav.lang')),
      h('button', { type: 'button', class: 'btn-emergency', onclick: openEmergency },
        h('span', { class: 'btn-emergency-icon', 'aria-hidden': 'true', text: '☎' }), t('emergency.button'))));

  const bar = h('a', { class: 'syncbar', href: '#/outbox', 'aria-label': t('sync.open_outbox'), role: 'status', 'aria-live': 'polite' });
  const summons = h('div', { class: 'summons-strip', role: 'alert', hidden: true });
  const view = h('main', { class: 'view', id: 'view', tabindex: '-1' });
  const banner = h('div', { class: 'update-banner', hidden: true });
  mount(app, header, user ? bar : null, user ? summons : null, banner, view);

  // The summonses last drawn in the strip: one gone from it because its post passed to someone else says so.
  let stripIds = null;
  async function refreshSummons() {
    if (!user || !summons.isConnected) return;
    const list = await loadSummonses(await entriesOfUser(user.id));
    summonsStrip(summons, list);
    const ids = new Set(list.filter(stillCalling).map((s) => s.id));
    for (const id of stripIds || []) {
      if (ids.has(id)) continue;
      const text = summonsPassedToast(await getSummonsGone(id));
      if (text) toast(text, 'info');
    }
    stripIds = ids;
  }

  async function refreshBar() {
    if (!user || !bar.isConnected) return;
    const entries = await entriesOfUser(user.id);
    const pending = entries.filter((e) => e.state === 'waiting').length;
    const refused = entries.filter((e) => e.state === 'refused' && !e.dismissed_at).length;
    // Sent, but recorded by the server as an incident (R-RS-1): "All sent" alone would read as all well.
    const notices = unseenNotices(entries).length;
    const others = await othersPendingCount(user.id);
    const st = getStatus();
    const offline = navigator.onLine === false || st.state === 'offline';
    const state = st.state === 'syncing' ? 'syncing' : offline ? 'offline' : st.state === 'error' ? 'error' : st.state === 'auth' ? 'auth' : 'online';
    bar.className = `syncbar syncbar-${state}${pending ? ' has-pending' : ''}`;
    mount(bar,
      h('span', { class: 'syncbar-dot', 'aria-hidden': 'true' }),
      h('span', { class: 'syncbar-state', text: t(state === 'error' && st.error?.code === 'client.storage_full' ? 'sync.storage_full' : `sync.${state}`) }),
      h('span', { class: ['syncbar-pending', pending ? 'is-pending' : ''], 'data-testid': 'pending-count', dataset: { count: String(pending) } },
        pending ? t('sync.pending', { n: pending }) : t('sync.all_sent')),
      st.upload?.total ? h('span', { class: 'syncbar-upload', 'data-testid': 'upload-progress', text: t('sync.uploading', { pct: Math.floor((100 * st.upload.sent) / st.upload.total) }) }) : null,
      refused ? h('span', { class: 'syncbar-refused', text: t('sync.refused', { n: refused }) }) : null,
      notices ? h('span', { class: 'syncbar-notices', 'data-testid': 'notice-count', text: t('sync.notices', { n: notices }) }) : null,
      others ? h('span', { class: 'syncbar-others', text: t('sync.others', { n: others }) }) : null,
      // The inner span is what wraps below the line and is clipped when it does not fit (styles.css).
      h('span', { class: 'syncbar-last' }, h('span', { text: st.lastSyncAt ? t('sync.last', { ago: formatAgo(st.lastSyncAt) }) : t('sync.never') })));
  }

  function markNav() {
    const hash = location.hash || '#/';
    for (const a of nav.querySelectorAll('a')) {
      const r = a.dataset.route;
      const active = r === '#/' ? hash === '#/' || hash === '#' : hash.startsWith(r);
      a.classList.toggle('active', active);
      if (active) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  // The top bar is sticky and its height changes (the nav wraps under the brand on a phone, the
  // language changes the labels): styles.css pads every scroll-into-view and focus scroll by it
  // (scroll-padding-top), or what the app scrolls to lands underneath the bar.
  // The sync bar sticks under it and can take a second line when what it must show does not fit
  // (an upload, other accounts' records, a long error): its height is measured too (--syncbar-h).
  const setTopbarHeight = () => {
    document.documentElement.style.setProperty('--topbar-h', `${header.offsetHeight}px`);
    document.documentElement.style.setProperty('--syncbar-h', `${bar.isConnected ? bar.offsetHeight : 0}px`);
  };
  const sizer = typeof ResizeObserver === 'function' ? new ResizeObserver(setTopbarHeight) : null;
  sizer?.observe(header);
  if (user) sizer?.observe(bar);
  setTopbarHeight();

  const offs = [on('sync', refreshBar), on('outbox', refreshBar), on('data', refreshSummons), on('outbox', refreshSummons)];
  const onNet = () => refreshBar();
  window.addEventListener('online', onNet);
  window.addEventListener('offline', onNet);
  const tick = setInterval(refreshBar, 30000);
  refreshBar();
  refreshSummons();
  // The compound's numbers and buildings for the ☎ sheet, kept for a basement without signal.
  if (user) refreshEmergencyInfo();
  markNav();

  return {
    view,
    banner,
    markNav,
    refreshBar,
    destroy() {
      sizer?.disconnect();
      offs.forEach((f) => f());
      window.removeEventListener('online', onNet);
      window.removeEventListener('offline', onNet);
      clearInterval(tick);
    },
    lang: getLang(),
  };
}
