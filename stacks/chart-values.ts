/**
 * `argocdValues` and `atlasOperatorValues`: chart values a stack sets as a structured object
 * (`pulumi config set --path 'argocdValues.server.replicas' 2`), merged last over what the program sets. Values
 * the program must own for its guarantees are refused here, before any resource, each with why and what to set
 * instead.
 */
import { ConfigKey, KEY_SPECS, PROJECT } from "./defaults";
import type { ChartValues } from "./types";
import { Problems } from "./validate";

/** A chart value the program owns: its path in the values, or a key prefix within the object at `path`. */
interface Owned {
  readonly path: readonly string[];
  /** Owns every key of the object at `path` that starts with this, rather than the path itself. */
  readonly keyPrefix?: string;
  /** Why the program owns it. */
  readonly why: string;
  /** What to set instead, if anything: a `pulumi config set` command's key and example. */
  readonly instead?: { readonly key: ConfigKey; readonly example: string };
}

const ARGOCD_OWNED: readonly Owned[] = [
  {
    path: ["crds", "keep"],
    why:
      "the program keeps Argo CD's CRDs when the chart is uninstalled: deleting them deletes every Application, " +
      "and through the cascade finalizer what each one deployed",
  },
  {
    path: ["crds", "install"],
    why: "the Application and AppProject CRDs come with the chart, and the program registers both kinds",
  },
  {
    path: ["configs", "cm"],
    keyPrefix: "resource.customizations.health.db.atlasgo.io_",
    why:
      "these are the program's Atlas health checks, which hold each sync wave until the operator has applied " +
      "the schema (add health checks for other kinds under their own keys)",
  },
  {
    path: ["configs", "cm", "admin.enabled"],
    why: "the program sets it from argocdAdminEnabled",
    instead: { key: "argocdAdminEnabled", example: "false" },
  },
  {
    path: ["configs", "secret", "argocdServerAdminPassword"],
    why: "the program generates the admin password (the stack output argocdAdminPassword) and keeps its hash here",
    instead: { key: "argocdAdminEnabled", example: "false" },
  },
  {
    path: ["configs", "secret", "argocdServerAdminPasswordMtime"],
    why: "the program pins it, so that an upgrade does not log every admin session out",
  },
  {
    path: ["configs", "params", "controller.resource.health.persist"],
    why: "the wait of `pulumi up` and the alerts read each resource's health from the Application",
  },
  {
    path: ["configs", "cm", "timeout.reconciliation"],
    why: "the program sets it from argocdPollInterval",
    instead: { key: "argocdPollInterval", example: "5m" },
  },
  {
    path: ["configs", "cm", "url"],
    why: "the program sets it from argocdIngressHost, and the alerts' links and the stack outputs use it",
    instead: { key: "argocdIngressHost", example: "argocd.example.com" },
  },
  {
    path: ["namespaceOverride"],
    why: "the program creates Argo CD's namespace and installs into it",
    instead: { key: "argocdNamespace", example: "argocd" },
  },
  ...["fullnameOverride", "nameOverride"].map((key) => ({
    path: [key],
    why: "the program and its stack outputs find argocd-server, argocd-cm and the other objects by their chart names",
  })),
];

const ATLAS_OPERATOR_OWNED: readonly Owned[] = [
  {
    path: ["crds"],
    why:
      "the operator's CRDs are templates of the chart: without them an upgrade deletes every AtlasSchema and " +
      "AtlasMigration in the cluster",
  },
  {
    path: ["watchNamespaces"],
    why: "the program lists the applications' namespaces here, and grants the operator a Role in each",
    instead: { key: "atlasOperatorClusterWide", example: "true" },
  },
  {
    path: ["rbac"],
    why: "the program decides between the chart's ClusterRole and its own Roles per namespace",
    instead: { key: "atlasOperatorClusterWide", example: "true" },
  },
  {
    path: ["serviceAccount"],
    why: "the program binds its Roles to the chart's ServiceAccount",
  },
  {
    path: ["namespaceOverride"],
    why: "the program creates the operator's namespace and binds its Roles to the ServiceAccount there",
    instead: { key: "atlasOperatorNamespace", example: "atlas-operator" },
  },
  ...["fullnameOverride", "nameOverride"].map((key): Owned => ({
    path: [key],
    why: "the program binds its Roles to the operator's ServiceAccount by its name",
  })),
  {
    path: ["prewarmDevDB"],
    why: "the program sets it from atlasPrewarmDevDB",
    instead: { key: "atlasPrewarmDevDB", example: "false" },
  },
  {
    path: ["extraEnvs"],
    why:
      "the program passes ATLAS_TOKEN here by reference to its Secret, and a list set here would replace it " +
      "(lists are not merged)",
    instead: { key: "atlasToken", example: "<token>" },
  },
];

/** The values keys and what each may not set. */
export const CHART_VALUES_KEYS = {
  argocdValues: { chart: "argo-cd", owned: ARGOCD_OWNED, example: ["server", "replicas", "2"] },
  atlasOperatorValues: {
    chart: "atlas-operator",
    owned: ATLAS_OPERATOR_OWNED,
    example: ["resources", "limits", "memory", "256Mi"],
  },
} as const;

export type ChartValuesKey = keyof typeof CHART_VALUES_KEYS;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A path as `pulumi config set --path` takes it: `a.b`, with `["a.b"]` for a key that is not a plain name. */
export function configPath(key: string, path: readonly string[]): string {
  return path.reduce(
    (at, seg) => (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg) ? `${at}.${seg}` : `${at}["${seg}"]`),
    key,
  );
}

/** The paths of `values` that set something the program owns: the owned value, or an object above it. */
export function ownedPathsSet(values: Record<string, unknown>, owned: readonly Owned[]): [string[], Owned][] {
  const found: [string[], Owned][] = [];
  for (const o of owned) {
    let at: unknown = values;
    const walked: string[] = [];
    for (const seg of o.path) {
      if (!isPlainObject(at) || !(seg in at)) break;
      walked.push(seg);
      at = at[seg];
      // A non-object above the owned value replaces the program's whole object when merged.
      if (walked.length < o.path.length && !isPlainObject(at)) {
        found.push([[...walked], o]);
        break;
      }
    }
    if (walked.length !== o.path.length) continue;
    if (o.keyPrefix === undefined) found.push([walked, o]);
    else if (!isPlainObject(at)) found.push([walked, o]);
    else
      for (const k of Object.keys(at).filter((k) => k.startsWith(o.keyPrefix!)))
        found.push([[...walked, k], o]);
  }
  return found;
}

/**
 * Reads one values key: JSON text of an object (the CLI hands structured config over as JSON), or unset. `secret`
 * is whether the stack holds it encrypted: a value set with `--path --secret` makes the whole key a secret.
 */
export function parseChartValues(
  problems: Problems,
  key: ChartValuesKey,
  raw: string | undefined,
  encrypted: boolean,
): ChartValues {
  const spec = CHART_VALUES_KEYS[key];
  const [example, ...rest] = [...spec.example].reverse();
  const set = (path: readonly string[], value: string, secret = false) =>
    problems.command({ key: configPath(key, path), example: value, path: true, secret });
  const none: ChartValues = { values: {}, secret: false };
  if (raw === undefined || raw === "") return none;
  let values: unknown;
  try {
    values = JSON.parse(raw);
  } catch {
    values = undefined;
  }
  if (!isPlainObject(values)) {
    const shown = encrypted ? "is set" : `is '${raw.length > 60 ? `${raw.slice(0, 57)}...` : raw}'`;
    problems.add(
      `Config '${PROJECT}:${key}' ${shown} — expected an object of ${spec.chart} chart values, set key by key ` +
        `with --path. Remove it with: pulumi config rm --stack ${problems.stack} ${key}; set one value with: ` +
        set(rest.reverse(), example),
    );
    return none;
  }
  const reported = new Set<string>();
  for (const [path, o] of ownedPathsSet(values, spec.owned)) {
    const at = configPath(key, path);
    if (reported.has(at)) continue;
    reported.add(at);
    const instead =
      o.instead === undefined
        ? ""
        : `; set instead: ${problems.command({ ...o.instead, secret: KEY_SPECS[o.instead.key].secret })}`;
    problems.add(
      `Config '${PROJECT}:${at}' is set — ${o.why}, so ${key} may not set it. Remove it with: ` +
        `pulumi config rm --stack ${problems.stack} --path '${at}'${instead}`,
    );
  }
  return { values, secret: encrypted };
}
