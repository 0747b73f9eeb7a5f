// ESLint for the PWA: only the checks that catch real breakage the bundler lets through.
// esbuild bundles a module that calls a name it never imported without a word, and the page then
// throws at the first click (a merge dropped `fmtTime` from an import and the accept dialog never
// opened). `no-undef` finds that before any browser runs; style is not linted.
import globals from 'globals';

export default [
  { ignores: ['pwa/dist/**', 'node_modules/**', '.venv/**'] },
  {
    files: ['pwa/src/**/*.js', 'pwa/service-worker.js'],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: { ...globals.browser, ...globals.serviceworker },
    },
    rules: { 'no-undef': 'error', 'no-dupe-keys': 'error' },
  },
  {
    files: ['pwa/test/**/*.mjs', 'scripts/**/*.mjs', 'eslint.config.js'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node, ...globals.browser } },
    rules: { 'no-undef': 'error', 'no-dupe-keys': 'error' },
  },
];
