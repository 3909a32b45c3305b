// Type-aware lint: the two Pulumi rules need type information to tell an Output from a string.
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
  { ignores: ["node_modules/", "bin/", "eslint.config.mjs"] },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        // Scripts outside the program (examples/manifests ships its own; the benchmark) are not in its tsconfig.
        projectService: { allowDefaultProject: ["examples/manifests/scripts/*.mjs", "bench/*.js"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { pulumi },
    rules: {
      "pulumi/no-output-in-template-literal": "error",
      "pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-floating-promises": "error",
    },
  },
  {
    // The .ts require hook is CommonJS by necessity: it runs before anything can load TypeScript or ES modules.
    files: ["loader/**/*.js"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
