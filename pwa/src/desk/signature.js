// A drawn signature for the desk (handover R-SH-1, quarterly close R-CL-4/5): signature_pad on a
// canvas, exported as PNG, uploaded content-addressed with PUT /api/blobs/<sha256>; the caller
// sends only the hash (guarantee 5).
import SignaturePad from 'signature_pad';
import { sha256Hex } from '../blobs.js';
import { openDialog } from '../dom.js';
import { errorBox } from './common.js';

function canvasPng(canvas) {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob failed'))), 'image/png'));
}

export async function uploadPng(ctx, blob) {
  const sha = await sha256Hex(blob);
  await ctx.api.request('PUT', `/api/blobs/${sha}`, { body: blob, contentType: 'image/png' });
  return sha;
}

/** Opens the signing dialog; resolves with the uploaded signature's sha256, or undefined if cancelled. */
export function signatureDialog(ctx, title, note) {
  const { h, t } = ctx;
  let pad = null;
  const promise = openDialog((close) => {
    const err = errorBox(h);
    const canvas = h('canvas', { class: 'signature-canvas desk-signature-canvas', 'aria-label': t('dlg.signature') });
    const ok = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'signature-ok' }, t('desk.submit'));
    ok.addEventListener('click', async () => {
      if (!pad || pad.isEmpty()) return err.show(t('dlg.sign_needed'), t);
      ok.disabled = true;
      try {
        close(await uploadPng(ctx, await canvasPng(canvas)));
      } catch (e) {
        err.show(e, t);
        ok.disabled = false;
      }
    });
    // The canvas must be sized in device pixels after it is laid out.
    requestAnimationFrame(() => {
      const ratio = Math.max(window.devicePixelRatio || 1, 1);
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext('2d').scale(ratio, ratio);
      pad = new SignaturePad(canvas, { backgroundColor: 'rgb(255,255,255)', penColor: '#111', minWidth: 0.8, maxWidth: 2.6 });
    });
    return [
      h('h2', { class: 'dialog-title', text: title }),
      note ? h('p', { class: 'muted small', text: note }) : null,
      h('div', { class: 'signature-head' },
        h('span', { class: 'field-label', text: t('dlg.signature') }),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => pad?.clear() }, t('dlg.sign_clear'))),
      h('div', { class: 'signature-box' }, canvas),
      err.el,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => close(undefined) }, t('desk.cancel')),
        ok),
    ];
  }, { className: 'desk-dialog' });
  return promise.finally(() => pad?.off());
}
