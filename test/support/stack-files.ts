/**
 * The committed Pulumi.yaml and Pulumi.<stack>.yaml, read through the one model of the Pulumi CLI
 * (./pulumi-cli.ts): what the program sees for a stack is what `pulumi up` would hand it, after the CLI's own
 * config validation, or the CLI's error.
 */
import { PROJECT } from "../../stacks/defaults";
import {
  GoAny,
  loadProject,
  prepareRun,
  ProgramRun,
  Project,
  REPO_ROOT,
  StackConfig,
  stackFile,
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

/** The stack file's own values, keyed without the project prefix, as the program would receive them. */
export function readStackFile(stack: string): Record<string, string> {
  const project = loadProject();
  const file = stackFile(stack, project);
  // Run the stack file alone (no project defaults) to get each value as the program receives it.
  const bare: Project = { name: project.name, config: {} };
  return ownKeys(Object.entries(prepareRun(bare, file, stack).config), `Pulumi.${stack}.yaml`);
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
 * Config and secret keys of a committed stack after the CLI merged Pulumi.yaml's defaults and validated them;
 * `edit` applies `configSet` calls (as `pulumi config set --stack <stack> ...`) to the stack file first.
 */
export function stackRun(stack: string, edit: (file: StackConfig) => StackConfig = (f) => f): StackRun {
  const project = loadProject();
  return toMockArgs(prepareRun(project, edit(stackFile(stack, project)), stack), `Pulumi.${stack}.yaml`);
}

/** What the program sees for a stack: project defaults overlaid with the stack file's values. */
export function effectiveStackConfig(stack: string): Record<string, string> {
  return stackRun(stack).config;
}
