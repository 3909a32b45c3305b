/**
 * How Pulumi loads this TypeScript program, and that it loads it fast: through our require hook for `.ts` files
 * (loader/: Sucrase, its output cached; test/ts-hook.test.ts holds the hook itself) instead of Pulumi's built-in
 * ts-node, which transpiles file by file through the TypeScript compiler; no type-checking at run time (npm test
 * does that), and no TypeScript or ts-node needed after `npm ci --omit=dev`.
 *
 * Upstream contracts read (pulumi/pulumi v3.248.0):
 * - sdk/nodejs/cmd/pulumi-language-nodejs/main.go, `parseOptions`: Pulumi.yaml `runtime.options.typescript` must
 *   be a boolean (true when absent) and `runtime.options.nodeargs` a string. `execRuntime` sets
 *   PULUMI_NODEJS_TYPESCRIPT=true only when typescript is true, splits nodeargs with shlex.Split and puts them on
 *   node's command line before the run script, so a `--require` module loads first. It starts node without a
 *   directory of its own, so node runs where the language host runs: pkg/host/host.go `LanguageRuntime` starts the
 *   host in the plugin context's pwd, which pkg/engine/project.go `getPwdMain` sets to the project root when
 *   Pulumi.yaml has no `main`. Node resolves a relative `--require` path from its working directory (checked
 *   below by starting node from elsewhere).
 * - sdk/nodejs/cmd/run/run.ts, `run`: ts-node is registered only `if (typeScript)`, i.e. when
 *   PULUMI_NODEJS_TYPESCRIPT is "true"; the program is then `require`d from package.json `main`.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { parse } from "yaml";
import { programFiles } from "./support/program-files";
import { REPO_ROOT } from "./support/stack-files";

/** The hook Pulumi.yaml's nodeargs preload. */
const LOADER = "./loader/register.js";

interface PackageJson {
  main?: string;
  type?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface LockEntry {
  dev?: boolean;
  dependencies?: Record<string, string>;
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, file), "utf8")) as T;

function pulumiRuntimeOptions(): Record<string, unknown> {
  const project = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
    runtime?: string | { name: string; options?: Record<string, unknown> };
    main?: string;
  };
  assert.ok(typeof project.runtime === "object", "Pulumi.yaml runtime has no options");
  // getPwdMain: without `main`, the program and the language host's directory are the project root.
  assert.strictEqual(project.main, undefined, "a Pulumi.yaml main moves the directory nodeargs resolve from");
  assert.strictEqual(project.runtime.name, "nodejs");
  return project.runtime.options ?? {};
}

/**
 * The names index.ts puts onto its exports object under `if (<guard>) { Object.assign(module.exports, { x: … }) }`,
 * for the outputs only some stacks have: `argocd` guards those of a stack that installs Argo CD, as dev does.
 */
function assignedUnder(file: string, guard: string): string[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
  const names: string[] = [];
  const collect = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      node.expression.getText(source) === "Object.assign" &&
      node.arguments[0]?.getText(source) === "module.exports" &&
      node.arguments[1] !== undefined &&
      ts.isObjectLiteralExpression(node.arguments[1])
    ) {
      for (const p of node.arguments[1].properties)
        if (p.name && ts.isIdentifier(p.name)) names.push(p.name.text);
    }
    ts.forEachChild(node, collect);
  };
  for (const statement of source.statements) {
    if (ts.isIfStatement(statement) && statement.expression.getText(source) === guard)
      collect(statement.thenStatement);
  }
  return names.sort();
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
    }
  }
  return names.sort();
}

interface ChildResult {
  error?: string;
  tsNodeOptions?: unknown;
  loader?: string;
  programFiles?: string[];
  exports?: string[];
  registrations?: string[];
  sucraseLoaded?: boolean;
}

describe("TypeScript as Pulumi loads it", () => {
  describe("Pulumi.yaml and package.json", () => {
    it("turns Pulumi's built-in ts-node off and preloads our .ts hook through nodeargs", () => {
      const options = pulumiRuntimeOptions();
      // main.go parseOptions: `typescript` must be a boolean and `nodeargs` a string, or the run fails.
      assert.strictEqual(options.typescript, false);
      assert.strictEqual(options.nodeargs, `--require ${LOADER}`);
      // A tsconfig option only reaches ts-node, which no longer runs: it would be dead config.
      assert.strictEqual(options.tsconfig, undefined);
    });

    it("preloads the hook from the project directory, where the language host starts node, and only there", () => {
      const start = (cwd: string) =>
        spawnSync(
          process.execPath,
          ["--require", LOADER, "-e", "require(process.argv[1])", "./stacks/defaults.ts"],
          {
            cwd,
            env: { ...process.env, ATLAS_GITOPS_TS_CACHE: "off" },
            encoding: "utf8",
          },
        );
      const here = start(REPO_ROOT);
      assert.strictEqual(here.status, 0, here.stderr);
      // From another directory the relative path misses: the reason Pulumi.yaml must not set `main`.
      const elsewhere = start(path.join(REPO_ROOT, "components"));
      assert.notStrictEqual(elsewhere.status, 0);
      assert.match(elsewhere.stderr, /Cannot find module '\.\/loader\/register\.js'/);
    });

    it("keeps sucrase and pirates in dependencies and the TypeScript compiler out of them", () => {
      const pkg = readJson<PackageJson>("package.json");
      // loader/ts-hook.js requires both by name.
      assert.ok(pkg.dependencies?.sucrase, "sucrase is not in dependencies");
      assert.ok(pkg.dependencies?.pirates, "pirates is not in dependencies");
      for (const name of ["typescript", "ts-node"]) {
        assert.strictEqual(pkg.dependencies?.[name], undefined, `${name} is loaded at run time no more`);
      }
      assert.strictEqual(pkg.main, "index.ts", "run.ts requires package.json main");
      assert.notStrictEqual(pkg.type, "module", "the imports transform emits CommonJS");
    });

    it("marks nothing sucrase needs at run time as dev-only in package-lock.json", () => {
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
      visit("sucrase", "");
      visit("pirates", "");
      assert.ok(seen.has("node_modules/lines-and-columns"), `walked only ${[...seen].join(", ")}`);
    });

    it("leaves tsconfig.json checking: strict, no noCheck, so `npm test` and editors type-check", () => {
      const { config } = ts.readConfigFile(path.join(REPO_ROOT, "tsconfig.json"), ts.sys.readFile);
      const options = (config as { compilerOptions: Record<string, unknown> }).compilerOptions;
      assert.strictEqual(options.noCheck, undefined);
      assert.strictEqual(options.strict, true);
    });
  });

  describe("Pulumi's own run() started as the language host starts it", function () {
    // A fresh Node process loads the SDKs and the program: seconds, more on a busy machine.
    this.timeout(180_000);
    let result: ChildResult;

    let again: ChildResult;
    let cacheDir: string;

    before(() => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const name of Object.keys(env)) {
        if (name.startsWith("PULUMI_NODEJS_") || name.startsWith("TS_NODE_")) delete env[name];
      }
      // The hook's cache, empty at first, then as the first run left it (loader/ts-hook.js reads this variable).
      cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "atlas-gitops-startup-"));
      env.ATLAS_GITOPS_TS_CACHE = cacheDir;
      // What main.go execRuntime does for this Pulumi.yaml: no PULUMI_NODEJS_TYPESCRIPT (typescript: false), and
      // the nodeargs, split, before the script.
      const nodeArgs = String(pulumiRuntimeOptions().nodeargs).split(/\s+/);
      const runOnce = (): ChildResult => {
        const out = spawnSync(
          process.execPath,
          [...nodeArgs, path.join(REPO_ROOT, "bench", "startup.js"), "--child", "run"],
          { cwd: REPO_ROOT, env, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
        );
        const line = out.stdout.trim().split("\n").pop() ?? "";
        try {
          return JSON.parse(line) as ChildResult;
        } catch {
          throw new Error(`the child printed no result (exit ${out.status}):\n${out.stdout}\n${out.stderr}`);
        }
      };
      result = runOnce();
      again = runOnce();
    });

    after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

    it("never registers ts-node, and loads through the preloaded hook", () => {
      assert.strictEqual(result.error, undefined, result.error);
      assert.strictEqual(result.tsNodeOptions, undefined, "run.js registered ts-node");
      assert.strictEqual(result.loader, `--require ${LOADER}`);
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
      // dev installs its own Argo CD, so it has that Argo CD's outputs too.
      const installs = assignedUnder("index.ts", "argocd");
      assert.ok(installs.includes("argocdAdminPassword"), `index.ts assigns ${installs.join(", ")}`);
      assert.deepStrictEqual(result.exports, [...declared, ...installs].sort());
    });

    it("loads only the program's own TypeScript files, no test", () => {
      const loaded = result.programFiles ?? [];
      const tsFiles = loaded.filter((f) => f.endsWith(".ts"));
      assert.ok(tsFiles.includes("index.ts"), `index.ts was not loaded: ${loaded.join(", ")}`);
      const own = new Set(programFiles());
      assert.deepStrictEqual(
        tsFiles.filter((f) => !own.has(f)),
        [],
      );
    });

    it("transforms each file on the first run only: the next one loads all from the cache, without Sucrase", () => {
      assert.strictEqual(result.sucraseLoaded, true);
      assert.strictEqual(again.error, undefined, again.error);
      assert.strictEqual(again.sucraseLoaded, false, "Sucrase was loaded on a run with every file cached");
      assert.deepStrictEqual(again.registrations, result.registrations);
      assert.deepStrictEqual(again.exports, result.exports);
      const tsFiles = (result.programFiles ?? []).filter((f) => f.endsWith(".ts"));
      assert.strictEqual(fs.readdirSync(cacheDir).length, tsFiles.length);
    });
  });
});
