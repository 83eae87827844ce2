// Lint for archcheck: typescript-eslint's type-aware rules over the sources, tests, benches and
// scripts. Formatting is prettier's job (`npm run format`), layering dependency-cruiser's
// (`npm run lint:deps`, rules in .dependency-cruiser.cjs).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/', 'dist-action/', 'node_modules/', 'coverage/', 'fixtures/', 'test/stubs/', '*.config.js', '.dependency-cruiser.cjs']},
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {projectService: {allowDefaultProject: ['bin/*.js', 'scripts/*.js']}, tsconfigRootDir: import.meta.dirname},
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_'},
      ],
      // Promises that nobody awaits lose their errors: every one must be awaited, returned or voided.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', {considerDefaultExhaustiveForUnions: true}],
      // oclif's overridable methods are async by signature whether or not they await.
      '@typescript-eslint/require-await': 'off',
      // A caught value is rethrown as it came (unknown), never wrapped.
      '@typescript-eslint/only-throw-error': ['error', {allowThrowingUnknown: true}],
      // archcheck's job includes finding control characters (sanitising, XML): its patterns name them on purpose.
      'no-control-regex': 'off',
      'no-empty': ['error', {allowEmptyCatch: true}],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Program > VariableDeclaration[kind="let"]',
          message: 'No mutable module-level state: put it in an object its owner creates (e.g. RegistryClient).',
        },
        {
          selector:
            ':matches(Program, ExportNamedDeclaration) > VariableDeclaration > VariableDeclarator > NewExpression[callee.name=/^(Map|Set|WeakMap|WeakSet)$/][arguments.length=0]',
          message:
            'No mutable module-level state: an empty collection at module level is a cache or registry shared by every caller; give it an owner object.',
        },
      ],
    },
  },
  {
    // The library takes everything as options: only the CLI and the action read the process's
    // environment and home folder, and pass what they found down (docs/architecture.md).
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/action/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {object: 'process', property: 'env', message: 'Only src/cli/ and src/action/ read the environment: take it as an option.'},
        {object: 'os', property: 'homedir', message: 'Only src/cli/ and src/action/ read the home folder: take it as an option.'},
        {object: 'v8', property: 'setFlagsFromString', message: 'Process-wide tuning belongs to the CLI entry, not the library.'},
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: ['os', 'node:os'].map((name) => ({
            name,
            importNames: ['homedir'],
            message: 'Only src/cli/ and src/action/ read the home folder: take it as an option.',
          })),
        },
      ],
    },
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**', '*.config.ts'],
    rules: {
      'no-restricted-syntax': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/no-this-alias': 'off',
      '@typescript-eslint/await-thenable': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      // Deadline helpers throw from finally on purpose: a slow input fails even when it also threw.
      'no-unsafe-finally': 'off',
    },
  },
  {
    // Plain JavaScript entry points and scripts: Node's globals, no type information.
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {globals: {process: 'readonly', console: 'readonly', URL: 'readonly'}},
  },
)
