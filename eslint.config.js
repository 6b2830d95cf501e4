// Lint rules that enforce the folder boundaries of ../shared/STYLE.md:
// the folder tells the runtime. Type-level enforcement (per-folder lib/types)
// lives in the per-folder tsconfig files; this catches what types cannot,
// such as the renderer importing shared/node even where it would type-check.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'node:*'];

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'release/**', 'coverage/**', 'docs/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // CommonJS launchers load the bundles with require().
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['shared/core/**/*.ts'],
    rules: restrict(
      [...nodeBuiltins, 'electron', 'keytar', 'react', 'react-dom', '**/shared/node/**', '**/node/**', '**/cli/**', '**/electron/**', '**/renderer/**'],
      'shared/core is pure TypeScript: no node:*, electron, keytar, DOM or Node-layer imports (STYLE.md §1).',
    ),
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: restrict(
      [...nodeBuiltins, 'electron', 'keytar', '**/shared/node/**', '**/shared/cli/**', '**/shared/index', '**/electron/**'],
      'The renderer may import shared/core only; never shared/node, electron or Node built-ins (STYLE.md §1).',
    ),
  },
  {
    files: ['electron/preload/**/*.ts'],
    rules: restrict(
      [...nodeBuiltins, 'keytar', '**/shared/node/**', '**/shared/cli/**', '**/renderer/**'],
      'The preload exposes the IPC contract only: electron and shared/core (STYLE.md §1).',
    ),
  },
  {
    files: ['shared/node/**/*.ts', 'shared/cli/**/*.ts'],
    rules: restrict(['electron', '**/electron/**', '**/renderer/**', 'react'], 'shared/node and shared/cli run without Electron or React.'),
  },
);
