// One job: case content, unit, contact (tap to call), clocks, notes and photos, and the actions
// of the visit — accept, arrive, note/photo, unable, linked problem, complete. Every action is
// written to the outbox first, so it works in a basement with no signal.
import { blobUrl, downscalePhoto, storeBlob } from '../blobs.js';
import { countdown, entryTime, formatDateTime, formatDuration, formatFee } from '../clock.js';
import { h, mount, openDialog, toast } from '../dom.js';
import { getLang, localErrorText, registerStrings, serverMessage, t } from '../i18n.js';
import {
  acceptJob, addNote, arriveJob, clockStatus, currentPosition, isCompleted, loadGoneNotice, loadJob, loadOwnCompletion, markUnable, nextActions,
  nextDue, nextDueClock, reportLinkedProblem,
} from '../jobs.js';
import { noteText } from '../notes.js';
import { dismiss } from '../outbox.js';
import { stateLabel } from './jobs.js';
import { mutationLabel } from './outbox.js';

registerStrings({
  zh: {
    'job.not_found': '本机没有这个工单（已完工销项，或已转派给他人）。',
    'job.closed': '此工单已完工并销项，已从工单列表移除。',
    'job.gone.reassigned': '调度已将此工单转派给他人，已从本机移除。',
    'job.gone.redispatched': '调度已重新派工给你，请在新工单上继续处理。',
    'job.gone.cancelled': '此工单已撤销（服务中心确认无法处理），已从本机移除。',
    'job.gone.closed': '此工单已销项，已从工单列表移除。',
    'job.gone.done_earlier': '服务中心已确认此前的完工（住户已签字），这项工作已完成，此工单已撤回，无需再上门。',
    'job.gone.open_new': '打开新工单',
    'job.gone.open_done': '查看已完工的工单',
    'job.gone.signed_entry': '查看本机保存的完工签字记录',
    'job.gone.entry': '查看本机保存的记录',
    'job.earlier_tag': '上次派工',
    'job.earlier_unable': '上次派工无法完成：{reason}',
    'job.back': '‹ 我的工单',
    'job.content': '内容',
    'job.content.repair': '报修内容',
    'job.content.complaint': '投诉内容',
    'job.content.help': '求助内容',
    'job.content.inquiry': '咨询内容',
    'job.content.special_service': '服务要求',
    'job.content.daily_affair': '事务内容',
    'job.kind.repair': '报修',
    'job.kind.complaint': '投诉',
    'job.kind.help': '求助',
    'job.kind.inquiry': '咨询',
    'job.kind.special_service': '特约服务',
    'job.kind.daily_affair': '日常事务',
    'job.unit': '房号 / 地址',
    'job.contact': '联系人',
    'job.call': '拨打 {phone}',
    'job.clocks': '时限',
    'job.own_deadline': '派工单完成时限',
    'job.times': '进度',
    'job.assigned_at': '派单',
    'job.accepted_at': '接单',
    'job.arrived_at': '到场',
    'job.completed_at': '完工',
    'job.notes': '备注与照片',
    'job.no_notes': '暂无备注',
    'job.linked_problem_tag': '关联问题',
    'job.linked_case': '已另开报修单 {no}，请告知住户此单号',
    'job.linked_held': '留在本单一并处理',
    'job.linked_no_after_sync': '同步后显示新报修单号',
    'job.pending_title': '待同步（已保存在本机）',
    'job.refused_title': '服务器拒绝了以下操作',
    'job.dismiss': '知道了',
    'job.desk_has_it': '服务中心也收到了被拒绝记录所带的内容，会跟进处理。',
    'job.unable_reason': '无法完成原因：{reason}',
    'job.unable_next': '已报无法完成，调度将重新派工或改期，请等待安排。在此之前仍可添加备注和照片。',
    'job.clock_met': '{at} 按时达成',
    'job.clock_missed': '{at} 达成，超时 {d}',
    'act.accept': '接单',
    'act.arrive': '到场',
    'act.arriving': '正在记录到场…',
    'act.note': '添加备注 / 照片',
    'act.linked_problem': '报告关联问题',
    'act.unable': '无法完成',
    'act.complete': '完工签字',
    'act.slip': '查看 / 打印服务单',
    'act.saved': '已保存，待同步',
    'note.title': '添加备注',
    'note.text': '备注内容',
    'note.photo': '拍照 / 选择照片',
    'note.photo_busy': '正在处理照片…',
    'note.photo_ready': '照片已压缩（{kb} KB）',
    'note.empty': '请填写备注或添加照片',
    'unable.title': '无法完成',
    'unable.reason': '原因（必填）',
    'unable.placeholder': '例如：住户不在家、需要更换的配件缺货、需要工程部处理',
    'linked.title': '报告关联问题',
    'linked.content': '发现的问题（必填）',
    'linked.placeholder': '例如：楼上管道渗漏导致本户天花板受潮',
    'linked.separately': '另开新报修单处理（不能单独处理时取消勾选）',
    'form.required_missing': '请填写必填项',
    'terms.title': '费用与分类',
    'terms.booking_no': '预约编号',
    'terms.service': '服务项目',
    'terms.fee': '约定收费',
    'terms.fee_per': '{fee}/{unit}',
    'terms.fee_total': '{fee}/{unit} × {qty}，共 {total}',
    'terms.fee_agreed_note': '住户派工前已认可此收费，不得另收其他费用',
    'terms.class': '责任分类',
    'terms.class.owner_private': '业主自用部分（有偿）',
    'terms.class.common': '公共设施',
    'terms.class.owner_pays_defect': '过保修期或业主造成（业主付费）',
    'terms.class.developer_defect': '开发商遗留问题',
    'terms.class.on_site': '待现场判定',
    'terms.repair_fee': '收费',
    'terms.fee_told': '{fee}（已告知住户）',
    'terms.fee_not_told': '尚未告知收费：收费前须先告知住户并征得同意',
    'terms.no_charge': '不向住户收费',
    'terms.on_site_fee': '现场判定；如属业主付费，须先告知收费标准',
  },
  en: {
    'job.not_found': 'This job is not on this phone (completed and closed, or reassigned).',
    'job.closed': 'This job is completed and closed, and has left the job list.',
    'job.gone.reassigned': 'The desk reassigned this job to someone else; it has left this phone.',
    'job.gone.redispatched': 'The desk dispatched this job to you again: carry on with the new job.',
    'job.gone.cancelled': 'This job was withdrawn (the service centre confirmed it cannot be handled); it has left this phone.',
    'job.gone.closed': 'This job is closed and has left the job list.',
    'job.gone.done_earlier': 'The desk accepted an earlier completion of this work, signed by the resident: the work is done, this job was withdrawn and no visit is needed.',
    'job.gone.open_new': 'Open the new job',
    'job.gone.open_done': 'See the completed job',
    'job.gone.signed_entry': 'See the signed completion kept on this phone',
    'job.gone.entry': 'See the record kept on this phone',
    'job.earlier_tag': 'Earlier dispatch',
    'job.earlier_unable': 'Earlier dispatch unable: {reason}',
    'job.back': '‹ My jobs',
    'job.content': 'Details',
    'job.content.repair': 'Repair request',
    'job.content.complaint': 'Complaint',
    'job.content.help': 'Help request',
    'job.content.inquiry': 'Inquiry',
    'job.content.special_service': 'Service requested',
    'job.content.daily_affair': 'Task',
    'job.kind.repair': 'Repair',
    'job.kind.complaint': 'Complaint',
    'job.kind.help': 'Help',
    'job.kind.inquiry': 'Inquiry',
    'job.kind.special_service': 'Special service',
    'job.kind.daily_affair': 'Daily affair',
    'job.unit': 'Unit / address',
    'job.contact': 'Contact',
    'job.call': 'Call {phone}',
    'job.clocks': 'Time limits',
    'job.own_deadline': 'Work order deadline',
    'job.times': 'Progress',
    'job.assigned_at': 'Assigned',
    'job.accepted_at': 'Accepted',
    'job.arrived_at': 'Arrived',
    'job.completed_at': 'Completed',
    'job.notes': 'Notes and photos',
    'job.no_notes': 'No notes yet',
    'job.linked_problem_tag': 'Linked problem',
    'job.linked_case': 'Opened as case {no}: give the resident this number',
    'job.linked_held': 'Kept on this job',
    'job.linked_no_after_sync': 'The new case number shows after sync',
    'job.pending_title': 'Not yet synced (saved on this phone)',
    'job.refused_title': 'The server refused these actions',
    'job.dismiss': 'Dismiss',
    'job.desk_has_it': 'The service centre has also received what the refused records carried and will follow them up.',
    'job.unable_reason': 'Unable: {reason}',
    'job.unable_next': 'Reported as unable: the desk will reassign or reschedule this job. Until then you can still add notes and photos.',
    'job.clock_met': 'Met on time, {at}',
    'job.clock_missed': 'Met {at}, {d} late',
    'act.accept': 'Accept',
    'act.arrive': 'Record arrival',
    'act.arriving': 'Recording arrival…',
    'act.note': 'Add note / photo',
    'act.linked_problem': 'Report linked problem',
    'act.unable': 'Unable to complete',
    'act.complete': 'Complete & sign',
    'act.slip': 'View / print service slip',
    'act.saved': 'Saved; will sync',
    'note.title': 'Add a note',
    'note.text': 'Note',
    'note.photo': 'Take / choose photo',
    'note.photo_busy': 'Processing photo…',
    'note.photo_ready': 'Photo compressed ({kb} KB)',
    'note.empty': 'Write a note or add a photo',
    'unable.title': 'Unable to complete',
    'unable.reason': 'Reason (required)',
    'unable.placeholder': 'e.g. resident not home, part out of stock, needs engineering',
    'linked.title': 'Report a linked problem',
    'linked.content': 'Problem found (required)',
    'linked.placeholder': 'e.g. leak from the flat above has soaked this ceiling',
    'linked.separately': 'Open it as a new case (untick if it must stay on this one)',
    'form.required_missing': 'Please fill in the required fields',
    'terms.title': 'Fee & class',
    'terms.booking_no': 'Booking no.',
    'terms.service': 'Service',
    'terms.fee': 'Agreed fee',
    'terms.fee_per': '{fee} per {unit}',
    'terms.fee_total': '{fee} per {unit} × {qty}, {total} in all',
    'terms.fee_agreed_note': 'The resident agreed to this fee before dispatch; charge nothing else',
    'terms.class': 'Responsibility',
    'terms.class.owner_private': "Owner's private part (paid)",
    'terms.class.common': 'Common facilities',
    'terms.class.owner_pays_defect': 'Past warranty or owner-caused (owner pays)',
    'terms.class.developer_defect': "Developer's legacy defect",
    'terms.class.on_site': 'To be judged on site',
    'terms.repair_fee': 'Fee',
    'terms.fee_told': '{fee} (told to the resident)',
    'terms.fee_not_told': 'No fee told yet: tell the resident and get consent before charging',
    'terms.no_charge': 'No charge to the resident',
    'terms.on_site_fee': 'Judge on site; if the owner pays, tell the fee first',
  },
});

/** The content's label by the job's kind (R-IN-2): a complaint or a cleaning job is no 报修. */
export function contentLabel(kind) {
  const key = `job.content.${kind}`;
  const text = t(key);
  return text === key ? t('job.content') : text;
}

/** The job's kind as a word (报修, 投诉, 特约服务 …), or '' for a kind this phone does not know. */
export function kindLabel(kind) {
  const key = `job.kind.${kind}`;
  const text = t(key);
  return text === key ? '' : text;
}

/**
 * A work order is titled with its case's content by default (its first 100 characters): the page
 * then shows the content once, as the heading, instead of twice.
 */
export function titleRepeatsContent(job) {
  const title = (job.title || '').trim();
  const content = (job.content || '').trim();
  return Boolean(title) && Boolean(content) && content.startsWith(title);
}

/** The name of the deadline the job's big countdown counts down to: its clock's, or the work order's own. */
export function countdownLabel(job) {
  const c = nextDueClock(job);
  return c ? (getLang() === 'en' && c.label_en) || c.label || c.code : t('job.own_deadline');
}

function row(label, ...value) {
  return h('div', { class: 'kv-row' }, h('span', { class: 'kv-label', text: label }), h('span', { class: 'kv-value' }, ...value));
}

// R-IN-6: the classes the owner pays for, (a) and (c); (b) and (d) cost the resident nothing.
const OWNER_PAYS = ['owner_private', 'owner_pays_defect'];

/**
 * What was agreed at the desk, shown before the job is accepted (D41): a booking's number, service
 * and the fee the resident agreed to (R-SS-2, nothing else is charged), or a repair's responsibility
 * class and the fee told (R-IN-6). Null for jobs with neither.
 */
export function termsRows(job) {
  if (job.kind === 'special_service' && (job.booking_no || job.service_name)) {
    const en = getLang() === 'en';
    const unit = en ? job.fee_unit_en : job.fee_unit;
    const fee = job.fee_quote_cents ?? job.fee_cents;
    return [
      job.booking_no ? ['booking_no', t('terms.booking_no'), job.booking_no] : null,
      ['service', t('terms.service'), (en && job.service_name_en) || job.service_name || job.title || ''],
      // Several units quoted at the desk (D100): the total the resident accepted, as it was told.
      ['fee', t('terms.fee'), unit && job.quantity_told > 1 && job.fee_told_cents
        ? t('terms.fee_total', { fee: formatFee(fee), unit, qty: job.quantity_told, total: formatFee(job.fee_told_cents) })
        : unit ? t('terms.fee_per', { fee: formatFee(fee), unit }) : formatFee(fee), t('terms.fee_agreed_note')],
    ].filter(Boolean);
  }
  if (job.kind !== 'repair') return null;
  const cls = job.repair_responsibility || 'on_site';
  let fee;
  if (!job.repair_responsibility) fee = t('terms.on_site_fee');
  else if (!OWNER_PAYS.includes(cls)) fee = t('terms.no_charge');
  else if (job.fee_quote_cents === null || job.fee_quote_cents === undefined) fee = t('terms.fee_not_told');
  else fee = t('terms.fee_told', { fee: formatFee(job.fee_quote_cents) });
  return [['class', t('terms.class'), t(`terms.class.${cls}`)], ['repair_fee', t('terms.repair_fee'), fee]];
}

function termsCard(job) {
  const rows = termsRows(job);
  if (!rows) return null;
  return h('section', { class: 'card job-terms', 'data-testid': 'job-terms' },
    h('h2', { text: t('terms.title') }),
    rows.map(([key, label, value, note]) => h('div', { class: 'kv-row', dataset: { term: key } },
      h('span', { class: 'kv-label', text: label }),
      h('span', { class: 'kv-value' }, h('strong', { class: key === 'booking_no' ? 'nowrap' : '', text: value }),
        note ? h('span', { class: 'field-hint', text: note }) : null))));
}

function photoThumb(sha) {
  const img = h('img', { class: 'photo-thumb', alt: '', loading: 'lazy' });
  blobUrl(sha).then((url) => {
    if (url) img.src = url;
  });
  return img;
}

function textDialog({ title, label, placeholder, submitLabel, checkbox = null }) {
  return openDialog((close) => {
    const input = h('textarea', { rows: 4, required: true, placeholder, maxlength: 4000 });
    const check = checkbox ? h('input', { type: 'checkbox', checked: checkbox.checked }) : null;
    const err = h('p', { class: 'form-error', hidden: true, text: t('form.required_missing') });
    return h('form', {
      class: 'form',
      novalidate: true, // the message below, not the browser's tooltip in the browser's language
      onsubmit: (e) => {
        e.preventDefault();
        const v = input.value.trim();
        if (!v) {
          err.hidden = false;
          return;
        }
        close(checkbox ? { text: v, checked: check.checked } : v);
      },
    },
    h('h2', { class: 'dialog-title', text: title }),
    h('label', { class: 'field' }, h('span', { class: 'field-label', text: label }), input),
    checkbox ? h('label', { class: 'check' }, check, h('span', { text: checkbox.label })) : null,
    err,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => close(null) }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel)));
  });
}

/**
 * Photo picker used by notes and completion: {element, shas, settled}. A camera photo takes a moment
 * to downscale and store; a form saved meanwhile must await settled() before reading shas, or the
 * photo the technician just took is silently left out of the record.
 */
export function photoPicker({ multiple = false } = {}) {
  const shas = [];
  let processing = Promise.resolve();
  const status = h('p', { class: 'field-hint' });
  const previews = h('div', { class: 'photo-row' });
  const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', class: 'file-input', multiple: multiple || null });
  const button = h('label', { class: 'btn btn-file' }, h('span', { text: t('note.photo') }), input);
  input.addEventListener('change', () => {
    const files = [...input.files];
    input.value = '';
    processing = processing.then(() => addFiles(files));
  });
  async function addFiles(files) {
    for (const file of files) {
      status.textContent = t('note.photo_busy');
      try {
        const jpeg = await downscalePhoto(file);
        const sha = await storeBlob(jpeg);
        if (!multiple) {
          shas.length = 0;
          previews.replaceChildren();
        }
        if (!shas.includes(sha)) {
          shas.push(sha);
          previews.append(photoThumb(sha));
        }
        status.textContent = t('note.photo_ready', { kb: Math.round(jpeg.size / 1024) });
      } catch (e) {
        status.textContent = localErrorText(e);
      }
    }
  }
  // restore: photos already stored on this phone (a completion draft, D91) shown as if just taken.
  const restore = (stored) => {
    for (const sha of stored) {
      if (shas.includes(sha)) continue;
      shas.push(sha);
      previews.append(photoThumb(sha));
    }
  };
  return { element: h('div', { class: 'photo-picker' }, button, status, previews), shas, settled: () => processing, restore };
}

function noteDialog() {
  return openDialog((close) => {
    const text = h('textarea', { rows: 3, maxlength: 2000 });
    const picker = photoPicker();
    const err = h('p', { class: 'form-error', hidden: true, text: t('note.empty') });
    return h('form', {
      class: 'form',
      onsubmit: async (e) => {
        e.preventDefault();
        const save = e.submitter || e.currentTarget.querySelector('button[type=submit]');
        if (save) save.disabled = true;
        await picker.settled();
        if (save) save.disabled = false;
        const v = text.value.trim();
        if (!v && !picker.shas.length) {
          err.hidden = false;
          return;
        }
        close({ text: v, photo: picker.shas[0] || null });
      },
    },
    h('h2', { class: 'dialog-title', text: t('note.title') }),
    h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('note.text') }), text),
    picker.element,
    err,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => close(null) }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save'))));
  });
}

// What became of a linked problem (D98): the new case's number, which the resident will quote when
// calling about it, or that it stays on this job; before the sync, that the number is coming.
function linkedOutcome(n) {
  if (n.case_no) return h('div', { class: 'note-linked', 'data-testid': 'linked-case-no', text: t('job.linked_case', { no: n.case_no }) });
  if (n.held) return h('div', { class: 'muted small', text: t('job.linked_held') });
  return n.local ? h('div', { class: 'muted small', text: t('job.linked_no_after_sync') }) : null;
}

function noteItem(n) {
  const isLinked = n.kind === 'linked_problem' || n.type === 'linked_problem';
  const shas = [n.photo_sha256, ...(n.photo_sha256s || [])].filter(Boolean);
  return h('li', { class: ['note', n.local ? 'is-local' : ''] },
    h('div', { class: 'note-meta' },
      isLinked ? h('span', { class: 'badge badge-warn', text: t('job.linked_problem_tag') }) : null,
      n.earlier ? h('span', { class: 'badge', text: t('job.earlier_tag') }) : null,
      h('span', { class: 'muted', text: [n.author_name || '', formatDateTime(n.at || n.created_at)].filter(Boolean).join(' · ') }),
      n.local ? h('span', { class: 'badge badge-pending', text: t('common.pending_sync') }) : null),
    h('div', { class: 'note-text', text: noteText({ ...n, photo_sha256s: shas }) }),
    isLinked ? linkedOutcome(n) : null,
    shas.length ? h('div', { class: 'photo-row' }, shas.map(photoThumb)) : null);
}

export async function render(root, [id], app) {
  const job = await loadJob(id);
  if (!job) {
    // Completed here and closed since: the signed slip this phone recorded is still one tap away.
    const own = await loadOwnCompletion(id);
    // Otherwise say why it left (the pull's reason, D105) and where the record this phone kept on it is:
    // a signed completion refused after a reassignment is in the outbox, not lost.
    const gone = await loadGoneNotice(id);
    const key = own && (gone.key === 'job.gone.closed' || gone.key === 'job.not_found') ? 'job.closed' : gone.key;
    mount(root, h('a', { class: 'back-link', href: '#/jobs', text: t('job.back') }),
      h('p', { class: 'empty', 'data-testid': 'job-gone', dataset: { reason: key }, text: t(key) }),
      gone.new_job_id ? h('a', { class: 'btn btn-block btn-primary', 'data-testid': 'job-gone-new', href: `#/job/${encodeURIComponent(gone.new_job_id)}` },
        t(gone.key === 'job.gone.done_earlier' ? 'job.gone.open_done' : 'job.gone.open_new')) : null,
      own ? h('a', { class: 'btn btn-block', href: `#/job/${encodeURIComponent(id)}/slip` }, t('act.slip')) : null,
      gone.entry ? h('a', { class: 'btn btn-block', 'data-testid': 'job-gone-entry', href: `#/outbox/${gone.entry.mutation_id}` },
        t(gone.entry.type === 'job.complete' ? 'job.gone.signed_entry' : 'job.gone.entry')) : null);
    return null;
  }
  const due = job.is_done || job.awaiting_desk ? null : nextDue(job); // the desk owns the deadline now (D99)
  const cd = due ? countdown(due) : null;

  const run = async (fn, button) => {
    if (button) button.disabled = true;
    try {
      await fn();
      toast(t('act.saved'), 'ok');
    } catch (e) {
      toast(localErrorText(e), 'error');
      if (button) button.disabled = false;
    }
  };

  const buttons = {
    accept: () => h('button', { type: 'button', class: 'btn btn-primary btn-action', 'data-action': 'accept', onclick: (e) => run(() => acceptJob(job.id), e.currentTarget) }, t('act.accept')),
    arrive: () => h('button', {
      type: 'button',
      class: 'btn btn-primary btn-action',
      'data-action': 'arrive',
      onclick: (e) => {
        const b = e.currentTarget;
        b.textContent = t('act.arriving');
        run(async () => arriveJob(job.id, await currentPosition(5000)), b);
      },
    }, t('act.arrive')),
    complete: () => h('a', { class: 'btn btn-primary btn-action', 'data-action': 'complete', href: `#/job/${encodeURIComponent(job.id)}/complete` }, t('act.complete')),
    note: () => h('button', {
      type: 'button', class: 'btn', 'data-action': 'note',
      onclick: async () => {
        const r = await noteDialog();
        if (r) run(() => addNote(job.id, r.text, r.photo));
      },
    }, t('act.note')),
    linked_problem: () => h('button', {
      type: 'button', class: 'btn', 'data-action': 'linked_problem',
      onclick: async () => {
        const v = await textDialog({
          title: t('linked.title'), label: t('linked.content'), placeholder: t('linked.placeholder'), submitLabel: t('common.save'),
          checkbox: { label: t('linked.separately'), checked: true },
        });
        if (v) run(() => reportLinkedProblem(job.id, v.text, v.checked));
      },
    }, t('act.linked_problem')),
    unable: () => h('button', {
      type: 'button', class: 'btn btn-danger-outline', 'data-action': 'unable',
      onclick: async () => {
        const v = await textDialog({ title: t('unable.title'), label: t('unable.reason'), placeholder: t('unable.placeholder'), submitLabel: t('act.unable') });
        if (!v) return;
        await run(() => markUnable(job.id, v));
        // The view re-renders from the local store at once, but the reason banner sits at the top of
        // the job card: from the action buttons below it was left above the fold, under the sticky
        // header, until a reload scrolled back up. Bring it into view.
        window.scrollTo({ top: 0 });
      },
    }, t('act.unable')),
  };
  const acts = nextActions(job);
  const primary = acts.filter((a) => ['accept', 'arrive', 'complete'].includes(a));
  const secondary = acts.filter((a) => !primary.includes(a));

  const repeats = titleRepeatsContent(job);
  const times = ['assigned_at', 'accepted_at', 'arrived_at', 'completed_at'].filter((k) => job[k]);
  const notes = job.notes || [];

  mount(root,
    h('a', { class: 'back-link', href: '#/jobs', text: t('job.back') }),
    h('section', { class: ['card', 'job-detail', cd?.overdue ? 'is-overdue' : ''] },
      h('div', { class: 'job-card-top' },
        h('span', { class: 'job-no', text: job.case_no || job.id }),
        h('span', { class: ['badge', `badge-${job.state}`], 'data-testid': 'job-state', text: stateLabel(job.state) }),
        kindLabel(job.kind) ? h('span', { class: 'badge badge-kind', 'data-testid': 'job-kind', text: kindLabel(job.kind) }) : null,
        job.local ? h('span', { class: 'badge badge-pending', text: t('common.pending_sync') }) : null),
      repeats
        ? h('h1', { class: ['job-title', 'pre', job.content.length > 40 ? 'job-title-long' : ''], 'data-testid': 'job-content', title: contentLabel(job.kind), text: job.content })
        : h('h1', { class: 'job-title', text: job.title || job.case_no || '' }),
      // Which deadline it counts down to, by the name the 时限 card gives it (D107).
      cd ? h('p', { class: 'countdown-label muted small', 'data-testid': 'countdown-label', text: countdownLabel(job) }) : null,
      cd ? h('p', { class: ['countdown', 'countdown-big', cd.overdue ? 'overdue' : ''], dataset: { due }, text: `${cd.text} · ${formatDateTime(due)}` }) : null,
      job.unable_reason ? h('p', { class: 'notice notice-warn', role: 'status', 'data-testid': 'unable-reason', text: t('job.unable_reason', { reason: job.unable_reason }) }) : null,
      job.awaiting_desk ? h('p', { class: 'notice', 'data-testid': 'unable-next', text: t('job.unable_next') }) : null,
      // Dispatched again after an unable report (D105): why the last visit stopped, on the job that continues it.
      ...(job.earlier || []).filter((w) => w.unable_reason).map((w) => h('p', { class: 'notice', 'data-testid': 'earlier-unable', text: t('job.earlier_unable', { reason: w.unable_reason }) })),
      repeats ? null : row(contentLabel(job.kind), h('span', { class: 'pre', 'data-testid': 'job-content', text: job.content || '' })),
      row(t('job.unit'), job.unit_label || job.address || ''),
      job.contact_name || job.phone
        ? h('div', { class: 'kv-row' }, h('span', { class: 'kv-label', text: t('job.contact') }),
          h('span', { class: 'kv-value kv-contact', 'data-testid': 'job-contact' }, job.contact_name ? h('span', { text: job.contact_name }) : null,
            job.phone ? h('a', { class: 'tel-link', href: `tel:${job.phone}`, text: t('job.call', { phone: job.phone }) }) : null))
        : null),

    termsCard(job),

    job.refused.length
      ? h('section', { class: 'card refused-card', role: 'alert' },
        h('h2', { text: t('job.refused_title') }),
        h('ul', { class: 'plain-list' }, job.refused.map((e) => h('li', { class: 'refused-item' },
          h('strong', { text: mutationLabel(e.type) }),
          h('span', { text: ` — ${serverMessage(e) || e.code}` }),
          h('button', { type: 'button', class: 'btn btn-small', onclick: () => dismiss(e.client_id, e.mutation_id) }, t('job.dismiss'))))),
        // The push keeps every refused record, with what it carried, for the desk (D28): the
        // technician need not fear that a refused signature is lost, nor redo it unasked.
        h('p', { class: 'muted small', 'data-testid': 'refused-desk-has-it', text: t('job.desk_has_it') }))
      : null,

    job.pending.length
      ? h('section', { class: 'card pending-card' },
        h('h2', { text: t('job.pending_title') }),
        h('ul', { class: 'plain-list' }, job.pending.map((e) => h('li', { text: `${mutationLabel(e.type)} · ${formatDateTime(entryTime(e))}` }))))
      : null,

    acts.length
      ? h('section', { class: 'actions' },
        h('div', { class: 'actions-primary' }, primary.map((a) => buttons[a]())),
        h('div', { class: 'actions-secondary' }, secondary.map((a) => buttons[a]())))
      : null,
    isCompleted(job)
      ? h('a', { class: 'btn btn-block', href: `#/job/${encodeURIComponent(job.id)}/slip` }, t('act.slip'))
      : null,

    (job.clocks || []).length
      ? h('section', { class: 'card' }, h('h2', { text: t('job.clocks') }),
        (job.clocks || []).map((c) => {
          // Running, met or missed, the same before and after a sync (D106): a met clock stays listed.
          const st = clockStatus(c, job);
          const live = st.state === 'running';
          const ccd = live ? countdown(c.due_at) : null;
          const over = (live && (c.overdue || ccd?.overdue)) || st.state === 'missed';
          const label = (getLang() === 'en' && c.label_en) || c.label || c.code;
          // The time stays whole (a no-break space) but a met/missed sentence may wrap: "Met on time,
          // 12/07 21:13" on one unbreakable line pushed an English page 38 px sideways at 360 px.
          const at = st.at ? formatDateTime(st.at).replace(/ /g, '\u00a0') : '';
          // Each part stays whole on a 360 px screen ('剩余 14' / '分钟' split across lines otherwise).
          const after = ccd ? ccd.text
            : st.state === 'met' ? t('job.clock_met', { at })
              : st.state === 'missed' ? t('job.clock_missed', { at, d: formatDuration(st.late_min * 60000) }) : '';
          return h('div', { class: 'kv-row', dataset: { clock: c.code, clockState: st.state } },
            h('span', { class: 'kv-label', text: label }),
            h('span', { class: 'kv-value' }, h('span', { class: ['countdown', over ? 'overdue' : '', live || over ? '' : 'muted'] },
              h('span', { class: 'nowrap', text: formatDateTime(c.due_at) }),
              after ? [' · ', h('span', { class: live ? 'nowrap' : '', dataset: live ? { due: c.due_at } : {}, text: after })] : null)));
        }))
      : null,
    times.length ? h('section', { class: 'card' }, h('h2', { text: t('job.times') }), times.map((k) => row(t(`job.${k}`), formatDateTime(job[k])))) : null,
    h('section', { class: 'card' }, h('h2', { text: t('job.notes') }),
      notes.length ? h('ul', { class: 'note-list' }, notes.map(noteItem)) : h('p', { class: 'muted', text: t('job.no_notes') })));
  // The countdowns move with (server) time, not only when a sync brings new data: in a basement
  // with no signal the page is never re-rendered, and "剩余 14分钟" stood still past the deadline.
  const timer = setInterval(() => tickCountdowns(root), 30000);
  return () => clearInterval(timer);
}

function tickCountdowns(root) {
  const big = root.querySelector('.countdown-big[data-due]');
  if (big) {
    const cd = countdown(big.dataset.due);
    big.textContent = `${cd.text} · ${formatDateTime(big.dataset.due)}`;
    big.classList.toggle('overdue', cd.overdue);
    big.closest('.job-detail')?.classList.toggle('is-overdue', cd.overdue);
  }
  for (const el of root.querySelectorAll('.kv-value [data-due]')) {
    const cd = countdown(el.dataset.due);
    el.textContent = cd.text;
    el.closest('.countdown')?.classList.toggle('overdue', cd.overdue);
  }
}
