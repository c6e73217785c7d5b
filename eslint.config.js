import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import boundaries from 'eslint-plugin-boundaries';

// Import boundaries, from the architecture (enforced by `boundaries/dependencies` below):
// - shared (the kit, shared/src) imports nothing of the project but itself;
// - the router imports the kit only, never a subgraph;
// - no subgraph imports another subgraph, except that subgraph's contracts (contracts.ts or
//   contracts/**: queue definitions, internal route schemas, typed clients); a subgraph may import
//   the kit and anything of its own;
// - a subgraph's contracts import only the kit and that subgraph's own contracts;
// - resolvers do not import repositories, nor MikroORM (@mikro-orm/*): they go through services;
// - the worker host (workers/src) imports the kit, each subgraph's worker.ts and contracts;
// - tests (*.spec.ts, *.test.ts, test/**), scripts/**, bench/** and codegen.ts may import anything
//   (the rule is not applied to them).
// Whatever no policy allows is disallowed; npm packages and node: built-ins are allowed except as
// above. Elements are folders (shared, router, worker-host, and per subgraph — its name captured —
// resolvers, repositories, and the rest: subgraph); contracts and worker entry points are single
// files, so they are file categories rather than element types.
const sourceFiles = ['shared/src/**/*.ts', 'router/src/**/*.ts', 'subgraphs/*/src/**/*.ts', 'workers/src/**/*.ts'];
const sameSubgraph = { subgraph: '{{ from.element.captured.subgraph }}' };
const subgraphParts = ['subgraph', 'resolvers', 'repositories'];
const kit = { element: { type: 'shared' } };
const contracts = { file: { categories: 'contracts' } };
const ownContracts = { element: { type: 'subgraph', captured: sameSubgraph }, file: { categories: 'contracts' } };
const ownSubgraph = { element: { types: { anyOf: subgraphParts }, captured: sameSubgraph } };
const workerEntry = { file: { categories: 'worker-entry' } };

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.data/**', '.scratch/**', '**/generated/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
      // Configuration is read in one place only (shared/src/config.ts).
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings through the config module.' }],
    },
  },
  {
    files: ['shared/src/config.ts', 'scripts/**', 'bench/**', 'test/**', '**/*.test.ts', 'codegen.ts'],
    rules: { 'no-restricted-properties': 'off', 'no-console': 'off' },
  },
  {
    files: sourceFiles,
    ignores: ['**/*.spec.ts', '**/*.test.ts'],
    plugins: { boundaries },
    settings: {
      // Workspace packages (`@ai-teacher/shared`, `@ai-teacher/retrieval/contracts`, ...) resolve
      // through their package.json "exports" to the real .ts files.
      'import/resolver': { typescript: { project: `${import.meta.dirname}/tsconfig.json` } },
      'boundaries/root-path': import.meta.dirname,
      'boundaries/legacy-templates': false,
      'boundaries/elements': [
        { type: 'shared', pattern: 'shared/src', partialMatch: false },
        { type: 'router', pattern: 'router/src', partialMatch: false },
        { type: 'worker-host', pattern: 'workers/src', partialMatch: false },
        { type: 'resolvers', pattern: 'subgraphs/*/src/resolvers', partialMatch: false, capture: ['subgraph'] },
        { type: 'repositories', pattern: 'subgraphs/*/src/repositories', partialMatch: false, capture: ['subgraph'] },
        { type: 'subgraph', pattern: 'subgraphs/*/src', partialMatch: false, capture: ['subgraph'] },
      ],
      'boundaries/files': [
        { category: 'contracts', pattern: ['subgraphs/*/src/contracts.ts', 'subgraphs/*/src/contracts/**'] },
        { category: 'worker-entry', pattern: 'subgraphs/*/src/worker.ts' },
      ],
    },
    rules: {
      // Policies are read in order and the last one that matches decides.
      'boundaries/dependencies': ['error', {
        default: 'disallow',
        checkAllOrigins: true, // npm packages and built-ins too (for @mikro-orm)
        checkInternals: true, // imports within one element too (for contracts.ts, which is a file)
        policies: [
          { allow: { to: { module: { origin: ['external', 'core'] } } } },
          // An `@ai-teacher/...` import that resolves to no file would otherwise pass as an npm package.
          {
            disallow: { to: { module: { origin: 'external', source: '@ai-teacher/*' } } },
            message: 'Workspace import "{{ dependency.source }}" resolves to no file (check the package\'s "exports" and that the file exists).',
          },
          { allow: { dependency: { relationship: { to: 'internal' } } } },
          { from: { element: { type: 'shared' } }, allow: { to: kit } },
          { from: { element: { type: 'router' } }, allow: { to: kit } },
          { from: { element: { types: { anyOf: subgraphParts } } }, allow: [{ to: kit }, { to: ownSubgraph }, { to: contracts }] },
          {
            from: { element: { type: 'resolvers' } },
            disallow: [{ to: { element: { type: 'repositories' } } }, { to: { module: { origin: 'external', source: '@mikro-orm/*' } } }],
          },
          // Contracts: the kit and their own subgraph's contracts, nothing else of the project.
          { from: contracts, disallow: { to: { element: { types: { anyOf: [...subgraphParts, 'router', 'worker-host'] } } } } },
          { from: contracts, allow: { to: ownContracts } },
          { from: { element: { type: 'worker-host' } }, allow: [{ to: kit }, { to: contracts }, { to: { element: { type: 'subgraph' }, ...workerEntry } }] },
        ],
      }],
    },
  },
);
