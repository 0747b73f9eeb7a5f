// The case list's 分类 filter: a case's category is read within its kind. The same code means
// different things in different kinds (`complaint` is a help kind, "a help request about a
// complaint", R-IN-4; `other` is a complaint category, a help kind and a service code), so the
// options are grouped per kind and each value names its kind: `help:complaint`. The server
// filters by kind AND category for such a value (server/services/desk.py list_cases).
import { label, options } from './common.js';

// kind → the enum group of its categories, and the i18n key of the group's heading, in the order
// the filter shows them (R-IN-3, R-IN-4, R-FU-4, R-FU-7).
export const CATEGORY_GROUPS = [
  { kind: 'complaint', group: 'complaint_category', title: 'filter.group_complaint' },
  { kind: 'help', group: 'help_kind', title: 'filter.group_help' },
  { kind: 'repair', group: 'repair_class', title: 'filter.group_repair' },
  { kind: 'special_service', group: 'service_code', title: 'filter.group_special' },
];

/** The kind a filter value names ('help:complaint' → 'help'); '' for a plain code or nothing. */
export function categoryKind(value) {
  const i = (value || '').indexOf(':');
  return i > 0 ? value.slice(0, i) : '';
}

/** Option groups for the filter: all kinds, or only `kind`'s when a kind is chosen. */
export function categoryGroups(kind = '') {
  return CATEGORY_GROUPS.filter((g) => !kind || g.kind === kind).map((g) => ({
    kind: g.kind,
    title: g.title,
    options: options(g.group).map(([code, text]) => [`${g.kind}:${code}`, text]),
  }));
}

/** A case's category in the words of its own kind. */
export function categoryLabel(kind, code) {
  if (!code) return '';
  const own = CATEGORY_GROUPS.find((g) => g.kind === kind);
  if (own && label(own.group, code) !== code) return label(own.group, code);
  for (const g of CATEGORY_GROUPS) {
    const l = label(g.group, code);
    if (l !== code) return l;
  }
  return code;
}
