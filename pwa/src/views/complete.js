// Completion and resident sign-off: work done, materials, fee, photos, the signer's name and
// relation, and a finger signature (signature_pad) stored as a PNG blob by sha256. The
// job.complete intent references the hashes; sync uploads the blobs before sending it.
import SignaturePad from 'signature_pad';
import { canvasToBlob, storeBlob } from '../blobs.js';
import { deleteDraft, getDraft, putDraft } from '../db.js';
import { h, mount, toast } from '../dom.js';
import { localErrorText, registerStrings, t } from '../i18n.js';
import { formatFee } from '../clock.js';
import { completeJob, feeAboveTold, feeProblem, loadJob, noFeeNote, residentMayBeCharged } from '../jobs.js';
import { photoPicker } from './job.js';

registerStrings({
  zh: {
    'complete.title': '完工签字',
    'complete.work_done': '完成的工作（必填）',
    'complete.work_placeholder': '例如：到场处理完毕，并向住户说明结果',
    'complete.work_placeholder.repair': '例如：更换厨房水龙头阀芯，试水无渗漏',
    'complete.work_placeholder.complaint': '例如：已清理现场，并向住户说明处理结果',
    'complete.work_placeholder.special_service': '例如：按预约完成服务，住户现场查看无问题',
    'complete.materials': '使用材料',
    'complete.materials_placeholder': '没有可不填',
    'complete.materials_placeholder.repair': '例如：阀芯 1 个，生料带',
    'complete.fee': '收费（元）',
    'complete.fee_hint': '无收费填 0',
    'complete.fee_agreed_hint': '按约定收费 {fee}/次，不得超过',
    'complete.fee_told_hint': '派工前已告知住户 {fee}；高于此数须填写原因',
    'complete.fee_over_reason': '收费高于告知的原因（必填，印在服务单上）',
    'complete.fee_over_placeholder': '例如：现场发现需更换的配件，已向住户说明',
    'complete.over_agreed': '收费不得超过住户认可的约定收费 {fee}',
    'complete.reason_needed': '收费高于告知住户的 {fee}，请填写原因',
    'complete.no_fee': '不向住户收费',
    'complete.no_charge': '不收费',
    'complete.no_fee_hint': '公共设施、开发商遗留问题和非有偿服务不收费；如属业主付费，请先联系服务中心更改分类',
    'complete.photos': '完工照片',
    'complete.signer': '签字人姓名（必填）',
    'complete.relation': '与业主关系',
    'rel.owner': '业主',
    'rel.household': '家庭成员',
    'rel.other': '其他',
    'complete.signature': '住户签名',
    'complete.grade': '住户评价（选填）',
    'complete.grade_hint': '请住户自己选择，评价会随签名一起提交',
    'rating.none': '不评价',
    'rating.A': '满意',
    'rating.B': '一般满意',
    'rating.C': '不满意',
    'complete.opinion': '住户意见',
    'complete.opinion_placeholder': '住户想说的话（选填）',
    'complete.signature_hint': '请住户在框内用手指签名',
    'complete.clear': '清除签名',
    'complete.submit': '确认完工',
    'complete.need_signature': '请住户先签名',
    'complete.need_work': '请填写完成的工作',
    'complete.need_signer': '请填写签字人姓名',
    'complete.bad_fee': '收费金额格式不正确',
    'complete.saved': '已完工，待同步',
    'complete.not_allowed': '该工单当前不能完工。',
  },
  en: {
    'complete.title': 'Complete & sign off',
    'complete.work_done': 'Work done (required)',
    'complete.work_placeholder': 'e.g. dealt with on site and explained the outcome to the resident',
    'complete.work_placeholder.repair': 'e.g. replaced the kitchen tap cartridge, no leak on test',
    'complete.work_placeholder.complaint': 'e.g. cleaned up the area and told the resident what was done',
    'complete.work_placeholder.special_service': 'e.g. service done as booked; the resident checked it on site',
    'complete.materials': 'Materials used',
    'complete.materials_placeholder': 'Leave empty if none',
    'complete.materials_placeholder.repair': 'e.g. 1 cartridge, PTFE tape',
    'complete.fee': 'Fee (yuan)',
    'complete.fee_hint': '0 if free of charge',
    'complete.fee_agreed_hint': 'Agreed fee {fee} per visit; do not charge more',
    'complete.fee_told_hint': 'The resident was told {fee} before dispatch; above that, give the reason',
    'complete.fee_over_reason': 'Why the fee is above the one told (required, printed on the slip)',
    'complete.fee_over_placeholder': 'e.g. a part found on site had to be replaced; explained to the resident',
    'complete.over_agreed': 'The fee cannot exceed the {fee} the resident agreed to',
    'complete.reason_needed': 'The fee is above the {fee} told to the resident: give the reason',
    'complete.no_fee': 'No charge to the resident',
    'complete.no_charge': 'No charge',
    'complete.no_fee_hint': 'Common facilities, developer defects and unpaid work are free; if the owner pays, ask the service centre to change the class first',
    'complete.photos': 'Photos',
    'complete.signer': "Signer's name (required)",
    'complete.relation': 'Relation to the owner',
    'rel.owner': 'Owner',
    'rel.household': 'Household member',
    'rel.other': 'Other',
    'complete.signature': "Resident's signature",
    'complete.grade': "Resident's rating (optional)",
    'complete.grade_hint': 'Let the resident choose; it is submitted with the signature',
    'rating.none': 'No rating',
    'rating.A': 'Satisfied',
    'rating.B': 'Fairly satisfied',
    'rating.C': 'Unsatisfied',
    'complete.opinion': "Resident's comments",
    'complete.opinion_placeholder': 'Anything the resident wants to say (optional)',
    'complete.signature_hint': 'Ask the resident to sign in the box with a finger',
    'complete.clear': 'Clear',
    'complete.submit': 'Confirm completion',
    'complete.need_signature': 'The resident has not signed yet',
    'complete.need_work': 'Describe the work done',
    'complete.need_signer': "Enter the signer's name",
    'complete.bad_fee': 'The fee is not a valid amount',
    'complete.saved': 'Completed; will sync',
    'complete.not_allowed': 'This job cannot be completed now.',
  },
});

/**
 * A placeholder that fits the job's kind (R-IN-2): the kitchen-tap example is a repair's; a cleaner
 * closing a complaint, or a paid service, gets its own or a neutral one.
 */
export function placeholderFor(field, kind) {
  const key = `complete.${field}_placeholder.${kind}`;
  const text = t(key);
  return text === key ? t(`complete.${field}_placeholder`) : text;
}

/** '12.5' → 1250; '' → 0; invalid → null. Integer fen, no float rounding surprises. */
export function yuanToFen(text) {
  const s = String(text ?? '').trim();
  if (!s) return 0;
  const m = s.match(/^(\d{1,7})(?:\.(\d{1,2}))?$/);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
}

/** Keeps the canvas backing store matched to its CSS size × devicePixelRatio (sharp on phones). */
function fitCanvas(canvas, pad) {
  const ratio = Math.max(window.devicePixelRatio || 1, 1);
  const w = canvas.offsetWidth;
  const hgt = canvas.offsetHeight;
  if (!w || !hgt) return;
  if (canvas.width === Math.round(w * ratio) && canvas.height === Math.round(hgt * ratio)) return;
  const data = pad.toData();
  canvas.width = Math.round(w * ratio);
  canvas.height = Math.round(hgt * ratio);
  canvas.getContext('2d').scale(ratio, ratio);
  pad.clear(); // repaints the background at the new size
  if (data.length) pad.fromData(data);
}

/** The form's fields as kept in its draft (D91); the signature is signature_pad's point data. */
export function draftOf(form, pad) {
  const v = (name) => form.elements.namedItem(name)?.value ?? '';
  return {
    work_done: v('work_done'),
    materials: v('materials'),
    fee: v('fee'),
    fee_over_reason: v('fee_over_reason'),
    signer_name: v('signer_name'),
    signer_relation: form.querySelector('input[name=signer_relation]:checked')?.value || 'owner',
    resident_grade: form.querySelector('input[name=resident_grade]:checked')?.value || '',
    resident_opinion: v('resident_opinion'),
    photo_sha256s: [],
    signature: pad.toData(),
  };
}

/** Puts a draft back into the form: only the fields it has, so an older draft leaves the rest. */
export function applyDraft(form, draft) {
  for (const name of ['work_done', 'materials', 'fee', 'fee_over_reason', 'signer_name', 'resident_opinion']) {
    const el = form.elements.namedItem(name);
    if (el && typeof draft[name] === 'string') el.value = draft[name];
  }
  for (const name of ['signer_relation', 'resident_grade']) {
    if (typeof draft[name] !== 'string') continue;
    for (const radio of form.querySelectorAll(`input[name=${name}]`)) radio.checked = radio.value === draft[name];
  }
}

export async function render(root, [id], app) {
  const job = await loadJob(id);
  const userId = app.user?.id;
  if (!job || job.is_done) {
    // Only a job done has nothing left to complete (D91). A job missing from this phone (the store
    // cleared when another worker signed in, before this one's pull; or removed by a pull) is no proof
    // the signed slip left: the draft holds the resident's signature, so it stays.
    if (userId && job?.is_done) deleteDraft(userId, 'complete', id).catch(() => {});
    mount(root, h('a', { class: 'back-link', href: `#/job/${encodeURIComponent(id)}`, text: t('common.back') }), h('p', { class: 'empty', text: t('complete.not_allowed') }));
    return null;
  }
  const workDone = h('textarea', { name: 'work_done', rows: 3, required: true, maxlength: 2000, placeholder: placeholderFor('work', job.kind) });
  const materials = h('textarea', { name: 'materials', rows: 2, maxlength: 2000, placeholder: placeholderFor('materials', job.kind) });
  const fee = h('input', { name: 'fee', inputmode: 'decimal', value: job.fee_cents ? (job.fee_cents / 100).toFixed(2) : '0', autocomplete: 'off' });
  // A slip may carry a fee only where the resident pays; elsewhere the server refuses the whole
  // signed completion (case.fee_not_chargeable), so the form offers no amount to type.
  const chargeable = residentMayBeCharged(job);
  // What the resident was told before dispatch bounds the fee (R-SS-2, R-IN-6 a): a per-visit service
  // charges at most what was agreed; a repair above the fee told says why, on the slip they sign.
  const told = job.fee_quote_cents ?? null;
  const feeHint = told === null ? t('complete.fee_hint')
    : job.kind === 'special_service' && job.fee_unit_code === 'per_visit' ? t('complete.fee_agreed_hint', { fee: formatFee(told) })
      : job.kind === 'repair' ? t('complete.fee_told_hint', { fee: formatFee(told) }) : t('complete.fee_hint');
  const overReason = h('textarea', { name: 'fee_over_reason', rows: 2, maxlength: 500, placeholder: t('complete.fee_over_placeholder') });
  const overField = h('label', { class: 'field', 'data-testid': 'fee-over-reason', hidden: true },
    h('span', { class: 'field-label', text: t('complete.fee_over_reason') }), overReason);
  const showOver = () => {
    overField.hidden = !feeAboveTold(job, yuanToFen(fee.value) ?? 0);
  };
  fee.addEventListener('input', showOver);
  showOver();
  const noFee = noFeeNote(job);
  const feeField = chargeable
    ? [h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('complete.fee') }), fee, h('span', { class: 'field-hint', text: feeHint })),
      overField]
    : h('div', { class: 'field', 'data-testid': 'no-fee' }, h('span', { class: 'field-label', text: t('complete.fee') }),
      h('strong', { text: t(noFee.label) }), noFee.hint ? h('span', { class: 'field-hint', text: t(noFee.hint) }) : null);
  const signer = h('input', { name: 'signer_name', required: true, maxlength: 60, value: job.contact_name || '', autocomplete: 'off' });
  const relations = ['owner', 'household', 'other'];
  const relationGroup = h('div', { class: 'segmented', role: 'radiogroup' },
    relations.map((r, i) => h('label', { class: 'segmented-item' },
      h('input', { type: 'radio', name: 'signer_relation', value: r, checked: i === 0 }),
      h('span', { text: t(`rel.${r}`) }))));
  const photos = photoPicker({ multiple: true });
  // 业主评价 (R-RV-3 grades): no grade preselected — it is the resident's word, not the
  // technician's — and "不评价" stays one tap away, so a grade tapped by mistake can be taken back
  // before it is signed.
  const gradeGroup = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': t('complete.grade') },
    ['', 'A', 'B', 'C'].map((g) => h('label', { class: 'segmented-item' },
      h('input', { type: 'radio', name: 'resident_grade', value: g, checked: g === '' }),
      h('span', { text: t(g ? `rating.${g}` : 'rating.none') }))));
  const opinion = h('textarea', { name: 'resident_opinion', rows: 2, maxlength: 500, placeholder: t('complete.opinion_placeholder') });

  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const canvas = h('canvas', { class: 'signature-canvas', 'aria-label': t('complete.signature') });
  const pad = new SignaturePad(canvas, { backgroundColor: 'rgb(255,255,255)', penColor: '#111', minWidth: 0.8, maxWidth: 2.6 });
  pad.addEventListener('beginStroke', () => {
    error.hidden = true;
  });
  const clear = h('button', { type: 'button', class: 'btn btn-small', onclick: () => pad.clear() }, t('complete.clear'));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('complete.submit'));

  const fail = (key, vars) => {
    error.textContent = t(key, vars);
    error.hidden = false;
    error.scrollIntoView({ block: 'center' });
  };

  const form = h('form', {
    class: 'form complete-form',
    novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      const feeCents = chargeable ? yuanToFen(fee.value) : 0;
      if (!workDone.value.trim()) return fail('complete.need_work');
      if (feeCents === null) return fail('complete.bad_fee');
      const problem = feeProblem(job, feeCents, overReason.value);
      if (problem) return fail(`complete.${problem}`, { fee: formatFee(told) });
      if (!signer.value.trim()) return fail('complete.need_signer');
      if (pad.isEmpty()) return fail('complete.need_signature');
      submit.disabled = true;
      try {
        await photos.settled(); // a photo still being processed belongs to this completion
        const png = await canvasToBlob(canvas, 'image/png');
        const signatureSha = await storeBlob(png);
        await completeJob(job.id, {
          work_done: workDone.value.trim(),
          materials: materials.value.trim(),
          fee_cents: feeCents,
          photo_sha256s: [...photos.shas],
          signature_sha256: signatureSha,
          signer_name: signer.value.trim(),
          signer_relation: form.querySelector('input[name=signer_relation]:checked')?.value || 'owner',
          resident_grade: form.querySelector('input[name=resident_grade]:checked')?.value || null,
          resident_opinion: opinion.value.trim(),
          // Only a fee above the one told is explained (and the reason covered by the signature).
          fee_over_reason: feeAboveTold(job, feeCents) ? overReason.value.trim() : '',
        });
        // Queued: the draft has done its work. Stop any pending save first, so it cannot come back.
        sent = true;
        clearTimeout(saveTimer);
        if (userId) await deleteDraft(userId, 'complete', job.id).catch(() => {});
        toast(t('complete.saved'), 'ok');
        app.navigate(`#/job/${encodeURIComponent(job.id)}`);
      } catch (e) {
        submit.disabled = false;
        error.textContent = localErrorText(e);
        error.hidden = false;
      }
    },
  },
  h('a', { class: 'back-link', href: `#/job/${encodeURIComponent(job.id)}`, text: t('common.back') }),
  h('h1', { text: t('complete.title') }),
  h('p', { class: 'muted', text: `${job.case_no || job.id} · ${job.unit_label || job.address || ''}` }),
  h('section', { class: 'card' },
    h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('complete.work_done') }), workDone),
    h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('complete.materials') }), materials),
    feeField,
    h('div', { class: 'field' }, h('span', { class: 'field-label', text: t('complete.photos') }), photos.element)),
  h('section', { class: 'card' },
    h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('complete.signer') }), signer),
    h('div', { class: 'field' }, h('span', { class: 'field-label', text: t('complete.relation') }), relationGroup),
    h('div', { class: 'field' }, h('span', { class: 'field-label', text: t('complete.grade') }), gradeGroup,
      h('span', { class: 'field-hint', text: t('complete.grade_hint') })),
    h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('complete.opinion') }), opinion),
    h('div', { class: 'field' },
      h('div', { class: 'signature-head' }, h('span', { class: 'field-label', text: t('complete.signature') }), clear),
      h('div', { class: 'signature-box' }, canvas),
      h('span', { class: 'field-hint', text: t('complete.signature_hint') }))),
  error,
  submit);

  // The draft (D91): a completion is filled at the resident's door, and the worker may step away to
  // the inbox, the phone may reload or kill the app; what was typed and signed comes back. Saved a
  // moment after each change and when the screen is left; deleted once the completion is queued.
  let sent = false;
  let saveTimer = null;
  const saveNow = () => {
    clearTimeout(saveTimer);
    if (sent || !userId) return;
    putDraft(userId, 'complete', job.id, { ...draftOf(form, pad), photo_sha256s: [...photos.shas] }).catch(() => {});
  };
  const saveSoon = () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveNow, 300);
  };
  form.addEventListener('input', saveSoon);
  form.addEventListener('change', saveSoon);
  pad.addEventListener('endStroke', saveSoon);
  clear.addEventListener('click', saveSoon);
  const onHide = () => {
    if (document.visibilityState === 'hidden') saveNow();
  };
  document.addEventListener('visibilitychange', onHide);
  window.addEventListener('pagehide', saveNow);
  const draft = userId ? await getDraft(userId, 'complete', job.id).catch(() => null) : null;
  if (draft) {
    applyDraft(form, draft);
    if (Array.isArray(draft.photo_sha256s)) photos.restore(draft.photo_sha256s);
    // Drawn before the canvas is sized is fine: fitCanvas keeps the points across the resize.
    if (Array.isArray(draft.signature) && draft.signature.length) pad.fromData(draft.signature);
    showOver();
  }
  // A photo taken changes no form field: its picker's input is reset; keep the draft's list current.
  photos.element.addEventListener('change', () => photos.settled().then(saveSoon));

  mount(root, form);
  // Sized when it is on screen and whenever its box changes (rotation, split screen); a height-
  // only change such as a mobile address bar hiding leaves the backing store, and the ink, alone.
  const ro = new ResizeObserver(() => fitCanvas(canvas, pad));
  ro.observe(canvas);
  return () => {
    saveNow(); // leaving the screen (inbox tab, back): keep what was typed since the last save
    document.removeEventListener('visibilitychange', onHide);
    window.removeEventListener('pagehide', saveNow);
    ro.disconnect();
    pad.off();
  };
}
