// The printable service slip of a completed job (#/job/<id>/slip): what was done, the fee and the
// resident's signature. @media print in styles.css hides the app frame so only the slip prints.
import { blobUrl } from '../blobs.js';
import { formatFee, formatFullDateTime } from '../clock.js';
import { countersignLine } from '../countersign.js';
import { slipCheckCode } from '../slip-check.js';
import { ratingRows } from '../slip-rating.js';
import { h, mount } from '../dom.js';
import { paren, registerStrings, serverMessage, t } from '../i18n.js';
import { isCompleted, loadJob, loadOwnCompletion, loadRefusedCompletion } from '../jobs.js';
import { contentLabel } from './job.js';
import { currentUser } from '../session.js';

registerStrings({
  zh: {
    'slip.title': '物业服务单',
    'slip.case_no': '单号',
    'slip.unit': '房号 / 地址',
    'slip.contact': '联系人',
    'slip.work_done': '完成工作',
    'slip.materials': '使用材料',
    'slip.fee': '收费',
    'slip.fee_over_reason': '超出告知收费原因',
    'slip.arrived': '到场时间',
    'slip.completed': '完工时间',
    'slip.staff': '服务人员',
    'slip.signer': '签字人',
    'slip.signature': '住户签名',
    'slip.print': '打印',
    'slip.not_completed': '暂无服务单：此工单尚未完工。',
    'slip.gone': '此工单已不在本机：工单完工销项（或转派他人）后会从手机上移除。签字的服务单存于服务中心，可向调度查阅。',
    'slip.closed_copy': '此工单已完工并销项，已从工单列表移除。以下是本机保存的签字服务单。',
    'slip.pending': '本服务单尚未同步到服务器',
    'slip.free': '免费',
    'slip.refused': '本机签的这份服务单被服务器拒绝：{reason}',
    'slip.refused_desk': '服务中心已收到这份服务单（含住户签名），会跟进处理。',
    'slip.see_server': '查看服务器上记录的服务单',
    'slip.server_copy': '这是服务器上记录的服务单，不是本机被拒绝的那份。',
    'slip.see_own': '查看本机被拒绝的服务单',
  },
  en: {
    'slip.title': 'Service slip',
    'slip.case_no': 'No.',
    'slip.unit': 'Unit / address',
    'slip.contact': 'Contact',
    'slip.work_done': 'Work done',
    'slip.materials': 'Materials',
    'slip.fee': 'Fee',
    'slip.fee_over_reason': 'Why above the fee told',
    'slip.arrived': 'Arrived',
    'slip.completed': 'Completed',
    'slip.staff': 'Staff',
    'slip.signer': 'Signed by',
    'slip.signature': "Resident's signature",
    'slip.print': 'Print',
    'slip.not_completed': 'No service slip: this job has not been completed.',
    'slip.gone': 'This job is no longer on this phone: a job leaves the phone once it is completed and closed (or reassigned). The signed slip is kept at the service centre; ask the desk.',
    'slip.closed_copy': 'This job is completed and closed, and has left the job list. Below is the signed slip this phone kept.',
    'slip.pending': 'This slip has not reached the server yet',
    'slip.free': 'Free of charge',
    'slip.refused': 'The server refused the slip signed on this phone: {reason}',
    'slip.refused_desk': 'The service centre has this slip, with the resident\'s signature, and will follow it up.',
    'slip.see_server': 'See the slip the server recorded',
    'slip.server_copy': 'This is the slip the server recorded, not the one this phone sent and the server refused.',
    'slip.see_own': 'See the refused slip from this phone',
  },
});

const line = (label, value) => (value || value === 0 ? h('tr', {}, h('th', { scope: 'row', text: label }), h('td', { class: 'pre', text: String(value) })) : null);

export async function render(root, [id, which]) {
  const [job, refused] = await Promise.all([loadJob(id), loadRefusedCompletion(id)]);
  // This phone's signed completion was refused (the same person's other phone completed the job first, or the
  // desk reassigned it): its slip page keeps the slip signed here, marked refused, and links to the server's
  // (D145). Showing the server's words under this phone's job read as if they were this slip.
  if (refused && which !== 'server') {
    const back = h('a', { class: 'back-link no-print', href: job ? `#/job/${encodeURIComponent(id)}` : '#/jobs', text: t('common.back') });
    const server = job && isCompleted(job) && job.slip;
    showSlip(root, back, { ...(job || {}), ...refused, arrived_at: refused.arrived_at || job?.arrived_at },
      h('div', { class: 'notice notice-error', role: 'status', 'data-testid': 'slip-refused' },
        h('p', { text: t('slip.refused', { reason: serverMessage(refused.refusal) }) }),
        h('p', { class: 'small', text: t('slip.refused_desk') }),
        server ? h('p', { class: 'no-print' }, h('a', { href: `#/job/${encodeURIComponent(id)}/slip/server`, 'data-testid': 'slip-see-server', text: t('slip.see_server') })) : null));
    return null;
  }
  if (!job) {
    // The job left the phone: the desk closed its case (or reassigned it). Not "not completed":
    // the phone shows the slip it recorded itself, or says where the signed slip now is.
    const back = h('a', { class: 'back-link no-print', href: '#/jobs', text: t('common.back') });
    const own = await loadOwnCompletion(id);
    if (!own) {
      mount(root, back, h('p', { class: 'notice notice-info', role: 'status', 'data-testid': 'slip-gone', text: t('slip.gone') }));
      return null;
    }
    showSlip(root, back, own, h('p', { class: 'notice notice-info no-print', 'data-testid': 'slip-closed', text: t('slip.closed_copy') }));
    return null;
  }
  const back = h('a', { class: 'back-link no-print', href: `#/job/${encodeURIComponent(id)}`, text: t('common.back') });
  if (!isCompleted(job)) {
    mount(root, back, h('p', { class: 'notice notice-info', role: 'status', 'data-testid': 'slip-none', text: t('slip.not_completed') }));
    return null;
  }
  // Local completion (not yet synced) first, then the server's slip, then the job's own fields.
  const serverCopy = refused ? h('div', { class: 'notice notice-info', 'data-testid': 'slip-server-copy' },
    h('p', { text: t('slip.server_copy') }),
    h('p', { class: 'no-print' }, h('a', { href: `#/job/${encodeURIComponent(id)}/slip`, text: t('slip.see_own') }))) : null;
  showSlip(root, back, { ...job, ...(job.slip || {}), ...(job.completion || {}) }, serverCopy);
  return null;
}

// R-CL-6: the server's job document says who countersigned (by name: the phone has no staff list)
// and when, until the case closes and the job leaves the phone; a slip only this phone recorded
// (unsynced, or of a job closed since) has no countersign to show, so its line stays blank.
function countersigned(s) {
  if (!s.countersigned_by || !s.countersigned_at) return null;
  return { by: s.countersigned_by_name || s.countersigned_by, at: formatFullDateTime(s.countersigned_at) };
}

function showSlip(root, back, s, notice = null) {
  const fee = s.fee_cents ? formatFee(s.fee_cents) : t('slip.free');
  const relation = s.signer_relation ? t(`rel.${s.signer_relation}`) : '';
  const sigSha = s.signature_sha256;
  const sig = h('img', { class: 'slip-signature', alt: t('slip.signature') });
  if (sigSha) blobUrl(sigSha).then((u) => u && (sig.src = u));
  const staff = s.staff_name || s.assignee_name || currentUser()?.display_name || '';

  mount(root,
    back,
    h('article', { class: 'slip' },
      h('header', { class: 'slip-head' },
        h('img', { src: '/icons/icon-192.png', alt: '', width: 40, height: 40 }),
        h('div', {}, h('h1', { text: t('slip.title') }), h('p', { class: 'muted', text: currentUser()?.compound_name || t('app.full_name') }))),
      notice,
      s.local ? h('p', { class: 'notice notice-warn no-print', text: t('slip.pending') }) : null,
      h('table', { class: 'slip-table' }, h('tbody', {},
        line(t('slip.case_no'), s.case_no || s.id),
        // The check code the desk compares when the slip comes back (D96); none before the server has it.
        line(t('slip.check_code'), slipCheckCode(s.content_hash)),
        line(t('slip.unit'), s.unit_label || s.address),
        line(t('slip.contact'), [s.contact_name, s.phone].filter(Boolean).join(' ')),
        line(contentLabel(s.kind), s.content),
        line(t('slip.work_done'), s.work_done),
        line(t('slip.materials'), s.materials),
        line(t('slip.fee'), fee),
        line(t('slip.fee_over_reason'), s.fee_over_reason),
        line(t('slip.arrived'), formatFullDateTime(s.arrived_at)),
        line(t('slip.completed'), formatFullDateTime(s.completed_at)),
        line(t('slip.staff'), staff),
        line(t('slip.signer'), paren(s.signer_name || '', relation)),
        // The grade, or 未评价, and the resident's words on their own row (D145).
        ...ratingRows(s, (g) => t(`rating.${g}`)).map(([k, v]) => line(k, v)))),
      sigSha ? h('div', { class: 'slip-sign' }, h('span', { class: 'muted', text: t('slip.signature') }), sig) : null,
      countersignLine(h, t, countersigned(s))),
    h('button', { type: 'button', class: 'btn btn-primary btn-block no-print', onclick: () => window.print() }, t('slip.print')));
}
