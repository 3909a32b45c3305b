/**
 * Least privilege for the Atlas operator: it watches only the namespaces this program serves, and every permission
 * it holds on namespaced objects comes from a Role and RoleBinding in one of them. The chart's own ClusterRole
 * (Secrets, ConfigMaps, Deployments and Pods in every namespace) is turned off, unless the cluster-wide mode is
 * chosen for clusters where teams create AtlasSchema objects in namespaces this program does not know.
 *
 * Everything below was read in ariga/atlas-operator at tag v0.7.37 (commit e86fa114e557f7dcba149e711d81a58d8d6b4179)
 * and in the libraries it builds on; each fact names the file and line it comes from.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Where the operator's code was read. */
export const ATLAS_OPERATOR_SOURCE = "ariga/atlas-operator@v0.7.37";

/** The chart's name (charts/atlas-operator/Chart.yaml `name`), which its fullname helper compares with the release. */
export const ATLAS_OPERATOR_CHART_NAME = "atlas-operator";

/** Name of the Role and of the RoleBinding this component creates in every served namespace. */
export const ATLAS_OPERATOR_ROLE_NAME = "atlas-operator-manager";

const RBAC_API_GROUP = "rbac.authorization.k8s.io";

export type AtlasOperatorRbacMode = "namespaced" | "cluster";

/** One kubebuilder RBAC marker of the operator, as data, with the file and line it stands on. */
interface RbacMarker {
  /** `groups=`; kubebuilder's `core` is the API's empty group. */
  readonly group: string;
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly source: string;
}

const SCHEMA_CONTROLLER = "internal/controller/atlasschema_controller.go";
const MIGRATION_CONTROLLER = "internal/controller/atlasmigration_controller.go";

/**
 * The operator's `// +kubebuilder:rbac:` markers at v0.7.37, one entry per marker line (controller-gen turns exactly
 * these into config/rbac/role.yaml, and the chart's manager-rbac.yaml carries the same rules). Why each is needed:
 * - deployments, pods: the dev database is a Deployment named `<owner>-atlas-dev-db` in the AtlasSchema's or
 *   AtlasMigration's OWN namespace (devdb.go:491-496 nameDevDB uses owner.GetNamespace()), created, scaled and read
 *   at devdb.go:119-169 and its pods listed or deleted at devdb.go:100-114 and 170-177.
 * - configmaps, secrets: read through the cached client in the object's namespace (common.go:123-143
 *   getConfigMap/getSecretValue with ns = res.Namespace), watched (atlasschema_controller.go:442-443,
 *   atlasmigration_controller.go:187-188), and the migration directory state written to a Secret in the
 *   AtlasMigration's namespace (atlasmigration_controller.go:158-177 storeDirState, 965-969 newSecretObject).
 * - events: the recorder posts core/v1 Events into the involved object's namespace (controller-runtime v0.22.4
 *   pkg/internal/recorder/recorder.go:101,124 EventSinkImpl on Events(""); client-go v0.34.1
 *   tools/record/event.go:484-489 makeEvent takes ref.Namespace).
 * - atlasschemas/atlasmigrations (+status, +finalizers): the reconcilers get the object and update its status
 *   (atlasschema_controller.go:110-120); `finalizers: update` lets the owner references with blockOwnerDeletion
 *   (controller-runtime pkg/controller/controllerutil/controllerutil.go:70-90 SetControllerReference) pass the
 *   API server's OwnerReferencesPermissionEnforcement check.
 */
const MARKERS: readonly RbacMarker[] = [
  {
    group: "apps",
    resources: ["deployments"],
    // The marker lists create, update and delete twice; the union is what counts.
    verbs: ["create", "update", "delete", "get", "list", "watch", "create", "update", "patch", "delete"],
    source: `${SCHEMA_CONTROLLER}:50`,
  },
  {
    group: "core",
    resources: ["configmaps", "secrets"],
    verbs: ["create", "get", "list", "watch"],
    source: `${SCHEMA_CONTROLLER}:51`,
  },
  { group: "core", resources: ["events"], verbs: ["create", "patch"], source: `${SCHEMA_CONTROLLER}:52` },
  {
    group: "core",
    resources: ["pods"],
    verbs: ["create", "delete", "get", "list", "watch"],
    source: `${SCHEMA_CONTROLLER}:53`,
  },
  {
    group: "db.atlasgo.io",
    resources: ["atlasschemas"],
    verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
    source: `${SCHEMA_CONTROLLER}:54`,
  },
  {
    group: "db.atlasgo.io",
    resources: ["atlasschemas/finalizers"],
    verbs: ["update"],
    source: `${SCHEMA_CONTROLLER}:55`,
  },
  {
    group: "db.atlasgo.io",
    resources: ["atlasschemas/status"],
    verbs: ["get", "update", "patch"],
    source: `${SCHEMA_CONTROLLER}:56`,
  },
  {
    group: "core",
    resources: ["configmaps", "secrets"],
    verbs: ["create", "update", "delete", "get", "list", "watch"],
    source: `${MIGRATION_CONTROLLER}:53`,
  },
  { group: "core", resources: ["events"], verbs: ["create", "patch"], source: `${MIGRATION_CONTROLLER}:54` },
  {
    group: "db.atlasgo.io",
    resources: ["atlasmigrations"],
    verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
    source: `${MIGRATION_CONTROLLER}:55`,
  },
  {
    group: "db.atlasgo.io",
    resources: ["atlasmigrations/finalizers"],
    verbs: ["update"],
    source: `${MIGRATION_CONTROLLER}:56`,
  },
  {
    group: "db.atlasgo.io",
    resources: ["atlasmigrations/status"],
    verbs: ["get", "update", "patch"],
    source: `${MIGRATION_CONTROLLER}:57`,
  },
];

/** A Role rule and the marker lines it comes from. */
export interface OperatorRbacRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  /** `ariga/atlas-operator@v0.7.37 <file>:<line>` of every marker that contributed. */
  readonly sources: string[];
}

/** The same rule as Kubernetes takes it. */
export interface PolicyRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
}

/**
 * The rules the operator needs in every namespace it serves, normalised the way controller-gen does: `core` is the
 * empty group, verbs of one group/resource are unioned and sorted, and resources with the same group and verbs
 * share a rule. Every resource is namespaced: nothing here asks for a cluster-scoped kind, so Roles can carry it all.
 */
export function operatorRbacRules(): OperatorRbacRule[] {
  const byResource = new Map<
    string,
    { group: string; resource: string; verbs: Set<string>; sources: Set<string> }
  >();
  for (const marker of MARKERS) {
    const group = marker.group === "core" ? "" : marker.group;
    for (const resource of marker.resources) {
      const key = `${group}/${resource}`;
      const entry = byResource.get(key) ?? { group, resource, verbs: new Set(), sources: new Set() };
      marker.verbs.forEach((v) => entry.verbs.add(v));
      entry.sources.add(`${ATLAS_OPERATOR_SOURCE} ${marker.source}`);
      byResource.set(key, entry);
    }
  }
  const rules = new Map<
    string,
    { group: string; resources: string[]; verbs: string[]; sources: Set<string> }
  >();
  for (const entry of byResource.values()) {
    const verbs = [...entry.verbs].sort();
    const key = `${entry.group}|${verbs.join(",")}`;
    const rule = rules.get(key) ?? { group: entry.group, resources: [], verbs, sources: new Set() };
    rule.resources.push(entry.resource);
    entry.sources.forEach((s) => rule.sources.add(s));
    rules.set(key, rule);
  }
  return [...rules.values()]
    .map((r) => ({
      apiGroups: [r.group],
      resources: r.resources.sort(),
      verbs: r.verbs,
      sources: [...r.sources],
    }))
    .sort((a, b) =>
      `${a.apiGroups[0]}/${a.resources[0]}`.localeCompare(`${b.apiGroups[0]}/${b.resources[0]}`),
    );
}

/** The rules without their sources, as a Role takes them. */
export function operatorPolicyRules(): PolicyRule[] {
  return operatorRbacRules().map(({ apiGroups, resources, verbs }) => ({ apiGroups, resources, verbs }));
}

// RFC 1123 label, as the API server checks namespace names.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The served namespaces, checked, without duplicates and sorted. Sorted because the chart joins the list into one
 * `--namespace=a,b` argument of the pod template (templates/deployment.yaml:61-63): the same set in another order
 * must not roll the operator.
 */
export function servedNamespaces(namespaces: readonly string[]): string[] {
  if (namespaces.length === 0) {
    // An empty watchNamespaces is the chart's cluster scope (values.yaml `watchNamespaces: []`, cmd/main.go:241-248
    // leaves DefaultNamespaces unset): with no ClusterRole the operator would then watch everything and may read
    // nothing. Refuse instead of installing an operator that cannot work.
    throw new Error(
      "The Atlas operator in namespaced mode needs at least one namespace to serve, got none. " +
        "Pass the application namespaces, or choose the cluster-wide mode (atlasOperatorClusterWide true).",
    );
  }
  const bad = namespaces.filter((ns) => ns.length > 63 || !DNS_LABEL.test(ns));
  if (bad.length > 0) {
    throw new Error(
      `Namespace ${bad.map((ns) => `'${ns}'`).join(", ")} is not a valid Kubernetes namespace name — expected ` +
        "lower-case letters, digits and '-', at most 63 characters, e.g. 'myapp'.",
    );
  }
  return [...new Set(namespaces)].sort();
}

type Values = Record<string, unknown>;

/**
 * The atlas-operator chart values that decide the operator's reach; merge them into the operator's values.
 * - namespaced: `rbac.create: false` drops the chart's ClusterRole/ClusterRoleBinding (templates/manager-rbac.yaml:1)
 *   and its leader-election Role (templates/leader-election-rbac.yaml:1), which the chart's Deployment never uses:
 *   its args are only --label-selector and --namespace (templates/deployment.yaml:56-64), and leader election is off
 *   unless --leader-elect is passed (cmd/main.go:89). `watchNamespaces` becomes `--namespace=<sorted,list>`, which
 *   scopes the manager's cache, and so every informer and every read, to those namespaces (cmd/main.go:117-118,
 *   241-248; controller-runtime v0.22.4 pkg/cache/multi_namespace_cache.go:226-244 refuses any other namespace).
 * - cluster: the chart's defaults, spelled out, so switching back from namespaced restores them.
 * Both keep `serviceAccount.create` (templates/serviceaccount.yaml:1, not gated by rbac.create): the RoleBindings
 * bind that account. Both keep `crds.create`: the CRDs are ordinary templates gated by it
 * (templates/crds/crd.yaml:1), so turning it off would make the next upgrade delete them, and every AtlasSchema.
 */
export function atlasOperatorRbacValues(input: {
  readonly mode: AtlasOperatorRbacMode;
  readonly namespaces: readonly string[];
}): Values {
  const namespaced = input.mode === "namespaced";
  return {
    crds: { create: true },
    serviceAccount: { create: true },
    rbac: { create: !namespaced },
    watchNamespaces: namespaced ? servedNamespaces(input.namespaces) : [],
  };
}

const isPlainObject = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);

/** Go template's `trunc 63 | trimSuffix "-"`: trimSuffix removes one trailing dash, not all of them. */
const trunc63TrimDash = (s: string): string => {
  const t = s.slice(0, 63);
  return t.endsWith("-") ? t.slice(0, -1) : t;
};

/**
 * The ServiceAccount name the chart gives its operator, for a release name and the values passed (missing keys take
 * the chart defaults: serviceAccount.create true, name "", no overrides). Mirrors charts/atlas-operator/templates/
 * _helpers.tpl: "atlas-operator.fullname" (lines 13-24: fullnameOverride, else the release name when it contains
 * the chart name, else `<release>-<chart>`) and "atlas-operator.serviceAccountName" (lines 56-62: the explicit name,
 * else the fullname when the chart creates the account, else `default`). For release `atlas-operator` it is
 * `atlas-operator`, in the release's namespace.
 */
export function chartServiceAccountName(releaseName: string, values: Values = {}): string {
  const str = (v: unknown): string => (typeof v === "string" ? v : "");
  const sa = isPlainObject(values.serviceAccount) ? values.serviceAccount : {};
  const create = sa.create === undefined ? true : Boolean(sa.create);
  const explicit = str(sa.name);
  if (!create) return explicit || "default";
  if (explicit) return explicit;
  const fullnameOverride = str(values.fullnameOverride);
  if (fullnameOverride) return trunc63TrimDash(fullnameOverride);
  const name = str(values.nameOverride) || ATLAS_OPERATOR_CHART_NAME;
  // sprig `contains $name .Release.Name` is strings.Contains(.Release.Name, $name).
  return trunc63TrimDash(releaseName.includes(name) ? releaseName : `${releaseName}-${name}`);
}

export interface RoleManifest {
  readonly apiVersion: "rbac.authorization.k8s.io/v1";
  readonly kind: "Role";
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Record<string, string>;
  };
  readonly rules: PolicyRule[];
}

export interface RoleBindingManifest {
  readonly apiVersion: "rbac.authorization.k8s.io/v1";
  readonly kind: "RoleBinding";
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Record<string, string>;
  };
  readonly roleRef: { readonly apiGroup: string; readonly kind: "Role"; readonly name: string };
  readonly subjects: { readonly kind: "ServiceAccount"; readonly name: string; readonly namespace: string }[];
}

/** The Role and RoleBinding of one served namespace. */
export interface NamespacedRbac {
  readonly namespace: string;
  readonly role: RoleManifest;
  readonly roleBinding: RoleBindingManifest;
}

const LABELS = { "app.kubernetes.io/part-of": "atlas-operator", "app.kubernetes.io/component": "rbac" };

/**
 * One Role (the operator's rules) and one RoleBinding (to the operator's ServiceAccount in its own namespace) per
 * served namespace, sorted by namespace. Nothing goes into the operator's own namespace: with leader election off
 * (see atlasOperatorRbacValues) and dev databases in their owner's namespace, the operator touches nothing there.
 */
export function namespacedRbacManifests(input: {
  readonly operatorNamespace: string;
  readonly serviceAccount: string;
  readonly namespaces: readonly string[];
}): NamespacedRbac[] {
  return servedNamespaces(input.namespaces).map((namespace) => ({
    namespace,
    role: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: ATLAS_OPERATOR_ROLE_NAME, namespace, labels: { ...LABELS } },
      rules: operatorPolicyRules(),
    },
    roleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: ATLAS_OPERATOR_ROLE_NAME, namespace, labels: { ...LABELS } },
      roleRef: { apiGroup: RBAC_API_GROUP, kind: "Role", name: ATLAS_OPERATOR_ROLE_NAME },
      subjects: [{ kind: "ServiceAccount", name: input.serviceAccount, namespace: input.operatorNamespace }],
    },
  }));
}

export interface AtlasOperatorRbacArgs {
  /** The operator's namespace, where its ServiceAccount lives. */
  readonly operatorNamespace: string;
  /** The operator's ServiceAccount: chartServiceAccountName(<release name>, <values>), `atlas-operator` by default. */
  readonly serviceAccount: string;
  /** The application namespaces the operator serves; each gets a Role and a RoleBinding. At least one. */
  readonly namespaces: readonly string[];
}

/** The operator's Roles and RoleBindings, one pair per served namespace. */
export class AtlasOperatorRbac extends pulumi.ComponentResource {
  /** The namespaces served, sorted. */
  public readonly namespaces: string[];
  /** Role and RoleBinding by namespace. */
  public readonly roles: Record<string, k8s.rbac.v1.Role> = {};
  public readonly roleBindings: Record<string, k8s.rbac.v1.RoleBinding> = {};

  constructor(name: string, args: AtlasOperatorRbacArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:atlas-operator:AtlasOperatorRbac", name, {}, opts);

    const manifests = namespacedRbacManifests(args);
    // Logical names come from the namespace, never the position: adding or removing one namespace leaves the
    // others' Roles untouched.
    for (const { namespace, role, roleBinding } of manifests) {
      const r = new k8s.rbac.v1.Role(`${name}-${namespace}-role`, role, { parent: this });
      this.roles[namespace] = r;
      this.roleBindings[namespace] = new k8s.rbac.v1.RoleBinding(
        `${name}-${namespace}-rolebinding`,
        roleBinding,
        { parent: this, dependsOn: [r] },
      );
    }

    this.namespaces = manifests.map((m) => m.namespace);
    this.registerOutputs({ namespaces: this.namespaces });
  }
}
