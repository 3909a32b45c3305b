/**
 * Pulumi.yaml and the stack files, read through the one model of the Pulumi CLI (./pulumi-cli.ts): what the
 * program sees for a stack is what `pulumi up` would hand it, after the CLI's own config validation, or the
 * CLI's error.
 *
 * Two sets of stack files: the committed Pulumi.<stack>.yaml are the user's (the documentation tells them to
 * edit them), so tests may require of them only what holds for any stack; the template's own stack files, as
 * it ships them, are fixtures in test/fixtures/stacks, and tests that expect the template's demo values read
 * those.
 */
import * as fs from "fs";
import * as path from "path";
import { KEY_SPECS, PROJECT } from "../../stacks/defaults";
import {
  Ciphertext,
  ConfigValue,
  encrypt,
  GoAny,
  isModelCiphertext,
  loadProject,
  Obj,
  parseStackFile,
  prepareRun,
  ProgramRun,
  Project,
  REPO_ROOT,
  StackConfig,
} from "./pulumi-cli";

export { REPO_ROOT };

/** A declared key of Pulumi.yaml; integer defaults are numbers here (the model keeps Go ints as bigint). */
export interface ProjectKeySpec {
  type?: string;
  description?: string;
  default?: unknown;
  secret?: boolean;
  items?: { type: string };
}

/** Pulumi.yaml as the CLI loads it (its own checks included), with plain JavaScript defaults. */
export function readProjectFile(): { name: string; config: Record<string, ProjectKeySpec> } {
  const toPlain = (v: GoAny | undefined): unknown =>
    typeof v === "bigint" ? Number(v) : Array.isArray(v) ? v.map(toPlain) : v;
  const project = loadProject();
  const config = Object.fromEntries(
    Object.entries(project.config).map(([key, spec]) => [
      key,
      spec.default === undefined ? { ...spec } : { ...spec, default: toPlain(spec.default) },
    ]),
  );
  return { name: project.name, config };
}

/** Drops the project prefix, as test/support/mocks.ts `useMocks` takes keys; fails on other namespaces. */
function ownKeys(entries: [string, string][], where: string): Record<string, string> {
  const own: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (!key.startsWith(`${PROJECT}:`))
      throw new Error(`${where}: key '${key}' is outside the '${PROJECT}' namespace`);
    own[key.slice(PROJECT.length + 1)] = value;
  }
  return own;
}

/** Which stack files: the committed ones (the user's) or the template's as it ships them (fixtures). */
export type StackFiles = "committed" | "template";

/** Where the template's own Pulumi.dev.yaml and Pulumi.prod.yaml are kept, as the template ships them. */
export const TEMPLATE_STACKS_DIR = path.join(REPO_ROOT, "test", "fixtures", "stacks");

const stacksIn = (dir: string) =>
  fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();

/**
 * The stacks with a committed Pulumi.<stack>.yaml: the user's, any number and any names. A test that reads them
 * says "committed" in its title (its own or its describe's): test/user-edits.test.ts runs exactly those tests
 * after applying the documentation's stack edits to a copy of the repository.
 */
export function committedStacks(): string[] {
  return stacksIn(REPO_ROOT);
}

/** The template's stacks, dev and prod. */
export const TEMPLATE_STACKS = stacksIn(TEMPLATE_STACKS_DIR);

/**
 * A stand-in for a secret a real secrets provider encrypted: the model cannot decrypt it (no passphrase or
 * key in tests), so the program gets a value of the right shape for the key (its example where that is a
 * usable value), still marked secret. The value itself is the user's and no test depends on it.
 */
function standInSecret(key: string): string {
  const name = key.slice(PROJECT.length + 1).split(/[[.]/)[0];
  const example = (KEY_SPECS as Record<string, { example?: string }>)[name]?.example ?? "";
  if (name === "repoSshPrivateKey")
    return "-----BEGIN OPENSSH PRIVATE KEY-----\nstand-in\n-----END OPENSSH PRIVATE KEY-----";
  return /^[<-]/.test(example) || example === "" ? `stand-in-secret-for-${name}` : example;
}

function standInSecrets(key: string, value: ConfigValue): ConfigValue {
  const swap = (o: Obj): Obj =>
    o instanceof Ciphertext
      ? isModelCiphertext(o.text)
        ? o
        : new Ciphertext(encrypt(standInSecret(key)))
      : Array.isArray(o)
        ? o.map(swap)
        : o instanceof Map
          ? new Map([...o].map(([k, v]) => [k, swap(v)]))
          : o;
  if (value.kind === "secure")
    return isModelCiphertext(value.ciphertext)
      ? value
      : { kind: "secure", ciphertext: encrypt(standInSecret(key)) };
  if (value.kind === "object") return { kind: "object", tree: swap(value.tree) };
  return value;
}

/** A stack file as the CLI reads it, committed or the template's; real ciphertext comes back as a stand-in. */
export function readStackConfig(
  stack: string,
  files: StackFiles,
  project: Project = loadProject(),
): StackConfig {
  const dir = files === "committed" ? REPO_ROOT : TEMPLATE_STACKS_DIR;
  const file = parseStackFile(fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8"), project.name);
  return {
    project: file.project,
    values: new Map([...file.values].map(([k, v]) => [k, standInSecrets(k, v)])),
  };
}

/**
 * The stack file's own values of the project's namespace, keyed without the prefix, as the program would
 * receive them. Other namespaces' keys (a provider's, such as kubernetes:context) are left out.
 */
export function readStackFile(stack: string, files: StackFiles = "template"): Record<string, string> {
  const project = loadProject();
  const file = readStackConfig(stack, files, project);
  // Run the stack file alone (no project defaults) to get each value as the program receives it.
  const bare: Project = { name: project.name, config: {} };
  const own = Object.entries(prepareRun(bare, file, stack).config).filter(([k]) =>
    k.startsWith(`${PROJECT}:`),
  );
  return ownKeys(own, `Pulumi.${stack}.yaml`);
}

/** What `pulumi up --stack <stack>` hands the program, for `useMocks(stack, config, secretKeys)`. */
export interface StackRun {
  readonly config: Record<string, string>;
  readonly secretKeys: string[];
}

/**
 * Converts the model's run (full keys) to useMocks' form (keys without the project prefix). Other namespaces'
 * keys (a provider's, such as kubernetes:context) are left out: the program does not read them.
 */
export function toMockArgs(run: ProgramRun, where: string): StackRun {
  const own = Object.entries(run.config).filter(([k]) => k.startsWith(`${PROJECT}:`));
  return {
    config: ownKeys(own, where),
    secretKeys: run.secretKeys
      .filter((k) => k.startsWith(`${PROJECT}:`))
      .map((k) => k.slice(PROJECT.length + 1)),
  };
}

/**
 * Config and secret keys of a stack after the CLI merged Pulumi.yaml's defaults and validated them; `edit`
 * applies `configSet` calls (as `pulumi config set --stack <stack> ...`) to the stack file first. By default the
 * template's stack file, whose values the tests may expect; "committed" for the user's.
 */
export function stackRun(
  stack: string,
  edit: (file: StackConfig) => StackConfig = (f) => f,
  files: StackFiles = "template",
): StackRun {
  const project = loadProject();
  return toMockArgs(
    prepareRun(project, edit(readStackConfig(stack, files, project)), stack),
    `Pulumi.${stack}.yaml`,
  );
}

/** What the program sees for a stack: project defaults overlaid with the stack file's values. */
export function effectiveStackConfig(stack: string, files: StackFiles = "template"): Record<string, string> {
  return stackRun(stack, (f) => f, files).config;
}
