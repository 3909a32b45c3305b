/**
 * Reads the committed Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands them to the program:
 * stack values first, project defaults for every key the stack leaves unset, all as strings.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT } from "../../stacks/defaults";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

interface ProjectFile {
  name: string;
  config: Record<string, { type?: string; description?: string; default?: unknown; secret?: boolean }>;
}

export function readProjectFile(): ProjectFile {
  return parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as ProjectFile;
}

/** The stack file's own values, keyed without the project prefix. */
export function readStackFile(stack: string): Record<string, string> {
  const file = parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config?: Record<string, unknown>;
  };
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.config ?? {})) {
    const [namespace, name] = key.split(":");
    if (namespace !== PROJECT || name === undefined) {
      throw new Error(`Pulumi.${stack}.yaml: key '${key}' is outside the '${PROJECT}' namespace`);
    }
    if (typeof value === "object") throw new Error(`Pulumi.${stack}.yaml: '${key}' is not a plain value`);
    values[name] = String(value);
  }
  return values;
}

/** What the program sees for a stack: project defaults overlaid with the stack file's values. */
export function effectiveStackConfig(stack: string): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const [key, spec] of Object.entries(readProjectFile().config)) {
    if (spec.default !== undefined) defaults[key] = String(spec.default);
  }
  return { ...defaults, ...readStackFile(stack) };
}
