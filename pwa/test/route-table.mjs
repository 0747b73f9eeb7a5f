// The route table docs/api-contract.md lists (method, path, roles), read by the tests that hold the
// desk's page and case-action offers to what the server admits. The document itself is held to the
// app's own route table by tests/integration/test_route_roles.py. Not a test file of its own.
import { readFileSync } from 'node:fs';

/** Map of "METHOD /path" to the role names that may call it. */
export function routeRoles() {
  const doc = readFileSync(new URL('../../docs/api-contract.md', import.meta.url), 'utf8');
  const out = new Map();
  for (const m of doc.matchAll(/^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \| ([^|]+) \|$/gm)) {
    out.set(`${m[1]} ${m[2]}`, m[3].trim().split(/,\s*/));
  }
  return out;
}
