/**
 * How Pulumi loads this TypeScript program, and that it loads it fast: without type-checking (npm test does
 * that), with the project's own TypeScript 5.9 rather than the TypeScript 3.8 vendored in @pulumi/pulumi,
 * which rejects tsconfig.json (target es2022: TS6046), also when installed with `npm ci --omit=dev`.
 *
 * Upstream contracts read (pulumi/pulumi v3.248.0):
 * - sdk/nodejs/cmd/pulumi-language-nodejs/main.go, `parseOptions`: Pulumi.yaml `runtime.options.tsconfig` must
 *   be a string; `execRuntime` passes it to the program process as PULUMI_NODEJS_TSCONFIG_PATH, and sets
 *   PULUMI_NODEJS_TYPESCRIPT=true unless `runtime.options.typescript` is false. The program runs in the program
 *   directory (`constructArguments` passes `--pwd`), so a relative path is relative to Pulumi.yaml.
 * - sdk/nodejs/cmd/run/run.ts, `run` (installed as node_modules/@pulumi/pulumi/cmd/run/run.js, the block after
 *   `if (typeScript)`): reads the tsconfig's compilerOptions with `tsutils.loadTypeScriptCompilerOptions`, which
 *   takes the file's OWN `compilerOptions` and does not follow `extends` (sdk/nodejs/tsutils.ts);
 *   `transpileOnly` is PULUMI_NODEJS_TRANSPILE_ONLY if set, else that `compilerOptions.noCheck`; then, for a
 *   CommonJS package with TypeScript >= 4.7, `compilerOptions = { target: "ES2020", module: "nodenext",
 *   moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions }` and `tsn.register({ compiler,
 *   transpileOnly, project: tsConfigPath, skipProject, compilerOptions })`. ts-node applies those compilerOptions
 *   over the tsconfig (with its `extends`), so any of the four the file does not set itself is replaced.
 * - sdk/nodejs/tsutils.ts, `typeScriptRequireStrings`: `require("typescript")` / `require("ts-node")` from the
 *   project if they resolve, else the vendored typescript@3.8.3 and ts-node@7.0.1.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { parse } from "yaml";
import { REPO_ROOT } from "./support/stack-files";

const RUN_TSCONFIG = "tsconfig.run.json";

/** run.js's defaults for a CommonJS package on TypeScript >= 4.7, which the tsconfig's own options override. */
const RUN_JS_DEFAULTS = {
  target: "ES2020",
  module: "nodenext",
  moduleResolution: "nodenext",
  sourceMap: "true",
};

interface PackageJson {
  main?: string;
  type?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, file), "utf8")) as T;

function pulumiRuntimeOptions(): Record<string, unknown> {
  const project = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
    runtime?: string | { name: string; options?: Record<string, unknown> };
  };
  assert.ok(typeof project.runtime === "object", "Pulumi.yaml runtime has no options");
  assert.strictEqual(project.runtime.name, "nodejs");
  return project.runtime.options ?? {};
}

/** A tsconfig's own compilerOptions, read the way tsutils.loadTypeScriptCompilerOptions reads them. */
function ownCompilerOptions(file: string): Record<string, unknown> {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
  const { config, error } = ts.parseConfigFileTextToJson(file, text);
  assert.strictEqual(
    error,
    undefined,
    `${file}: ${ts.flattenDiagnosticMessageText(error?.messageText, "\n")}`,
  );
  return (config as { compilerOptions?: Record<string, unknown> }).compilerOptions ?? {};
}

/** A tsconfig resolved as tsc and ts-node resolve it (extends included), failing on any diagnostic. */
function parsedConfig(file: string, overrides: Record<string, unknown> = {}): ts.ParsedCommandLine {
  const configPath = path.join(REPO_ROOT, file);
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  assert.strictEqual(error, undefined, `${file} does not read`);
  const raw = config as { compilerOptions?: Record<string, unknown> };
  // As ts-node does with the options it is given: they replace the file's own compilerOptions keys.
  const merged = { ...raw, compilerOptions: { ...raw.compilerOptions, ...overrides } };
  const parsed = ts.parseJsonConfigFileContent(merged, ts.sys, REPO_ROOT, undefined, configPath);
  const messages = parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  assert.deepStrictEqual(messages, [], `${file} has configuration errors`);
  return parsed;
}

/** The compilerOptions object run.js hands to ts-node for a tsconfig. */
function runJsCompilerOptions(file: string): Record<string, unknown> {
  return { ...RUN_JS_DEFAULTS, ...ownCompilerOptions(file) };
}

/** Emit-relevant options as TypeScript resolves them, to compare two configurations. */
function emitOptions(options: ts.CompilerOptions) {
  const { target, module, moduleResolution, esModuleInterop, sourceMap, noCheck } = options;
  return { target, module, moduleResolution, esModuleInterop, sourceMap, noCheck: noCheck ?? false };
}

/** The names a module exports (export const/let/function/class, export { ... }), sorted. */
function exportedNames(file: string): string[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
  const exported = (node: ts.Node) =>
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const names: string[] = [];
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement) && exported(statement)) {
      for (const d of statement.declarationList.declarations)
        if (ts.isIdentifier(d.name)) names.push(d.name.text);
    } else if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) &&
      exported(statement)
    ) {
      if (statement.name) names.push(statement.name.text);
    } else if (ts.isExportDeclaration(statement) && statement.exportClause) {
      if (ts.isNamedExports(statement.exportClause)) {
        for (const e of statement.exportClause.elements) names.push(e.name.text);
      }
    }
  }
  return names.sort();
}

interface ChildResult {
  error?: string;
  tsNodeOptions?: {
    compiler: string;
    transpileOnly?: boolean;
    project: string;
    skipProject: boolean;
    compilerOptions: Record<string, unknown>;
  };
  typescriptVersion?: string;
  programFiles?: string[];
  exports?: string[];
  registrations?: string[];
}

describe("TypeScript as Pulumi loads it", () => {
  describe("Pulumi.yaml and package.json", () => {
    it("names tsconfig.run.json as runtime.options.tsconfig, a string path relative to Pulumi.yaml", () => {
      const options = pulumiRuntimeOptions();
      assert.strictEqual(options.tsconfig, RUN_TSCONFIG);
      assert.ok(fs.existsSync(path.join(REPO_ROOT, RUN_TSCONFIG)), `${RUN_TSCONFIG} is missing`);
      // main.go parseOptions: false here would turn ts-node off and Node would not load index.ts.
      assert.notStrictEqual(options.typescript, false);
    });

    it("keeps typescript and ts-node in dependencies, so npm ci --omit=dev still installs them", () => {
      const pkg = readJson<PackageJson>("package.json");
      for (const name of ["typescript", "ts-node"]) {
        assert.ok(pkg.dependencies?.[name], `${name} is not in dependencies`);
        assert.strictEqual(pkg.devDependencies?.[name], undefined, `${name} is also in devDependencies`);
      }
      assert.notStrictEqual(
        pkg.type,
        "module",
        "run.js's CommonJS path (tsn.register) assumes no type: module",
      );
    });

    it("marks nothing typescript or ts-node needs at run time as dev-only in package-lock.json", () => {
      // `npm ci --omit=dev` skips exactly the lockfile entries flagged `dev`.
      const lock = readJson<{ packages: Record<string, LockEntry> }>("package-lock.json");
      /** Node's lookup: the requiring package's own node_modules first, then each enclosing one. */
      const resolve = (name: string, fromKey: string): string | undefined => {
        for (let dir = fromKey; ;) {
          const key = `${dir ? `${dir}/` : ""}node_modules/${name}`;
          if (lock.packages[key]) return key;
          if (!dir) return undefined;
          const at = dir.lastIndexOf("node_modules/");
          dir = at <= 0 ? "" : dir.slice(0, at - 1);
        }
      };
      const seen = new Set<string>();
      const visit = (name: string, fromKey: string) => {
        const key = resolve(name, fromKey);
        assert.ok(key, `${name} (needed by ${fromKey || "the program"}) is not in package-lock.json`);
        if (seen.has(key)) return;
        seen.add(key);
        const entry = lock.packages[key];
        assert.notStrictEqual(entry.dev, true, `${key} (needed by ${fromKey || "the program"}) is dev-only`);
        for (const dep of Object.keys(entry.dependencies ?? {})) visit(dep, key);
      };
      visit("typescript", "");
      visit("ts-node", "");
      assert.ok(seen.size > 5, `walked only ${[...seen].join(", ")}`);
    });
  });

  describe("tsconfig.run.json", () => {
    it("sets noCheck in its own compilerOptions, where run.js looks for it, so ts-node only transpiles", () => {
      assert.strictEqual(ownCompilerOptions(RUN_TSCONFIG).noCheck, true);
    });

    it("sets target, module and moduleResolution itself, so run.js's ES2020/nodenext defaults do not apply", () => {
      const own = ownCompilerOptions(RUN_TSCONFIG);
      for (const key of ["target", "module", "moduleResolution", "sourceMap"]) {
        assert.ok(
          key in own,
          `${RUN_TSCONFIG} must set compilerOptions.${key} itself; extends is not enough`,
        );
      }
      assert.strictEqual(String(own.module).toLowerCase(), "commonjs");
    });

    it("emits what tsconfig.json type-checks, once run.js's defaults are applied", () => {
      const run = parsedConfig(RUN_TSCONFIG, runJsCompilerOptions(RUN_TSCONFIG)).options;
      const check = parsedConfig("tsconfig.json").options;
      assert.deepStrictEqual(emitOptions(run), { ...emitOptions(check), noCheck: true });
      assert.strictEqual(run.module, ts.ModuleKind.CommonJS);
    });

    it("is valid for the project's TypeScript and covers the program but not the tests", () => {
      const { fileNames } = parsedConfig(RUN_TSCONFIG);
      const files = fileNames.map((f) => path.relative(REPO_ROOT, f));
      assert.ok(files.includes("index.ts"), "index.ts is not included");
      assert.ok(
        files.some((f) => f.startsWith(`components${path.sep}`)),
        "components/ is not included",
      );
      assert.deepStrictEqual(
        files.filter((f) => f.startsWith(`test${path.sep}`) || f.startsWith(`bench${path.sep}`)),
        [],
      );
    });

    it("transpiles every program file with run.js's options without a diagnostic", () => {
      const { options, fileNames } = parsedConfig(RUN_TSCONFIG, runJsCompilerOptions(RUN_TSCONFIG));
      for (const file of fileNames) {
        const out = ts.transpileModule(fs.readFileSync(file, "utf8"), {
          compilerOptions: options,
          fileName: file,
          reportDiagnostics: true,
        });
        const messages = (out.diagnostics ?? []).map((d) =>
          ts.flattenDiagnosticMessageText(d.messageText, "\n"),
        );
        assert.deepStrictEqual(messages, [], path.relative(REPO_ROOT, file));
        assert.match(out.outputText, /^"use strict";/, `${file} is not emitted as CommonJS`);
      }
    });

    it("leaves tsconfig.json checking: it has no noCheck, so `npm test` and editors type-check", () => {
      assert.strictEqual(ownCompilerOptions("tsconfig.json").noCheck, undefined);
      assert.strictEqual(ownCompilerOptions("tsconfig.json").strict, true);
    });
  });

  describe("Pulumi's own run() with the language host's environment", function () {
    // A fresh Node process loads the SDKs and the program: seconds, more on a busy machine.
    this.timeout(180_000);
    let result: ChildResult;

    before(() => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const name of Object.keys(env)) {
        if (name.startsWith("PULUMI_NODEJS_") || name.startsWith("TS_NODE_")) delete env[name];
      }
      // What main.go execRuntime sets for this Pulumi.yaml.
      env.PULUMI_NODEJS_TYPESCRIPT = "true";
      env.PULUMI_NODEJS_TSCONFIG_PATH = String(pulumiRuntimeOptions().tsconfig);
      const out = spawnSync(
        process.execPath,
        [path.join(REPO_ROOT, "bench", "startup.js"), "--child", "run"],
        {
          cwd: REPO_ROOT,
          env,
          encoding: "utf8",
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      const line = out.stdout.trim().split("\n").pop() ?? "";
      try {
        result = JSON.parse(line) as ChildResult;
      } catch {
        throw new Error(`the child printed no result (exit ${out.status}):\n${out.stdout}\n${out.stderr}`);
      }
    });

    it("registers ts-node transpile-only with tsconfig.run.json and the project's TypeScript", () => {
      assert.strictEqual(result.error, undefined, result.error);
      const options = result.tsNodeOptions;
      assert.ok(options, "run.js never called ts-node's register");
      assert.strictEqual(options.project, RUN_TSCONFIG);
      assert.strictEqual(options.skipProject, false);
      assert.strictEqual(options.transpileOnly, true);
      // "typescript", not a path into @pulumi/pulumi/vendor/typescript@3.8.3.
      assert.strictEqual(options.compiler, "typescript");
      assert.strictEqual(result.typescriptVersion, ts.version);
      assert.deepStrictEqual(options.compilerOptions, runJsCompilerOptions(RUN_TSCONFIG));
    });

    it("runs the dev stack's program to the end: every resource and every stack output", () => {
      assert.strictEqual(result.error, undefined, result.error);
      const types = result.registrations ?? [];
      for (const type of [
        "kubernetes:helm.sh/v3:Release",
        "kubernetes:argoproj.io/v1alpha1:Application",
        "kubernetes:argoproj.io/v1alpha1:AppProject",
        "random:index/randomPassword:RandomPassword",
        "kubernetes:core/v1:Secret",
      ]) {
        assert.ok(types.includes(type), `no ${type} registered; got ${types.join(", ")}`);
      }
      // run.ts `runInPulumiStack(runProgram)` returns the module's exports as the stack outputs.
      const declared = exportedNames("index.ts");
      assert.ok(declared.includes("argocdNamespace"), `index.ts exports ${declared.join(", ")}`);
      assert.deepStrictEqual(result.exports, declared);
    });

    it("loads only program files that tsconfig.run.json includes", () => {
      const included = new Set(parsedConfig(RUN_TSCONFIG).fileNames.map((f) => path.relative(REPO_ROOT, f)));
      const loaded = (result.programFiles ?? []).filter((f) => f.endsWith(".ts"));
      assert.ok(loaded.includes("index.ts"), `index.ts was not loaded: ${loaded.join(", ")}`);
      assert.deepStrictEqual(
        loaded.filter((f) => !included.has(f)),
        [],
      );
    });
  });
});
