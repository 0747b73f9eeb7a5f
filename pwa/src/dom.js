// Element building without HTML strings: text goes in as text (no injection), and no inline
// style or handler attributes are ever produced (the server's CSP forbids them).

/**
 * h('button', {class: 'btn', onclick: fn, type: 'button'}, 'text', child, [more]) → HTMLElement.
 * props: class, text, dataset {}, on<event> functions, boolean/string attributes; null/false skip.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
      else if (key === 'text') el.textContent = value;
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
      else if (key === 'value' && 'value' in el) el.value = value;
      else if (value === true) el.setAttribute(key, '');
      else el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the content of `el`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let toastTimer = null;
let toastShownAt = 0;
/** A short message at the bottom of the screen (role=status, so screen readers announce it). */
export function toast(message, kind = 'info') {
  let box = document.getElementById('toast');
  if (!box) {
    box = h('div', { id: 'toast', class: 'toast', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  box.className = `toast toast-${kind} show`;
  box.textContent = message;
  toastShownAt = Date.now();
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.classList.remove('show'), 3500);
}

/**
 * Takes a toast down at once: it was about the screen or the lookup the person has just left.
 * olderThanMs spares one shown just now — "已完工，待同步" is shown and the next screen opened at once.
 */
export function dismissToast({ olderThanMs = 0 } = {}) {
  if (olderThanMs && Date.now() - toastShownAt < olderThanMs) return;
  clearTimeout(toastTimer);
  document.getElementById('toast')?.classList.remove('show');
}

/** A modal <dialog>; resolves when closed. build(close) returns the dialog's content. */
export function openDialog(build, { className = '' } = {}) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: ['dialog', className] });
    const close = (value) => {
      dlg.close();
      dlg.remove();
      resolve(value);
    };
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(undefined);
    });
    mount(dlg, build(close));
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** Confirm dialog with our own styling and language (window.confirm cannot be translated). */
export function confirmDialog({ title, body, ok, cancel, danger = false }) {
  return openDialog((close) => [
    h('h2', { class: 'dialog-title', text: title }),
    body ? h('p', { class: 'dialog-body', text: body }) : null,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, cancel),
      h('button', { type: 'button', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], onclick: () => close(true) }, ok)),
  ]).then(Boolean);
}

/**
 * The labels of the required controls left empty in `form` (and their fields marked .is-missing).
 * Forms are novalidate and call this instead of leaving it to the browser: its tooltip speaks the
 * browser's language ("Please fill out this field." on a Chinese screen) and hides the app's own
 * message, so the form says what is missing in the app's words, next to its button.
 */
export function missingRequired(form) {
  const names = [];
  for (const el of form.querySelectorAll('.is-missing')) el.classList.remove('is-missing');
  for (const el of form.querySelectorAll('input[required], select[required], textarea[required]')) {
    if (el.disabled || el.closest('[hidden]') || String(el.value).trim()) continue;
    const wrap = el.closest('.field, .desk-field');
    wrap?.classList.add('is-missing');
    const text = wrap?.querySelector('.field-label')?.textContent || el.getAttribute('aria-label') || el.placeholder || el.name;
    // '完成的工作（必填）' → '完成的工作': the list already says these are missing.
    names.push(text.replace(/[（(][^）)]*[）)]\s*$/, '').trim());
  }
  return names;
}

/**
 * Load a page-specific stylesheet once (the desk, slips, reports, contact-slip sheets): the shell
 * links only styles.css, so phones never download the desk's styles. Precached like every sheet.
 */
export function ensureStylesheet(href) {
  let link = document.querySelector(`link[rel="stylesheet"][href="${href}"]`);
  if (!link) {
    link = h('link', { rel: 'stylesheet', href });
    document.head.append(link);
  }
  if (link.sheet) return Promise.resolve();
  // Resolves once the sheet applies, so a page can wait for it rather than flash unstyled; a sheet
  // that fails (or never answers) must not keep the page from drawing, hence error and the timeout.
  return new Promise((resolve) => {
    link.addEventListener('load', resolve, { once: true });
    link.addEventListener('error', resolve, { once: true });
    setTimeout(resolve, STYLESHEET_WAIT_MS);
  });
}

const STYLESHEET_WAIT_MS = 3000;
