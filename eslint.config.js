import tseslint from 'typescript-eslint';

/*
 * No array spread into a call (issue 20): `f(...items)` puts every item on the stack, and a few
 * hundred thousand (the trees of a large repository) throw `RangeError: Maximum call stack size
 * exceeded`. Use a loop, `appendAll` / `largestOf` (src/platform/append-all.ts) or `reduce`.
 * The allow-list is what is small by construction:
 * - an array literal (`f(...[a, b])`): its length is in the source;
 * - forwarding a rest parameter named `args`, `parts` or `segments` (`(...args) => g(...args)`):
 *   it already arrived as arguments, so it fits.
 */
const SMALL_SPREAD = ":not([argument.type='ArrayExpression']):not([argument.name=/^(args|parts|segments)$/])";
const UNBOUNDED_SPREAD_MESSAGE =
  'Spreading an array into a call overflows the stack for large arrays: use a loop, appendAll or largestOf (src/platform/append-all.ts).';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'ui/dist/**', 'data/**', '**/*.js', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    // Tests spread their own fixed inputs (and one spreads on purpose to show the failure).
    files: ['src/**/*.ts', 'bench/**/*.ts', 'ui/src/**/*.ts', 'ui/src/**/*.tsx'],
    ignores: ['**/*.test.ts', '**/*.test.tsx'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: `CallExpression > SpreadElement.arguments${SMALL_SPREAD}`,
          message: UNBOUNDED_SPREAD_MESSAGE,
        },
        {
          selector: `NewExpression > SpreadElement.arguments${SMALL_SPREAD}`,
          message: UNBOUNDED_SPREAD_MESSAGE,
        },
      ],
    },
  },
);
