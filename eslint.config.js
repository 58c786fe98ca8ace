// ESLint flat config: typescript-eslint with type information, plus the layering README states.
// Dependencies go one way: cli/server → runner → tasks → engine; credentials and secrets plug into
// the engine through its extension interface, so the engine imports none of them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** `no-restricted-imports` patterns that forbid a folder from reaching into others. */
function layer(files, forbidden) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((dir) => ({
            group: [`**/${dir}/*`, `**/${dir}/**`],
            message: `This folder must not import from src/${dir} (see CONTRIBUTING.md, "Layers").`,
          })),
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Async functions that return without awaiting are a deliberate API shape (a Promise either way).
      '@typescript-eslint/require-await': 'off',
      // The engine prints values as Java's toString does; String(x) on unknown values is intended.
      '@typescript-eslint/no-base-to-string': 'off',
      // Lexers and sanitisers match control characters on purpose.
      'no-control-regex': 'off',
      // `'help' | string` documents the known values of an open set.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      // Re-rejecting what was caught (unknown) is fine; a literal non-Error is not.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // Jest's asymmetric matchers (expect.any, expect.stringContaining…) are typed `any`.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/await-thenable': 'off',
    },
  },
  // Bottom layers: the error base class, the fetch type, masking and the YAML-check kit import no other folder.
  layer(
    ['src/errors/pebbleflow-error.ts', 'src/http/**', 'src/masking/**', 'src/yaml-check/**'],
    ['engine', 'flow', 'runner', 'tasks', 'cli', 'server', 'credentials', 'secrets', 'config'],
  ),
  layer(['src/engine/**'], ['flow', 'runner', 'tasks', 'cli', 'server', 'credentials', 'secrets', 'config']),
  layer(['src/config/**', 'src/secrets/**', 'src/credentials/**'], ['flow', 'runner', 'tasks', 'cli', 'server']),
  layer(['src/flow/**'], ['runner', 'cli', 'server']),
  layer(['src/tasks/**'], ['runner', 'cli', 'server']),
  layer(['src/plugins/**'], ['runner', 'cli', 'server']),
  layer(['src/runner/**'], ['cli', 'server']),
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // Build tools and test helpers in plain JavaScript run under Node.
    files: ['tools/**/*.mjs', 'test/**/*.mjs'],
    languageOptions: { globals: globals.node, sourceType: 'module' },
  },
  {
    // The web UI: plain ES modules run by the browser, served as written (no build step).
    files: ['ui/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' },
  },
);
