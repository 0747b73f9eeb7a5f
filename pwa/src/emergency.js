// The emergency sheet every screen's ☎ button opens, and the summonses to an emergency's scene.
//
// Sheet: the public numbers (R-EM-5) and the compound's own service centre and control room (R-EM-2;
// at night the control room takes the calls, R-SH-1), each tap-to-call, kept on the phone so they show
// offline; for staff on rounds (guard, technician, cleaner, team lead) a 「报告紧急情况」 form that goes
// through the outbox (`emergency.report`): it is kept and sent like every field step, and the desk gets
// it as an intake found by staff, flagged emergency, received when it was tapped (R-IN-1).
//
// Summons: the desk calls people to the scene (R-EM-2); each summons this user answers comes down the
// feed (entity 'summons', docs store), shows as a red strip on every screen until they have arrived and
// reported, and opens #/summons/<case>/<post> (views/summons.js), where 已到场 and the report back go
// through the outbox too (`summons.arrive`, `summons.report`).
import { get } from './api.js';
import { kvGet, kvSet, listDocs } from './db.js';
import { h, mount, openDialog, toast } from './dom.js';
import { joinList, localErrorText, registerStrings, t } from './i18n.js';
import { enqueue } from './outbox.js';
import { currentUser } from './session.js';
import { photoPicker } from './views/job.js';

registerStrings({
  zh: {
    'emergency.public': '公共救援电话',
    'emergency.compound': '本小区',
    'emergency.service_centre': '服务中心',
    'emergency.control_room': '中控室',
    'emergency.no_number': '未登记号码',
    'emergency.report': '报告紧急情况',
    'emergency.report_hint': '先打电话求救，再报告服务中心。离线时报告保存在本机，联网后立即发送。',
    'er.title': '报告紧急情况',
    'er.what': '发生了什么',
    'er.building': '楼栋',
    'er.building_none': '不在楼内或不确定',
    'er.where': '具体位置',
    'er.where_ph': '如：地库 B2 配电间、北门岗亭',
    'er.note': '情况说明',
    'er.note_ph': '看到了什么、有没有人受伤、已经做了什么',
    'er.send': '报告服务中心',
    'er.what_missing': '请选择发生了什么',
    'er.where_missing': '请选择楼栋或填写具体位置',
    'er.queued': '已报告，正在发送给服务中心',
    'er.queued_offline': '已保存在本机，联网后立即发送给服务中心',
    'er.what.fire': '火警 / 火灾',
    'er.what.medical': '急病',
    'er.what.injury': '有人受伤',
    'er.what.crime': '盗窃 / 打架 / 抢劫等治安事件',
    'er.what.traffic_accident': '交通事故',
    'er.what.disaster': '水浸 / 自然灾害',
    'er.what.public_safety': '其他危及人身财产安全的事件',
    'sm.strip': '你被召集到 {where} 现场',
    'sm.strip_open': '查看',
    'sm.role.security_manager': '保安经理',
    'sm.role.engineering_manager': '工程经理',
    'sm.role.guard_captain': '保安队长',
    'sm.role.elevator_captain': '电梯队长',
    'sm.role.repair_lead': '维修班长',
    'sm.role.guard_shift_lead': '保安领班',
    'sm.gone_passed': '你已不再担任{role}，此次召集已随岗位转给{who}，已从本机移除。',
    'sm.gone_left': '你已不再担任{role}，此次召集已从本机移除。',
    'sm.gone_closed': '此紧急事件已销项，召集已结束。',
    'sm.gone_passed_toast': '{case_no}：你已不再担任{role}，召集已转给{who}',
  },
  en: {
    'emergency.public': 'Public emergency numbers',
    'emergency.compound': 'This compound',
    'emergency.service_centre': 'Service centre',
    'emergency.control_room': 'Control room',
    'emergency.no_number': 'No number on file',
    'emergency.report': 'Report an emergency',
    'emergency.report_hint': 'Call for help first, then tell the service centre. Offline, the report is kept on this phone and sent as soon as you are online.',
    'er.title': 'Report an emergency',
    'er.what': 'What happened',
    'er.building': 'Building',
    'er.building_none': 'Not in a building, or not sure',
    'er.where': 'Exact place',
    'er.where_ph': 'e.g. B2 switch room, north gate booth',
    'er.note': 'What you see',
    'er.note_ph': 'What is happening, anyone hurt, what has been done',
    'er.send': 'Report to the service centre',
    'er.what_missing': 'Choose what happened',
    'er.where_missing': 'Choose a building or say where',
    'er.queued': 'Reported; sending to the service centre',
    'er.queued_offline': 'Saved on this phone; sent to the service centre as soon as you are online',
    'er.what.fire': 'Fire or fire alarm',
    'er.what.medical': 'Sudden illness',
    'er.what.injury': 'Someone injured',
    'er.what.crime': 'Theft, fight, robbery or other crime',
    'er.what.traffic_accident': 'Traffic accident',
    'er.what.disaster': 'Flood or natural disaster',
    'er.what.public_safety': 'Other danger to people or property',
    'sm.strip': 'You are summoned to the scene: {where}',
    'sm.strip_open': 'Open',
    'sm.role.security_manager': 'Security manager',
    'sm.role.engineering_manager': 'Engineering manager',
    'sm.role.guard_captain': 'Guard captain',
    'sm.role.elevator_captain': 'Elevator captain',
    'sm.role.repair_lead': 'Repair lead',
    'sm.role.guard_shift_lead': 'Guard shift lead',
    'sm.gone_passed': 'You no longer hold the post of {role}: this call-out passed with the post to {who} and has left this phone.',
    'sm.gone_left': 'You no longer hold the post of {role}: this call-out has left this phone.',
    'sm.gone_closed': 'This emergency is closed; the call-out is over.',
    'sm.gone_passed_toast': '{case_no}: you no longer hold the post of {role}; the call-out passed to {who}',
  },
});

const PUBLIC = ['110', '119', '120', '122']; // R-EM-5
// What a phone can report (server cases.FIELD_EMERGENCY_HELP), the commonest first.
export const REPORTABLE = ['fire', 'medical', 'injury', 'crime', 'traffic_accident', 'disaster', 'public_safety'];
// Staff on rounds and on site report from the sheet; the desk records its own at intake (server REPORTERS).
const REPORTER_ROLES = ['guard', 'technician', 'cleaner', 'team_lead'];
const DESK_ROLES = ['dispatcher', 'front_desk', 'control_room', 'manager'];

/** Whether the sheet offers 报告紧急情况: someone on rounds, not at the desk (which takes intakes itself). */
export function canReportEmergency(roles) {
  const r = roles || [];
  return r.some((x) => REPORTER_ROLES.includes(x)) && !r.some((x) => DESK_ROLES.includes(x));
}

// ---- the compound's numbers and buildings, kept for offline ------------------------------------

const INFO_KEY = 'emergencyInfo';

/** {phones: {service_centre_phone, control_room_phone}, buildings: [{id, name}]} as last fetched, or empty. */
export async function cachedEmergencyInfo() {
  return (await kvGet(INFO_KEY).catch(() => null)) || { phones: {}, buildings: [] };
}

/** Fetch the compound's numbers and buildings and keep them, so the sheet has them in a basement. */
export async function refreshEmergencyInfo() {
  if (!currentUser() || globalThis.navigator?.onLine === false) return cachedEmergencyInfo();
  try {
    const [phones, units] = await Promise.all([get('/api/compound/phones', { timeoutMs: 8000 }),
      get('/api/units', { timeoutMs: 8000 }).catch(() => null)]);
    const old = await cachedEmergencyInfo();
    const info = { phones: phones || {}, buildings: units ? units.map((b) => ({ id: b.id, name: b.name })) : old.buildings };
    await kvSet(INFO_KEY, info);
    return info;
  } catch {
    return cachedEmergencyInfo();
  }
}

/** One of the compound's numbers as a tile to tap and call, or that none is on file. */
export function telLink(number, label, testid) {
  return number
    ? h('a', { class: 'emergency-call emergency-call-compound', href: `tel:${number}`, 'data-testid': testid },
      h('span', { class: 'emergency-label', text: label }),
      h('span', { class: 'emergency-number emergency-number-long', text: number }))
    : h('div', { class: 'emergency-call emergency-call-compound is-none', 'data-testid': testid },
      h('span', { class: 'emergency-label', text: label }),
      h('span', { class: 'muted small', text: t('emergency.no_number') }));
}

/** The ☎ sheet: public numbers, the compound's own numbers and, for staff on rounds, the report form. */
export async function openEmergency() {
  const info = await cachedEmergencyInfo();
  refreshEmergencyInfo(); // next time: whatever changed since
  const mayReport = canReportEmergency(currentUser()?.roles);
  const choice = await openDialog((close) => [
    h('h2', { class: 'dialog-title', text: t('emergency.title') }),
    h('p', { class: 'muted', text: t('emergency.hint') }),
    h('h3', { class: 'emergency-head', text: t('emergency.public') }),
    h('div', { class: 'emergency-grid' },
      PUBLIC.map((n) => h('a', { class: 'emergency-call', href: `tel:${n}` },
        h('span', { class: 'emergency-number', text: n }),
        h('span', { class: 'emergency-label', text: t(`emergency.${n}`) })))),
    h('h3', { class: 'emergency-head', text: t('emergency.compound') }),
    h('div', { class: 'emergency-grid emergency-grid-compound' },
      telLink(info.phones?.service_centre_phone, t('emergency.service_centre'), 'tel-service-centre'),
      telLink(info.phones?.control_room_phone, t('emergency.control_room'), 'tel-control-room')),
    mayReport ? h('div', { class: 'emergency-report' },
      h('button', { type: 'button', class: 'btn btn-danger btn-block', 'data-action': 'report-emergency', onclick: () => close('report') },
        t('emergency.report')),
      h('p', { class: 'field-hint', text: t('emergency.report_hint') })) : null,
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => close() }, t('common.close'))),
  ], { className: 'dialog-emergency' });
  if (choice === 'report') await openReportForm(info);
}

/** The report's args as the server takes them (server ReportArgs), or the key of what is missing. */
export function reportArgs({ what, building_id: building, where, note, photo }) {
  if (!REPORTABLE.includes(what)) return { missing: 'er.what_missing' };
  if (!building && !String(where || '').trim()) return { missing: 'er.where_missing' };
  const args = { what, where: String(where || '').trim(), note: String(note || '').trim() };
  if (building) args.building_id = building;
  if (photo) args.photo_sha256 = photo;
  return { args };
}

async function openReportForm(info) {
  const user = currentUser();
  if (!user) return;
  const buildings = info?.buildings || [];
  await openDialog((close) => {
    const whats = h('div', { class: 'choice-list', role: 'radiogroup', 'aria-label': t('er.what') },
      REPORTABLE.map((w) => h('label', { class: 'choice' },
        h('input', { type: 'radio', name: 'what', value: w }), h('span', { text: t(`er.what.${w}`) }))));
    const building = h('select', { name: 'building_id' },
      h('option', { value: '' }, t('er.building_none')),
      buildings.map((b) => h('option', { value: b.id }, b.name)));
    const where = h('input', { type: 'text', name: 'where', maxlength: 200, placeholder: t('er.where_ph'), autocomplete: 'off' });
    const note = h('textarea', { name: 'note', rows: 3, maxlength: 2000, placeholder: t('er.note_ph') });
    const picker = photoPicker();
    const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const send = h('button', { type: 'submit', class: 'btn btn-danger' }, t('er.send'));
    return h('form', {
      class: 'form emergency-report-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        send.disabled = true;
        try {
          await picker.settled(); // a photo still being stored must not be left out
          const chosen = whats.querySelector('input[name=what]:checked')?.value;
          const out = reportArgs({ what: chosen, building_id: building.value, where: where.value, note: note.value, photo: picker.shas[0] });
          if (out.missing) {
            err.textContent = t(out.missing);
            err.hidden = false;
            return;
          }
          await enqueue(user.id, 'emergency.report', out.args, { blobs: out.args.photo_sha256 ? [out.args.photo_sha256] : [] });
          close(true);
          toast(t(globalThis.navigator?.onLine === false ? 'er.queued_offline' : 'er.queued'), 'ok');
        } catch (ex) {
          err.textContent = localErrorText(ex); // a full phone: the form keeps what was typed
          err.hidden = false;
        } finally {
          send.disabled = false;
        }
      },
    },
    h('h2', { class: 'dialog-title', text: t('er.title') }),
    h('fieldset', { class: 'field' }, h('legend', { class: 'field-label', text: t('er.what') }), whats),
    buildings.length ? h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('er.building') }), building) : null,
    h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('er.where') }), where),
    h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('er.note') }), note),
    picker.element,
    err,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, t('common.cancel')),
      send));
  }, { className: 'dialog-emergency-report' });
}

// ---- summonses to the scene (R-EM-2) --------------------------------------------------------------

/**
 * A summons as this phone shows it: the server's doc with this user's unsent steps on it laid over, so
 * 已到场 and a report show at once, offline. `pending`: the steps still to send; `reports`: each report
 * sent from here not yet in the doc, with when it was written (on the server's clock, D128).
 */
export function summonsState(doc, entries, timeOf = (e) => e.server_time_est || e.device_time) {
  const mine = (entries || []).filter((e) => e.args?.case_id === doc.case_id && e.args?.role === doc.role
    && (e.type === 'summons.arrive' || e.type === 'summons.report'));
  const waiting = mine.filter((e) => e.state === 'waiting');
  const refused = mine.filter((e) => e.state === 'refused' && !e.dismissed_at);
  let arrivedAt = doc.arrived_at || null;
  const pendingReports = [];
  for (const e of waiting) {
    const at = timeOf(e);
    if (!arrivedAt || Date.parse(at) < Date.parse(arrivedAt)) arrivedAt = at;
    if (e.type === 'summons.report') pendingReports.push({ text: e.args.text, at });
  }
  return {
    ...doc,
    arrived_at: arrivedAt,
    arrived_pending: !doc.arrived_at && Boolean(arrivedAt),
    pending: waiting,
    pending_reports: pendingReports,
    refused,
    reported: Boolean(doc.reported_at) || pendingReports.length > 0,
  };
}

/** Whether a summons still calls its person to the scene: not settled, the case not closed, not yet reported back. */
export function stillCalling(s) {
  return !s.settled_at && s.case_state !== 'closed' && !s.reported;
}

export async function loadSummonses(entries) {
  const docs = (await listDocs('summons').catch(() => [])).map((d) => d.doc).filter(Boolean);
  return docs.map((d) => summonsState(d, entries)).sort((a, b) => Date.parse(b.summoned_at) - Date.parse(a.summoned_at));
}

/**
 * Why a summons left this phone, in words, from the pull's removal (server summons_removal): the post it
 * called passed to someone else (naming who holds it now), or the case closed; null when the pull said
 * nothing (a summons removed before reasons were sent).
 */
export function summonsGoneText(gone) {
  if (!gone) return null;
  const role = t(`sm.role.${gone.role}`);
  if (gone.reason === 'post_passed') {
    const names = gone.to_names || [];
    return names.length ? t('sm.gone_passed', { role, who: joinList(names) }) : t('sm.gone_left', { role });
  }
  if (gone.reason === 'closed') return t('sm.gone_closed');
  return null;
}

/** The toast when a summons shown in the strip left it because its post passed to someone else; else null. */
export function summonsPassedToast(gone) {
  if (gone?.reason !== 'post_passed') return null;
  const names = gone.to_names || [];
  return names.length
    ? t('sm.gone_passed_toast', { case_no: gone.case_no || '', role: t(`sm.role.${gone.role}`), who: joinList(names) })
    : t('sm.gone_left', { role: t(`sm.role.${gone.role}`) });
}

export function summonsHref(s) {
  return `#/summons/${encodeURIComponent(s.case_id)}/${encodeURIComponent(s.role)}`;
}

/** The red strip under the sync bar: every summons still calling this user, each a link to its page. */
export function summonsStrip(el, list) {
  const calling = (list || []).filter(stillCalling);
  el.hidden = !calling.length;
  mount(el, calling.map((s) => h('a', { class: 'summons-strip-item', href: summonsHref(s), 'data-testid': 'summons-strip' },
    h('span', { class: 'summons-strip-icon', 'aria-hidden': 'true', text: '⚠' }),
    h('span', { class: 'summons-strip-text', text: t('sm.strip', { where: s.address || s.case_no }) }),
    h('span', { class: 'summons-strip-open', text: t('sm.strip_open') }))));
}
