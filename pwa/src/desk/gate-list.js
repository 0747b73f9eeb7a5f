// The compound's gate list as the manager edits it (pwa/src/desk/gates.js) and as the slip form
// offers it (pwa/src/desk/slips.js): pure functions, no DOM, so node --test covers them. The server
// (PUT /api/gates, server/services/gate.py) decides; these only keep the desk from sending a list it
// would refuse for reasons the desk can see itself (a code twice, a malformed code, a blank name).

export const GATE_CODE_RE = /^[A-Z0-9]{1,6}$/;
export const MAX_GATES = 20; // GatesIn.gates max_length
export const MAX_NAME = 50;

/** What the desk typed as a code: trimmed, capitals (the server's codes are capitals). */
export const normalizeCode = (text) => String(text ?? '').trim().toUpperCase();

/** A name as the server stores it: inner runs of spaces folded, ends trimmed. */
export const normalizeName = (text) => String(text ?? '').split(/\s+/).filter(Boolean).join(' ');

/** Why a gate cannot be added: 'bad_code' | 'no_name' | 'long_name' | 'duplicate' | 'too_many' | null. */
export function addProblem(list, code, name) {
  const c = normalizeCode(code);
  if (!GATE_CODE_RE.test(c)) return 'bad_code';
  if (!normalizeName(name)) return 'no_name';
  if (normalizeName(name).length > MAX_NAME) return 'long_name';
  if (list.some((g) => g.code === c)) return 'duplicate';
  if (list.length >= MAX_GATES) return 'too_many';
  return null;
}

export function addGate(list, code, name) {
  return [...list, { code: normalizeCode(code), name: normalizeName(name) }];
}

export function renameGate(list, index, name) {
  return list.map((g, i) => (i === index ? { ...g, name } : g));
}

export function removeGate(list, index) {
  return list.filter((_, i) => i !== index);
}

/** The list with entry `index` moved by `delta` (-1 up, +1 down); unchanged at either end. */
export function moveGate(list, index, delta) {
  const to = index + delta;
  if (index < 0 || index >= list.length || to < 0 || to >= list.length) return list;
  const out = [...list];
  [out[index], out[to]] = [out[to], out[index]];
  return out;
}

/** Problems the whole list has before it is saved: [{index, problem}] with problem as addProblem's. */
export function listProblems(list) {
  const out = [];
  const seen = new Set();
  list.forEach((g, index) => {
    if (!GATE_CODE_RE.test(g.code)) out.push({ index, problem: 'bad_code' });
    else if (seen.has(g.code)) out.push({ index, problem: 'duplicate' });
    else if (!normalizeName(g.name)) out.push({ index, problem: 'no_name' });
    else if (normalizeName(g.name).length > MAX_NAME) out.push({ index, problem: 'long_name' });
    seen.add(g.code);
  });
  if (list.length > MAX_GATES) out.push({ index: MAX_GATES, problem: 'too_many' });
  return out;
}

/** The PUT /api/gates body for the list. */
export const gatesBody = (list) => ({ gates: list.map((g) => ({ code: g.code, name: normalizeName(g.name) })) });

/** Same codes, names (as stored) and order: nothing to save. */
export function sameGates(a, b) {
  return a.length === b.length && a.every((g, i) => g.code === b[i].code && normalizeName(g.name) === normalizeName(b[i].name));
}

/**
 * The gate chips the slip form offers: the compound's gates in their order when it has named any
 * (a slip may name only those, D46); before it has, the codes seen on recent slips.
 */
export function slipGateChoices(directoryCodes, recentCodes) {
  if (directoryCodes.length) return [...directoryCodes];
  return [...new Set(recentCodes)].sort();
}

/** Codes a slip may not name: not in a non-empty directory (the server refuses them: slip.unknown_gate). */
export function unknownGates(codes, directoryCodes) {
  if (!directoryCodes.length) return [];
  const known = new Set(directoryCodes);
  return codes.filter((c) => !known.has(c));
}
