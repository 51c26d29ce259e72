// `npm run lint`: ESLint's and typescript-eslint's recommended rules over everything we write, plus
// no-floating-promises on the TypeScript (a dropped promise is an unhandled rejection in the app).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', '**/node_modules/', 'test/fixtures/'] },
  {
    files: ['**/*.{ts,mjs,cjs,js}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { globals: globals.node },
    rules: {
      // `_`-prefixed names are unused on purpose (`for await (const _ of stream)`, placeholder params), as tsc's noUnused* allow.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  {
    // Type-aware: a promise nobody awaits or handles is a test that passes without checking, or an
    // unhandled rejection in the app. Needs the type checker, so only on TypeScript.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.typecheck.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test reports these itself; awaiting them is not how suites are written.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['it', 'test', 'describe', 'suite'] }] },
      ],
    },
  },
  {
    // CommonJS files: require() is how they import.
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Optional peers (openai, @opentelemetry/sdk-node) loaded only when these entry points are used; the build is CommonJS.
    files: ['src/create-openai.ts', 'src/register.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
