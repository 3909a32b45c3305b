/** Small pure helpers the components share. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Argo CD's name for the cluster it runs in. */
export const IN_CLUSTER_SERVER = "https://kubernetes.default.svc";

/**
 * The resource options that keep a prod resource alive through `pulumi destroy`. `protect` rather than
 * `retainOnDelete`: a destroy then stops with an error naming the resource, instead of quietly leaving it behind.
 */
export function guardRailOptions(protect: boolean): pulumi.CustomResourceOptions {
  return protect ? { protect: true } : {};
}

/** The namespace a component installs into (logical name `<name>-namespace`), with the component's guard rails. */
export function componentNamespace(
  name: string,
  namespace: string,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: namespace } }, opts);
}

/**
 * How both charts are installed. Read in pulumi-kubernetes provider/pkg/provider/helm_release.go
 * (`helmCreate`, `helmUpdate`) and helm v3.20.2 pkg/action (install.go and upgrade.go, `failRelease`):
 * - into the namespace this program created, not one Helm would create and leave behind (createNamespace);
 * - atomically: a failed first install is uninstalled, so `pulumi up` fails with nothing recorded and the next
 *   run installs again; a failed upgrade is rolled back to the last deployed revision, the update fails, and the
 *   next run tries it again;
 * - deleting what a failed upgrade created before that rollback (cleanupOnFail; the rollback would delete it too,
 *   but not if the rollback itself fails to apply; Helm's install has no such option);
 * - with ten minutes for each Helm wait, since the first install pulls every image (a failed upgrade can take
 *   twice that: its own wait, then the rollback's);
 * - keeping ten revisions, like the helm CLI (eleven right after a failed upgrade: Helm's rollback record prunes
 *   none); the provider's default keeps every one, each with the values.
 * No skipAwait: Helm waits until the workloads are ready, so whatever depends on a release finds it running.
 */
export const RELEASE_SETTINGS = {
  createNamespace: false,
  atomic: true,
  cleanupOnFail: true,
  timeout: 600,
  maxHistory: 10,
} as const;

/**
 * Where Helm pulls a chart from, as the Release takes it. A classic repository (https://, http://) serves an
 * index.yaml: the chart is named and the repository given in repositoryOpts. An OCI registry has no index: the
 * chart is the reference `oci://<registry path>/<chart>` itself (pulumi-kubernetes helm_release.go hands it to
 * Helm's `ChartPathOptions.LocateChart`, which pulls oci:// references from the registry).
 */
export function chartSource(
  repository: string,
  chart: string,
): { chart: string; repositoryOpts?: { repo: string } } {
  const repo = repository.replace(/\/+$/, "");
  return repo.startsWith("oci://") ? { chart: `${repo}/${chart}` } : { chart, repositoryOpts: { repo } };
}

type Values = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Values =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** Merges Helm values the way Helm merges values files: maps key by key, everything else replaced. */
export function mergeValues(base: Values, override: Values | undefined): Values {
  if (override === undefined) return base;
  const merged: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeValues(current, value) : value;
  }
  return merged;
}
