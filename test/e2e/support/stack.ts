/**
 * Drives the real Pulumi CLI and engine through the Automation API. The Node language host cannot be built here,
 * so the program runs inline in this process (LocalWorkspace with `program` and `workDir`): the CLI, the engine,
 * the providers and the state are the same as for `pulumi up`. The program is loaded the way Pulumi.yaml loads it,
 * through loader/register.js (mocha preloads it for the e2e run), from a copy of the project, so stack files that
 * LocalWorkspace writes never touch the committed Pulumi.<stack>.yaml.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { scratchDir } from "./scratch";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const STAND_INS_BIN = path.join(REPO_ROOT, "test", "e2e", "stand-ins", "bin");

/** The files of the program a user's clone has; anything else (tests, docs) is not copied. */
const PROGRAM_FILES = [
  "index.ts",
  "components",
  "stacks",
  "loader",
  "package.json",
  "Pulumi.yaml",
  "Pulumi.dev.yaml",
  "Pulumi.prod.yaml",
];

let toolchain: string | undefined;

/** Builds what is missing (seconds when warm) and returns the directory of the toolchain's binaries. */
export function toolchainBin(): string {
  if (process.env.E2E_TOOLCHAIN_BIN) return process.env.E2E_TOOLCHAIN_BIN;
  if (toolchain === undefined) {
    const out = execFileSync("bash", [path.join(REPO_ROOT, "toolchain", "build.sh")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    toolchain = out.trim().split("\n").pop() as string;
  }
  return toolchain;
}

/**
 * A copy of a program's files in a temp directory, with node_modules linked to this checkout's (Node resolves
 * the link to the real path, so the program and the Automation API share one @pulumi/pulumi).
 */
export function copyProgram(from: string, into = scratchDir("program")): string {
  copyFiles(from, into);
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(into, "node_modules"));
  return into;
}

/**
 * The program as it was at `commit` (a release), in a temp directory as copyProgram makes it: what a user's clone
 * of that release holds, on this checkout's node_modules.
 */
export function programAt(commit: string): string {
  let files: string[];
  try {
    files = execFileSync("git", ["ls-tree", "--name-only", commit], { cwd: REPO_ROOT, encoding: "utf8" })
      .split("\n")
      .filter((f) => PROGRAM_FILES.includes(f));
  } catch (e) {
    throw new Error(
      `The commit ${commit} is not in this clone's history (${String(e).split("\n")[0]}); a shallow clone lacks ` +
        `it: git fetch --unshallow`,
    );
  }
  // The program runs on this checkout's node_modules: right only while they hold each package it names, pinned alike.
  const dependencies = (manifest: string): Record<string, string> => JSON.parse(manifest).dependencies ?? {};
  const then = execFileSync("git", ["show", `${commit}:package.json`], { cwd: REPO_ROOT, encoding: "utf8" });
  const now = dependencies(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
  const differ = Object.entries(dependencies(then)).filter(([name, version]) => now[name] !== version);
  if (differ.length > 0) {
    throw new Error(
      `${commit} depends on ${differ.map(([n, v]) => `${n}@${v}`).join(", ")}, which this checkout does not ` +
        `pin: its program needs node_modules of its own`,
    );
  }
  const into = scratchDir("program");
  const tar = execFileSync("git", ["archive", "--format=tar", commit, "--", ...files], {
    cwd: REPO_ROOT,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync("tar", ["-x", "-C", into], { input: tar });
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(into, "node_modules"));
  return into;
}

/**
 * Replaces a program directory's files with this checkout's, as `git pull` does to a user's clone: the stack
 * files LocalWorkspace wrote (Pulumi.<stack>.yaml) stay.
 */
export function upgradeProgram(dir: string): void {
  for (const entry of PROGRAM_FILES) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  copyFiles(REPO_ROOT, dir);
}

function copyFiles(from: string, into: string): void {
  for (const entry of PROGRAM_FILES) {
    const source = path.join(from, entry);
    if (fs.existsSync(source)) fs.cpSync(source, path.join(into, entry), { recursive: true });
  }
}

export interface Backend {
  readonly dir: string;
  readonly env: Record<string, string>;
}

/**
 * A file backend, PULUMI_HOME and passphrase of our own, and PATH with the toolchain. With `randomStandIn` the
 * stand-in random provider is on PATH and the CLI downloads no plugin; without it, the CLI installs the real
 * random provider the SDK asks for, as on a user's machine.
 */
export function newBackend(bin: string, kubeconfig: string, randomStandIn = true): Backend {
  const dir = scratchDir("pulumi");
  fs.mkdirSync(path.join(dir, "state"));
  fs.mkdirSync(path.join(dir, "tmp"));
  const env = {
    // The CLI and its plugins leave temporary files (the kubernetes provider a kubeconfig per Helm release it
    // reads): here they go with the backend when the suite removes it.
    TMPDIR: path.join(dir, "tmp"),
    PULUMI_HOME: path.join(dir, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    ...(randomStandIn ? { PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" } : {}),
    PATH: [bin, ...(randomStandIn ? [STAND_INS_BIN] : []), process.env.PATH].join(":"),
    KUBECONFIG: kubeconfig,
  };
  // The Automation API finds `pulumi` on this process's PATH, and the program reads KUBECONFIG here too.
  Object.assign(process.env, { PATH: env.PATH, KUBECONFIG: kubeconfig });
  return { dir, env };
}

/**
 * The program in `workDir`, run inline: required afresh on every run, through the project's .ts hook. `setup`
 * runs first, inside the run (a stack transform registered there applies to this run only).
 */
export function inlineProgram(workDir: string, setup?: () => void): () => Promise<Record<string, unknown>> {
  return async () => {
    setup?.();
    for (const file of Object.keys(require.cache)) {
      if (file.startsWith(workDir + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`)) {
        delete require.cache[file];
      }
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(workDir, "index.ts")) as Record<string, unknown>;
  };
}

/** Creates or selects `stackName` of the program in `workDir`, with the given config (keys without prefix). */
export async function stackOf(
  workDir: string,
  backend: Backend,
  stackName: string,
  config: Record<string, string | { value: string; secret: boolean }>,
  setup?: () => void,
): Promise<Stack> {
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName: "atlas-gitops", program: inlineProgram(workDir, setup) },
    { workDir, envVars: backend.env },
  );
  for (const [key, value] of Object.entries(config)) {
    const v = typeof value === "string" ? { value, secret: false } : value;
    // --path for the structured keys (applications[0].name), as the README sets them.
    await stack.setConfig(`atlas-gitops:${key}`, v, key.includes("[") || key.includes("."));
  }
  return stack;
}

/** Collects the engine's per-resource operations (create, update, replace, delete, same...) of a run. */
export function operations(): {
  onEvent: (e: unknown) => void;
  ops: { op: string; urn: string; type: string }[];
} {
  const ops: { op: string; urn: string; type: string }[] = [];
  return {
    ops,
    onEvent: (e: unknown) => {
      const meta = (e as { resourcePreEvent?: { metadata?: { op: string; urn: string; type: string } } })
        .resourcePreEvent?.metadata;
      if (meta) ops.push({ op: meta.op, urn: meta.urn, type: meta.type });
    },
  };
}
