/**
 * loader/ts-hook.js, the `.ts` require hook Pulumi preloads: it must produce exactly what Sucrase's own hook
 * produces, and its cache must never hand back code for another version of a file.
 *
 * Upstream contracts read:
 * - Sucrase 3.35.1 (alangpierce/sucrase, src/register.ts `addHook`, `registerTS`): `sucrase/register/ts` adds a
 *   pirates hook for the `.ts` extension only, transforming with ["imports", "typescript"], `filePath`, and a
 *   source map appended inline as base64 JSON. The first test captures that hook and compares outputs byte for byte.
 * - pirates 4.0.7 (lib/index.js `addHook`, `shouldCompile`): `exts` picks the extensions; `ignoreNodeModules`
 *   defaults to true, so nothing under node_modules is transformed; the hook's return value is what Node compiles.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as vm from "vm";
import { programFiles } from "./support/program-files";
import { REPO_ROOT } from "./support/stack-files";

interface TsHook {
  compile(code: string, filePath: string, cacheDir: string | undefined): string;
  transformTs(code: string, filePath: string): string;
  cacheDirFrom(env: NodeJS.ProcessEnv): string | undefined;
  entryFor(cacheDir: string, code: string, filePath: string): { file: string; key: string };
  keyFor(sucraseVersion: string, filePath: string, code: string): string;
  SUCRASE_VERSION: string;
  DEFAULT_CACHE_DIR: string;
}
type PiratesHook = (code: string, filePath: string) => string;

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file outside the program's modules
const hook = require("../loader/ts-hook.js") as TsHook;

/** The program's files, as absolute paths: what the hook is called with. */
const programPaths = () => programFiles().map((file) => path.join(REPO_ROOT, file));

/**
 * Sucrase's own `.ts` hook function and the options it gives pirates, captured by standing in for pirates'
 * `addHook` while `sucrase/register/ts` registers (src/register.ts calls `pirates.addHook(hook, options)`).
 */
function sucraseOwnHook(): { hook: PiratesHook; options: { exts?: string[] } } {
  /* eslint-disable @typescript-eslint/no-require-imports -- swapping CommonJS module state for the capture */
  const pirates = require("pirates") as { addHook: (h: PiratesHook, o: object) => () => void };
  const registerJs = require.resolve("sucrase/dist/register");
  const entry = require.resolve("sucrase/register/ts");
  const original = pirates.addHook;
  let captured: { hook: PiratesHook; options: { exts?: string[] } } | undefined;
  // addHook merges SUCRASE_OPTIONS from the environment into its options; ours never reads it.
  const sucraseOptions = process.env.SUCRASE_OPTIONS;
  delete process.env.SUCRASE_OPTIONS;
  pirates.addHook = (h, o) => {
    captured = { hook: h, options: o };
    return () => undefined;
  };
  try {
    delete require.cache[registerJs];
    delete require.cache[entry];
    require(entry);
  } finally {
    pirates.addHook = original;
    if (sucraseOptions !== undefined) process.env.SUCRASE_OPTIONS = sucraseOptions;
    delete require.cache[registerJs];
    delete require.cache[entry];
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  assert.ok(captured, "sucrase/register/ts did not call pirates.addHook");
  return captured;
}

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "atlas-gitops-ts-hook-"));

describe("loader/ts-hook.js: the .ts require hook Pulumi preloads", () => {
  let dirs: string[] = [];
  const scratch = () => {
    const dir = tempDir();
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    dirs = [];
  });

  describe("what it produces", () => {
    it("is byte for byte what Sucrase's own .ts hook produces, for every program file", () => {
      const upstream = sucraseOwnHook();
      assert.deepStrictEqual(upstream.options.exts, [".ts"]);
      for (const file of programPaths()) {
        const code = fs.readFileSync(file, "utf8");
        assert.strictEqual(hook.transformTs(code, file), upstream.hook(code, file), file);
      }
    });

    it("turns every program file into plain CommonJS JavaScript with an inline source map", () => {
      for (const file of programPaths()) {
        const code = fs.readFileSync(file, "utf8");
        const out = hook.transformTs(code, file);
        // vm.Script throws a SyntaxError on any TypeScript left in the output.
        assert.doesNotThrow(() => new vm.Script(out, { filename: file }), file);
        const map = /\/\/# sourceMappingURL=data:application\/json;charset=utf-8;base64,(\S+)$/.exec(out);
        assert.ok(map, `${file}: no inline source map`);
        const decoded = JSON.parse(Buffer.from(map[1], "base64").toString("utf8")) as { mappings: string };
        assert.ok(decoded.mappings.length > 0, `${file}: empty source map`);
        if (/^import (?!type )/m.test(code)) assert.match(out, /require\(/, `${file} is not CommonJS`);
      }
    });

    it("drops imports used only as types, which would otherwise be required at run time", () => {
      const out = hook.transformTs(
        'import type { A } from "./a";\nimport { B } from "./b";\nimport { C } from "./c";\nexport const x: B = C;\n',
        "/t.ts",
      );
      assert.ok(!out.includes("./a") && !out.includes("./b"), out);
      assert.ok(out.includes("./c"), out);
    });

    it("keeps line numbers, so a stack trace points at the right line even without the map", () => {
      const file = path.join(REPO_ROOT, "components", "hosted-app.ts");
      const code = fs.readFileSync(file, "utf8");
      const out = hook.transformTs(code, file).replace(/\n\/\/# sourceMappingURL=.*$/, "");
      const lines = out.split("\n");
      assert.strictEqual(lines.length, code.split("\n").length);
      const at = code.split("\n").findIndex((line) => line.includes("class HostedApp"));
      assert.match(lines[at], /class HostedApp/);
    });

    it("reports a syntax error with the file's path and caches nothing for it", () => {
      const cacheDir = scratch();
      assert.throws(() => hook.compile("const x: = 1;\n", "/project/broken.ts", cacheDir), /broken\.ts/);
      assert.deepStrictEqual(fs.readdirSync(cacheDir), []);
    });
  });

  describe("its cache", () => {
    const file = path.join(REPO_ROOT, "stacks", "defaults.ts");
    const code = () => fs.readFileSync(file, "utf8");

    it("stores one entry per source file and hands it back for the same input", () => {
      const cacheDir = scratch();
      const first = hook.compile(code(), file, cacheDir);
      const entries = fs.readdirSync(cacheDir);
      assert.strictEqual(entries.length, 1);
      const { file: entry, key } = hook.entryFor(cacheDir, code(), file);
      assert.strictEqual(path.join(cacheDir, entries[0]), entry);
      assert.ok(fs.readFileSync(entry, "utf8").includes(key));
      // A marker written into the entry comes back: the second call read the cache instead of transforming.
      fs.appendFileSync(entry, "\n// from the cache");
      assert.strictEqual(hook.compile(code(), file, cacheDir), `${first}\n// from the cache`);
    });

    it("never serves an entry for another version of the file, and replaces it in place", () => {
      const cacheDir = scratch();
      hook.compile(code(), file, cacheDir);
      const changed = `${code()}\nexport const addedLater = 1;\n`;
      const out = hook.compile(changed, file, cacheDir);
      assert.match(out, /addedLater/);
      assert.strictEqual(out, hook.transformTs(changed, file));
      assert.strictEqual(fs.readdirSync(cacheDir).length, 1, "old entries pile up");
      // And back: the first version is transformed again, not served from the changed one.
      assert.doesNotMatch(hook.compile(code(), file, cacheDir), /addedLater/);
    });

    it("keys entries on Sucrase's version, the transforms, the path and the text", () => {
      const cacheDir = scratch();
      const a = hook.entryFor(cacheDir, code(), file);
      assert.notStrictEqual(hook.entryFor(cacheDir, `${code()} `, file).key, a.key);
      assert.notStrictEqual(hook.entryFor(cacheDir, code(), `${file}x`).key, a.key);
      assert.notStrictEqual(hook.entryFor(cacheDir, code(), `${file}x`).file, a.file);
      assert.notStrictEqual(hook.keyFor("3.35.2", file, code()), a.key);
      assert.strictEqual(hook.keyFor(hook.SUCRASE_VERSION, file, code()), a.key);
      // The version is the installed Sucrase's, read from its package.json, so an upgrade empties the cache.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { version } = require("sucrase/package.json") as { version: string };
      assert.strictEqual(hook.SUCRASE_VERSION, version);
    });

    it("ignores an entry it cannot trust and writes a good one over it", () => {
      const cacheDir = scratch();
      const { file: entry } = hook.entryFor(cacheDir, code(), file);
      fs.mkdirSync(cacheDir, { recursive: true });
      fs.writeFileSync(entry, "// atlas-gitops ts-hook 0000\nthrow new Error('stale');\n");
      const out = hook.compile(code(), file, cacheDir);
      assert.strictEqual(out, hook.transformTs(code(), file));
      assert.ok(fs.readFileSync(entry, "utf8").endsWith(out));
    });

    it("still works when the cache cannot be written, and leaves no temporary file", () => {
      const parent = scratch();
      const blocked = path.join(parent, "not-a-directory");
      fs.writeFileSync(blocked, "");
      assert.strictEqual(hook.compile(code(), file, blocked), hook.transformTs(code(), file));
      assert.deepStrictEqual(fs.readdirSync(parent), ["not-a-directory"]);
    });

    it("leaves no temporary files behind after writing", () => {
      const cacheDir = scratch();
      for (const f of programPaths()) hook.compile(fs.readFileSync(f, "utf8"), f, cacheDir);
      const names = fs.readdirSync(cacheDir);
      assert.strictEqual(names.length, programPaths().length);
      assert.ok(
        names.every((n) => /^[0-9a-f]{32}\.js$/.test(n)),
        names.join(", "),
      );
    });

    it("lives in node_modules/.cache unless ATLAS_GITOPS_TS_CACHE names a directory or is off", () => {
      assert.strictEqual(
        hook.DEFAULT_CACHE_DIR,
        path.join(REPO_ROOT, "node_modules", ".cache", "atlas-gitops", "ts"),
      );
      assert.strictEqual(hook.cacheDirFrom({}), hook.DEFAULT_CACHE_DIR);
      assert.strictEqual(hook.cacheDirFrom({ ATLAS_GITOPS_TS_CACHE: "" }), hook.DEFAULT_CACHE_DIR);
      assert.strictEqual(hook.cacheDirFrom({ ATLAS_GITOPS_TS_CACHE: "off" }), undefined);
      assert.strictEqual(hook.cacheDirFrom({ ATLAS_GITOPS_TS_CACHE: "rel/dir" }), path.resolve("rel/dir"));
      // `npm ci` removes node_modules, and with it the cache: a fresh install starts cold, never stale.
      const ignored = fs.readFileSync(path.join(REPO_ROOT, ".gitignore"), "utf8").split("\n");
      assert.ok(ignored.includes("node_modules/"), "the cache would be committed");
    });
  });

  describe("preloaded in a fresh Node process, as Pulumi's language host does", function () {
    this.timeout(60_000);
    /** Starts node with the hook from the project root and requires the program's config parser. */
    const start = (cacheDir: string) => {
      const script = [
        "const m = require('./stacks/config.ts');",
        "const loaded = Object.keys(require.cache);",
        "console.log(JSON.stringify({",
        "  exports: Object.keys(m).sort(),",
        "  sucrase: loaded.some((f) => f.includes('/node_modules/sucrase/')),",
        "  ts: loaded.filter((f) => f.endsWith('.ts')).length,",
        "}));",
      ].join("\n");
      const out = spawnSync(process.execPath, ["--require", "./loader/register.js", "-e", script], {
        cwd: REPO_ROOT,
        env: { ...process.env, ATLAS_GITOPS_TS_CACHE: cacheDir },
        encoding: "utf8",
      });
      assert.strictEqual(out.status, 0, out.stderr);
      return JSON.parse(out.stdout) as { exports: string[]; sucrase: boolean; ts: number };
    };

    it("transforms on the first run, and on the next loads every file from the cache without Sucrase", () => {
      const cacheDir = scratch();
      const cold = start(cacheDir);
      assert.ok(cold.exports.includes("loadStackConfig"), cold.exports.join(", "));
      assert.strictEqual(cold.sucrase, true);
      assert.strictEqual(fs.readdirSync(cacheDir).length, cold.ts);
      const warm = start(cacheDir);
      assert.deepStrictEqual(warm.exports, cold.exports);
      assert.strictEqual(warm.sucrase, false, "Sucrase was loaded although every file was cached");
      assert.strictEqual(warm.ts, cold.ts);
    });

    it("leaves .ts files under node_modules alone (pirates' default), as Sucrase's hook does", () => {
      const dir = scratch();
      fs.mkdirSync(path.join(dir, "node_modules", "typed"), { recursive: true });
      const typed = "export const x: number = 1;\n";
      fs.writeFileSync(path.join(dir, "node_modules", "typed", "index.ts"), typed);
      fs.writeFileSync(path.join(dir, "local.ts"), typed);
      const run = (request: string) =>
        spawnSync(
          process.execPath,
          [
            "--require",
            path.join(REPO_ROOT, "loader", "register.js"),
            "-e",
            `require(${JSON.stringify(request)})`,
          ],
          { cwd: dir, env: { ...process.env, ATLAS_GITOPS_TS_CACHE: "off" }, encoding: "utf8" },
        );
      assert.strictEqual(run("./local.ts").status, 0, run("./local.ts").stderr);
      // Not transformed, so Node reads the type annotation as JavaScript and fails.
      const dependency = run("typed/index.ts");
      assert.notStrictEqual(dependency.status, 0);
      assert.match(dependency.stderr, /SyntaxError/);
    });
  });
});
