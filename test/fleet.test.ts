/**
 * argocdLocation existing and hub, evaluated as index.ts builds the platform: what is registered, where (which
 * provider: this cluster's default or the hub's), with which exact inputs, and in which order.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { isSecret, MOCK_CA_CRT, MOCK_SA_TOKEN, resolve, TYPES, useMocks } from "./support/mocks";
import { EngineModel, Node } from "./support/engine-model";
import { parseStackConfig, RawConfig } from "../stacks/config";
import { SECRET_KEYS } from "../stacks/defaults";
import { AtlasGitOps } from "../components/platform";
import { atlasHealthChecks } from "../components/health-checks";
import { healthChecksPatch } from "../components/argocd-health-patch";
import { clusterConfig, clusterSecretManifest } from "../components/cluster-registration";
import { fleetClient } from "../components/cluster-client";
import type { ApplicationClient } from "../components/application-wait";
import type { WaitTarget } from "../components/sync-wait";

const PROJECT = "atlas-gitops";
const REPO = "https://github.com/org/manifests";
const HUB_KUBECONFIG = `apiVersion: v1
kind: Config
current-context: hub
clusters: [{ name: hub, cluster: { server: "https://hub.example.com:6443" } }]
contexts: [{ name: hub, context: { cluster: hub, user: admin } }]
users: [{ name: admin, user: { token: hub-admin-token } }]
`;
const TWO_APPS = JSON.stringify([{ name: "shop" }, { name: "billing", namespace: "pay" }]);
const TYPE = {
  patch: "kubernetes:core/v1:ConfigMapPatch",
  provider: "pulumi:providers:kubernetes",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
  roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  clusterRoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
};

async function evaluate(stack: string, raw: RawConfig) {
  useMocks(stack);
  const model = new EngineModel(stack, PROJECT);
  const config = parseStackConfig({ repoURL: REPO, ...raw }, stack, new Set(SECRET_KEYS), () => ({
    server: `https://${stack}.example.com:6443`,
  }));
  const waits: WaitTarget[] = [];
  const platform = new AtlasGitOps(
    PROJECT,
    { ...config, waiter: { wait: async (t) => void waits.push(t) } },
    { transformations: [model.transformation] },
  );
  await resolve(platform.urn);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  const one = (type: string, name: string) => model.node(type, name);
  const all = (type: string) => model.nodes.filter((n) => n.type === type);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const inputs = async (n: Node) => (await resolve(pulumi.output(n.props))) as unknown as Record<string, any>;
  return { platform, model, one, all, inputs, waits };
}

/** The provider a resource is registered with: its own option, else the nearest parent's `providers`. */
function providerOf(node: Node): pulumi.ProviderResource | undefined {
  for (let n: Node | undefined = node; n !== undefined; n = n.parent) {
    const opts = n.opts as pulumi.CustomResourceOptions & pulumi.ComponentResourceOptions;
    if (opts.provider !== undefined) return opts.provider;
    const providers = opts.providers;
    if (Array.isArray(providers) && providers.length > 0) return providers[0];
  }
  return undefined;
}

const dependsOn = (node: Node): pulumi.Resource[] => {
  const d = node.opts.dependsOn;
  return (Array.isArray(d) ? d : d === undefined ? [] : [d]) as pulumi.Resource[];
};

describe("argocdLocation existing", () => {
  let run: Awaited<ReturnType<typeof evaluate>>;
  before(async () => {
    run = await evaluate("dev", {
      argocdLocation: "existing",
      argocdNamespace: "gitops",
      applications: TWO_APPS,
    });
  });
  after(() => useMocks());

  it("installs no Argo CD: no argo-cd release, no namespace of its, no notification or webhook Secrets", async () => {
    const releases = await Promise.all(run.all(TYPES.release).map((n) => run.inputs(n)));
    assert.deepStrictEqual(
      releases.map((r) => r.name),
      ["atlas-operator"],
    );
    const namespaces = await Promise.all(run.all(TYPES.namespace).map((n) => run.inputs(n)));
    assert.deepStrictEqual(namespaces.map((n) => n.metadata.name).sort(), ["atlas-operator", "pay", "shop"]);
    const secretsInArgo = await Promise.all(run.all(TYPES.secret).map((n) => run.inputs(n)));
    assert.deepStrictEqual(
      secretsInArgo.filter((s) => s.metadata.namespace === "gitops"),
      [],
    );
    assert.strictEqual(run.platform.argocd, undefined);
    assert.strictEqual(await resolve(run.platform.argocdNamespace), "gitops");
  });

  it("patches the two split health-check keys into its argocd-cm under the fixed field manager, unforced", async () => {
    const [patch] = run.all(TYPE.patch);
    assert.strictEqual(run.all(TYPE.patch).length, 1);
    assert.strictEqual(patch.name, "argocd-health-checks-patch");
    const i = await run.inputs(patch);
    assert.deepStrictEqual(i.metadata, {
      name: "argocd-cm",
      namespace: "gitops",
      annotations: { "pulumi.com/patchFieldManager": "atlas-gitops-health-checks" },
    });
    assert.deepStrictEqual(Object.keys(i.data).sort(), [
      "resource.customizations.health.db.atlasgo.io_AtlasMigration",
      "resource.customizations.health.db.atlasgo.io_AtlasSchema",
    ]);
    assert.deepStrictEqual(i.data, atlasHealthChecks());
    assert.strictEqual(providerOf(patch), undefined);
    // Only after reading the argocd-cm that is there: an apply would create one in a namespace without Argo CD.
    const read = run.one("kubernetes:core/v1:ConfigMap", "argocd-health-checks-existing");
    assert.strictEqual(await resolve((read.resource as pulumi.CustomResource).id), "gitops/argocd-cm");
    assert.deepStrictEqual(dependsOn(patch), [read.resource]);
  });

  it("creates the Applications in that namespace, in-cluster, only after the health checks are in", async () => {
    for (const app of ["shop", "billing"]) {
      const node = run.one(TYPES.application, `${app}-application`);
      const a = await run.inputs(node);
      assert.deepStrictEqual([a.metadata.name, a.metadata.namespace], [app, "gitops"]);
      assert.strictEqual(a.spec.destination.server, "https://kubernetes.default.svc");
      assert.ok(dependsOn(node).includes(run.platform.healthChecks!), `${app} does not wait for the patch`);
    }
  });
});

describe("healthChecksPatch", () => {
  it("owns only the keys it is given, in the named namespace, and forces nothing", () => {
    const args = healthChecksPatch({
      namespace: "argo",
      entries: { "resource.customizations.health.x_Y": "s" },
    });
    assert.deepStrictEqual(args, {
      metadata: {
        name: "argocd-cm",
        namespace: "argo",
        annotations: { "pulumi.com/patchFieldManager": "atlas-gitops-health-checks" },
      },
      data: { "resource.customizations.health.x_Y": "s" },
    });
  });
});

describe("argocdLocation hub", () => {
  const spoke = (more: RawConfig = {}): RawConfig => ({
    argocdLocation: "hub",
    hubKubeconfig: HUB_KUBECONFIG,
    applications: TWO_APPS,
    ...more,
  });
  let run: Awaited<ReturnType<typeof evaluate>>;
  before(async () => {
    run = await evaluate("dev", spoke());
  });
  after(() => useMocks());

  it("builds one provider for the hub from hubKubeconfig, kept secret", async () => {
    const provider = run.one(TYPE.provider, "hub");
    const i = await run.inputs(provider);
    assert.strictEqual(i.kubeconfig, HUB_KUBECONFIG);
    assert.strictEqual(i.context, undefined);
    assert.strictEqual(await isSecret((provider.props as { kubeconfig: unknown }).kubeconfig), true);
    const withContext = await evaluate("dev", spoke({ hubContext: "hub" }));
    assert.strictEqual((await withContext.inputs(withContext.one(TYPE.provider, "hub"))).context, "hub");
    run = await evaluate("dev", spoke());
  });

  it("installs no Argo CD and keeps the operator, namespaces and credentials in the spoke", async () => {
    const hub = run.platform.hubProvider;
    assert.ok(hub);
    const releases = run.all(TYPES.release);
    assert.deepStrictEqual(
      releases.map((n) => n.name),
      ["atlas-operator-release"],
    );
    for (const node of [...releases, ...run.all(TYPES.namespace), ...run.all(TYPES.password)]) {
      assert.strictEqual(providerOf(node), undefined, `${node.name} is not in the spoke`);
    }
    for (const app of ["shop", "billing"]) {
      assert.strictEqual(providerOf(run.one(TYPES.secret, `${app}-db-secret`)), undefined);
    }
  });

  it("gives Argo CD a ServiceAccount with a Role in each application namespace only", async () => {
    const sa = await run.inputs(run.one(TYPE.serviceAccount, "spoke-access-service-account"));
    assert.deepStrictEqual(sa.metadata, { name: "atlas-gitops-argocd", namespace: "kube-system" });
    const roles = await Promise.all(
      run
        .all(TYPE.role)
        .filter((n) => n.name.endsWith("-argocd-access-role"))
        .map((n) => run.inputs(n)),
    );
    assert.deepStrictEqual(roles.map((r) => [r.metadata.name, r.metadata.namespace, r.rules]).sort(), [
      ["atlas-gitops-argocd", "pay", [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]],
      ["atlas-gitops-argocd", "shop", [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]],
    ]);
    const bindings = await Promise.all(
      run
        .all(TYPE.roleBinding)
        .filter((n) => n.name.endsWith("-argocd-access-binding"))
        .map((n) => run.inputs(n)),
    );
    for (const b of bindings) {
      assert.deepStrictEqual(b.subjects, [
        { kind: "ServiceAccount", namespace: "kube-system", name: "atlas-gitops-argocd" },
      ]);
      assert.deepStrictEqual(b.roleRef, {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: "atlas-gitops-argocd",
      });
    }
    assert.strictEqual(bindings.length, 2);
    // Nothing cluster-wide: no ClusterRole or ClusterRoleBinding of this program's (the charts' are in releases).
    assert.deepStrictEqual([...run.all(TYPE.clusterRole), ...run.all(TYPE.clusterRoleBinding)], []);
  });

  it("issues its token through a service-account-token Secret renamed by clusterTokenRotation", async () => {
    const token = JSON.parse(JSON.stringify(await run.inputs(run.one(TYPES.secret, "spoke-access-token"))));
    assert.deepStrictEqual(token, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "atlas-gitops-argocd-token-0",
        namespace: "kube-system",
        annotations: { "kubernetes.io/service-account.name": "atlas-gitops-argocd" },
      },
      type: "kubernetes.io/service-account-token",
    });
    assert.strictEqual(await resolve(run.platform.spokeAccess!.bearerToken), MOCK_SA_TOKEN);
    assert.strictEqual(await isSecret(run.platform.spokeAccess!.bearerToken), true);
    assert.strictEqual(await isSecret(run.platform.spokeAccess!.caData), true);
    const rotated = await evaluate("dev", spoke({ clusterTokenRotation: "2" }));
    const renamed = await rotated.inputs(rotated.one(TYPES.secret, "spoke-access-token"));
    assert.strictEqual(renamed.metadata.name, "atlas-gitops-argocd-token-2");
    run = await evaluate("dev", spoke());
  });

  it("registers the spoke in the hub with one cluster Secret: name, server, namespaces, labels, secret config", async () => {
    const node = run.one(TYPES.secret, "cluster-registration-secret");
    assert.strictEqual(providerOf(node), run.platform.hubProvider);
    const s = await run.inputs(node);
    assert.deepStrictEqual(s.metadata, {
      name: "cluster-dev",
      namespace: "argocd",
      labels: {
        "argocd.argoproj.io/secret-type": "cluster",
        "app.kubernetes.io/managed-by": "atlas-gitops",
        cluster_name: "dev",
        environment: "dev",
      },
    });
    const { config, ...plain } = s.stringData;
    assert.deepStrictEqual(plain, {
      name: "dev",
      server: "https://dev.example.com:6443",
      namespaces: "pay,shop",
    });
    assert.deepStrictEqual(JSON.parse(config), {
      bearerToken: MOCK_SA_TOKEN,
      tlsClientConfig: { insecure: false, caData: Buffer.from(MOCK_CA_CRT).toString("base64") },
    });
    const props = node.props as { stringData: Record<string, unknown> };
    assert.strictEqual(await isSecret(props.stringData.config), true);
  });

  it("puts each AppProject and Application in the hub as <clusterName>-<app>, pinned to the spoke and its namespace", async () => {
    for (const [app, namespace] of [
      ["shop", "shop"],
      ["billing", "pay"],
    ]) {
      const projectNode = run.one(TYPES.appProject, `${app}-project`);
      const appNode = run.one(TYPES.application, `${app}-application`);
      assert.strictEqual(providerOf(projectNode), run.platform.hubProvider);
      assert.strictEqual(providerOf(appNode), run.platform.hubProvider);
      const project = await run.inputs(projectNode);
      assert.deepStrictEqual([project.metadata.name, project.metadata.namespace], [`dev-${app}`, "argocd"]);
      assert.deepStrictEqual(project.spec.destinations, [
        { server: "https://dev.example.com:6443", namespace },
      ]);
      const a = await run.inputs(appNode);
      assert.deepStrictEqual(
        [a.metadata.name, a.spec.project, a.spec.destination],
        [`dev-${app}`, `dev-${app}`, { server: "https://dev.example.com:6443", namespace }],
      );
      assert.strictEqual(a.spec.syncPolicy.syncOptions, undefined);
      // Destroy deletes the Application before the cluster Secret: an Application whose cluster is gone is stuck.
      assert.ok(dependsOn(appNode).includes(run.platform.clusterRegistration!));
    }
  });

  it("waits on the hub's Application at the spoke's server", () => {
    assert.deepStrictEqual(
      run.waits.map((t) => [t.namespace, t.name, t.destination]),
      [
        ["argocd", "dev-shop", { server: "https://dev.example.com:6443", namespace: "shop" }],
        ["argocd", "dev-billing", { server: "https://dev.example.com:6443", namespace: "pay" }],
      ],
    );
  });

  it("names two spokes' applications of one name apart", async () => {
    const prod = await evaluate("prod", spoke());
    const names = async (r: typeof run) =>
      Promise.all(r.all(TYPES.application).map(async (n) => (await r.inputs(n)).metadata.name));
    const [dev, prodNames] = [await names(run), await names(prod)];
    assert.deepStrictEqual(dev, ["dev-shop", "dev-billing"]);
    assert.deepStrictEqual(prodNames, ["prod-shop", "prod-billing"]);
    const prodSecret = await prod.inputs(prod.one(TYPES.secret, "cluster-registration-secret"));
    assert.strictEqual(prodSecret.metadata.name, "cluster-prod");
    run = await evaluate("dev", spoke());
  });
});

describe("clusterSecretManifest and clusterConfig", () => {
  it("lists the namespaces sorted, so reordering the applications changes nothing", () => {
    const m = clusterSecretManifest({
      cluster: { name: "eu", server: "https://eu:6443", environment: "prod", tokenRotation: 0 },
      argocdNamespace: "argo",
      namespaces: ["b", "a"],
    });
    assert.deepStrictEqual(m.stringData, { name: "eu", server: "https://eu:6443", namespaces: "a,b" });
    assert.deepStrictEqual(m.metadata.labels.environment, "prod");
  });

  it("writes Argo CD's cluster config with the token and CA and TLS verification on", () => {
    assert.deepStrictEqual(JSON.parse(clusterConfig("t", "Y2E=")), {
      bearerToken: "t",
      tlsClientConfig: { insecure: false, caData: "Y2E=" },
    });
  });
});

describe("fleetClient", () => {
  it("reads and refreshes Applications in the hub, and Atlas objects in the spoke", async () => {
    const calls: string[] = [];
    const fake = (where: string): ApplicationClient => ({
      getApplication: async (ns, name) => (calls.push(`${where} get ${ns}/${name}`), {}),
      requestRefresh: async (ns, name) => void calls.push(`${where} refresh ${ns}/${name}`),
      getAtlasObject: async (kind, ns, name) => (calls.push(`${where} ${kind} ${ns}/${name}`), undefined),
    });
    const client = fleetClient(fake("hub"), fake("spoke"));
    await client.getApplication("argocd", "dev-shop");
    await client.requestRefresh("argocd", "dev-shop");
    await client.getAtlasObject("AtlasSchema", "shop", "shop");
    assert.deepStrictEqual(calls, [
      "hub get argocd/dev-shop",
      "hub refresh argocd/dev-shop",
      "spoke AtlasSchema shop/shop",
    ]);
  });
});
