// "Me": who is signed in, language, push notification opt-in (only from a tap; honest about
// failure), storage persistence, and sign-out — which warns about, and never deletes, unsent work.
import { formatAgo } from '../clock.js';
import { confirmDialog, h, mount, toast } from '../dom.js';
import { colon, getLang, joinList, registerStrings, serverMessage, setLang, t } from '../i18n.js';
import { entriesOfUser } from '../outbox.js';
import { enablePush, pushEnvironment, pushState } from '../push.js';
import { currentUser, logout, requestPersistentStorage } from '../session.js';
import { getStatus } from '../sync.js';

const ROLES_ZH = {
  resident: '业主/住户', dispatcher: '调度员', front_desk: '前台客服', team_lead: '班组主管', technician: '维修工',
  cleaner: '清洁工', guard: '护卫员', manager: '管理处经理', deputy_gm: '主管副总经理', general_manager: '总经理',
  engineering: '工程部', cashier: '收银员', control_room: '中控室',
};
const ROLES_EN = {
  resident: 'Resident', dispatcher: 'Dispatcher', front_desk: 'Front desk', team_lead: 'Team lead', technician: 'Technician',
  cleaner: 'Cleaner', guard: 'Guard', manager: 'Manager', deputy_gm: 'Deputy GM', general_manager: 'General manager',
  engineering: 'Engineering', cashier: 'Cashier', control_room: 'Control room',
};
const prefixed = (m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [`role.${k}`, v]));
registerStrings({ zh: prefixed(ROLES_ZH), en: prefixed(ROLES_EN) });

export function roleLabel(role) {
  const s = t(`role.${role}`);
  return s === `role.${role}` ? role : s;
}

registerStrings({
  zh: {
    'settings.title': '我的',
    'settings.roles': '角色',
    'settings.lang': '语言 / Language',
    'settings.notify': '消息通知',
    'settings.notify_explain': '开启后，即使应用没有打开，以下提醒也会以系统通知送达：{list}。关闭时仍可在“提醒”中查看。',
    'settings.notify_none': '您的岗位没有推送提醒。',
    'settings.notify_topic_jobs': '派给您的工单临近时限（到场、完工、交回服务单）',
    'settings.notify_topic_cases': '您跟进或受理的案件临近时限（跟进、派工、答复）',
    'settings.notify_topic_review': '每周一复查上周案件',
    'settings.notify_topic_overdue': '案件超过时限，周一复查当天未完成，以及纠正预防措施到期未落实',
    'settings.notify_topic_emergency': '转报给您的紧急事件',
    'settings.notify_topic_unowned': '服务中心尚无人接手的员工现场紧急报告（每 15 分钟提醒一次，直到有人接手）',
    'settings.notify_topic_review_answer': '周一复查转交您答复的案件',
    'settings.notify_topic_opening': '转交您决定是否立项的案件',
    'settings.notify_topic_callback': '完工后 72 小时内的回访',
    'settings.notify_topic_plan': '待审批的长期维修方案',
    'settings.notify_topic_capa': '由您负责的纠正预防措施到期',
    'settings.notify_dismissed': '通知尚未开启：浏览器的询问被关闭了。请再点“开启通知”，并在询问中选择“允许”。',
    'settings.notify_ios': 'iPhone / iPad：请先在 Safari 中点“分享” → “添加到主屏幕”，从主屏幕图标打开后才能接收推送。',
    'settings.notify_enable': '开启通知',
    'settings.notify_on': '通知已开启',
    'settings.notify_denied': '通知已被浏览器禁止。请在浏览器的网站设置中允许通知。',
    'settings.notify_unsupported': '此浏览器不支持推送通知，请在“提醒”中查看消息。',
    // The push service's own words (often English) go on a detail line below, never inside this sentence.
    'settings.notify_failed': '推送服务不可用，提醒仍会显示在“提醒”页面中。',
    'settings.notify_server': '通知订阅未能保存到服务器（{msg}），请稍后重试。',
    'settings.storage': '离线数据',
    'settings.storage_persisted': '已申请持久存储：浏览器不会自动清除本机的离线数据。',
    'settings.storage_not': '浏览器可能在空间不足时清除离线数据。',
    'settings.storage_ask': '申请持久存储',
    'settings.last_sync': '上次同步：{ago}',
    'settings.logout': '退出登录',
    'settings.logout_title': '还有未发送的记录',
    'settings.logout_body': '本机还有 {n} 条记录没有发送到服务器。退出后这些记录会保留在本机，您下次用同一账号登录后会自动发送。确定退出吗？',
    'settings.logout_ok': '仍然退出',
    'settings.logout_plain': '确定退出登录吗？',
  },
  en: {
    'settings.title': 'Me',
    'settings.roles': 'Roles',
    'settings.lang': 'Language / 语言',
    'settings.notify': 'Notifications',
    'settings.notify_explain': 'When on, these reminders show as system notifications even when the app is closed: {list}. The Inbox always has them too.',
    'settings.notify_none': 'Your role gets no push reminders.',
    'settings.notify_topic_jobs': 'jobs dispatched to you nearing a time limit (arrival, completion, returning the slip)',
    'settings.notify_topic_cases': 'the cases you follow or took in nearing a time limit (follow-ups, dispatch, replies)',
    'settings.notify_topic_review': 'the Monday review of last week\'s cases',
    'settings.notify_topic_overdue': 'cases past a time limit, a Monday review not finished that day, and corrective actions not done by their due date',
    'settings.notify_topic_emergency': 'emergencies passed up to you',
    'settings.notify_topic_unowned': 'emergencies reported from a staff phone that nobody at the desk has taken (every 15 minutes until someone does)',
    'settings.notify_topic_review_answer': 'Monday-review cases passed to you to answer',
    'settings.notify_topic_opening': 'cases passed to you to decide whether to open',
    'settings.notify_topic_callback': 'call-backs due within 72 hours of completion',
    'settings.notify_topic_plan': 'long repair plans awaiting approval',
    'settings.notify_topic_capa': 'the corrective and preventive actions you own on their due date',
    'settings.notify_dismissed': 'Notifications are not on: the browser\'s question was closed without an answer. Tap "Turn on notifications" again and choose Allow.',
    'settings.notify_ios': 'iPhone / iPad: in Safari tap Share → Add to Home Screen, then open the app from that icon to receive push.',
    'settings.notify_enable': 'Turn on notifications',
    'settings.notify_on': 'Notifications are on',
    'settings.notify_denied': 'Notifications are blocked by the browser. Allow them in the site settings.',
    'settings.notify_unsupported': 'This browser has no push notifications; use the Inbox.',
    'settings.notify_failed': 'Push is unavailable. Reminders still appear in the Inbox.',
    'settings.notify_server': 'The subscription could not be saved on the server ({msg}). Try again later.',
    'settings.storage': 'Offline data',
    'settings.storage_persisted': 'Persistent storage granted: the browser will not evict offline data.',
    'settings.storage_not': 'The browser may evict offline data when space runs low.',
    'settings.storage_ask': 'Request persistent storage',
    'settings.last_sync': 'Last sync: {ago}',
    'settings.logout': 'Sign out',
    'settings.logout_title': 'Unsent records',
    'settings.logout_body': '{n, plural, one {# record has} other {# records have}} not reached the server yet. They stay on this phone and are sent when you sign in again with this account. Sign out anyway?',
    'settings.logout_ok': 'Sign out anyway',
    'settings.logout_plain': 'Sign out?',
  },
});

/** The push failure in the app's words ({text}) and the browser's own apart ({detail}, a small line below). */
export function pushFailedText(msg) {
  return { text: t('settings.notify_failed'), detail: String(msg || '') };
}

// What each role is pushed, as the server plans it (server/notify/reminders.py): the executors the time
// limits of the jobs dispatched to them; the desk those of the cases it follows or took in, and the
// dispatcher the week's Monday review; the managers what went past a limit, escalated emergencies,
// decisions and answers passed to them, and call-backs; the dispatchers, the control room and the managers
// an emergency raised on a staff phone that nobody at the desk has taken (D146); the leaders escalations and openings passed up;
// engineering the long repair plans; and any staff member the corrective and preventive actions of a
// weekly check's CAPA report they own, on its due date (server/notify/capa.py), the managers those not done
// by then. Nothing is pushed on a new assignment. A role missing here is pushed nothing, and is not
// offered the option.
const NOTIFY_TOPICS = {
  technician: ['jobs'], cleaner: ['jobs'], guard: ['jobs'], team_lead: ['jobs', 'opening'],
  dispatcher: ['cases', 'review', 'unowned'], front_desk: ['cases'], control_room: ['cases', 'unowned'],
  manager: ['overdue', 'emergency', 'unowned', 'review_answer', 'opening', 'callback'],
  deputy_gm: ['emergency', 'opening'], general_manager: ['emergency', 'opening'], engineering: ['plan'],
  cashier: [],
};
// A CAPA report's owner is any active staff account (D117): every staff role may be one.
for (const topics of Object.values(NOTIFY_TOPICS)) topics.push('capa');
const TOPIC_ORDER = ['jobs', 'cases', 'review', 'overdue', 'emergency', 'unowned', 'review_answer', 'opening', 'callback', 'plan', 'capa'];
const TOPIC_TEXT = {
  jobs: 'settings.notify_topic_jobs', cases: 'settings.notify_topic_cases', review: 'settings.notify_topic_review',
  overdue: 'settings.notify_topic_overdue', emergency: 'settings.notify_topic_emergency',
  unowned: 'settings.notify_topic_unowned',
  review_answer: 'settings.notify_topic_review_answer', opening: 'settings.notify_topic_opening',
  callback: 'settings.notify_topic_callback', plan: 'settings.notify_topic_plan', capa: 'settings.notify_topic_capa',
};

/** The reminders a person holding `roles` is pushed, each once, in a fixed order. */
export function notifyTopics(roles) {
  const held = new Set((roles || []).flatMap((r) => NOTIFY_TOPICS[r] || []));
  return TOPIC_ORDER.filter((k) => held.has(k));
}

/** The section's explanation for `roles`, or null when they are pushed nothing. */
export function notifyExplain(roles) {
  const topics = notifyTopics(roles);
  return topics.length ? t('settings.notify_explain', { list: joinList(topics.map((k) => t(TOPIC_TEXT[k]))) }) : null;
}

async function notifySection(user) {
  const explain = notifyExplain(user?.roles);
  if (!explain) {
    return h('section', { class: 'card', 'data-testid': 'notify' },
      h('h2', { text: t('settings.notify') }), h('p', { class: 'muted', text: t('settings.notify_none') }));
  }
  const env = pushEnvironment();
  const state = await pushState();
  const status = h('p', { class: 'notify-status', role: 'status' });
  const detail = h('p', { class: 'small muted notify-detail', 'data-testid': 'notify-detail', hidden: true });
  const button = h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'enable-push' }, t('settings.notify_enable'));
  const show = (s, msg) => {
    status.className = 'notify-status';
    detail.hidden = true;
    detail.textContent = '';
    if (s === 'subscribed') {
      status.textContent = t('settings.notify_on');
      status.classList.add('ok-text');
      button.hidden = true;
    } else if (s === 'denied') {
      status.textContent = t('settings.notify_denied');
      status.classList.add('warn-text');
    } else if (s === 'dismissed') {
      // The prompt was closed without an answer: asking again works, the browser blocked nothing.
      status.textContent = t('settings.notify_dismissed');
      status.classList.add('warn-text');
    } else if (s === 'unsupported') {
      status.textContent = t('settings.notify_unsupported');
      status.classList.add('warn-text');
      button.hidden = true;
    } else if (s === 'subscribe_failed') {
      const said = pushFailedText(msg);
      status.textContent = said.text;
      status.classList.add('warn-text');
      detail.textContent = said.detail;
      detail.hidden = !said.detail;
    } else if (s === 'server') {
      status.textContent = t('settings.notify_server', { msg });
      status.classList.add('warn-text');
    } else status.textContent = '';
  };
  show(state);
  button.addEventListener('click', async () => {
    button.disabled = true;
    const r = await enablePush(); // inside the click: the permission prompt needs a user gesture
    button.disabled = false;
    show(r.ok ? 'subscribed' : r.reason, r.wire ? serverMessage(r.wire) : r.error || '');
  });
  return h('section', { class: 'card', 'data-testid': 'notify' },
    h('h2', { text: t('settings.notify') }),
    h('p', { class: 'muted', text: explain }),
    env.isIOS && !env.standalone ? h('p', { class: 'notice notice-info', text: t('settings.notify_ios') }) : null,
    button,
    status,
    detail);
}

async function storageSection() {
  const persisted = navigator.storage?.persisted ? await navigator.storage.persisted() : false;
  const button = h('button', {
    type: 'button',
    class: 'btn btn-small',
    onclick: async () => {
      const ok = await requestPersistentStorage();
      toast(ok ? t('settings.storage_persisted') : t('settings.storage_not'), ok ? 'ok' : 'warn');
    },
  }, t('settings.storage_ask'));
  const st = getStatus();
  return h('section', { class: 'card' },
    h('h2', { text: t('settings.storage') }),
    h('p', { class: 'muted', text: persisted ? t('settings.storage_persisted') : t('settings.storage_not') }),
    persisted ? null : button,
    st.lastSyncAt ? h('p', { class: 'muted small', text: t('settings.last_sync', { ago: formatAgo(st.lastSyncAt) }) }) : null);
}

export async function render(root, _params, app) {
  const user = currentUser();
  const langSel = h('div', { class: 'segmented', role: 'radiogroup' },
    [['zh', '简体中文'], ['en', 'English']].map(([code, label]) => h('label', { class: 'segmented-item' },
      h('input', { type: 'radio', name: 'lang', value: code, checked: getLang() === code, onchange: () => setLang(code) }),
      h('span', { text: label }))));
  const logoutBtn = h('button', {
    type: 'button',
    class: 'btn btn-danger-outline btn-block',
    'data-action': 'logout',
    onclick: async () => {
      const waiting = (await entriesOfUser(user.id)).filter((e) => e.state === 'waiting').length;
      const ok = waiting
        ? await confirmDialog({ title: t('settings.logout_title'), body: t('settings.logout_body', { n: waiting }), ok: t('settings.logout_ok'), cancel: t('common.cancel'), danger: true })
        : await confirmDialog({ title: t('settings.logout'), body: t('settings.logout_plain'), ok: t('settings.logout'), cancel: t('common.cancel') });
      if (!ok) return;
      await logout();
      app.navigate('#/login', { replace: true });
    },
  }, t('settings.logout'));
  mount(root,
    h('div', { class: 'view-head' }, h('h1', { text: t('settings.title') })),
    h('section', { class: 'card' },
      h('h2', { text: user.display_name || user.username }),
      h('p', { class: 'muted', text: `${user.username} · ${colon(t('settings.roles'), joinList((user.roles || []).map(roleLabel)))}` })),
    h('section', { class: 'card' }, h('h2', { text: t('settings.lang') }), langSel),
    await notifySection(user),
    await storageSection(),
    logoutBtn);
  return null;
}
