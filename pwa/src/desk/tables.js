// Desk tables on a phone. Below 600 px (a cashier's or front desk's phone) desk.css turns every row of
// a table in a .table-wrap into a stacked card, each cell preceded by its column's header
// (td::before { content: attr(data-label) }): a seven-column table no longer scrolls sideways and a
// row's buttons (the cashier's receipt field and 收款) stay on screen. This module gives the cells
// their data-label, whichever desk module built the table, so a new table is covered without
// remembering to.

/**
 * The header each cell of a row sits under: `spans` are the row's cells' colspans, `heads` the header
 * row's texts (one per header column, expanded by the headers' own colspans). A cell spanning
 * several columns takes the first one's header.
 */
export function cellLabels(heads, spans) {
  const out = [];
  let col = 0;
  for (const span of spans) {
    out.push(heads[col] ?? '');
    col += Math.max(1, span || 1);
  }
  return out;
}

function headTexts(table) {
  const row = table.tHead?.rows[0];
  if (!row) return null;
  const heads = [];
  for (const th of row.cells) {
    for (let i = 0; i < Math.max(1, th.colSpan || 1); i += 1) heads.push(th.textContent.trim());
  }
  return heads;
}

/** Sets data-label on the body cells of `table` that do not carry one yet. */
export function labelCells(table) {
  const heads = headTexts(table);
  if (!heads) return;
  for (const body of table.tBodies) {
    for (const row of body.rows) {
      const cells = [...row.cells];
      const labels = cellLabels(heads, cells.map((c) => c.colSpan));
      cells.forEach((cell, i) => {
        if (!cell.hasAttribute('data-label')) cell.dataset.label = labels[i];
      });
    }
  }
}

/**
 * Labels the tables under `root` now and whenever a page adds or redraws one (desk pages re-render
 * their lists after every action). Text-only changes, such as the countdowns ticking every second,
 * are skipped at once. Returns the function that stops watching.
 */
export function watchTables(root) {
  const visit = (node) => {
    if (node.nodeType !== 1) return;
    const table = node.closest('table');
    if (table) labelCells(table);
    else node.querySelectorAll('table').forEach(labelCells);
  };
  root.querySelectorAll('table').forEach(labelCells);
  const observer = new MutationObserver((records) => {
    for (const r of records) r.addedNodes.forEach(visit);
  });
  observer.observe(root, { childList: true, subtree: true });
  return () => observer.disconnect();
}
