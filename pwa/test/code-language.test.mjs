// Chinese written into the code, outside the string tables, reaches an English screen as it is: the
// parity test (i18n-parity.test.mjs) reads only the tables, so a hand-joined "满意：很好" or a list
// joined with 、 went unnoticed on the service slip and the desk. Two source scans:
// - a string literal made only of Chinese punctuation ('：', '、', '；') — a separator or a label's
//   colon — must sit on a line that picks it by language (en(), isEn(), getLang(), lang ===), or be
//   replaced by i18n.js's colon() / joinList();
// - an error's Chinese message (message_zh) is read only next to a language choice, so a refusal
//   on an English screen is not shown in Chinese (desk/common.js errorText does it for the desk).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith('.js') ? [p] : [];
  });
}

/** The string literals of a source (quotes and template pieces), with their line, comments skipped. */
function literals(src) {
  const out = [];
  let i = 0;
  const lineAt = (k) => src.slice(0, k).split('\n').length;
  while (i < src.length) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') {
      i = src.indexOf('\n', i) + 1 || src.length;
    } else if (c === '/' && src[i + 1] === '*') {
      i = src.indexOf('*/', i + 2) + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out.push({ text: src.slice(i + 1, j), line: lineAt(i) });
      i = j + 1;
    } else if (c === '`') {
      // A template's text is its pieces around the interpolations, whose own code is skipped:
      // `${t('lx.no')}：` is the text '：'; `服务器错误（${s}）` is a Chinese sentence, not a separator.
      let j = i + 1;
      let start = j;
      let depth = 0;
      let text = '';
      while (depth > 0 || src[j] !== '`') {
        if (depth === 0 && src[j] === '\\') j += 2;
        else if (depth === 0 && src[j] === '$' && src[j + 1] === '{') {
          text += src.slice(start, j);
          depth = 1;
          j += 2;
        } else if (depth > 0 && src[j] === '{') {
          depth += 1;
          j += 1;
        } else if (depth > 0 && src[j] === '}') {
          depth -= 1;
          j += 1;
          if (depth === 0) start = j;
        } else j += 1;
      }
      out.push({ text: text + src.slice(start, j), line: lineAt(i) });
      i = j + 1;
    } else if (c === '/' && /[(,=:[!&|?{};]\s*$/.test(src.slice(Math.max(0, i - 20), i))) {
      // A regex literal (its character classes hold Chinese punctuation to split on: not text).
      let j = i + 1;
      let cls = false;
      while (src[j] !== '/' || cls) {
        if (src[j] === '\\') j += 1;
        else if (src[j] === '[') cls = true;
        else if (src[j] === ']') cls = false;
        j += 1;
      }
      i = j + 1;
    } else i += 1;
  }
  return out;
}

const FILES = walk(SRC).map((p) => ({ rel: relative(SRC, p), src: readFileSync(p, 'utf8') }));
const PICKS_LANGUAGE = /\ben\(\)|\bisEn\(\)|getLang\(\)|\blang\s*===|documentElement\.lang/;
const CJK_PUNCT_ONLY = /^[\s\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]+$/;
// A string table's own entry ('tl.sep': '，') is the Chinese table speaking.
const TABLE_ENTRY = /^\s*'[\w.]+':\s*'/;

test('a Chinese separator or colon in code is chosen by language', () => {
  const bad = [];
  for (const { rel, src } of FILES) {
    const lines = src.split('\n');
    for (const { text, line } of literals(src)) {
      if (!CJK_PUNCT_ONLY.test(text) || !text.trim()) continue;
      if (PICKS_LANGUAGE.test(lines[line - 1]) || TABLE_ENTRY.test(lines[line - 1])) continue;
      bad.push(`${rel}:${line} '${text}': ${lines[line - 1].trim().slice(0, 120)}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('an error is shown in the language of the screen, not always in Chinese', () => {
  const bad = [];
  for (const { rel, src } of FILES) {
    if (rel === 'api.js') continue; // where ApiError keeps both messages
    const lines = src.split('\n');
    lines.forEach((l, k) => {
      if (!/\.message_zh\b/.test(l)) return;
      const near = lines.slice(Math.max(0, k - 1), k + 3).join('\n');
      if (!PICKS_LANGUAGE.test(near)) bad.push(`${rel}:${k + 1}: ${l.trim().slice(0, 120)}`);
    });
  }
  assert.deepEqual(bad, []);
});

test('the scan sees the literals it is meant to', () => {
  // The tokenizer finds a template piece after an interpolation and skips a regex's character class.
  const found = literals("const a = `${x}：`; const r = /[：:]/; const b = [1].join('、'); const c = `错（${n}）`;").map((l) => l.text);
  assert.deepEqual(found, ['：', '、', '错（）']);
});
