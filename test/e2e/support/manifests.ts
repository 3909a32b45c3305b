/**
 * What an example application's manifests ask of the cluster, read from the real kustomize output: every object
 * with its sync wave, and every Secret key it reads.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { parseAllDocuments } from "yaml";

export interface RenderedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly wave: number;
  readonly body: Record<string, unknown>;
}

/** `kustomize build <dir>` with the toolchain's kustomize, the one Argo CD's repo-server runs. */
export function render(bin: string, dir: string): RenderedObject[] {
  const out = execFileSync(path.join(bin, "kustomize"), ["build", dir], { encoding: "utf8" });
  return parseAllDocuments(out)
    .map((d) => d.toJSON() as Record<string, any>) // eslint-disable-line @typescript-eslint/no-explicit-any
    .filter((o) => o !== null)
    .map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.metadata.name,
      wave: Number(o.metadata.annotations?.["argocd.argoproj.io/sync-wave"] ?? 0),
      body: o,
    }));
}

/** Every `secretKeyRef` (env, Atlas urlFrom) in the objects: which Secret and key each one reads. */
export function secretKeysRead(objects: readonly RenderedObject[]): { name: string; key: string }[] {
  const found = new Map<string, { name: string; key: string }>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (typeof value !== "object" || value === null) return;
    const record = value as Record<string, unknown>;
    const ref = record.secretKeyRef as { name?: string; key?: string } | undefined;
    if (ref?.name && ref.key) found.set(`${ref.name}/${ref.key}`, { name: ref.name, key: ref.key });
    Object.values(record).forEach(walk);
  };
  objects.forEach((o) => walk(o.body));
  return [...found.values()];
}

/** The plural resource name kubectl takes for a kind of the examples. */
export function resourceOf(o: RenderedObject): string {
  const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : "";
  return group === "" || group === "apps" ? o.kind.toLowerCase() : `${o.kind.toLowerCase()}.${group}`;
}
