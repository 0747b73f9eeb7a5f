// The string and template literals of pwa/src, for the scans that read every interface text
// (duration-spacing: D114; zh-punctuation: D131). Not a test itself.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith('.js') ? [p] : [];
  });
}

/** The string and template literals of a source file, comments and regex literals skipped. */
export function literals(src) {
  const out = [];
  let i = 0;
  let prev = '';
  while (i < src.length) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') {
      i = src.indexOf('\n', i) + 1 || src.length;
    } else if (c === '/' && src[i + 1] === '*') {
      i = src.indexOf('*/', i + 2) + 2;
    } else if (c === '/' && /[(,=:[!&|?{};]|^$/.test(prev)) {
      // A regex literal: skip to its closing slash (classes may hold a slash).
      let j = i + 1;
      let inClass = false;
      while (j < src.length && (src[j] !== '/' || inClass)) {
        if (src[j] === '\\') j += 1;
        else if (src[j] === '[') inClass = true;
        else if (src[j] === ']') inClass = false;
        j += 1;
      }
      i = j + 1;
      prev = '/';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out.push(src.slice(i + 1, j));
      i = j + 1;
      prev = 'x';
    } else {
      if (!/\s/.test(c)) prev = c;
      i += 1;
    }
  }
  return out;
}
