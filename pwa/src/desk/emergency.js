// The emergency panel of a case (R-EM-1..5): escalation chain manager → deputy GM → GM with
// attempts and acknowledgement, people summoned to the scene with their arrival reports,
// leadership instructions tracked one by one, and settling the event.
import { confirmDialog } from '../dom.js';
import { mayAct } from './case-actions.js';
import { colon, paren } from '../i18n.js';
import { errorBox, label, options, staffName, whenEl, withWhen } from './common.js';
import { helpReplyStrip } from './help-reply.js';

const CHAIN = ['manager', 'deputy_gm', 'general_manager']; // R-EM-2
const NUMBERS = ['110', '119', '120', '122']; // R-EM-5

let toCallCache = null;
/** R-EM-5: {help_kind: {kind: [numbers]}, trigger: {type: [numbers]}}, the server's (domain's) table. */
export async function loadNumbersToCall(ctx) {
  if (!toCallCache) toCallCache = await ctx.api.get('/api/emergency-numbers/to-call');
  return toCallCache;
}

/** The numbers a help kind and an emergency type call for, each once, the help kind's first (as the server). */
export function numbersFor(table, helpKind, trigger) {
  const found = [...(table?.help_kind?.[helpKind] || []), ...(table?.trigger?.[trigger] || [])];
  return [...new Set(found)];
}

/** The numbers to call as tap-to-dial links, the most pressing first. */
export function callLinks(h, t, numbers) {
  return h('div', { class: 'desk-tels desk-call-numbers' },
    numbers.map((n) => h('a', { class: 'desk-tel', href: `tel:${n}`, dataset: { number: n } }, t(`desk.em.${n}`))));
}

/**
 * R-EM-2 (D89): the people of the staff directory holding a rung of the chain (its role: manager,
 * deputy GM, GM) or a post summoned to the scene (security manager, guard captain …), in the
 * directory's order. Empty when nobody holds it: the panel says so rather than showing a bare title.
 */
export function rungHolders(staff, role) {
  return (staff || []).filter((p) => (p.roles || []).includes(role));
}

export function postHolders(staff, post) {
  return (staff || []).filter((p) => (p.posts || []).includes(post));
}

/**
 * R-EM-5 (D89): the record-a-call buttons, the numbers the case calls for first. A number the case
 * calls for and not yet recorded is the primary action; once a call to it is recorded it is done, and
 * its button only records another call (a second call to the same service does happen, D66), as a
 * secondary action that says so. Other numbers stay secondary.
 */
export function callButtons(prompted, calls) {
  const called = new Set((calls || []).map((c) => String(c.number)));
  const order = [...(prompted || []), ...NUMBERS.filter((n) => !(prompted || []).includes(n))];
  return order.map((number) => ({
    number,
    again: called.has(number),
    primary: (prompted || []).includes(number) && !called.has(number),
  }));
}

/** A person as the desk calls them: the name, and their number as a tap-to-call link (or that none is on file). */
export function personToCall(h, t, p) {
  return h('span', { class: 'desk-person', dataset: { personId: p.id } },
    h('span', { class: 'desk-person-name', text: p.display_name }), ' ',
    p.phone ? h('a', { class: 'desk-person-tel', href: `tel:${p.phone}`, text: p.phone })
      : h('span', { class: 'muted small', text: t('em.no_phone') }));
}

/**
 * R-EM-5: the public numbers called for this emergency (which, when, who) and a button per number to
 * record a call just made; the numbers the case calls for come first and stand out. `post(number)`
 * records it and redraws.
 */
export function publicCallsBlock(ctx, view, staff, post) {
  const { h, t } = ctx;
  const em = view.case.emergency;
  if (!em) return null;
  const prompted = view.summary?.numbers_to_call || [];
  const calls = em.public_calls || [];
  const may = mayAct(ctx.user?.roles, 'public_call');
  return h('div', { class: 'desk-public-calls', 'data-testid': 'em-public-calls' },
    h('h3', { text: t('em.public_calls') }),
    calls.length
      ? h('ul', { class: 'plain-list small', 'data-testid': 'em-calls' }, calls.map((c) => h('li', null,
        withWhen(h, (time) => t('em.called', { label: t(`desk.em.${c.number}`), t: time(c.at), who: staffName(staff, c.by) })))))
      : h('p', { class: 'muted small', text: t('em.no_calls') }),
    may ? h('div', { class: 'desk-btn-row' }, callButtons(prompted, calls).map((b) => h('button', {
      type: 'button',
      class: ['btn', 'btn-small', b.primary ? 'btn-primary' : ''],
      dataset: { record: b.number, ...(b.again ? { again: '' } : {}) },
      onclick: () => post(b.number),
    }, t(b.again ? 'em.record_call_again' : 'em.record_call', { n: t(`desk.em.${b.number}`) })))) : null);
}

export function emergencyPanel(ctx, view, staff, run, { onReplied } = {}) {
  const { h, t } = ctx;
  const em = view.case.emergency;
  if (!em) return null;
  // One error box per part of the panel, under the controls that caused it: the panel is taller
  // than the screen, and a refusal shown at its top is not seen by someone adding an instruction.
  const errs = { chain: errorBox(h), summons: errorBox(h), instructions: errorBox(h), settle: errorBox(h), calls: errorBox(h) };
  const base = `/api/cases/${view.case.id}/emergency`;
  const act = (part, path, body) => {
    Object.values(errs).forEach((e) => e.clear());
    return run(() => ctx.api.post(`${base}${path}`, body || {}), errs[part]);
  };
  const acked = em.attempts.some((a) => a.reached && a.acknowledged_at);

  // Next level to try: the first level not yet tried after the last unreached one.
  let nextIdx = 0;
  for (const a of em.attempts) nextIdx = Math.max(nextIdx, CHAIN.indexOf(a.target_role) + (a.reached ? 0 : 1));
  nextIdx = Math.min(nextIdx, CHAIN.length - 1);

  // R-EM-2, D89: each rung names who holds it, with the number to call, and records the outcome of
  // calling that person. The outcome is evidence of the escalation and cannot be undone, so it is asked
  // once more, naming the person and the outcome: 已联系上 and 联系不上 sit side by side.
  const attempt = async (role, person, reached) => {
    const who = person ? paren(person.display_name, label('role', role)) : label('role', role);
    const ok = await confirmDialog({
      title: t('em.attempt_title', { who }),
      body: t(reached ? 'em.attempt_body_reached' : 'em.attempt_body_unreached', { who }),
      ok: t(reached ? 'em.attempt_reached' : 'em.attempt_unreached'),
      cancel: t('common.cancel'),
    });
    if (ok) act('chain', '/attempt', { target_role: role, reached, means: 'phone', ...(person ? { target_id: person.id } : {}) });
  };
  const outcomeButtons = (role, person) => h('div', { class: 'desk-btn-row desk-attempt-buttons' },
    h('button', { type: 'button', class: 'btn btn-small', dataset: { attempt: 'reached' }, onclick: () => attempt(role, person, true) }, t('em.attempt_reached')),
    h('button', { type: 'button', class: 'btn btn-small', dataset: { attempt: 'unreached' }, onclick: () => attempt(role, person, false) }, t('em.attempt_unreached')));

  const chain = h('ol', { class: 'desk-chain' }, CHAIN.map((role, i) => {
    const attempts = em.attempts.filter((a) => a.target_role === role);
    // Only the person reached confirms taking charge (R-EM-2); the desk sees who it is waiting for.
    const me = ctx.user || {};
    const pendingAck = attempts.find((a) => a.reached && !a.acknowledged_at
      && (a.target_id ? a.target_id === me.id : (me.roles || []).includes(a.target_role)));
    const isNext = !acked && i === nextIdx;
    const holders = rungHolders(staff, role);
    const open = !acked && !em.settled_at;
    return h('li', { class: ['desk-chain-step', isNext ? 'is-next' : '', attempts.some((a) => a.acknowledged_at) ? 'is-acked' : ''], dataset: { role } },
      h('div', { class: 'desk-chain-role' }, h('strong', { text: label('role', role) })),
      attempts.length ? h('ul', { class: 'plain-list small' }, attempts.map((a) => h('li', null,
        whenEl(h, a.at), ` · ${label('means', a.means)} · `,
        a.reached ? h('span', { class: 'ok-text', text: t('em.attempt_reached') }) : h('span', { class: 'warn-text', text: t('em.attempt_unreached') }),
        a.acknowledged_at ? withWhen(h, (time) => ` · ${t('em.acked', { t: time(a.acknowledged_at) })}`) : a.reached ? ` · ${t('em.waiting_ack')}` : '',
        a.target_id ? ` · ${staffName(staff, a.target_id)}` : ''))) : h('p', { class: 'muted small', text: t('em.not_tried') }),
      holders.length ? h('ul', { class: 'plain-list desk-rung-people', 'data-testid': 'em-rung-people' }, holders.map((p) => h('li', { class: 'desk-rung-person' },
        personToCall(h, t, p), open ? outcomeButtons(role, p) : null)))
        : h('div', { class: 'desk-rung-people' },
          h('p', { class: 'muted small', 'data-testid': 'em-rung-nobody', text: t('em.nobody_holds') }),
          open ? outcomeButtons(role, null) : null),
      pendingAck ? h('div', { class: 'desk-btn-row' }, h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'em-ack', onclick: () => act('chain', '/ack') }, t('em.ack'))) : null);
  }));

  // Each input has a label of its own, not a placeholder that disappears as one types; a row's
  // input also names its row ("Report: Engineering"), so two of them are told apart by a reader.
  const inlineField = (text, input, short = false) => h('label', { class: ['desk-inline-field', short ? 'is-short' : ''] },
    h('span', { class: 'desk-inline-label', text }), input);

  const summoned = new Map(em.summons.map((s) => [s.role, s]));
  const summons = h('ul', { class: 'desk-summons' }, options('summoned').map(([role, text]) => {
    const s = summoned.get(role);
    const report = h('input', { type: 'text', name: `report_${role}`, 'aria-label': colon(t('em.report_text'), text), class: 'desk-inline-input' });
    const people = postHolders(staff, role);
    return h('li', { class: ['desk-summon', s ? 'is-summoned' : '', s?.arrived_at ? 'is-arrived' : ''], dataset: { role } },
      h('span', { class: 'desk-summon-role', text }),
      // R-EM-2, D89: who holds the post and the number to call them on.
      h('span', { class: 'desk-summon-people small', 'data-testid': 'em-post-people' }, people.length
        ? people.map((p) => personToCall(h, t, p))
        : h('span', { class: 'muted', 'data-testid': 'em-post-nobody', text: t('em.nobody_holds') })),
      s ? h('span', { class: 'small muted' }, withWhen(h, (time) => t('em.summoned', { t: time(s.summoned_at) }))) : null,
      // A summons naming nobody follows its post (D146): whoever took the post up later was called then, not at
      // the summons' own time, so each is named with when it reached them.
      ...(s && !s.person_id ? (s.holder_changes || []).filter((ch) => ch.held).map((ch) => h('span', { class: 'small muted', 'data-testid': 'em-summons-passed' },
        withWhen(h, (time) => t('em.summons_passed', { who: staffName(staff, ch.person_id), t: time(ch.at) })))) : []),
      // R-EM-2: the report back, and who sent it (the person summoned, from their phone, or the desk).
      s?.arrived_at ? h('span', { class: 'small', 'data-testid': 'em-summons-report' }, withWhen(h, (time) => t('em.arrived', { t: time(s.arrived_at) })),
        s.report ? ` · ${s.report}` : '',
        s.report && s.reported_by ? ` · ${t('em.reported_by', { who: staffName(staff, s.reported_by) })}` : '') : null,
      !s ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => act('summons', '/summon', { role }) }, t('em.summon')) : null,
      s && !s.reported_at ? h('span', { class: 'desk-inline desk-inline-labelled' }, inlineField(t('em.report_text'), report),
        h('button', { type: 'button', class: 'btn btn-small btn-primary', onclick: () => act('summons', '/arrival', { role, report: report.value.trim() || null }) }, t('em.report_arrival'))) : null);
  }));

  const insText = h('input', { type: 'text', name: 'instruction_text', class: 'desk-inline-input' });
  const insBy = h('input', { type: 'text', name: 'instruction_by', class: 'desk-inline-input desk-input-short' });
  const instructions = h('div', null,
    h('ul', { class: 'desk-instructions' }, em.instructions.map((ins) => {
      const result = h('input', { type: 'text', name: 'instruction_result', 'aria-label': colon(t('dlg.result'), ins.text), class: 'desk-inline-input' });
      return h('li', { class: ['desk-instruction', ins.done_at ? 'is-done' : ''] },
        h('div', null, h('strong', { text: ins.text }), h('span', { class: 'muted small' }, ` — ${ins.given_by} · `, whenEl(h, ins.given_at))),
        ins.done_at ? h('div', { class: 'small ok-text' }, withWhen(h, (time) => `${t('em.done_at', { t: time(ins.done_at) })}${ins.result ? ' · ' + ins.result : ''}`)) :
          h('div', { class: 'desk-inline desk-inline-labelled' }, inlineField(t('dlg.result'), result),
            h('button', { type: 'button', class: 'btn btn-small btn-primary', onclick: () => act('instructions', `/instructions/${encodeURIComponent(ins.id)}/done`, { result: result.value.trim() }) }, t('em.done'))));
    })),
    h('form', { class: 'desk-inline desk-inline-labelled', onsubmit: (e) => {
      e.preventDefault();
      act('instructions', '/instructions', { text: insText.value.trim(), given_by: insBy.value.trim() });
    } }, inlineField(t('em.instruction_text'), insText), inlineField(t('em.given_by'), insBy, true),
    h('button', { type: 'submit', class: 'btn btn-small' }, t('em.add_instruction'))));

  return h('section', { class: 'card desk-emergency', 'aria-label': t('em.title'), 'data-testid': 'emergency-panel' },
    h('div', { class: 'desk-section-head' },
      h('h2', { text: `⚠ ${t('em.title')}` }),
      h('span', { class: 'small', text: t('em.trigger', { t: label('trigger', em.trigger) }) }),
      h('span', { class: 'small muted' }, withWhen(h, (time) => t('em.declared', { t: time(em.declared_at) })))),
    // R-EM-5: the numbers this emergency calls for stand out among the four.
    h('div', { class: 'desk-tels desk-tels-panel', 'aria-label': t('em.numbers') },
      NUMBERS.map((n) => h('a', { class: ['desk-tel', (view.summary?.numbers_to_call || []).includes(n) ? 'is-prompted' : ''], href: `tel:${n}` }, t(`desk.em.${n}`)))),
    // R-IN-5 (D89): the caller is answered within 5 minutes; the calls below are not that answer.
    helpReplyStrip(ctx, view, (next) => onReplied?.(next)),
    publicCallsBlock(ctx, view, staff, (number) => act('calls', '/public-call', { number })),
    errs.calls.el,
    // R-EM-3: raised on a staff phone, nobody at the desk holds the post until the handover gives it to someone.
    h('p', { class: 'small', text: em.taken_over_by || em.at_post_id
      ? t('em.at_post', { who: staffName(staff, em.taken_over_by || em.at_post_id) }) : t('em.at_post_nobody') }),
    h('div', { class: 'desk-em-grid' },
      h('div', { 'data-testid': 'em-chain' }, h('h3', { text: t('em.chain') }), chain, errs.chain.el),
      h('div', { 'data-testid': 'em-summons' }, h('h3', { text: t('em.summons') }), summons, errs.summons.el)),
    h('div', { 'data-testid': 'em-instructions' }, h('h3', { text: t('em.instructions') }), instructions, errs.instructions.el),
    errs.settle.el,
    h('div', { class: 'desk-btn-row' },
      em.settled_at ? h('span', { class: 'ok-text' }, withWhen(h, (time) => t('em.settled', { t: time(em.settled_at) }))) :
        h('button', {
          type: 'button', class: 'btn btn-danger',
          // Settling ends the emergency for everyone (R-EM-3): asked once more, never on a stray click.
          onclick: async () => {
            if (await confirmDialog({ title: t('em.settle_title'), body: t('em.settle_body'), ok: t('em.settle'), cancel: t('common.cancel'), danger: true })) act('settle', '/settle');
          },
        }, t('em.settle'))));
}
