// Lint rules double as the architecture's fences: folders may only depend "downwards"
// (firmware -> hal contracts + protocol; sim -> hal; tools -> everything), and the firmware
// may not reach for wall-clock time, real timers, the filesystem or ambient randomness.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const simImports = { group: ['**/sim', '**/sim/**'], message: 'firmware/ runs on real boards too: depend on hal/ contracts, never on sim/.' };
const toolImports = { group: ['**/tools', '**/tools/**'], message: 'tools/ sits on top of the stack; lower layers may not import it.' };
const firmwareImports = { group: ['**/firmware', '**/firmware/**'], message: 'only tools/, sim/ and tests may build firmware.' };

const firmwareForbiddenPaths = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'timers', 'node:timers',
  'timers/promises', 'node:timers/promises', 'child_process', 'node:child_process', 'net', 'node:net']
  .map((name) => ({ name, message: 'inject storage, clock and links through hal/ contracts instead.' }));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'coverage/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['firmware/**/*.ts'],
    ignores: ['firmware/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: firmwareForbiddenPaths, patterns: [simImports, toolImports] }],
      'no-restricted-globals': ['error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'performance']
          .map((name) => ({ name, message: 'use the injected Clock (hal/clock.ts) so the firmware runs under virtual time.' }))],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'use the injected Clock (hal/clock.ts).' },
        { object: 'Math', property: 'random', message: 'use the injected Random source so runs are reproducible.' },
        { object: 'process', property: 'hrtime', message: 'use the injected Clock (hal/clock.ts).' },
        { object: 'globalThis', property: 'setTimeout', message: 'use the injected Clock (hal/clock.ts).' }],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'new Date() reads the wall clock; use the injected Clock.' },
        { selector: "CallExpression[callee.name='Date']", message: 'Date() reads the wall clock; use the injected Clock.' }],
    },
  },
  {
    files: ['hal/**/*.ts'],
    ignores: ['hal/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [simImports, toolImports, firmwareImports] }] },
  },
  {
    files: ['protocol/**/*.ts'],
    ignores: ['protocol/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [simImports, toolImports, firmwareImports] }] },
  },
  {
    files: ['sim/**/*.ts'],
    ignores: ['sim/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [toolImports, firmwareImports] }] },
  },
);
