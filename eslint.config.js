import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "test-artifacts/**", "data/**", "gateway/dashboard/vendor/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-var": "error",
      "prefer-const": "error",
      eqeqeq: ["error", "smart"],
      "@typescript-eslint/no-this-alias": "off",
    },
  },
  {
    // Firmware runs on the Espruino interpreter: forbid what it lacks, with the reason (docs/espruino.md).
    files: ["firmware/**/*.ts"],
    rules: {
      // require("Storage"), require("net") are how the interpreter hands out its modules
      "@typescript-eslint/no-require-imports": "off",
      "no-restricted-syntax": [
        "error",
        { selector: "SpreadElement", message: "Espruino has no spread; TypeScript would emit a helper." },
        { selector: "ClassDeclaration[superClass]", message: "Class inheritance needs __extends: compose instead." },
        { selector: "FunctionDeclaration[async=true], ArrowFunctionExpression[async=true], FunctionExpression[async=true]", message: "No async on Espruino." },
        { selector: "FunctionDeclaration[generator=true], FunctionExpression[generator=true]", message: "No generators on Espruino." },
        { selector: "LabeledStatement", message: "No labelled statements on Espruino." },
        { selector: "BinaryExpression[operator='**']", message: "Use Math.pow: no ** on Espruino." },
      ],
      "no-restricted-globals": [
        "error",
        { name: "Map", message: "No Map on Espruino." },
        { name: "Set", message: "No Set on Espruino." },
        { name: "WeakMap", message: "No WeakMap on Espruino." },
        { name: "Symbol", message: "No Symbol on Espruino." },
        { name: "Proxy", message: "No Proxy on Espruino." },
        { name: "Reflect", message: "No Reflect on Espruino." },
        { name: "TextEncoder", message: "No TextEncoder on Espruino." },
        { name: "Buffer", message: "Node only." },
      ],
    },
  },
);
