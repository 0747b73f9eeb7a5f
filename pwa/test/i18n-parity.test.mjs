// Every interface string exists in Chinese and in English, and every key the source asks t() for has
// an entry. t() silently falls back to Chinese and then to the bare key, so a gap shows up only as a
// Chinese phrase on an English screen (or "desk.foo" on any screen) — nothing fails at run time.
//
// Where the tables come from, without a DOM:
// - Tables registered at import time (views, shell, clock, …) are read back through i18n.js's
//   read-only stringTables() after importing every module that registers strings. main.js is the
//   one such module not imported: it boots the app (IndexedDB, document) as a side effect of loading.
// - The desk and gate chunks register theirs lazily, from inside their render functions
//   (ctx.registerStrings(STRINGS) on first mount), so importing them registers nothing. Their tables
//   are therefore also read from the source: every registerStrings( call's argument — an object
//   literal, or a `const NAME = {…}` literal in the same file, or a named import of one — is cut out
//   with a quote-, comment- and template-aware brace matcher and evaluated on its own. The tables are
//   plain data; a call whose argument is not (settings.js builds role.* with a helper) must be one
//   that runs at import time, and the test fails naming any call it could read neither way.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { Verdict } from '../src/gate/verify.js';
import { stringTables } from '../src/i18n.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
const BOOTS_ON_IMPORT = new Set(['main.js']);

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith('.js') ? [p] : [];
  });
}
const FILES = walk(SRC).map((p) => ({ path: p, rel: relative(SRC, p), src: readFileSync(p, 'utf8') }));
for (const f of FILES) f.code = withoutComments(f.src);

/** Index just past the string/template/comment starting at i, or i itself when none starts there. */
function skipNonCode(src, i) {
  const c = src[i];
  if (c === '/' && src[i + 1] === '/') return src.indexOf('\n', i) + 1 || src.length;
  if (c === '/' && src[i + 1] === '*') return src.indexOf('*/', i + 2) + 2;
  if (c === "'" || c === '"') {
    let j = i + 1;
    while (src[j] !== c) j += src[j] === '\\' ? 2 : 1;
    return j + 1;
  }
  if (c === '`') {
    let j = i + 1;
    while (src[j] !== '`') {
      if (src[j] === '\\') j += 2;
      else if (src[j] === '$' && src[j + 1] === '{') j = matchBrace(src, j + 1);
      else j += 1;
    }
    return j + 1;
  }
  return i;
}

/** src[open] is '{'; returns the index just past its matching '}'. */
function matchBrace(src, open) {
  let depth = 0;
  let i = open;
  while (i < src.length) {
    const j = skipNonCode(src, i);
    if (j !== i) {
      i = j;
      continue;
    }
    if (src[i] === '{') depth += 1;
    else if (src[i] === '}' && --depth === 0) return i + 1;
    i += 1;
  }
  throw new Error(`unbalanced brace at ${open}`);
}

/** The source with its comments blanked (same length, same lines), so a comment's example is no call. */
function withoutComments(src) {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const j = skipNonCode(src, i);
    if (j === i) {
      out += src[i];
      i += 1;
    } else {
      const piece = src.slice(i, j);
      out += src[i] === '/' ? piece.replace(/[^\n]/g, ' ') : piece;
      i = j;
    }
  }
  return out;
}

/** The `{…}` literal assigned to a top-level const of this name in the file, as text, or null. */
function constLiteral(src, name) {
  const m = new RegExp(`(?:^|\\n)(?:export )?const ${name} = \\{`).exec(src);
  return m ? src.slice(m.index + m[0].length - 1, matchBrace(src, m.index + m[0].length - 1)) : null;
}

/** Evaluates a data literal; bare names it uses (`{ zh, en }`) are filled from same-file const literals. */
function evalLiteral(src, text) {
  const scope = {};
  for (let tries = 0; tries < 10; tries += 1) {
    try {
      return new Function(...Object.keys(scope), `return (${text});`)(...Object.values(scope));
    } catch (e) {
      const name = e instanceof ReferenceError && /^(\w+) is not defined/.exec(e.message)?.[1];
      const lit = name && constLiteral(src, name);
      if (!lit) throw e;
      scope[name] = evalLiteral(src, lit);
    }
  }
  throw new Error('literal nests too deep');
}

async function importedTable(file, name) {
  const re = /import\s*\{([^}]*)\}\s*from\s*'([^']+)'/g;
  for (const [, names, from] of file.src.matchAll(re)) {
    for (const part of names.split(',')) {
      const [orig, alias] = part.trim().split(/\s+as\s+/);
      if ((alias || orig) === name) return (await import(pathToFileURL(resolve(dirname(file.path), from)).href))[orig];
    }
  }
  return null;
}

/** Every registerStrings(…) call in the source, with its table when it can be read statically. */
async function staticTables() {
  const found = [];
  for (const file of FILES) {
    for (const m of file.code.matchAll(/(?<![\w$])(ctx\.)?registerStrings\(\s*/g)) {
      if (/function\s+$/.test(file.src.slice(Math.max(0, m.index - 20), m.index))) continue; // a declaration
      const at = `${file.rel}:${file.src.slice(0, m.index).split('\n').length}`;
      const argStart = m.index + m[0].length;
      if (file.src[argStart] === '{') {
        const text = file.src.slice(argStart, matchBrace(file.src, argStart));
        try {
          found.push({ at, table: evalLiteral(file.src, text) });
        } catch {
          found.push({ at, table: null });
        }
        continue;
      }
      const name = /^[A-Za-z_$][\w$]*/.exec(file.src.slice(argStart))[0];
      // calendar.js and refusals.js wrap the call in a local registerStrings(ctx) guard: that call
      // passes the context, not a table; the ctx.registerStrings({…}) inside it is read above.
      if (name === 'ctx' && !m[1]) continue;
      const lit = constLiteral(file.src, name);
      const table = lit ? evalLiteral(file.src, lit) : await importedTable(file, name);
      found.push({ at, table: table || null });
    }
  }
  return found;
}

async function loadAll() {
  for (const file of FILES) {
    if (BOOTS_ON_IMPORT.has(file.rel) || !file.src.includes('registerStrings')) continue;
    await import(pathToFileURL(file.path).href);
  }
  const calls = await staticTables();
  const zh = { ...stringTables().zh };
  const en = { ...stringTables().en };
  for (const { table } of calls) {
    Object.assign(zh, table?.zh);
    Object.assign(en, table?.en);
  }
  return { calls, zh, en };
}
const ALL = await loadAll();

test('every registerStrings call is read, statically or at import time', () => {
  const importTime = stringTables().zh;
  const unread = ALL.calls.filter((c) => c.table === null);
  // An unreadable call is fine only if its module registers on import (then stringTables() has it).
  for (const c of unread) assert.ok(c.at.startsWith('views/settings.js'), `cannot read the table at ${c.at}`);
  assert.ok(importTime['role.technician'], 'settings.js role names are registered at import');
  assert.ok(ALL.calls.length >= 20, `found ${ALL.calls.length} tables`);
  for (const rel of ['gate/index.js', 'desk/approvals.js', 'desk/calendar.js', 'desk/intake.js', 'desk/refusals.js', 'main.js']) {
    assert.ok(ALL.calls.some((c) => c.at.startsWith(`${rel}:`) && c.table), `lazy table of ${rel} read`);
  }
});

test('each table has the same keys in Chinese and English', () => {
  const gaps = [];
  for (const { at, table } of ALL.calls) {
    if (!table) continue;
    const zh = Object.keys(table.zh || {});
    const en = Object.keys(table.en || {});
    for (const k of zh) if (!(k in (table.en || {}))) gaps.push(`${at} ${k}: no English`);
    for (const k of en) if (!(k in (table.zh || {}))) gaps.push(`${at} ${k}: no Chinese`);
  }
  for (const k of Object.keys(ALL.zh)) if (!(k in ALL.en)) gaps.push(`${k}: no English anywhere`);
  for (const k of Object.keys(ALL.en)) if (!(k in ALL.zh)) gaps.push(`${k}: no Chinese anywhere`);
  assert.deepEqual([...new Set(gaps)], []);
});

const CJK = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/;
// Codes and names that stay in Latin letters in Chinese text (the brief: QR, ID, PDF, XLSX…).
// Acronyms (QR, ID, PDF, XLSX, KB, CAPA) and rule numbers (R-CL-4) pass as codes; these are names.
const NAMES_IN_ZH = new Set(['EstateDesk', 'iPhone', 'iPad', 'Safari', 'Android', 'Chrome']);
// The language switch names each language in its own words, so someone who cannot read the
// current language still finds the way back: '中文' in the English table is on purpose.
const BOTH_LANGUAGES = new Set(['nav.lang', 'nav.lang_label', 'settings.lang']);

function placeholders(s) {
  return [...new Set([...String(s).matchAll(/\{(\w+)[},]/g)].map((m) => m[1]))].sort();
}

// English has no plural of the unit word the server sends ("hour", "visit"), so the quantity row
// says "3" and the fee line beside it ("¥50/hour × 3") names the unit.
const PLACEHOLDERS_DIFFER = new Set(['stmt.qty']);

test('English says it in English, Chinese in Chinese, with the same placeholders', () => {
  const bad = [];
  for (const [k, zh] of Object.entries(ALL.zh)) {
    const en = ALL.en[k];
    if (en === undefined) continue; // reported by the parity test
    if (typeof zh !== 'string' || !zh.trim()) bad.push(`${k}: empty Chinese`);
    if (typeof en !== 'string' || !en.trim()) bad.push(`${k}: empty English`);
    if (BOTH_LANGUAGES.has(k)) continue;
    if (CJK.test(en)) bad.push(`${k}: Chinese in English: ${en}`);
    const words = String(zh).replace(/\{[^{}]*\}/g, '').replace(/\bR-[A-Z]{2}-\d+\b/g, '').match(/[A-Za-z]{2,}/g) || [];
    const latin = words.filter((w) => !NAMES_IN_ZH.has(w) && !/^[A-Z]+$/.test(w));
    if (latin.length) bad.push(`${k}: English in Chinese: ${zh}`);
    if (String(zh) === String(en) && CJK.test(zh)) bad.push(`${k}: English is the Chinese`);
    if (!PLACEHOLDERS_DIFFER.has(k) && String(placeholders(en)) !== String(placeholders(zh))) {
      bad.push(`${k}: placeholders differ: ${zh} / ${en}`);
    }
  }
  assert.deepEqual(bad, []);
});

// Source scan: the first argument of every t(…) call (also ctx's t, destructured as t). Every quoted
// key in it must be in the tables — that covers t('job.call') and t(own ? 'job.closed' : 'job.gone').
// A key built from a template, t(`gate.verdict.${v}`), is checked by its fixed prefix here (some
// entry must start with it) and, where the values are a known list, value by value below.
function firstArgument(code, open) {
  let depth = 0;
  let i = open;
  while (i < code.length) {
    const j = skipNonCode(code, i);
    if (j !== i) {
      i = j;
      continue;
    }
    const c = code[i];
    if ('([{'.includes(c)) depth += 1;
    else if (')]}'.includes(c)) {
      if (depth === 0) return code.slice(open, i);
      depth -= 1;
    } else if (c === ',' && depth === 0) return code.slice(open, i);
    i += 1;
  }
  return code.slice(open);
}

function keyLiterals(arg) {
  const out = [];
  let i = 0;
  while (i < arg.length) {
    const j = skipNonCode(arg, i);
    if (j === i) {
      i += 1;
      continue;
    }
    // Only key-shaped literals ('job.call', `rel.${r}`): a condition's 'error' or a compared
    // code (x === 'client.storage_full') is not a key.
    const text = arg.slice(i + 1, j - 1);
    const compared = /[=!]=\s*$/.test(arg.slice(0, i)) || /^\s*[=!]==?/.test(arg.slice(j));
    if ("'\"`".includes(arg[i]) && /^[a-z_]+\.[\w.$]/.test(text) && !compared) out.push({ quote: arg[i], text });
    i = j;
  }
  return out;
}

function usedKeys() {
  const used = [];
  for (const file of FILES) {
    for (const m of file.code.matchAll(/(?<![\w$])t\(/g)) {
      const line = file.code.slice(0, m.index).split('\n').length;
      for (const lit of keyLiterals(firstArgument(file.code, m.index + 2))) {
        used.push({ at: `${file.rel}:${line}`, ...lit });
      }
    }
  }
  return used;
}
const USED = usedKeys();

test('every key the source asks t() for has an entry', () => {
  const keys = Object.keys(ALL.zh);
  const missing = [];
  for (const { at, quote, text } of USED) {
    if (quote === '`') {
      const prefix = /^([^$]*)\$\{/.exec(text)?.[1];
      if (prefix === undefined) {
        if (!(text in ALL.zh)) missing.push(`${at} ${text}`);
      } else if (!keys.some((k) => k.startsWith(prefix))) missing.push(`${at} ${text}`);
    } else if (!(text in ALL.zh)) missing.push(`${at} ${text}`);
  }
  assert.ok(USED.length > 1000, `scanned ${USED.length} keys`);
  assert.deepEqual(missing, []);
});

// The values a built key takes, where they are a known list: the server's StrEnum (read from its
// source, so a value added there without a label fails here) or the list the PWA itself loops over.
// Not listed: act.${key}/confirm.${key} (desk/detail.js), rf.arg.${k} (refusals.js) and
// rs.gates.problem.${p} (gates.js) take keys from lists inside those functions, not from an enum;
// complete.${field}_placeholder falls back on purpose (placeholderFor); their prefixes are checked above.
const PY = resolve(SRC, '../../server/domain');
function pyEnum(file, cls) {
  const src = readFileSync(join(PY, file), 'utf8');
  const body = new RegExp(`^class ${cls}\\(StrEnum\\):\\n((?:[ \\t]+.*\\n|\\n)+)`, 'm').exec(src)?.[1];
  assert.ok(body, `${cls} in ${file}`);
  return [...body.matchAll(/^\s+[A-Z_0-9]+ = "([^"]*)"/gm)].map((m) => m[1]);
}

const BUILT = {
  // unknown_key is shown as cannot_verify_offline (gate/index.js show()): the key may just be newer.
  'gate.verdict.': Object.values(Verdict).filter((v) => v !== Verdict.UNKNOWN_KEY),
  'gate.signed.': pyEnum('release_slips.py', 'Signer').filter((s) => s !== 'requester'),
  'gate.signed.requester.': ['owner', 'household_member', 'other'], // gate/index.js: kind
  'gate.flag.': ['large', 'valuable', 'tool'],
  'terms.class.': [...pyEnum('cases.py', 'RepairResponsibility'), 'on_site'], // views/job.js termsRows
  'cls.means.': [...pyEnum('cases.py', 'RepairResponsibility'), 'undecided'],
  'cls.limit.': ['fast', 'general', 'major', 'unset'], // desk/detail.js
  'rel.': pyEnum('cases.py', 'SignerRelation'),
  'rating.': pyEnum('surveys.py', 'Grade'),
  'grade.': pyEnum('surveys.py', 'Grade'),
  'area.': pyEnum('surveys.py', 'SurveyArea'),
  'lx.state.': pyEnum('contact_slips.py', 'ContactSlipState'),
  'rpt.status.': pyEnum('monthly_report.py', 'ReportStatus'),
  'svc.item_status.': pyEnum('special_services.py', 'ItemStatus'),
  'svc.state.': pyEnum('special_services.py', 'BookingState'),
  'svc.loss.': pyEnum('special_services.py', 'LossDecisionKind'),
  'key.type.': pyEnum('keys.py', 'KeyType'),
  'key.state.': pyEnum('keys.py', 'KeyState'),
  'role.': pyEnum('roles.py', 'Role'),
  'outbox.state.': ['waiting', 'sent', 'refused'], // outbox.js
  'sync.': ['syncing', 'offline', 'error', 'auth', 'online'], // shell.js syncbar
  'emergency.': ['110', '119', '120', '122'], // R-EM-5
  'desk.em.': ['110', '119', '120', '122'],
  'desk.em_word.': ['110', '119', '120', '122'], // the desk header's compact buttons
  'job.': ['assigned_at', 'accepted_at', 'arrived_at', 'completed_at'], // views/job.js times
};

test('every value a built key takes has an entry', () => {
  const missing = [];
  for (const [prefix, values] of Object.entries(BUILT)) {
    assert.ok(USED.some((u) => u.quote === '`' && u.text.startsWith(`${prefix}\${`)), `${prefix} is still built in the source`);
    for (const v of values) if (!(`${prefix}${v}` in ALL.zh)) missing.push(`${prefix}${v}`);
  }
  assert.deepEqual(missing, []);
});
