// The printable service slip 服务单 of a case (R-CL-1 A, R-CL-6, R-RC-1): laid out for A5 paper
// by the shell's @media print rules plus desk.css; shows the content hash the signature covers.
import { countersignLine as line } from '../countersign.js';
import { slipCheckCode } from '../slip-check.js';
import { mount } from '../dom.js';
import { colon, paren } from '../i18n.js';
import { ratingRows } from '../slip-rating.js';
import { blobObjectUrl, fmtFull, label, loadStaff, staffName } from './common.js';

// R-CL-6: countersigned in the system: who and when; otherwise blank lines to sign on the paper
// (the line is shared with the phone's print, ../countersign.js).
function countersignLine(h, t, slip, staff) {
  const signed = slip?.countersigned_by ? { by: staffName(staff, slip.countersigned_by), at: fmtFull(slip.countersigned_at) } : null;
  return line(h, t, signed, { cls: 'desk-slip-countersign', lineClass: 'desk-slip-line' });
}

export async function renderSlip(body, ctx, caseId) {
  const { h, t, api } = ctx;
  // The slip goes to the resident under the compound's name, like the settlement statement; a
  // session from before the login answer carried the name asks /api/me.
  const [view, staff, me] = await Promise.all([api.get(`/api/cases/${encodeURIComponent(caseId)}`), loadStaff(ctx).catch(() => []),
    ctx.user?.compound_name ? ctx.user : api.get('/api/me').catch(() => ctx.user)]);
  const c = view.case;
  const slip = c.slip;
  const img = h('img', { class: 'slip-signature', alt: t('dlg.signature') });
  img.hidden = true;
  if (slip?.signature_sha256) {
    blobObjectUrl(ctx, slip.signature_sha256).then((url) => {
      img.src = url;
      img.hidden = false;
    }).catch(() => {});
  }
  const row = (k, v) => h('tr', null, h('th', { text: k }), h('td', null, v ?? ''));
  mount(body,
    h('div', { class: 'desk-slip-tools no-print' },
      h('a', { href: `#/case/${c.id}`, class: 'small', text: t('slip.back') }),
      h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => window.print() }, t('slip.print'))),
    h('article', { class: 'slip desk-slip-print', 'data-testid': 'slip-print' },
      h('div', { class: 'slip-head' },
        h('div', null, h('h1', { 'data-testid': 'slip-title', text: `${me?.compound_name || t('app.full_name')} · ${t('slip.title')}` }),
          h('p', { class: 'muted' }, `${t('slip.case_no')} ${c.no}`,
            // The short code the desk compares with its dialog, on the number's line (D96); the full hash stays at the foot.
            slipCheckCode(slip?.content_hash) ? [' · ', h('span', { class: 'slip-check-code', 'data-testid': 'slip-check-code' },
              `${t('slip.check_code')} `, h('strong', { text: slipCheckCode(slip.content_hash) }))] : null))),
      h('table', { class: 'slip-table' }, h('tbody', null,
        row(t('detail.address'), c.address),
        row(t('detail.contact'), `${c.contact_name}  ${c.phone || ''}`),
        row(t('detail.classification'), [label('kind', c.kind), label('repair_responsibility', c.repair_responsibility), label('repair_class', c.repair_class), label('service_code', c.service_code)].filter(Boolean).join(' · ')),
        row(t('detail.content'), c.content),
        row(t('detail.received'), fmtFull(c.received_at)),
        row(t('slip.work_done'), slip?.work_done),
        row(t('slip.materials'), slip?.materials),
        row(t('slip.fee'), slip ? `¥${((slip.fee_cents || 0) / 100).toFixed(2)}` : ''),
        // R-IN-6 a: a fee above the one told carries its reason, which the resident signed under;
        // the archived copy must show it as the phone's print does.
        slip?.fee_over_reason ? row(t('slip.fee_over_reason'), slip.fee_over_reason) : null,
        row(t('slip.executor'), staffName(staff, slip?.executor_id)),
        row(t('slip.signer'), slip?.signer_name ? paren(slip.signer_name, label('relation', slip.signer_relation)) : t('slip.not_signed')),
        row(t('slip.signed_at'), fmtFull(slip?.signed_at)),
        // The grade, or 未评价, and the resident's words on their own row (D145); blank without a slip.
        ...(slip ? ratingRows(slip, (g) => label('resident_grade', g)) : [[t('slip.rating'), '']]).map(([k, v]) => row(k, v)),
        row(t('slip.returned'), fmtFull(slip?.slip_returned_at)))),
      h('div', { class: 'slip-sign' },
        h('span', { class: 'muted small', text: t('dlg.signature') }), img),
      countersignLine(h, t, slip, staff),
      h('p', { class: 'desk-slip-hash' }, colon(t('slip.hash'), ''), h('code', { text: slip?.content_hash || '—' })),
      !view.slip_valid && slip?.signature_sha256 ? h('p', { class: 'notice notice-error', text: t('detail.slip_invalid') }) : null));
}
