import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'data/**', 'coverage/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['vitest.config.ts', 'vitest.faults.config.ts', 'vitest.browser.config.ts'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Promises must be awaited or explicitly voided: a forgotten one is a lost error.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message:
            'Only apps/server/src/config.ts (and main.ts, which hands process.env to it) reads process.env.',
        },
      ],
    },
  },
  {
    files: ['apps/server/src/main.ts', '**/test/**', '**/bench/**', 'vitest.config.ts', 'apps/web/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['apps/web/src/**'],
    rules: {
      // Text is rendered as text nodes, never parsed as HTML (the CSP is the second line, not the first).
      'no-restricted-syntax': [
        'error',
        {
          selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']",
          message: 'No HTML from strings in the web app: render text (see components/Caption.tsx).',
        },
        {
          selector: 'MemberExpression[property.name=/^(innerHTML|outerHTML)$/]',
          message: 'No HTML from strings in the web app: render text (see components/Caption.tsx).',
        },
      ],
      // The contract's schemas are TypeBox values; importing one would bundle TypeBox into the app.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@glimpse/contract',
              allowTypeImports: true,
              message: 'Types only here; runtime limits come from @glimpse/contract/limits.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/server/src/**'],
    ignores: ['apps/server/src/adapters/**', 'apps/server/src/wiring.ts'],
    rules: {
      // Services and routes talk to ports; only adapters (chosen in wiring.ts) touch drivers.
      'no-restricted-imports': [
        'error',
        {
          paths: ['pg', 'ioredis', '@electric-sql/pglite', 'amqplib', 'sharp', 'libheif-js', 'blurhash'].map(
            (name) => ({ name, message: 'Drivers belong in adapters/<technology>/, chosen by wiring.ts.' }),
          ),
          patterns: [
            {
              group: ['@aws-sdk/*'],
              message: 'Drivers belong in adapters/<technology>/, chosen by wiring.ts.',
            },
          ],
        },
      ],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
