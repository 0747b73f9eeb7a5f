// Field records the server refused (server/domain/field_refusals.py): a completion on a job that
// was reassigned meanwhile, a note on a closed case. The phone shows the reason; the record itself —
// the resident's signature, the note, the photos — is shown here so the desk can put it right on the
// case, then say what it did. Desk home lists the open ones; a case shows its own, handled or not. A signed
// completion refused because the job was reassigned can instead be accepted as the work done.
import { openDialog } from '../dom.js';
import { colon, joinList, paren, serverMessage } from '../i18n.js';
import { DESK, LEADERSHIP } from '../roles.js';
import { mutationLabel } from '../views/outbox.js';
import { ratingRows } from '../slip-rating.js';
import { blobObjectUrl, errorBox, field, fmtTime, label, withWhen } from './common.js';

const STRINGS = {
  zh: {
    'rf.title': '被拒的现场记录',
    'rf.explain': '手机上报的这些记录未被系统接受（例如工单已改派）。请核对内容，在案件上补录需要的信息，再标记已处理；拒绝原因相同的记录可勾选后一并处理。',
    'rf.case_title': '本案被拒的现场记录',
    'rf.by': '{name} 上报',
    'rf.device_time': '手机时间 {t}',
    'rf.reason': '拒绝原因',
    'rf.no_case': '（未对应到本小区的案件）',
    'rf.handle': '标记已处理',
    'rf.handle_title': '处理被拒的记录',
    'rf.note': '处理说明（做了什么）',
    'rf.note_required': '请写明如何处理了这条记录',
    'rf.handled': '已处理：{who} {t} — {note}',
    'rf.arg.text': '内容', 'rf.arg.content': '问题描述', 'rf.arg.reason': '原因', 'rf.arg.work_done': '完成内容',
    'rf.arg.materials': '材料', 'rf.arg.fee': '费用', 'rf.arg.signer': '签字人', 'rf.arg.signature': '住户签字',
    'rf.arg.photos': '照片', 'rf.arg.geo': '位置', 'rf.fee_yuan': '¥{v}',
    'rf.sender': '上报人', 'rf.holder': '现在负责', 'rf.case_state': '案件状态',
    'rf.holder_order': '工单{state}', 'rf.holder_is_sender': '上报人本人', 'rf.no_holder': '无人（尚未派工）',
    'rf.select': '选择此记录', 'rf.selected': '已选 {n} 条',
    'rf.handle_selected': '将所选标记为已处理',
    'rf.handle_selected_title': '一并处理 {n} 条被拒的记录',
    'rf.mixed': '所选记录的拒绝原因不同，须分开处理',
    'rf.batch_note': '处理说明（对所选记录都适用）',
    'rf.accept': '接受完工',
    'rf.accept_title': '接受{name}的完工？',
    'rf.accept_body': '按手机记录的时间 {t} 记为{name}完工，附住户签字的服务单；同一手机被拒的到场记录一并记入。',
    'rf.accept_withdraws': '{holder}现在负责的工单将撤回，其手机会收到撤回原因。',
    'rf.cannot_accept': '不能接受完工：{reason}',
    'rf.accepted': '已接受：{who} {t}，完工已记入本案',
    'rf.accepted_with': '已随完工一并接受：{who} {t}',
  },
  en: {
    'rf.title': 'Refused field records',
    'rf.explain': 'The system did not accept these records from phones (for example, the job had been reassigned). Check each one, re-record on the case what is still needed, then mark it handled; records refused for the same reason can be ticked and handled together.',
    'rf.case_title': 'Refused field records of this case',
    'rf.by': 'from {name}',
    'rf.device_time': 'phone time {t}',
    'rf.reason': 'Reason',
    'rf.no_case': '(names no case of this compound)',
    'rf.handle': 'Mark handled',
    'rf.handle_title': 'Handle a refused record',
    'rf.note': 'What was done',
    'rf.note_required': 'Say what was done about this record',
    'rf.handled': 'Handled: {who} {t} — {note}',
    'rf.arg.text': 'Text', 'rf.arg.content': 'Problem', 'rf.arg.reason': 'Reason', 'rf.arg.work_done': 'Work done',
    'rf.arg.materials': 'Materials', 'rf.arg.fee': 'Fee', 'rf.arg.signer': 'Signed by', 'rf.arg.signature': 'Resident signature',
    'rf.arg.photos': 'Photos', 'rf.arg.geo': 'Location', 'rf.fee_yuan': '¥{v}',
    'rf.sender': 'Sent by', 'rf.holder': 'Holds the job now', 'rf.case_state': 'Case',
    'rf.holder_order': 'order {state}', 'rf.holder_is_sender': 'the sender', 'rf.no_holder': 'nobody (not dispatched yet)',
    'rf.select': 'Select this record', 'rf.selected': '{n} selected',
    'rf.handle_selected': 'Mark the selected handled',
    'rf.handle_selected_title': 'Handle {n} refused records together',
    'rf.mixed': 'The selected records were refused for different reasons; handle them separately',
    'rf.batch_note': 'What was done (true of every selected record)',
    'rf.accept': 'Accept completion',
    'rf.accept_title': "Accept {name}'s completion?",
    'rf.accept_body': "It is recorded as {name}'s completion at {t}, the time on the phone, with the service slip the resident signed; the same phone's refused arrival goes with it.",
    'rf.accept_withdraws': 'The work order {holder} holds now is withdrawn; their phone is told why.',
    'rf.cannot_accept': 'Cannot accept the completion: {reason}',
    'rf.accepted': 'Accepted: {who} {t}; the completion is on the case',
    'rf.accepted_with': 'Accepted with the completion: {who} {t}',
  },
};

let stringsDone = false;
function registerStrings(ctx) {
  if (stringsDone) return;
  stringsDone = true;
  ctx.registerStrings(STRINGS);
}

/** The refused records, open ones only or one case's whole history; [] when this role may not read them. */
export async function loadRefusals(ctx, { caseId = null } = {}) {
  // Desk and leadership read them (GET /api/field-refusals); a team lead's home asks nothing.
  if (!(ctx.user?.roles || []).some((r) => DESK.includes(r) || LEADERSHIP.includes(r))) return [];
  const p = caseId ? `?case_id=${encodeURIComponent(caseId)}&include_handled=true` : '';
  return ctx.api.get(`/api/field-refusals${p}`).catch(() => []);
}

function image(ctx, sha, alt) {
  const img = ctx.h('img', { class: 'rf-img', alt, loading: 'lazy' });
  blobObjectUrl(ctx, sha).then((url) => {
    img.src = url;
  }).catch(() => {
    img.alt = `${alt} (${sha.slice(0, 12)}…)`;
  });
  return img;
}

/** What the record carried, as label/value rows (images fetched with the desk's token). */
function recordRows(ctx, args) {
  const { h, t } = ctx;
  const labelled = (name, v) => (v === null || v === undefined || v === '' ? null
    : h('div', { class: 'kv-row' }, h('div', { class: 'kv-label', text: name }), h('div', { class: 'kv-value' }, v)));
  const row = (k, v) => labelled(t(`rf.arg.${k}`), v);
  const photos = [...(args.photo_sha256s || []), ...(args.photo_sha256 ? [args.photo_sha256] : [])];
  return [
    row('text', args.text), row('content', args.content), row('reason', args.reason),
    row('work_done', args.work_done), row('materials', args.materials),
    args.fee_cents ? row('fee', t('rf.fee_yuan', { v: (args.fee_cents / 100).toFixed(2) })) : null,
    args.signer_name ? row('signer', args.signer_relation ? paren(args.signer_name, label('relation', args.signer_relation)) : args.signer_name) : null,
    // A completion's rating as its slip shows it (D145): the grade, or 未评价, and the words on their own row.
    ...(args.signer_name || args.signature_sha256
      ? ratingRows(args, (g) => label('resident_grade', g)).map(([k, v]) => labelled(k, v)) : []),
    args.signature_sha256 ? row('signature', image(ctx, args.signature_sha256, t('rf.arg.signature'))) : null,
    photos.length ? row('photos', h('div', { class: 'rf-photos' }, photos.map((s) => image(ctx, s, t('rf.arg.photos'))))) : null,
    Array.isArray(args.geo) ? row('geo', args.geo.map((x) => Number(x).toFixed(5)).join(', ')) : null,
  ];
}

/**
 * The dialog that marks refused records handled with one note: `send(note)` posts it and resolves
 * with the answer (which closes the dialog); a refusal from the server (someone else handled one of
 * them meanwhile, or it is gone) marks nothing, and its message shows here.
 */
function noteDialog(ctx, { title, intro, noteLabel, send }) {
  const { h, t } = ctx;
  return openDialog((close) => {
    const err = errorBox(h);
    const note = h('textarea', { name: 'note', rows: 3, maxlength: 500 });
    const btn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'dialog-submit' }, t('rf.handle'));
    return h('form', {
      class: 'desk-dialog-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        err.clear();
        if (!note.value.trim()) return err.show(t('rf.note_required'), t);
        btn.disabled = true;
        try {
          close(await send(note.value.trim()));
        } catch (ex) {
          err.show(ex, t);
          btn.disabled = false;
        }
      },
    },
    h('h2', { class: 'dialog-title', text: title }),
    ...intro,
    field(h, noteLabel, note),
    err.el,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => close(undefined) }, t('desk.cancel')),
      btn));
  }, { className: 'desk-dialog' });
}

const recordLine = (t, r) => `${mutationLabel(r.type)} · ${r.case_no || ''} · ${t('rf.by', { name: r.user_name })}`;

function handleDialog(ctx, r) {
  const { h, t } = ctx;
  return noteDialog(ctx, {
    title: t('rf.handle_title'),
    intro: [h('p', { class: 'muted small', text: recordLine(t, r) })],
    noteLabel: t('rf.note'),
    send: (note) => ctx.api.post(`/api/field-refusals/${encodeURIComponent(r.client_id)}/${r.mutation_id}/handle`, { note }),
  });
}

/**
 * Accepting a signed completion refused because the job was reassigned (D141): offered only
 * where the server's own check says it would be taken (`may_accept`). The dialog says at what time and whose
 * completion it becomes, and whose order is withdrawn; a refusal (the case moved on meanwhile, someone else
 * accepted it) shows in the dialog and nothing changes.
 */
function acceptDialog(ctx, r) {
  const { h, t } = ctx;
  const holder = r.holder && r.holder.user_id !== r.user_id && ['dispatched', 'accepted', 'on_site', 'unable'].includes(r.holder.work_order_state)
    ? r.holder.name : null;
  return openDialog((close) => {
    const err = errorBox(h);
    const btn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'rf-accept-confirm',
      onclick: async () => {
        err.clear();
        btn.disabled = true;
        try {
          close(await ctx.api.post(`/api/field-refusals/${encodeURIComponent(r.client_id)}/${r.mutation_id}/accept`, {}));
        } catch (ex) {
          err.show(ex, t);
          btn.disabled = false;
        }
      } }, t('rf.accept'));
    return [
      h('h2', { class: 'dialog-title', text: t('rf.accept_title', { name: r.user_name }) }),
      h('p', { class: 'muted small', text: recordLine(t, r) }),
      h('p', { class: 'dialog-body', text: t('rf.accept_body', { name: r.user_name, t: fmtTime(r.acted_at || r.received_at) }) }),
      holder ? h('p', { class: 'dialog-body warn-text', 'data-testid': 'rf-accept-withdraws', text: t('rf.accept_withdraws', { holder }) }) : null,
      err.el,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => close(undefined) }, t('desk.cancel')), btn),
    ];
  }, { className: 'desk-dialog' });
}

/** "张师傅（维修工） 13900000000": a person as the desk calls them, the phone a tel: link. */
function person(ctx, name, roles, phone) {
  const { h } = ctx;
  const who = paren(name, joinList((roles || []).map((r) => label('role', r))));
  return [h('span', { text: who }), phone ? [' ', h('a', { class: 'rf-phone', href: `tel:${phone}`, text: phone })] : null];
}

/**
 * Whom to call about a refused record (R-IN-9): who sent it, who holds the case's job now (the
 * server's holder: the order being worked, else the last one not withdrawn) and the case's state now.
 */
function peopleRows(ctx, r) {
  const { h, t } = ctx;
  const row = (k, testid, ...v) => h('div', { class: 'kv-row', 'data-testid': testid },
    h('div', { class: 'kv-label', text: t(k) }), h('div', { class: 'kv-value' }, ...v));
  const hd = r.holder;
  let holder;
  if (!hd) holder = t('rf.no_holder');
  else {
    const order = t('rf.holder_order', { state: label('wo_state', hd.work_order_state) });
    holder = hd.user_id === r.user_id
      ? [h('span', { text: paren(t('rf.holder_is_sender'), order) })]
      : [...person(ctx, hd.name, [hd.role], hd.phone), h('span', { class: 'muted', text: ` · ${order}` })];
  }
  return h('div', { class: 'kv rf-people' },
    row('rf.sender', 'rf-sender', ...person(ctx, r.user_name, r.user_roles, r.user_phone)),
    r.case_id ? row('rf.holder', 'rf-holder', ...[].concat(holder)) : null,
    r.case_state ? row('rf.case_state', 'rf-case-state', h('span', { class: 'badge', text: label('state', r.case_state) })) : null);
}

const keyOf = (r) => `${r.client_id}/${r.mutation_id}`;

/** One note for several records refused for the same reason (POST …/handle-many): all or none. */
function batchDialog(ctx, chosen) {
  const { h, t } = ctx;
  return noteDialog(ctx, {
    title: t('rf.handle_selected_title', { n: chosen.length }),
    intro: [
      h('ul', { class: 'plain-list small muted', 'data-testid': 'rf-batch-list' }, chosen.map((r) => h('li', { text: recordLine(t, r) }))),
      h('p', { class: 'small warn-text', text: colon(t('rf.reason'), serverMessage(chosen[0])) }),
    ],
    noteLabel: t('rf.batch_note'),
    send: (note) => ctx.api.post('/api/field-refusals/handle-many', {
      items: chosen.map((r) => ({ client_id: r.client_id, mutation_id: r.mutation_id })), note,
    }),
  });
}

/**
 * The card of refused records; '' when there are none. `inCase` drops the case link and the
 * explanation (the case page is the context). `onChanged` runs after records are marked handled.
 * `selection` (a Set of "client/mutation" keys the caller keeps) survives a re-draw of the card:
 * the desk home re-draws it when a record's case or holder changes, while the desk may be ticking.
 */
export function refusalsPanel(ctx, list, { inCase = false, onChanged = () => {}, staffName = (id) => id, selection = new Set() } = {}) {
  const { h, t } = ctx;
  registerStrings(ctx);
  if (!list.length) return '';
  const mayHandle = (ctx.user?.roles || []).some((r) => DESK.includes(r));
  const open = list.filter((r) => !r.handled_at);
  for (const k of [...selection]) if (!open.some((r) => keyOf(r) === k)) selection.delete(k);
  // Ticking and one action for several records: only where there are several open to handle.
  const batch = mayHandle && open.length > 1;
  const count = h('span', { class: 'small', 'data-testid': 'rf-selected-count' });
  const mixed = h('span', { class: 'small warn-text', 'data-testid': 'rf-mixed', text: t('rf.mixed'), hidden: true });
  const chosen = () => open.filter((r) => selection.has(keyOf(r)));
  const batchBtn = h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'rf-handle-selected',
    onclick: async () => {
      if (await batchDialog(ctx, chosen())) selection.clear();
      // Read again even after a refusal: another desk may have handled some of them meanwhile.
      onChanged();
    } }, t('rf.handle_selected'));
  const sync = () => {
    const picked = chosen();
    const reasons = new Set(picked.map((r) => r.code));
    count.textContent = t('rf.selected', { n: picked.length });
    mixed.hidden = reasons.size < 2;
    // The server refuses one note for different reasons (refusal.mixed_reasons): say so before.
    batchBtn.disabled = picked.length === 0 || reasons.size > 1;
  };
  // In the title's row: on the desk home the card must stay within half a 768-px screen (D28).
  const toolbar = batch ? h('div', { class: 'rf-batch', 'data-testid': 'rf-batch' }, count, batchBtn, mixed) : null;
  const tick = (r) => (batch && !r.handled_at ? h('input', {
    type: 'checkbox', class: 'rf-select', 'aria-label': t('rf.select'), checked: selection.has(keyOf(r)),
    onchange: (e) => {
      if (e.target.checked) selection.add(keyOf(r));
      else selection.delete(keyOf(r));
      sync();
    },
  }) : null);
  sync();
  return h('section', { class: 'card desk-refusals', 'data-testid': 'field-refusals', 'aria-label': t(inCase ? 'rf.case_title' : 'rf.title') },
    h('div', { class: 'rf-title-row' }, h('h2', { text: `${t(inCase ? 'rf.case_title' : 'rf.title')} (${list.length})` }), toolbar),
    inCase || !mayHandle ? null : h('p', { class: 'muted small', text: t('rf.explain') }),
    // On the desk home the list scrolls inside a bounded card (desk.css .rf-list-home): one job
    // reassigned while its phone was offline refuses three or four records, each with its signature,
    // and an unbounded list pushed the follow-up queue and the case list below the screen.
    h('ul', { class: ['rf-list', inCase ? '' : 'rf-list-home'], 'data-testid': 'field-refusals-list' }, list.map((r) => h('li', { class: ['rf-item', r.handled_at ? 'is-handled' : ''], dataset: { mutationId: String(r.mutation_id), key: keyOf(r) } },
      h('div', { class: 'rf-head' },
        tick(r),
        h('strong', { text: mutationLabel(r.type) }), ' ',
        inCase ? null : (r.case_id ? h('a', { class: 'desk-case-no', href: `#/case/${r.case_id}`, text: r.case_no }) : h('span', { class: 'muted', text: t('rf.no_case') })), ' ',
        h('span', { class: 'muted small' }, withWhen(h, (time) => `${time(r.received_at)}${r.device_time ? ` · ${t('rf.device_time', { t: time(r.device_time) })}` : ''}`))),
      h('div', { class: 'small warn-text', text: colon(t('rf.reason'), serverMessage(r)) }),
      peopleRows(ctx, r),
      h('div', { class: 'kv rf-record' }, recordRows(ctx, r.args || {})),
      r.not_acceptable && !r.handled_at
        ? h('div', { class: 'small muted', 'data-testid': 'rf-cannot-accept', text: t('rf.cannot_accept', { reason: serverMessage(r.not_acceptable) }) }) : null,
      r.handled_at
        ? h('div', { class: 'small muted', 'data-testid': 'rf-outcome' }, withWhen(h, (time) => (r.accepted
          ? t(r.type === 'job.complete' ? 'rf.accepted' : 'rf.accepted_with', { who: staffName(r.handled_by), t: time(r.handled_at) })
          : t('rf.handled', { who: staffName(r.handled_by), t: time(r.handled_at), note: r.handled_note }))))
        : h('div', { class: 'rf-actions' },
          r.may_accept ? h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'rf-accept', onclick: async () => {
            if (await acceptDialog(ctx, r)) onChanged();
          } }, t('rf.accept')) : null,
          mayHandle ? h('button', { type: 'button', class: 'btn btn-small', onclick: async () => {
            if (await handleDialog(ctx, r)) onChanged();
          } }, t('rf.handle')) : null)))));
}
