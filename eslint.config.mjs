// eslint (npm run lint, run by pretest): typescript-eslint's recommended rules with type
// information where a bug hides (a promise nobody awaits), and the house's size rule.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "actors/**", "ui/**", "test/fixtures/**", "**/*.cjs", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
      "max-lines": ["error", { max: 400, skipBlankLines: true, skipComments: true }],
      // A closure that reads a binding assigned later, and destructuring that reassigns one part, keep let.
      "prefer-const": ["error", { destructuring: "all", ignoreReadBeforeAssign: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
);
