import "./support/mocks";
import * as assert from "assert";
import { optionsRecorder, registered, Registration } from "./support/mocks";
import {
  AtlasOperatorRbac,
  atlasOperatorRbacValues,
  chartServiceAccountName,
  namespacedRbacManifests,
  operatorPolicyRules,
  operatorRbacRules,
} from "../components/atlas-operator-rbac";
import { atlasOperatorValues } from "../components/atlas-operator";
import { mergeValues } from "../components/common";

const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";
const CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
const CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";

const AT = "ariga/atlas-operator@v0.7.37 internal/controller/";

/**
 * The operator's rules, each with the kubebuilder marker lines it comes from (ariga/atlas-operator, tag v0.7.37):
 *
 * | apiGroup      | resources                    | verbs                                          | markers                                                   |
 * | ------------- | ---------------------------- | ---------------------------------------------- | --------------------------------------------------------- |
 * | ""            | configmaps, secrets          | create delete get list update watch            | atlasschema_controller.go:51, atlasmigration_controller.go:53 |
 * | ""            | events                       | create patch                                   | atlasschema_controller.go:52, atlasmigration_controller.go:54 |
 * | ""            | pods                         | create delete get list watch                   | atlasschema_controller.go:53                              |
 * | apps          | deployments                  | create delete get list patch update watch      | atlasschema_controller.go:50                              |
 * | db.atlasgo.io | atlasmigrations              | create delete get list patch update watch      | atlasmigration_controller.go:55                           |
 * | db.atlasgo.io | atlasmigrations/finalizers   | update                                         | atlasmigration_controller.go:56                           |
 * | db.atlasgo.io | atlasmigrations/status       | get patch update                               | atlasmigration_controller.go:57                           |
 * | db.atlasgo.io | atlasschemas                 | create delete get list patch update watch      | atlasschema_controller.go:54                              |
 * | db.atlasgo.io | atlasschemas/finalizers      | update                                         | atlasschema_controller.go:55                              |
 * | db.atlasgo.io | atlasschemas/status          | get patch update                               | atlasschema_controller.go:56                              |
 */
const EXPECTED_RULES = [
  {
    apiGroups: [""],
    resources: ["configmaps", "secrets"],
    verbs: ["create", "delete", "get", "list", "update", "watch"],
    sources: [`${AT}atlasschema_controller.go:51`, `${AT}atlasmigration_controller.go:53`],
  },
  {
    apiGroups: [""],
    resources: ["events"],
    verbs: ["create", "patch"],
    sources: [`${AT}atlasschema_controller.go:52`, `${AT}atlasmigration_controller.go:54`],
  },
  {
    apiGroups: [""],
    resources: ["pods"],
    verbs: ["create", "delete", "get", "list", "watch"],
    sources: [`${AT}atlasschema_controller.go:53`],
  },
  {
    apiGroups: ["apps"],
    resources: ["deployments"],
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    sources: [`${AT}atlasschema_controller.go:50`],
  },
  {
    apiGroups: ["db.atlasgo.io"],
    resources: ["atlasmigrations", "atlasschemas"],
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    sources: [`${AT}atlasschema_controller.go:54`, `${AT}atlasmigration_controller.go:55`],
  },
  {
    apiGroups: ["db.atlasgo.io"],
    resources: ["atlasmigrations/finalizers", "atlasschemas/finalizers"],
    verbs: ["update"],
    sources: [`${AT}atlasschema_controller.go:55`, `${AT}atlasmigration_controller.go:56`],
  },
  {
    apiGroups: ["db.atlasgo.io"],
    resources: ["atlasmigrations/status", "atlasschemas/status"],
    verbs: ["get", "patch", "update"],
    sources: [`${AT}atlasschema_controller.go:56`, `${AT}atlasmigration_controller.go:57`],
  },
];

/**
 * What the chart's ClusterRole grants today, rule by rule: charts/atlas-operator/templates/manager-rbac.yaml at
 * v0.7.37, lines 9-101 (group, resources, verbs). The Roles must grant exactly this, only per namespace.
 */
const CHART_CLUSTER_ROLE_RULES: [string, string[], string[]][] = [
  ["apps", ["deployments"], ["create", "delete", "get", "list", "patch", "update", "watch"]], // lines 9-20
  ["", ["configmaps", "secrets"], ["create", "delete", "get", "list", "update", "watch"]], // lines 21-32
  ["", ["events"], ["create", "patch"]], // lines 33-39
  ["", ["pods"], ["create", "delete", "get", "list", "watch"]], // lines 40-49
  ["db.atlasgo.io", ["atlasmigrations"], ["create", "delete", "get", "list", "patch", "update", "watch"]], // 50-61
  ["db.atlasgo.io", ["atlasmigrations/finalizers"], ["update"]], // lines 62-67
  ["db.atlasgo.io", ["atlasmigrations/status"], ["get", "patch", "update"]], // lines 68-75
  ["db.atlasgo.io", ["atlasschemas"], ["create", "delete", "get", "list", "patch", "update", "watch"]], // 76-87
  ["db.atlasgo.io", ["atlasschemas/finalizers"], ["update"]], // lines 88-93
  ["db.atlasgo.io", ["atlasschemas/status"], ["get", "patch", "update"]], // lines 94-101
];

/** Every (group, resource, verb) a list of rules grants, for comparing grants regardless of how rules are grouped. */
function grants(rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[]): string[] {
  const out = new Set<string>();
  for (const r of rules)
    for (const g of r.apiGroups)
      for (const res of r.resources) for (const v of r.verbs) out.add(`${g}/${res}:${v}`);
  return [...out].sort();
}

// ---------------------------------------------------------------------------------------------------------------
// A model of the atlas-operator chart 0.7.37, written from its templates, for the values this program passes.
// ---------------------------------------------------------------------------------------------------------------

type Values = Record<string, unknown>;
const isMap = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);

/** The chart defaults the templates below read (charts/atlas-operator/values.yaml at v0.7.37). */
const CHART_DEFAULTS: Values = {
  rbac: { create: true, aggregateClusterRoles: false }, // values.yaml lines 12-14
  crds: { create: true }, // values.yaml lines 16-22
  nameOverride: "",
  fullnameOverride: "",
  serviceAccount: { create: true, annotations: {}, labels: {}, name: "" },
  prewarmDevDB: true,
  labelSelector: [],
  watchNamespaces: [],
  extraEnvs: [],
};

/**
 * Helm's coalescing of user values over chart defaults (helm v3.20.2, the version pulumi-kubernetes builds with:
 * pkg/chartutil/coalesce.go coalesceValues lines 222-245): maps merge key by key, anything else is replaced, and a
 * null user value deletes the key.
 */
function coalesce(defaults: Values, user: Values): Values {
  const out: Values = { ...user };
  for (const [key, def] of Object.entries(defaults)) {
    if (!(key in out)) out[key] = def;
    else if (out[key] === null) delete out[key];
    else if (isMap(out[key]) && isMap(def)) out[key] = coalesce(def, out[key] as Values);
  }
  for (const [key, v] of Object.entries(out)) if (v === null) delete out[key];
  return out;
}

/** Go text/template truth for `if`/`with`: false, 0, nil, "" and empty lists and maps are false. */
function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

const get = (values: Values, path: string): unknown =>
  path.split(".").reduce<unknown>((v, k) => (isMap(v) ? v[k] : undefined), values);

/** Chart.yaml `name` at v0.7.37: `.Chart.Name` in the helpers below. */
const CHART_NAME = "atlas-operator";

/** sprig `trunc 63 | trimSuffix "-"`: the first 63 characters, then at most one trailing "-" removed. */
const trunc63TrimSuffix = (s: string): string => {
  const t = s.slice(0, 63);
  return t.endsWith("-") ? t.slice(0, -1) : t;
};

/** Go text/template's `default`: the given value unless it is empty (sprig `empty`), else the fallback. */
const goDefault = (fallback: string, given: unknown): string => (truthy(given) ? String(given) : fallback);

/**
 * charts/atlas-operator/templates/_helpers.tpl "atlas-operator.fullname" (lines 13-24): fullnameOverride when
 * set; else `$name` is nameOverride or the chart name, and the release name is used as is when it contains
 * `$name` (sprig `contains $name .Release.Name` = strings.Contains(.Release.Name, $name)), else
 * `<release>-<name>`; each result cut to 63 characters and one trailing "-".
 */
function chartFullname(values: Values, releaseName: string): string {
  if (truthy(values.fullnameOverride)) return trunc63TrimSuffix(String(values.fullnameOverride));
  const name = goDefault(CHART_NAME, values.nameOverride);
  return trunc63TrimSuffix(releaseName.includes(name) ? releaseName : `${releaseName}-${name}`);
}

/**
 * _helpers.tpl "atlas-operator.serviceAccountName" (lines 56-62): with serviceAccount.create, the explicit name
 * or else the fullname; without it, the explicit name or else `default`. The explicit name is not truncated.
 */
function chartServiceAccount(values: Values, releaseName: string): string {
  if (truthy(get(values, "serviceAccount.create")))
    return goDefault(chartFullname(values, releaseName), get(values, "serviceAccount.name"));
  return goDefault("default", get(values, "serviceAccount.name"));
}

interface Rendered {
  /** `Kind/name` of every object the chart renders. */
  readonly objects: string[];
  /** The parts of the Deployment's pod template that RBAC and watching decide. */
  readonly podTemplate: { readonly args?: string[]; readonly serviceAccountName: string };
}

/** Renders the chart's RBAC-relevant objects for a release `atlas-operator`, as `helm template` would list them. */
function renderChart(userValues: Values, releaseName = "atlas-operator"): Rendered {
  const values = coalesce(CHART_DEFAULTS, userValues);
  // _helpers.tpl lines 13-24 (fullname) and 56-62 (serviceAccountName), modelled above, not by the component.
  const fullname = chartFullname(values, releaseName);
  const sa = chartServiceAccount(values, releaseName);
  const objects: string[] = [];
  // templates/crds/crd.yaml line 1: `{{- if .Values.crds.create }}` around both CRDs (lines 7 and 8955).
  if (truthy(get(values, "crds.create"))) {
    objects.push("CustomResourceDefinition/atlasmigrations.db.atlasgo.io");
    objects.push("CustomResourceDefinition/atlasschemas.db.atlasgo.io");
  }
  // templates/serviceaccount.yaml line 1: `{{- if .Values.serviceAccount.create -}}`; not gated by rbac.create.
  if (truthy(get(values, "serviceAccount.create"))) objects.push(`ServiceAccount/${sa}`);
  // templates/manager-rbac.yaml line 1 and templates/leader-election-rbac.yaml line 1: `{{- if .Values.rbac.create -}}`.
  if (truthy(get(values, "rbac.create"))) {
    objects.push(
      `ClusterRole/${fullname}-manager-role`,
      `ClusterRoleBinding/${fullname}-manager-role-binding`,
    );
    objects.push(
      `Role/${fullname}-leader-election-role`,
      `RoleBinding/${fullname}-leader-election-role-binding`,
    );
  }
  // templates/rbac.yaml line 1: `{{- if .Values.rbac.aggregateClusterRoles }}`.
  if (truthy(get(values, "rbac.aggregateClusterRoles"))) {
    objects.push(`ClusterRole/${fullname}-view`, `ClusterRole/${fullname}-edit`);
  }
  objects.push(`Deployment/${fullname}`);
  // templates/deployment.yaml lines 56-64: args only when labelSelector or watchNamespaces is set, each joined by
  // ","; line 108: serviceAccountName from the helper.
  const labelSelector = get(values, "labelSelector") as string[] | undefined;
  const watch = get(values, "watchNamespaces") as string[] | undefined;
  const args: string[] = [];
  if (truthy(labelSelector)) args.push(`--label-selector=${(labelSelector as string[]).join(",")}`);
  if (truthy(watch)) args.push(`--namespace=${(watch as string[]).join(",")}`);
  return {
    objects,
    podTemplate: { ...(args.length > 0 ? { args } : {}), serviceAccountName: sa },
  };
}

/**
 * What `helm upgrade` deletes: every object of the old manifest that the new one lacks, unless it carries
 * `helm.sh/resource-policy: keep` (helm v3.20.2 pkg/kube/client.go lines 436-457). The chart's CRDs carry no such
 * annotation (templates/crds/crd.yaml lines 4-6 hold only controller-gen's version).
 */
const deletedByUpgrade = (from: Rendered, to: Rendered): string[] =>
  from.objects.filter((o) => !to.objects.includes(o));

/** The operator's values as the AtlasOperator component will pass them: its own, then the RBAC fragment. */
function operatorValues(mode: "namespaced" | "cluster", namespaces: string[]): Values {
  return mergeValues(
    atlasOperatorValues({ prewarmDevDB: true }),
    atlasOperatorRbacValues({ mode, namespaces }),
  );
}

describe("AtlasOperatorRbac", () => {
  describe("the operator's rules, derived from its kubebuilder markers", () => {
    it("lists each rule with the marker lines it comes from", () => {
      assert.deepStrictEqual(operatorRbacRules(), EXPECTED_RULES);
    });

    it("grants exactly what the chart's ClusterRole grants today, nothing more and nothing less", () => {
      const chart = CHART_CLUSTER_ROLE_RULES.map(([g, resources, verbs]) => ({
        apiGroups: [g],
        resources,
        verbs,
      }));
      assert.deepStrictEqual(grants(operatorPolicyRules()), grants(chart));
    });

    it("names only namespaced resources, so Roles can carry every rule", () => {
      // Secrets, ConfigMaps, Events, Pods, Deployments are namespaced kinds; both Atlas CRDs declare
      // `scope: Namespaced` (templates/crds/crd.yaml lines 15 and 8963).
      const namespaced = /^(configmaps|secrets|events|pods|deployments|atlasschemas|atlasmigrations)(\/.*)?$/;
      for (const rule of operatorPolicyRules()) {
        for (const resource of rule.resources) assert.match(resource, namespaced);
      }
    });
  });

  describe("namespacedRbacManifests", () => {
    it("renders one Role and one RoleBinding to the operator's ServiceAccount for one namespace", () => {
      const labels = { "app.kubernetes.io/part-of": "atlas-operator", "app.kubernetes.io/component": "rbac" };
      assert.deepStrictEqual(
        namespacedRbacManifests({
          operatorNamespace: "atlas-operator",
          serviceAccount: "atlas-operator",
          namespaces: ["myapp"],
        }),
        [
          {
            namespace: "myapp",
            role: {
              apiVersion: "rbac.authorization.k8s.io/v1",
              kind: "Role",
              metadata: { name: "atlas-operator-manager", namespace: "myapp", labels },
              rules: EXPECTED_RULES.map(({ apiGroups, resources, verbs }) => ({
                apiGroups,
                resources,
                verbs,
              })),
            },
            roleBinding: {
              apiVersion: "rbac.authorization.k8s.io/v1",
              kind: "RoleBinding",
              metadata: { name: "atlas-operator-manager", namespace: "myapp", labels },
              roleRef: {
                apiGroup: "rbac.authorization.k8s.io",
                kind: "Role",
                name: "atlas-operator-manager",
              },
              subjects: [{ kind: "ServiceAccount", name: "atlas-operator", namespace: "atlas-operator" }],
            },
          },
        ],
      );
    });

    it("renders a pair per namespace for three namespaces, sorted and without duplicates", () => {
      const rendered = namespacedRbacManifests({
        operatorNamespace: "atlas-system",
        serviceAccount: "atlas-operator",
        namespaces: ["shop", "billing", "shop", "auth"],
      });
      assert.deepStrictEqual(
        rendered.map((r) => [r.namespace, r.role.metadata.namespace, r.roleBinding.metadata.namespace]),
        [
          ["auth", "auth", "auth"],
          ["billing", "billing", "billing"],
          ["shop", "shop", "shop"],
        ],
      );
      for (const { role, roleBinding } of rendered) {
        assert.deepStrictEqual(role.rules, operatorPolicyRules());
        assert.deepStrictEqual(roleBinding.roleRef.name, role.metadata.name);
        assert.deepStrictEqual(roleBinding.subjects, [
          { kind: "ServiceAccount", name: "atlas-operator", namespace: "atlas-system" },
        ]);
      }
    });

    it("refuses an empty namespace list, which the chart would turn into cluster scope", () => {
      assert.throws(
        () => namespacedRbacManifests({ operatorNamespace: "a", serviceAccount: "s", namespaces: [] }),
        /at least one namespace.*atlasOperatorClusterWide true/,
      );
      assert.throws(() => atlasOperatorRbacValues({ mode: "namespaced", namespaces: [] }), /at least one/);
    });

    it("rejects a namespace name Kubernetes would reject, naming it", () => {
      assert.throws(
        () =>
          namespacedRbacManifests({
            operatorNamespace: "a",
            serviceAccount: "s",
            namespaces: ["ok", "My_App"],
          }),
        /Namespace 'My_App' is not a valid Kubernetes namespace name/,
      );
    });
  });

  describe("atlasOperatorRbacValues", () => {
    it("turns the chart's RBAC off and watches the sorted namespaces in namespaced mode", () => {
      assert.deepStrictEqual(
        atlasOperatorRbacValues({ mode: "namespaced", namespaces: ["shop", "billing"] }),
        {
          crds: { create: true },
          serviceAccount: { create: true },
          rbac: { create: false },
          watchNamespaces: ["billing", "shop"],
        },
      );
    });

    it("keeps the chart's ClusterRole and cluster-wide watching in cluster mode, whatever namespaces are given", () => {
      const expected = {
        crds: { create: true },
        serviceAccount: { create: true },
        rbac: { create: true },
        watchNamespaces: [],
      };
      assert.deepStrictEqual(atlasOperatorRbacValues({ mode: "cluster", namespaces: ["shop"] }), expected);
      assert.deepStrictEqual(atlasOperatorRbacValues({ mode: "cluster", namespaces: [] }), expected);
    });
  });

  describe("the chart 0.7.37 with these values (a model of its templates)", () => {
    it("renders no ClusterRole and no leader-election Role in namespaced mode, but the ServiceAccount and the CRDs", () => {
      assert.deepStrictEqual(renderChart(operatorValues("namespaced", ["myapp"])).objects, [
        "CustomResourceDefinition/atlasmigrations.db.atlasgo.io",
        "CustomResourceDefinition/atlasschemas.db.atlasgo.io",
        "ServiceAccount/atlas-operator",
        "Deployment/atlas-operator",
      ]);
    });

    it("renders today's ClusterRole and ClusterRoleBinding in cluster mode", () => {
      assert.deepStrictEqual(renderChart(operatorValues("cluster", ["myapp"])).objects, [
        "CustomResourceDefinition/atlasmigrations.db.atlasgo.io",
        "CustomResourceDefinition/atlasschemas.db.atlasgo.io",
        "ServiceAccount/atlas-operator",
        "ClusterRole/atlas-operator-manager-role",
        "ClusterRoleBinding/atlas-operator-manager-role-binding",
        "Role/atlas-operator-leader-election-role",
        "RoleBinding/atlas-operator-leader-election-role-binding",
        "Deployment/atlas-operator",
      ]);
    });

    it("binds the Roles to the ServiceAccount the operator's pod runs as", () => {
      const rendered = renderChart(operatorValues("namespaced", ["myapp"]));
      const [{ roleBinding }] = namespacedRbacManifests({
        operatorNamespace: "atlas-operator",
        serviceAccount: chartServiceAccountName("atlas-operator", operatorValues("namespaced", ["myapp"])),
        namespaces: ["myapp"],
      });
      assert.strictEqual(rendered.podTemplate.serviceAccountName, "atlas-operator");
      assert.strictEqual(roleBinding.subjects[0].name, rendered.podTemplate.serviceAccountName);
      assert.ok(rendered.objects.includes(`ServiceAccount/${roleBinding.subjects[0].name}`));
    });

    it("names the ServiceAccount as the chart's helpers do, for our values and for overrides", () => {
      // The program's chartServiceAccountName against the model of _helpers.tpl above, over the chart's defaults.
      const cases: [string, Values, string][] = [
        ["atlas-operator", operatorValues("namespaced", ["myapp"]), "atlas-operator"],
        ["atlas-operator", operatorValues("cluster", ["myapp"]), "atlas-operator"],
        ["db", {}, "db-atlas-operator"],
        ["my-atlas-operator-2", {}, "my-atlas-operator-2"],
        ["x", { nameOverride: "ops" }, "x-ops"],
        ["ops-db", { nameOverride: "ops" }, "ops-db"],
        ["x", { fullnameOverride: "ops" }, "ops"],
        ["x", { fullnameOverride: "ops", nameOverride: "y" }, "ops"],
        ["r", { fullnameOverride: `${"a".repeat(62)}-b` }, "a".repeat(62)],
        ["r", { fullnameOverride: `${"a".repeat(61)}--b` }, `${"a".repeat(61)}-`],
        [`${"r".repeat(60)}`, {}, `${"r".repeat(60)}-at`],
        ["x", { serviceAccount: { name: "mine" } }, "mine"],
        ["x", { serviceAccount: { name: "mine" }, fullnameOverride: "ops" }, "mine"],
        ["x", { serviceAccount: { create: false } }, "default"],
        ["x", { serviceAccount: { create: false, name: "theirs" } }, "theirs"],
        ["x", { serviceAccount: { create: null } }, "default"],
      ];
      for (const [release, user, expected] of cases) {
        const values = coalesce(CHART_DEFAULTS, user);
        const where = `${release} ${JSON.stringify(user)}`;
        assert.strictEqual(chartServiceAccount(values, release), expected, `chart model, ${where}`);
        assert.strictEqual(chartServiceAccountName(release, user), expected, `program, ${where}`);
      }
    });

    it("binds the account the chart renders: the Deployment's serviceAccountName and the ServiceAccount agree", () => {
      for (const user of [{ nameOverride: "ops" }, { serviceAccount: { name: "mine" } }, {}]) {
        const values = mergeValues(operatorValues("namespaced", ["myapp"]), user);
        const rendered = renderChart(values, "db");
        assert.strictEqual(rendered.podTemplate.serviceAccountName, chartServiceAccountName("db", values));
        assert.ok(rendered.objects.includes(`ServiceAccount/${rendered.podTemplate.serviceAccountName}`));
      }
    });

    it("keeps both CRDs through the upgrade from cluster-wide to namespaced, deleting only the chart's RBAC", () => {
      const before = renderChart(operatorValues("cluster", ["myapp"]));
      const after = renderChart(operatorValues("namespaced", ["myapp"]));
      assert.deepStrictEqual(deletedByUpgrade(before, after), [
        "ClusterRole/atlas-operator-manager-role",
        "ClusterRoleBinding/atlas-operator-manager-role-binding",
        "Role/atlas-operator-leader-election-role",
        "RoleBinding/atlas-operator-leader-election-role-binding",
      ]);
      // And back: nothing of the namespaced install is lost by returning to cluster-wide.
      assert.deepStrictEqual(deletedByUpgrade(after, before), []);
    });

    it("would delete the CRDs, and every AtlasSchema with them, if crds.create were off (the model can tell)", () => {
      const before = renderChart(operatorValues("namespaced", ["myapp"]));
      for (const crds of [{ create: false }, { create: null }]) {
        const after = renderChart(mergeValues(operatorValues("namespaced", ["myapp"]), { crds }));
        assert.deepStrictEqual(
          deletedByUpgrade(before, after).filter((o) => o.startsWith("CustomResourceDefinition/")),
          [
            "CustomResourceDefinition/atlasmigrations.db.atlasgo.io",
            "CustomResourceDefinition/atlasschemas.db.atlasgo.io",
          ],
        );
      }
    });

    it("passes the namespaces as one --namespace argument, the same for the same set in any order", () => {
      const a = renderChart(operatorValues("namespaced", ["shop", "billing"])).podTemplate;
      const b = renderChart(operatorValues("namespaced", ["billing", "shop", "billing"])).podTemplate;
      assert.deepStrictEqual(a, { args: ["--namespace=billing,shop"], serviceAccountName: "atlas-operator" });
      assert.deepStrictEqual(b, a);
    });

    it("changes the pod template, and so restarts the operator, only when the watched set changes", () => {
      const two = renderChart(operatorValues("namespaced", ["shop", "billing"])).podTemplate;
      const three = renderChart(operatorValues("namespaced", ["shop", "billing", "auth"])).podTemplate;
      assert.deepStrictEqual(three.args, ["--namespace=auth,billing,shop"]);
      assert.notDeepStrictEqual(three, two);
      // Switching modes changes the arguments and nothing else of the pod: the account stays the same.
      const cluster = renderChart(operatorValues("cluster", ["shop"])).podTemplate;
      assert.deepStrictEqual(cluster, { serviceAccountName: "atlas-operator" });
    });
  });

  describe("under the Pulumi mocks", () => {
    const recorder = optionsRecorder();
    let rbac: AtlasOperatorRbac;
    let mine: Registration[];
    before(async () => {
      rbac = new AtlasOperatorRbac(
        "ops-rbac",
        {
          operatorNamespace: "atlas-operator",
          serviceAccount: "atlas-operator",
          namespaces: ["shop", "auth", "billing"],
        },
        { transformations: [recorder.transformation] },
      );
      mine = (await registered()).filter((r) => r.name.startsWith("ops-rbac"));
    });

    it("registers as atlas-gitops:atlas-operator:AtlasOperatorRbac", () => {
      assert.deepStrictEqual(
        mine.filter((r) => r.name === "ops-rbac").map((r) => r.type),
        ["atlas-gitops:atlas-operator:AtlasOperatorRbac"],
      );
    });

    it("registers exactly one Role and one RoleBinding per namespace, named after the namespace", () => {
      const names = (type: string) =>
        mine
          .filter((r) => r.type === type)
          .map((r) => r.name)
          .sort();
      assert.deepStrictEqual(names(ROLE), [
        "ops-rbac-auth-role",
        "ops-rbac-billing-role",
        "ops-rbac-shop-role",
      ]);
      assert.deepStrictEqual(names(ROLE_BINDING), [
        "ops-rbac-auth-rolebinding",
        "ops-rbac-billing-rolebinding",
        "ops-rbac-shop-rolebinding",
      ]);
      assert.strictEqual(
        mine.filter((r) => r.type === CLUSTER_ROLE || r.type === CLUSTER_ROLE_BINDING).length,
        0,
      );
      assert.strictEqual(mine.length, 7);
    });

    it("gives each Role and RoleBinding the rendered manifest as its inputs", () => {
      const expected = namespacedRbacManifests({
        operatorNamespace: "atlas-operator",
        serviceAccount: "atlas-operator",
        namespaces: ["shop", "auth", "billing"],
      });
      for (const { namespace, role, roleBinding } of expected) {
        const r = mine.find((x) => x.type === ROLE && x.name === `ops-rbac-${namespace}-role`);
        const rb = mine.find(
          (x) => x.type === ROLE_BINDING && x.name === `ops-rbac-${namespace}-rolebinding`,
        );
        assert.deepStrictEqual(r?.inputs, JSON.parse(JSON.stringify(role)));
        assert.deepStrictEqual(rb?.inputs, JSON.parse(JSON.stringify(roleBinding)));
      }
    });

    it("creates each RoleBinding after its Role, and every child under the component", () => {
      for (const ns of ["auth", "billing", "shop"]) {
        const opts = recorder.options.get(`ops-rbac-${ns}-rolebinding`);
        assert.deepStrictEqual(opts?.dependsOn, [rbac.roles[ns]]);
        assert.strictEqual(opts?.parent, rbac);
        assert.strictEqual(recorder.options.get(`ops-rbac-${ns}-role`)?.parent, rbac);
      }
      assert.deepStrictEqual(rbac.namespaces, ["auth", "billing", "shop"]);
    });

    it("keeps a namespace's logical names when other namespaces come and go", async () => {
      new AtlasOperatorRbac("grow-rbac", {
        operatorNamespace: "atlas-operator",
        serviceAccount: "atlas-operator",
        namespaces: ["shop", "auth"],
      });
      new AtlasOperatorRbac("grow2-rbac", {
        operatorNamespace: "atlas-operator",
        serviceAccount: "atlas-operator",
        namespaces: ["zeta", "shop", "auth", "billing"],
      });
      const all = await registered();
      const roleOf = (prefix: string, ns: string) =>
        all.find((r) => r.type === ROLE && r.name === `${prefix}-${ns}-role`)?.inputs;
      for (const ns of ["auth", "shop"]) {
        assert.ok(roleOf("grow-rbac", ns));
        assert.deepStrictEqual(roleOf("grow2-rbac", ns), roleOf("grow-rbac", ns));
      }
      assert.ok(!all.some((r) => /-rbac-\d+-/.test(r.name)));
    });
  });
});
