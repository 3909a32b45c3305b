#!/usr/bin/env node
/**
 * How long `pulumi up` takes to get this TypeScript program going, next to loading the Pulumi SDKs alone.
 *
 *   npm run bench:startup               # 3 fresh processes per setup (after a warm-up), averaged
 *   BENCH_RUNS=5 npm run bench:startup
 *   node bench/startup.js --child run   # one measurement as JSON (test/startup.test.ts uses it)
 *
 * Each measurement is a fresh Node process (no warm module cache) that loads the SDKs, then hands the program
 * to Pulumi's own entry point, `run()` in @pulumi/pulumi/cmd/run/run.js (upstream pulumi/pulumi v3.248.0,
 * sdk/nodejs/cmd/run/run.ts, `run`), started the way the Node.js language host starts it for the setup's
 * Pulumi.yaml (sdk/nodejs/cmd/pulumi-language-nodejs/main.go, `parseOptions` and `execRuntime`):
 * `runtime.options.nodeargs`, split like a shell would (shlex), go before the script on node's command line, so
 * a `--require` hook is in place before anything loads, the SDKs included; PULUMI_NODEJS_TYPESCRIPT=true unless
 * `runtime.options.typescript` is false, and only then does run.js register ts-node. Resources go to in-process
 * Pulumi mocks, with the config the CLI would pass for the dev stack (Pulumi.yaml defaults, then
 * the template's Pulumi.dev.yaml in test/fixtures/stacks).
 *
 * Setups:
 *   run        now, from the second `pulumi` command on: Pulumi.yaml's `typescript: false` and its nodeargs,
 *              `--require ./loader/register.js`, a .ts require hook that keeps Sucrase's output in a cache on
 *              disk (here a temporary one, filled by the warm-up run), so nothing is transformed
 *   run-cold   the same hook with an empty cache, as on the first command after `npm ci` or after every file
 *              changed: Sucrase (plain JavaScript) strips the types of each .ts file as it is required
 *   ts-node    Pulumi's built-in loader at its fastest: ts-node, transpile only (PULUMI_NODEJS_TRANSPILE_ONLY);
 *              it loads the whole TypeScript compiler first
 *   typecheck  before: Pulumi's built-in loader with tsconfig.json, type-checking the program against the SDKs'
 *              declarations on every `pulumi up`
 *   js         the floor: the same program compiled to JavaScript beforehand (tsc, in a temporary copy), run
 *              with no loader; what the SDKs and Pulumi's per-resource work cost with no TypeScript at all
 *
 * It prints figures and asserts nothing about them: machines differ.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS script, run by `node` directly */
"use strict";

const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { performance } = require("perf_hooks");

const ROOT = path.resolve(__dirname, "..");
const STACK = "dev";
/** The SDKs the program imports: loading them is what any Pulumi program of this kind pays anyway. */
const SDKS = ["@pulumi/pulumi", "@pulumi/kubernetes", "@pulumi/kubernetesx", "@pulumi/random"];
const SETUPS = ["run", "run-cold", "ts-node", "typecheck", "js"];
const TARGET_RATIO = 1.5;

/**
 * Pulumi.yaml and the stack's config as the CLI hands it to the program: project defaults for the keys the stack
 * leaves unset, the stack's values, every value a string and structured ones as JSON text (the Node.js language
 * host's `constructConfig`). The stack is the template's (test/fixtures/stacks), not the committed one: the
 * committed stacks are the user's, may hold secrets the bench cannot decrypt, and would make figures of two
 * clones incomparable. The template's dev stack has no secret.
 */
function readProject(root = ROOT, stack = STACK) {
  const { parse } = require("yaml");
  const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
  const stackPath = path.join(root, "test", "fixtures", "stacks", `Pulumi.${stack}.yaml`);
  const stackFile = parse(fs.readFileSync(stackPath, "utf8")) ?? {};
  const asText = (key, value) => {
    if (typeof value !== "object" || value === null) return String(value);
    if (!Array.isArray(value) && "secure" in value) {
      throw new Error(`Pulumi.${stack}.yaml: '${key}' is a secret, which the bench cannot decrypt`);
    }
    return JSON.stringify(value);
  };
  const config = {};
  for (const [key, spec] of Object.entries(project.config ?? {})) {
    const name = key.includes(":") ? key : `${project.name}:${key}`;
    if (spec && spec.default !== undefined) config[name] = asText(name, spec.default);
  }
  for (const [key, value] of Object.entries(stackFile.config ?? {})) {
    const name = key.includes(":") ? key : `${project.name}:${key}`;
    config[name] = asText(name, value);
  }
  const options = (typeof project.runtime === "object" && project.runtime.options) || {};
  return { name: project.name, config, runtimeOptions: options };
}

/** main.go `execRuntime`: `runtime.options.nodeargs` split as a shell would (shlex.Split); enough for this file. */
function splitArgs(text) {
  return (text ?? "").split(/\s+/).filter((arg) => arg !== "");
}

/**
 * How the Node.js language host starts the program's process for a setup (main.go `execRuntime`): the node
 * arguments from `runtime.options.nodeargs`, and PULUMI_NODEJS_TYPESCRIPT=true unless `runtime.options.typescript`
 * is false. `run` and `run-cold` take both from Pulumi.yaml, with the hook's cache in `cacheDir` (loader/ts-hook.js
 * reads ATLAS_GITOPS_TS_CACHE); the others imitate the Pulumi.yaml they are named after.
 */
function setupProcess(setup, project, baseEnv = process.env, cacheDir = undefined) {
  const env = { ...baseEnv };
  // Overrides in the caller's shell would make the setups alike.
  for (const name of Object.keys(env)) {
    if (
      name.startsWith("PULUMI_NODEJS_") ||
      name.startsWith("TS_NODE_") ||
      name === "ATLAS_GITOPS_TS_CACHE"
    ) {
      delete env[name];
    }
  }
  const options = project.runtimeOptions;
  switch (setup) {
    case "run":
    case "run-cold":
      if (options.typescript !== false) env.PULUMI_NODEJS_TYPESCRIPT = "true";
      if (cacheDir) env.ATLAS_GITOPS_TS_CACHE = cacheDir;
      return { env, nodeArgs: splitArgs(options.nodeargs) };
    case "ts-node":
      return {
        env: { ...env, PULUMI_NODEJS_TYPESCRIPT: "true", PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
        nodeArgs: [],
      };
    case "typecheck":
      return { env: { ...env, PULUMI_NODEJS_TYPESCRIPT: "true" }, nodeArgs: [] };
    case "js":
      return { env, nodeArgs: [] };
    default:
      throw new Error(`unknown setup '${setup}': use one of ${SETUPS.join(", ")}`);
  }
}

/** Answers registrations the way the engine would for what this program creates, and records their types. */
function mocksFor(registrations) {
  return {
    newResource(args) {
      registrations.push(args.type);
      const state = { ...args.inputs };
      if (args.type === "random:index/randomPassword:RandomPassword") {
        state.result = "bench-generated-password";
        state.bcryptHash = "$2a$10$benchbenchbenchbenchbenchbenchbenchbenchbenchbenchbench";
      }
      if (args.type === "kubernetes:helm.sh/v3:Release") {
        state.status = { namespace: args.inputs.namespace, status: "deployed" };
      }
      return { id: `${args.name}-id`, state };
    },
    call(args) {
      return args.inputs;
    },
  };
}

/**
 * Loads `run` from @pulumi/pulumi/cmd/run/run.js without starting the CLI entry point: run.js does
 * `require(".")` for one constant, and cmd/run/index.js runs `main(process.argv)` as soon as it is loaded,
 * which demands a --monitor address. So index.js goes into the module cache as just that constant, after
 * loading what index.js loads before anything else (its tracing setup and source-map-support).
 */
function loadPulumiRun() {
  const Module = require("module");
  const runJs = require.resolve("@pulumi/pulumi/cmd/run/run.js");
  const runDir = path.dirname(runJs);
  require(path.join(runDir, "instrumentation.js"));
  require(require.resolve("source-map-support/register", { paths: [runDir] }));
  const indexJs = path.join(runDir, "index.js");
  const entry = new Module(indexJs, module);
  entry.filename = indexJs;
  entry.loaded = true;
  // cmd/run/index.ts: `export const nodeJSProcessExitedAfterLoggingUserActionableMessage = 32`.
  entry.exports = { nodeJSProcessExitedAfterLoggingUserActionableMessage: 32 };
  require.cache[indexJs] = entry;
  return require(runJs);
}

/** One measurement in this fresh process; prints one line of JSON. `programDir` holds package.json. */
async function child(setup, programDir) {
  const project = readProject();
  const started = performance.now();

  // 1. The SDKs.
  const pulumi = require("@pulumi/pulumi");
  for (const sdk of SDKS.slice(1)) require(sdk);
  const sdkLoaded = performance.now();

  // 2. Pulumi's harness, which the real process has loaded before the program too. Not counted.
  const { run } = loadPulumiRun();
  const harnessLoaded = performance.now();

  const registrations = [];
  // As `pulumi preview` runs it: outside a preview the program waits for Argo CD on the cluster, and there is none.
  await pulumi.runtime.setMocks(mocksFor(registrations), project.name, STACK, true);
  pulumi.runtime.setAllConfig(project.config, []);

  // 3. The program, as Pulumi runs it. run.js requires the same hoisted ts-node module, so wrapping its
  //    `register` here sees the call (run.ts: `const tsn = require(tsnodeRequire); ... tsn.register(options)`).
  const programStarted = performance.now();
  let tsNodeOptions;
  if (process.env.PULUMI_NODEJS_TYPESCRIPT === "true") {
    const tsNode = require("ts-node");
    const register = tsNode.register;
    tsNode.register = (options) => {
      tsNodeOptions = JSON.parse(JSON.stringify(options));
      return register(options);
    };
  }
  let failure;
  const outputs = await run(
    { _: ["."], pwd: programDir },
    () => undefined,
    (err) => (failure = failure ?? err),
    () => false,
  ).catch((err) => {
    failure = failure ?? err;
    return {};
  });
  // Every registration the program started has reached the mocks.
  await pulumi.runtime.waitForRPCs();
  const programDone = performance.now();

  // The program's own modules that ran: everything loaded from its directory but outside node_modules.
  const programFiles = Object.keys(require.cache)
    .filter((file) => file.startsWith(programDir + path.sep) && file !== __filename)
    .filter((file) => !file.includes(`${path.sep}node_modules${path.sep}`))
    .map((file) => path.relative(programDir, file));
  const result = {
    setup,
    sdkMs: sdkLoaded - started,
    harnessMs: harnessLoaded - sdkLoaded,
    programMs: programDone - programStarted,
    tsNodeOptions,
    loader: tsNodeOptions ? "ts-node" : process.execArgv.join(" ") || "none",
    programFiles: programFiles.sort(),
    // Whether any .ts file had to be transformed: the hook loads Sucrase only then (loader/ts-hook.js).
    sucraseLoaded: Object.keys(require.cache).some((file) =>
      file.includes(`${path.sep}node_modules${path.sep}sucrase${path.sep}`),
    ),
    exports: Object.keys(outputs ?? {}).sort(),
    registrations: registrations.sort(),
    error: failure ? String(failure.stack ?? failure) : undefined,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(failure ? 1 : 0);
}

/**
 * The project compiled to JavaScript beforehand, for the `js` setup: a temporary copy, compiled with
 * `tsc -p tsconfig.json --noCheck` into out/, next to copies of the files the program reads at run
 * time (the Lua health checks), with package.json's main pointed at index.js and node_modules linked.
 */
function compileToJs() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "atlas-gitops-bench-"));
  try {
    const out = path.join(dir, "out");
    const skip = new Set([
      "node_modules",
      ".git",
      "bin",
      "bench",
      "test",
      "policy",
      "examples",
      ".pulumi-state",
    ]);
    const top = (src) => path.relative(ROOT, src).split(path.sep)[0];
    fs.cpSync(ROOT, dir, { recursive: true, filter: (src) => !skip.has(top(src)) });
    const tsc = require.resolve("typescript/bin/tsc");
    const built = spawnSync(
      process.execPath,
      [tsc, "-p", "tsconfig.json", "--noCheck", "--outDir", out, "--rootDir", dir],
      {
        cwd: dir,
        encoding: "utf8",
      },
    );
    if (built.status !== 0)
      throw new Error(`tsc could not compile the program for the js setup:\n${built.stdout}`);
    fs.cpSync(ROOT, out, {
      recursive: true,
      filter: (src) => !skip.has(top(src)) && (fs.statSync(src).isDirectory() || !src.endsWith(".ts")),
    });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(out, "node_modules"), "dir");
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    fs.writeFileSync(path.join(out, "package.json"), JSON.stringify({ ...pkg, main: "index.js" }));
    return { dir, out };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Runs `--child <setup>` in a fresh process and returns its measurement. */
function measure(setup, project, programDir = ROOT, cacheDir = undefined) {
  const { env, nodeArgs } = setupProcess(setup, project, process.env, cacheDir);
  const out = spawnSync(process.execPath, [...nodeArgs, __filename, "--child", setup, programDir], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = out.stdout.trim().split("\n").pop() ?? "";
  let result;
  try {
    result = JSON.parse(line);
  } catch {
    throw new Error(`the ${setup} run printed no result (exit ${out.status}):\n${out.stdout}\n${out.stderr}`);
  }
  if (out.status !== 0 || result.error) {
    throw new Error(`the ${setup} run failed (exit ${out.status}):\n${result.error ?? out.stderr}`);
  }
  return result;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ms = (x) => `${Math.round(x)} ms`.padStart(8);

function main() {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(
      `BENCH_RUNS is '${process.env.BENCH_RUNS}'; set a whole number of runs, e.g. BENCH_RUNS=3`,
    );
  }
  const project = readProject();
  const js = compileToJs();
  // The .ts hook's caches: one the warm-up fills for `run`, and a new, empty one for each `run-cold`.
  const caches = fs.mkdtempSync(path.join(os.tmpdir(), "atlas-gitops-bench-cache-"));
  let cold = 0;
  const once = (setup) =>
    measure(
      setup,
      project,
      setup === "js" ? js.out : ROOT,
      setup === "run" ? path.join(caches, "warm") : path.join(caches, `cold-${cold++}`),
    );
  const results = Object.fromEntries(SETUPS.map((setup) => [setup, []]));
  try {
    // One warm-up each (disk cache), then the setups take turns, so a busy moment hits all of them alike.
    for (const setup of SETUPS) once(setup);
    for (let i = 0; i < runs; i++) {
      for (const setup of SETUPS) results[setup].push(once(setup));
    }
  } finally {
    fs.rmSync(js.dir, { recursive: true, force: true });
    fs.rmSync(caches, { recursive: true, force: true });
  }

  console.log(
    `Startup of the '${STACK}' program under Pulumi mocks: ${runs} fresh Node processes per setup, averaged ` +
      `(after one warm-up). Node ${process.versions.node}.`,
  );
  console.log(`SDKs: ${SDKS.join(", ")}.`);
  console.log(
    "program: Pulumi's run() (the loader, compiling and evaluating index.ts and its imports) until " +
      "every registration has reached the mocks. Each ratio is against its own process's SDK load, which any " +
      "--require hook also slows.\n",
  );
  const describe = {
    run: (r) =>
      `run (now): Pulumi.yaml's typescript=false, node ${r.loader}, cache filled: ` +
      (r.sucraseLoaded ? "Sucrase was loaded, so something was transformed" : "nothing transformed"),
    "run-cold": () => `run-cold: the same with an empty cache (first command after npm ci or a change)`,
    "ts-node": (r) => `ts-node: Pulumi's built-in loader, transpileOnly=${r.tsNodeOptions.transpileOnly}`,
    typecheck: (r) =>
      `typecheck (before): Pulumi's built-in loader, ${r.tsNodeOptions.project}, ` +
      `transpileOnly=${r.tsNodeOptions.transpileOnly}`,
    js: () => "js (floor): compiled beforehand with tsc, run with no loader",
  };
  for (const setup of SETUPS) {
    const rows = results[setup];
    const sdk = mean(rows.map((r) => r.sdkMs));
    const program = mean(rows.map((r) => r.programMs));
    const ratio = (sdk + program) / sdk;
    console.log(describe[setup](rows[0]));
    console.log(`  SDKs loaded          ${ms(sdk)}`);
    console.log(`  Pulumi run harness   ${ms(mean(rows.map((r) => r.harnessMs)))}   (not counted)`);
    console.log(
      `  program              ${ms(program)}   (${rows[0].registrations.length} resources registered)`,
    );
    const verdict = ratio <= TARGET_RATIO ? "within" : "over";
    console.log(
      `  (SDKs + program) / SDKs = ${ratio.toFixed(2)}   (${verdict} the ${TARGET_RATIO} target)\n`,
    );
  }
}

if (require.main === module) {
  const at = process.argv.indexOf("--child");
  if (at !== -1) {
    const setup = process.argv[at + 1];
    const programDir = path.resolve(process.argv[at + 2] ?? ROOT);
    child(setup, programDir).catch((err) => {
      process.stdout.write(`${JSON.stringify({ error: String(err && err.stack ? err.stack : err) })}\n`);
      process.exit(1);
    });
  } else {
    try {
      main();
    } catch (err) {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    }
  }
}

module.exports = { readProject, setupProcess, ROOT };
