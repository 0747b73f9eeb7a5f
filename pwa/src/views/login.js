// Sign-in: username, password and a device name (defaults to the phone's platform) — the server
// issues one long-lived token per device.
import { h, missingRequired, mount } from '../dom.js';
import { joinList, paren, registerStrings, serverMessage, t } from '../i18n.js';
import { currentSession, login } from '../session.js';
import { getAll, knownAccounts } from '../db.js';

registerStrings({
  zh: {
    'login.title': '登录',
    'login.subtitle': '物业服务台 · 报修派工与现场服务',
    'login.username': '用户名',
    'login.password': '密码',
    'login.device': '设备名称',
    'login.device_hint': '用于在设备列表中识别这台手机',
    'login.device_mobile': '{platform} 手机',
    'login.submit': '登录',
    'login.busy': '正在登录…',
    'login.offline': '当前离线，登录需要网络。已保存的记录不会丢失。',
    'login.missing': '请填写{list}',
    'login.revoked': '登录已失效，请重新登录。',
    'login.unsent': '本机还有 {n} 条未发送的记录，将在原账号重新登录后发送。',
    'login.unsent_of': '本机还有 {n} 条未发送的记录，将在{account}重新登录后发送。',
    'login.unsent_of_several': '本机还有 {n} 条未发送的记录，各自在其账号重新登录后发送：{list}。',
    'login.unsent_item': '{account}{n} 条',
    'login.unsent_unnamed': '另一个账号',
  },
  en: {
    'login.title': 'Sign in',
    'login.subtitle': 'EstateDesk · dispatch and field service',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.device': 'Device name',
    'login.device_hint': 'Shown in the device list so this phone can be recognised',
    'login.device_mobile': '{platform} phone',
    'login.submit': 'Sign in',
    'login.busy': 'Signing in…',
    'login.offline': 'You are offline; signing in needs the network. Saved records are kept.',
    'login.missing': 'Fill in: {list}',
    'login.revoked': 'Your sign-in has expired. Please sign in again.',
    'login.unsent': '{n, plural, one {# unsent record is on this phone; it is sent when the account that saved it} other {# unsent records are on this phone; they are sent when the account that saved them}} signs in again.',
    'login.unsent_of': '{n, plural, one {# unsent record is on this phone; it is} other {# unsent records are on this phone; they are}} sent when {account} signs in again.',
    'login.unsent_of_several': '{n} unsent records are on this phone; each is sent when its own account signs in again: {list}.',
    'login.unsent_item': '{account} {n}',
    'login.unsent_unnamed': 'another account',
  },
});

export function defaultDeviceName() {
  const uad = navigator.userAgentData;
  const platform = uad?.platform || navigator.platform || '';
  const mobile = uad?.mobile ?? /Mobi|Android|iPhone/.test(navigator.userAgent);
  // The suggested name is in the language on screen: "Android 手机" used to sit in an English form.
  if (mobile) return t('login.device_mobile', { platform }).trim();
  return platform || 'Browser';
}

/**
 * What waits unsent on this phone and whose it is: a record goes only with its own account's next
 * session (outbox.js), so the person is told which account to sign in with, "张师傅 (tech)", and each
 * account with its count when there are several, the most first (D113). `accounts` is db.js
 * knownAccounts(); an account without a recorded name is still counted. '' when nothing waits.
 */
export function unsentNotice(entries, accounts) {
  const counts = new Map();
  for (const e of entries) if (e.state === 'waiting') counts.set(e.user_id, (counts.get(e.user_id) || 0) + 1);
  const n = [...counts.values()].reduce((a, b) => a + b, 0);
  if (!n) return '';
  const nameOf = (id) => {
    const a = accounts?.[id];
    return a ? paren(a.display_name || a.username, a.display_name ? a.username : '') : '';
  };
  if (counts.size === 1) {
    const account = nameOf([...counts.keys()][0]);
    return account ? t('login.unsent_of', { n, account }) : t('login.unsent', { n });
  }
  const list = [...counts].sort((a, b) => b[1] - a[1])
    .map(([id, k]) => t('login.unsent_item', { account: nameOf(id) || t('login.unsent_unnamed'), n: k }));
  return t('login.unsent_of_several', { n, list: joinList(list) });
}

export async function render(root, _params, app) {
  const prev = currentSession();
  const unsent = unsentNotice(await getAll('outbox'), await knownAccounts());
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false', value: prev?.user?.username || '' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const device = h('input', { name: 'device_name', value: defaultDeviceName(), required: true, maxlength: 80 });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('login.submit'));

  const form = h('form', {
    class: 'card form login-form',
    novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      const missing = missingRequired(form);
      if (missing.length) {
        error.textContent = t('login.missing', { list: joinList(missing) });
        error.hidden = false;
        return;
      }
      if (navigator.onLine === false) {
        error.textContent = t('login.offline');
        error.hidden = false;
        return;
      }
      submit.disabled = true;
      submit.textContent = t('login.busy');
      try {
        await login(username.value.trim(), password.value, device.value.trim() || defaultDeviceName());
        app.navigate('#/', { replace: true });
      } catch (e) {
        error.textContent = e.isNetwork ? t('login.offline') : serverMessage(e.wire) || String(e.message || e);
        error.hidden = false;
        submit.disabled = false;
        submit.textContent = t('login.submit');
      }
    },
  },
  h('h1', { class: 'login-title', text: t('login.title') }),
  h('p', { class: 'muted', text: t('login.subtitle') }),
  prev?.revoked ? h('p', { class: 'notice notice-warn', text: t('login.revoked') }) : null,
  unsent ? h('p', { class: 'notice notice-warn', 'data-testid': 'login-unsent', text: unsent }) : null,
  h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('login.username') }), username),
  h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('login.password') }), password),
  h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('login.device') }), device,
    h('span', { class: 'field-hint', text: t('login.device_hint') })),
  error,
  submit);
  mount(root, h('div', { class: 'login-wrap' }, form));
  root.addEventListener('view-attached', () => (username.value ? password : username).focus(), { once: true });
}
