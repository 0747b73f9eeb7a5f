// Sign-in: username, password and a device name (defaults to the phone's platform) — the server
// issues one long-lived token per device.
import { h, missingRequired, mount } from '../dom.js';
import { joinList, registerStrings, serverMessage, t } from '../i18n.js';
import { currentSession, login } from '../session.js';
import { getAll } from '../db.js';

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
    'login.unsent': '{n, plural, one {# unsent record is} other {# unsent records are}} on this phone; they are sent when their user signs in again.',
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

export async function render(root, _params, app) {
  const prev = currentSession();
  const unsent = (await getAll('outbox')).filter((e) => e.state === 'waiting').length;
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
  unsent ? h('p', { class: 'notice notice-warn', text: t('login.unsent', { n: unsent }) }) : null,
  h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('login.username') }), username),
  h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('login.password') }), password),
  h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('login.device') }), device,
    h('span', { class: 'field-hint', text: t('login.device_hint') })),
  error,
  submit);
  mount(root, h('div', { class: 'login-wrap' }, form));
  root.addEventListener('view-attached', () => (username.value ? password : username).focus(), { once: true });
}
