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
 * How both charts are installed: into a namespace this program created, rolled back on a failed install, and
 * given ten minutes, since the first install pulls every image.
 */
export const RELEASE_SETTINGS = { createNamespace: false, cleanupOnFail: true, timeout: 600 } as const;

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
