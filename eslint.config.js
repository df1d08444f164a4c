// ESLint flat config for every workspace. Each workspace runs `eslint .` from its own folder;
// ESLint finds this file by walking up, so the rules are the same everywhere.
//
// TypeScript note: the `typescript` package at the root is TypeScript 6's JavaScript API
// (`@typescript/typescript6`), because TypeScript 7 ships no JS API and typescript-eslint needs
// one to parse. The workspaces still build and typecheck with their own TypeScript 7 `tsc`.
// For the same reason only the non-type-checked `recommended` rules are on: type-aware rules
// would run TypeScript 6's checker against code that TypeScript 7 compiles.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const repositoryRoot = path.dirname(fileURLToPath(import.meta.url));

// Folders that hold one workspace each, and workspaces that are a folder of their own; keep in
// step with `workspaces` in package.json.
const workspaceContainers = ['packages', 'subgraphs'];
const singleWorkspaces = ['gateway', 'workers', 'schemas', 'test'];

/** The workspace folder a file belongs to, relative to the repository root, or undefined. */
function workspaceOf(file) {
  const parts = path.relative(repositoryRoot, file).split(path.sep);
  if (workspaceContainers.includes(parts[0]) && parts.length > 2) return `${parts[0]}/${parts[1]}`;
  if (singleWorkspaces.includes(parts[0]) && parts.length > 1) return parts[0];
  return undefined;
}

const kebabSegment = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

// Small local rules: both are a few lines each, cheaper than a plugin dependency.
const situation = {
  meta: { name: 'situation' },
  rules: {
    // A relative import that leaves its workspace skips the package's `exports` map and ties two
    // workspaces together by path; import the other workspace by its `@situation/…` name instead.
    'no-relative-import-outside-workspace': {
      meta: {
        type: 'problem',
        docs: { description: 'Forbid relative imports that leave the importing workspace' },
        schema: [],
        messages: {
          leaves:
            "'{{source}}' leaves workspace {{workspace}}; import the other workspace by its @situation/… name",
        },
      },
      create(context) {
        const workspace = workspaceOf(context.filename);
        if (workspace === undefined) return {};
        const root = path.join(repositoryRoot, workspace);
        function check(node) {
          const source = node?.value;
          if (typeof source !== 'string' || !source.startsWith('.')) return;
          const target = path.resolve(path.dirname(context.filename), source);
          const inside = path.relative(root, target);
          if (inside.startsWith('..') || path.isAbsolute(inside)) {
            context.report({ node, messageId: 'leaves', data: { source, workspace } });
          }
        }
        return {
          ImportDeclaration: (node) => check(node.source),
          ExportAllDeclaration: (node) => check(node.source),
          ExportNamedDeclaration: (node) => check(node.source),
          ImportExpression: (node) => check(node.source),
        };
      },
    },
    // STYLE.md §14: kebab-case file names. Dots separate roles (`district.resolver.test.ts`),
    // so each dot-separated part must be kebab-case on its own.
    'filename-kebab-case': {
      meta: {
        type: 'suggestion',
        docs: { description: 'File names are kebab-case' },
        schema: [],
        messages: { notKebab: "File name '{{name}}' is not kebab-case" },
      },
      create(context) {
        return {
          Program(node) {
            const name = path.basename(context.filename);
            if (!name.split('.').every((part) => kebabSegment.test(part))) {
              context.report({ node, messageId: 'notKebab', data: { name } });
            }
          },
        };
      },
    },
  },
};

export default defineConfig(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', '**/coverage/**', '.data/**', '**/.data/**'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{ts,mts,cts,js,mjs,cjs}'],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      // Only plain JS files see `no-undef` (typescript-eslint turns it off for TS, where the
      // compiler checks names); these are the Node globals such scripts use.
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        globalThis: 'readonly',
      },
    },
    plugins: { situation },
    rules: {
      'situation/no-relative-import-outside-workspace': 'error',
      'situation/filename-kebab-case': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // The readable spelling of a cross-workspace path import. The local rule above is
              // the exact check (it resolves the path); this one names the fix in the message.
              // It only matches a workspace's own top folders, so an in-workspace folder that
              // happens to be called `schemas/` or `test/` is not caught by mistake.
              regex:
                '^(?:\\.\\./)+(?:(?:packages|subgraphs)/[^/]+|gateway|workers|schemas|test)/(?:src|dist|e2e|support)(?:/|$)',
              message: 'Import other workspaces by their @situation/… package name, not by path.',
            },
            {
              // Packages publish what they mean to share through `exports`; deep paths bypass it.
              regex: '^@situation/[^/]+/(?:src|dist)(?:/|$)',
              message: "Import from the package's exports map, not its src/ or dist/ files.",
            },
          ],
        },
      ],
      // `_`-prefixed names are deliberately unused (interface-shaped callbacks, skipped tuple items).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
);
