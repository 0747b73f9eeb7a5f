// R-CL-1 A, R-CL-6: the desk compares the paper service slip with the record before it takes the slip
// back, countersigns it and closes the case. Nobody compares 64 hex digits with paper: the slip prints
// a short check code (核对码), the first 12 digits of the content hash the signature covers (D12), and
// the desk's dialog shows the same code beside the facts printed on the slip (D96). Pure: node-tested.
import { registerStrings } from './i18n.js';

registerStrings({
  zh: { 'slip.check_code': '核对码' },
  en: { 'slip.check_code': 'Check code' },
});

/** '86787be0e2c6…' -> '8678 7BE0 E2C6': the code printed on the slip and shown at the desk; '' without a hash. */
export function slipCheckCode(hash) {
  const hex = String(hash || '').replace(/[^0-9a-f]/gi, '').slice(0, 12).toUpperCase();
  if (hex.length < 12) return '';
  return hex.match(/.{4}/g).join(' ');
}

const SLIP_STEPS = ['slip_returned', 'countersign'];

/**
 * The steps the slip dialog offers, in the order the server takes them (R-CL-1 A, R-CL-6, R-CL-5):
 * the slip handed back, the countersign, then 销项 — the last only when nothing but those two stands
 * in its way (`missing`: what still stops this user closing, as the case view lists it). Each step
 * is its own request and its own history entry; the server still judges each one.
 * Returns { steps: [{ key, done }], closeBlockers } with key 'return_slip' | 'countersign' | 'close'.
 */
export function slipFlowSteps(slip, missing = []) {
  const steps = [
    { key: 'return_slip', done: !!slip?.slip_returned_at },
    { key: 'countersign', done: !!slip?.countersigned_by },
  ];
  const closeBlockers = missing.filter((m) => !SLIP_STEPS.includes(m));
  if (!closeBlockers.length) steps.push({ key: 'close', done: false });
  return { steps, closeBlockers };
}

/** Whether 销项 waits only for the slip's own steps: then the close button opens the slip dialog. */
export function closeWaitsOnlyForSlip(slip, missing = []) {
  return !!slip?.signature_sha256 && missing.length > 0 && missing.every((m) => SLIP_STEPS.includes(m));
}
