import * as assert from "assert";
import { isDeepStrictEqual } from "util";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import { resolve, TYPES, useMocks } from "./support/mocks";
import { EngineModel, Node } from "./support/engine-model";
import { configSet, StackConfig } from "./support/pulumi-cli";
import { stackRun, StackRun, TEMPLATE_STACKS } from "./support/stack-files";
import { parseStackConfig } from "../stacks/config";
import { AtlasGitOps } from "../components/platform";
import type { WaitTarget } from "../components/sync-wait";

const PROJECT = "atlas-gitops";

/** Builds the whole platform as index.ts does for a stack, recording what the engine would see. */
async function evaluate(stack: string, run: StackRun = stackRun(stack)) {
  useMocks(stack);
  const model = new EngineModel(stack, PROJECT);
  const config = parseStackConfig(run.config, stack, new Set(run.secretKeys));
  // What `pulumi up` would wait for, in the order the waits start.
  const waits: WaitTarget[] = [];
  const waiter = { wait: async (t: WaitTarget) => void waits.push(t) };
  const platform = new AtlasGitOps(
    PROJECT,
    { ...config, waiter },
    { transformations: [model.transformation] },
  );
  await resolve(platform.urn);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  const custom = model.nodes.filter((n) => n.custom);
  const one = (type: string, name: string) => model.node(type, name);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const inputs = async (n: Node) => (await resolve(pulumi.output(n.props))) as unknown as Record<string, any>;
  const waitFor = (name: string) => waits.find((t) => t.name === name);
  return { platform, model, custom, one, inputs, waitFor };
}
type Run = Awaited<ReturnType<typeof evaluate>>;

/** The inputs whose change replaces a resource: metadata name and namespace, or a RandomPassword's inputs. */
async function identity(run: Run, node: Node): Promise<Record<string, unknown>> {
  const i = await run.inputs(node);
  // Unset inputs are dropped, as the engine sees them (the serializer leaves out undefined).
  if (node.type === TYPES.password) return JSON.parse(JSON.stringify(i));
  const [name, namespace] = [i.metadata?.name ?? i.name, i.metadata?.namespace ?? i.namespace];
  return namespace === undefined ? { name } : { name, namespace };
}

/** The logical names of some resources, sorted, for comparing sets of them. */
const names = (nodes: Iterable<Node>) => [...nodes].map((n) => n.name).sort();

interface V01Resource {
  urn: string;
  identity?: Record<string, unknown>;
}
const v01 = (file: string): V01Resource[] =>
  JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", file), "utf8")).resources;
const V01 = v01("v0.1-urns-dev.json");
/** The same, for dev with a private HTTPS repository: v0.1 then also had the repository Secret. */
const V01_PRIVATE = v01("v0.1-urns-dev-private-repo.json");

/** For each v0.1 custom resource: the one new resource that adopts its state (engine: generateSteps). */
async function adoption(run: Run, old: V01Resource[] = V01): Promise<Map<string, Node>> {
  const adopted = new Map<string, Node>();
  for (const node of run.custom) {
    for (const candidate of await run.model.candidates(node)) {
      if (old.some((r) => r.urn === candidate)) {
        assert.ok(!adopted.has(candidate), `two resources claim ${candidate}`);
        adopted.set(candidate, node);
        break;
      }
    }
  }
  return adopted;
}

describe("AtlasGitOps, evaluated from the template's stack files", () => {
  for (const stack of TEMPLATE_STACKS) {
    describe(stack, () => {
      let run: Run;
      before(async () => {
        run = await evaluate(stack);
      });

      it("installs both charts at their pinned versions", async () => {
        const argo = await run.inputs(run.one(TYPES.release, "argocd-release"));
        assert.deepStrictEqual(
          [argo.chart, argo.version, argo.name, argo.namespace],
          ["argo-cd", "10.1.1", "argocd", "argocd"],
        );
        const atlas = await run.inputs(run.one(TYPES.release, "atlas-operator-release"));
        assert.deepStrictEqual(
          [atlas.chart, atlas.version, atlas.name, atlas.namespace],
          ["oci://ghcr.io/ariga/charts/atlas-operator", "0.7.37", "atlas-operator", "atlas-operator"],
        );
      });

      it("puts both Atlas health checks into argocd-cm", async () => {
        const cm = (await run.inputs(run.one(TYPES.release, "argocd-release"))).values.configs.cm;
        assert.deepStrictEqual(Object.keys(cm).sort(), [
          "admin.enabled",
          "resource.customizations.health.db.atlasgo.io_AtlasMigration",
          "resource.customizations.health.db.atlasgo.io_AtlasSchema",
          "timeout.reconciliation",
          "url",
        ]);
      });

      it("never creates a ConfigMap named argocd-cm of its own", () => {
        assert.ok(!run.custom.some((n) => n.type === "kubernetes:core/v1:ConfigMap"));
      });

      it("stores the credentials in the application namespace under the configured name", async () => {
        const secret = await run.inputs(run.one(TYPES.secret, "myapp-db-secret"));
        assert.deepStrictEqual(secret.metadata, {
          name: "db-credentials",
          namespace: "myapp",
          annotations: { "atlas-gitops.io/password-rotation": "0" },
        });
        assert.match(secret.stringData.url, /^mysql:\/\/root:[^@]+@mysql:3306\/example$/);
      });

      it("registers an Application and AppProject that pass Argo CD's CRD schemas", async () => {
        const application = await run.inputs(run.one(TYPES.application, "myapp-application"));
        new Application(application as never).validate();
        assert.strictEqual(application.spec.source.repoURL, "https://github.com/rotemtam/atlas-argocd-demo");
        assert.strictEqual(application.spec.project, "myapp");
        const project = await run.inputs(run.one(TYPES.appProject, "myapp-project"));
        new AppProject(project as never).validate();
        assert.deepStrictEqual(project.spec.sourceRepos, ["https://github.com/rotemtam/atlas-argocd-demo"]);
      });

      it("creates no repository Secret for the public demo repository", () => {
        assert.ok(!run.custom.some((n) => n.name.endsWith("-repository")));
      });
    });
  }

  describe("what differs between the stacks", () => {
    let dev: Run;
    let prod: Run;
    before(async () => {
      dev = await evaluate("dev");
      prod = await evaluate("prod");
    });
    const guarded = [
      "argocd-namespace",
      "argocd-release",
      "atlas-operator-namespace",
      "atlas-operator-release",
      "myapp-namespace",
      "myapp-db-secret",
    ];
    const protectedIn = (run: Run, name: string) => run.custom.find((n) => n.name === name)?.opts.protect;

    it("protects prod's releases, namespaces and credentials Secret from pulumi destroy", () => {
      for (const name of guarded) assert.strictEqual(protectedIn(prod, name), true, `prod ${name}`);
    });

    it("leaves dev destroyable", () => {
      for (const name of guarded) assert.notStrictEqual(protectedIn(dev, name), true, `dev ${name}`);
    });

    it("tracks a moving branch in dev and a pinned commit in prod", async () => {
      const revision = async (run: Run) =>
        (await run.inputs(run.one(TYPES.application, "myapp-application"))).spec.source.targetRevision;
      assert.strictEqual(await revision(dev), "master");
      assert.match(await revision(prod), /^[0-9a-f]{40}$/);
    });

    it("waits in prod for the pinned commit itself, and in dev for the branch, under the stack's waitTimeout", async () => {
      const prodRevision = (await prod.inputs(prod.one(TYPES.application, "myapp-application"))).spec.source
        .targetRevision;
      assert.strictEqual(prod.waitFor("myapp")?.source.targetRevision, prodRevision);
      assert.strictEqual(dev.waitFor("myapp")?.source.targetRevision, "master");
      assert.strictEqual(dev.waitFor("myapp")?.timeoutKey, "waitTimeout");
      for (const run of [dev, prod]) {
        const annotations = (await run.inputs(run.one(TYPES.application, "myapp-application"))).metadata
          .annotations as Record<string, string> | undefined;
        assert.ok(!Object.keys(annotations ?? {}).some((k) => k.startsWith("pulumi.com/")));
      }
    });

    it("cascades Application deletion in dev only, so deleting prod's Application keeps its database", async () => {
      const finalizers = async (run: Run) =>
        (await run.inputs(run.one(TYPES.application, "myapp-application"))).metadata.finalizers;
      assert.deepStrictEqual(await finalizers(dev), ["resources-finalizer.argocd.argoproj.io"]);
      assert.strictEqual(await finalizers(prod), undefined);
    });
  });
});

describe("AtlasGitOps, as the engine orders the first pulumi up", () => {
  let run: Run;
  before(async () => {
    run = await evaluate(
      "dev",
      stackRun("dev", (f) =>
        ["shop", "billing"].reduce(
          (file, name, i) => configSet(file, `applications[${i}].name`, name, { path: true }),
          f,
        ),
      ),
    );
  });

  it("installs Argo CD and the Atlas operator side by side", () => {
    const argo = run.one(TYPES.release, "argocd-release");
    const atlas = run.one(TYPES.release, "atlas-operator-release");
    assert.ok(!run.model.before(argo).has(atlas), "Argo CD waits for the operator");
    assert.ok(!run.model.before(atlas).has(argo), "the operator waits for Argo CD");
  });

  it("creates each application's namespace and credentials without waiting for either install", () => {
    for (const app of ["shop", "billing"]) {
      for (const [type, name] of [
        [TYPES.namespace, `${app}-namespace`],
        [TYPES.password, `${app}-db-password`],
        [TYPES.secret, `${app}-db-secret`],
      ]) {
        const releases = names(run.model.before(run.one(type, name))).filter((n) => n.endsWith("-release"));
        assert.deepStrictEqual(releases, [], `${name} waits for ${releases.join(", ")}`);
      }
    }
  });

  it("creates each AppProject and Application only after both installs and the application's credentials", () => {
    for (const app of ["shop", "billing"]) {
      for (const [type, name] of [
        [TYPES.appProject, `${app}-project`],
        [TYPES.application, `${app}-application`],
      ]) {
        const before = names(run.model.before(run.one(type, name)));
        for (const needed of ["argocd-release", "atlas-operator-release"]) {
          assert.ok(before.includes(needed), `${name} does not wait for ${needed}`);
        }
      }
      const application = names(run.model.before(run.one(TYPES.application, `${app}-application`)));
      assert.ok(application.includes(`${app}-db-secret`) && application.includes(`${app}-project`));
      const other = app === "shop" ? "billing" : "shop";
      assert.ok(!application.some((n) => n.startsWith(`${other}-`)), `${app} waits for ${other}`);
    }
  });

  it("holds at most one Helm install on any chain of the first pulumi up", () => {
    const isRelease = (n: Node) => n.type === TYPES.release;
    const longest = Math.max(...run.custom.map((n) => run.model.longestChain(n, isRelease)));
    assert.strictEqual(longest, 1);
  });
});

describe("Upgrades from v0.1 replace nothing", () => {
  /** Every v0.1 resource is adopted by a new one of the same type and the same identity. */
  async function assertAdoptsV01(run: Run, before: V01Resource[] = V01): Promise<void> {
    const adopted = await adoption(run, before);
    for (const old of before.filter((r) => r.identity !== undefined)) {
      const node = adopted.get(old.urn);
      assert.ok(node, `nothing adopts ${old.urn}: it would be deleted and created anew`);
      assert.strictEqual(old.urn.split("::")[2].split("$").pop(), node.type);
      assert.deepStrictEqual(await identity(run, node), old.identity, `${old.urn} would be replaced`);
    }
  }

  it("keeps every URN of a stack that stays on the single-application keys", async () => {
    await assertAdoptsV01(await evaluate("dev"));
  });

  it("keeps every URN when the stack moves the same application into `applications`", async () => {
    const moved = stackRun("dev", (f) =>
      [
        ["applications[0].name", "myapp"],
        ["applications[0].dbName", "example"],
      ].reduce((file, [key, value]) => configSet(file, key, value, { path: true }), f),
    );
    assert.ok(moved.config.applications.includes("myapp"));
    await assertAdoptsV01(await evaluate("dev", moved));
  });

  it("keeps the repository Secret's URN too, for a stack with a private repository", async () => {
    assert.ok(V01_PRIVATE.some((r) => r.urn.endsWith("::app-repository")));
    const run = stackRun("dev", (f) =>
      [
        ["repoUsername", "bot", {}],
        ["repoToken", "t0ken", { secret: true }],
      ].reduce(
        (file, [key, value, opts]) => configSet(file, key as string, value as string, opts as object),
        f,
      ),
    );
    await assertAdoptsV01(await evaluate("dev", run), V01_PRIVATE);
  });

  it("adopts nothing of v0.1 for an application of another name, so two never claim one URN", async () => {
    const run = await evaluate(
      "dev",
      stackRun("dev", (f) => configSet(f, "applications[0].name", "billing", { path: true })),
    );
    const adopted = await adoption(run);
    assert.deepStrictEqual(
      names(adopted.values()).filter((n) => n.startsWith("billing")),
      [],
    );
  });

  describe("with three applications", () => {
    const withApps = (apps: string[], edit: (f: StackConfig) => StackConfig = (f) => f) =>
      stackRun("dev", (f) =>
        edit(
          apps.reduce((file, name, i) => configSet(file, `applications[${i}].name`, name, { path: true }), f),
        ),
      );
    const urns = async (run: Run) =>
      new Map(
        await Promise.all(run.custom.map(async (n) => [run.model.urn(n), await run.inputs(n)] as const)),
      );
    let forward: Map<string, Record<string, unknown>>;
    before(async () => {
      forward = await urns(await evaluate("dev", withApps(["shop", "billing", "reports"])));
    });

    it("changes nothing when the list is reordered, not even the operator's watch list", async () => {
      const reversed = await urns(await evaluate("dev", withApps(["reports", "billing", "shop"])));
      assert.deepStrictEqual([...reversed.keys()].sort(), [...forward.keys()].sort());
      for (const [urn, inputs] of reversed)
        assert.deepStrictEqual(inputs, forward.get(urn), `${urn} changed`);
    });

    it("removes only the removed application's resources, and its namespace from the operator's watch", async () => {
      const without = await urns(await evaluate("dev", withApps(["shop", "reports"])));
      const changed: string[] = [];
      for (const [urn, inputs] of without) {
        assert.ok(forward.has(urn), `${urn} is new`);
        if (!isDeepStrictEqual(inputs, forward.get(urn))) changed.push(urn.split("::").pop()!);
      }
      assert.deepStrictEqual(changed, ["atlas-operator-release"]);
      const release = [...without].find(([urn]) => urn.endsWith("::atlas-operator-release"))![1];
      assert.deepStrictEqual((release.values as { watchNamespaces: string[] }).watchNamespaces, [
        "reports",
        "shop",
      ]);
      assert.deepStrictEqual(
        [...forward.keys()]
          .filter((u) => !without.has(u))
          .map((u) => u.split("::").pop())
          .sort(),
        [
          "billing-application",
          "billing-db-password",
          "billing-db-secret",
          "billing-namespace",
          "billing-operator-access-billing-role",
          "billing-operator-access-billing-rolebinding",
          "billing-project",
        ],
      );
    });

    it("rotates one application's password without touching another's", async () => {
      const rotated = await urns(
        await evaluate(
          "dev",
          withApps(["shop", "billing", "reports"], (f) =>
            configSet(f, "applications[1].dbPasswordRotation", "1", { path: true }),
          ),
        ),
      );
      const changed = [...rotated].filter(([urn, inputs]) => !isDeepStrictEqual(inputs, forward.get(urn)));
      // Under the mocks the new password reads the same, so the Secret's data shows no change; in a real update
      // its data changes too. Its annotation records the rotation, which the password guard reads.
      assert.deepStrictEqual(
        changed.map(([urn]) => urn.split("::").pop()),
        ["billing-db-password", "billing-db-secret"],
      );
      const secret = changed.find(([urn]) => urn.endsWith("::billing-db-secret"))![1];
      assert.deepStrictEqual((secret.metadata as { annotations: unknown }).annotations, {
        "atlas-gitops.io/password-rotation": "1",
      });
    });

    it("gives the operator a Role in each application's namespace, and no ClusterRole", async () => {
      const roles = [...forward].filter(([urn]) =>
        urn.includes("kubernetes:rbac.authorization.k8s.io/v1:Role::"),
      );
      assert.deepStrictEqual(
        roles.map(([, inputs]) => (inputs.metadata as { namespace: string }).namespace).sort(),
        ["billing", "reports", "shop"],
      );
      assert.ok(![...forward.keys()].some((u) => u.includes("ClusterRole")));
      const release = [...forward].find(([urn]) => urn.endsWith("::atlas-operator-release"))![1];
      assert.deepStrictEqual((release.values as { rbac: unknown }).rbac, { create: false });
    });
  });
});

describe("AtlasGitOps, with every operations switch on", () => {
  const HOOK = "https://hooks.slack.com/services/T000/B000/not-a-real-hook";
  const GITHUB = "github-webhook-secret-value";
  let run: Run;
  before(async () => {
    run = await evaluate(
      "prod",
      stackRun("prod", (f) =>
        [
          ["alertWebhookUrl", HOOK, { secret: true }],
          ["gitWebhookGitHubSecret", GITHUB, { secret: true }],
          ["argocdIngressHost", "argocd.example.com", {}],
          ["metricsEnabled", "true", {}],
          ["applications[0].name", "shop", { path: true }],
          ["applications[1].name", "billing", { path: true }],
        ].reduce(
          (file, [key, value, opts]) => configSet(file, key as string, value as string, opts as object),
          f,
        ),
      ),
    );
  });

  it("subscribes every Application to every alert", async () => {
    for (const app of ["shop", "billing"]) {
      const annotations = (await run.inputs(run.one(TYPES.application, `${app}-application`))).metadata
        .annotations as Record<string, string>;
      const subscriptions = Object.keys(annotations).filter((k) =>
        k.startsWith("notifications.argoproj.io/"),
      );
      assert.strictEqual(subscriptions.length, 4, `${app}: ${subscriptions.join(", ")}`);
    }
  });

  it("waits for every Application, naming each item's own waitTimeout key", () => {
    assert.strictEqual(run.waitFor("shop")?.timeoutKey, "applications[0].waitTimeout");
    assert.strictEqual(run.waitFor("billing")?.timeoutKey, "applications[1].waitTimeout");
  });

  it("keeps the webhook URL and the git webhook secret out of the Helm values, in Secrets of their own", async () => {
    const values = JSON.stringify((await run.inputs(run.one(TYPES.release, "argocd-release"))).values);
    assert.ok(!values.includes(HOOK) && !values.includes(GITHUB));
    const release = (await run.inputs(run.one(TYPES.release, "argocd-release"))).values;
    assert.deepStrictEqual(release.notifications.secret, { create: false });
    assert.strictEqual(release.configs.secret.githubSecret, "$atlas-gitops-git-webhooks:github");
    const notifications = await run.inputs(run.one(TYPES.secret, "notifications-secret"));
    assert.deepStrictEqual(notifications.metadata.name, "argocd-notifications-secret");
    assert.deepStrictEqual(Object.values(notifications.stringData), [HOOK]);
    const hooks = await run.inputs(run.one(TYPES.secret, "git-webhooks-secret"));
    assert.deepStrictEqual(hooks.stringData, { github: GITHUB });
  });

  it("routes argocd-server through the Ingress and polls at the configured interval", async () => {
    const release = (await run.inputs(run.one(TYPES.release, "argocd-release"))).values;
    assert.strictEqual(release.server.ingress.hostname, "argocd.example.com");
    assert.strictEqual(release.configs.cm["timeout.reconciliation"], "120s");
    assert.deepStrictEqual(release.configs.params, {
      "controller.resource.health.persist": true,
      "server.insecure": true,
    });
  });

  it("creates the notifications and git webhook Secrets only after the argo-cd release", () => {
    // On an upgrade from a chart that rendered argocd-notifications-secret itself, Helm deletes that one during
    // the release update; ours must come after it (components/platform.ts).
    for (const name of ["notifications-secret", "git-webhooks-secret"]) {
      const before = [...run.model.before(run.one(TYPES.secret, name))].map((n) => n.name);
      assert.ok(before.includes("argocd-release"), `${name} is created before argocd-release is done`);
    }
  });

  it("adds the operator's metrics Service, its ServiceMonitor and the alert rules, after the CRDs are found", () => {
    const monitor = run.one(
      "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
      "monitoring-atlas-servicemonitor",
    );
    const waits = [...run.model.waitsFor(monitor)].map((n) => n.name);
    assert.ok(waits.includes("monitoring-atlas-metrics"));
    assert.ok(run.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-rules"));
  });
});

describe("AtlasGitOps, as the engine orders pulumi destroy", () => {
  // The engine's delete order, as test/support/engine-model.ts models it from pulumi/pulumi at MODELLED_CLI_VERSION
  // (step_generator.go ScheduleDeletes, dependency_graph.go DependenciesOf, deployment_executor.go
  // performPostSteps, step.go DeleteStep.Apply).
  const APPS = ["shop", "billing"];
  const withApps = (stack: string) =>
    stackRun(stack, (f) =>
      APPS.reduce((file, name, i) => configSet(file, `applications[${i}].name`, name, { path: true }), f),
    );
  /** What an Application's cascade needs alive until it is gone: Argo CD, the operator, its access, the app's own. */
  const neededBy = (run: Run, app: string): Node[] => [
    run.one(TYPES.release, "argocd-release"),
    run.one(TYPES.release, "atlas-operator-release"),
    run.one("kubernetes:rbac.authorization.k8s.io/v1:Role", `${app}-operator-access-${app}-role`),
    run.one(
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
      `${app}-operator-access-${app}-rolebinding`,
    ),
    run.one(TYPES.appProject, `${app}-project`),
    run.one(TYPES.secret, `${app}-db-secret`),
    run.one(TYPES.namespace, `${app}-namespace`),
  ];
  let dev: Run;
  let prod: Run;
  before(async () => {
    dev = await evaluate("dev", withApps("dev"));
    prod = await evaluate("prod", withApps("prod"));
  });

  it("deletes each Application before Argo CD, the operator, its Role, RoleBinding, AppProject, Secret, namespace", () => {
    for (const app of APPS) {
      const application = dev.one(TYPES.application, `${app}-application`);
      for (const needed of neededBy(dev, app)) {
        assert.ok(
          dev.model.deletesBefore(needed).has(application),
          `${needed.name} may be deleted while ${app}-application is still being deleted`,
        );
      }
      assert.deepStrictEqual(names(dev.model.deletesBefore(application)), [], `${app}: nothing waits on it`);
    }
  });

  it("starts pulumi destroy with the Applications alone, and waits for them before anything else", () => {
    const schedule = dev.model.deleteSchedule();
    assert.deepStrictEqual(names(schedule[0]), APPS.map((a) => `${a}-application`).sort());
    assert.deepStrictEqual(names(schedule.flat()), names(dev.model.nodes), "every resource is deleted once");
  });

  it("reaches an application's namespace from its operator Role through the Role's parent, not its own record", () => {
    // prepareResource records a resource's own dependsOn and input sources; the Role has neither, and its
    // component's dependsOn on the namespace counts only because DependenciesOf adds the parent.
    const role = dev.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "shop-operator-access-shop-role");
    assert.deepStrictEqual(names(dev.model.deleteDependencies(role)), ["shop-operator-access"]);
    assert.ok(dev.model.deletedAfter(role).has(dev.one(TYPES.namespace, "shop-namespace")));
  });

  it("deletes the notifications Secret before argocd-release, by its parent's dependsOn, after the Applications", () => {
    const secret = dev.one(TYPES.secret, "notifications-secret");
    assert.ok(dev.model.deletesBefore(dev.one(TYPES.release, "argocd-release")).has(secret));
    // Nothing orders it against an Application; the antichains do: it sits deeper, so its delete starts only
    // once every Application (and its cascade) is gone, and no alert of the teardown loses its webhook URL.
    const round = (n: Node) => dev.model.deleteSchedule().findIndex((r) => r.includes(n));
    for (const app of APPS) {
      const application = dev.one(TYPES.application, `${app}-application`);
      assert.ok(!dev.model.deletesBefore(secret).has(application));
      assert.ok(round(application) < round(secret));
    }
  });

  it("deletes what an update drops Application first, among that application's resources only", () => {
    const dropped = dev.model.nodes.filter((n) => n.name === "billing" || n.name.startsWith("billing-"));
    const schedule = dev.model.deleteSchedule(dropped);
    assert.deepStrictEqual(names(schedule[0]), ["billing-application"]);
    assert.deepStrictEqual(names(schedule[schedule.length - 1]), ["billing"]);
    const after = (n: Node) => schedule.findIndex((r) => r.includes(n));
    const application = dev.one(TYPES.application, "billing-application");
    for (const needed of neededBy(dev, "billing").filter((n) => dropped.includes(n))) {
      assert.ok(after(application) < after(needed), needed.name);
    }
  });

  it("destroys all of dev and refuses nothing", () => {
    const result = dev.model.destroy();
    assert.deepStrictEqual([result.refused, result.kept], [[], []]);
    assert.strictEqual(result.deleted.length, dev.model.nodes.length);
  });

  it("stops prod's destroy in its preview, before anything is deleted, on the protected resources", () => {
    const result = prod.model.destroy();
    assert.deepStrictEqual(result.deleted, []);
    assert.deepStrictEqual(names(result.refused), [
      "argocd-release",
      "atlas-operator-release",
      "billing-db-secret",
      "shop-db-secret",
    ]);
  });

  it("with --skip-preview deletes only prod's Argo CD objects, operator Roles and notifications Secret", () => {
    const result = prod.model.destroy({ skipPreview: true });
    // Everything a protected resource depends on (namespaces, passwords, parents) is skipped, not attempted.
    assert.deepStrictEqual(names(result.deleted.filter((n) => n.custom)), [
      "billing-application",
      "billing-operator-access-billing-role",
      "billing-operator-access-billing-rolebinding",
      "billing-project",
      "notifications-secret",
      "shop-application",
      "shop-operator-access-shop-role",
      "shop-operator-access-shop-rolebinding",
      "shop-project",
    ]);
    for (const kept of [
      "argocd-namespace",
      "shop-namespace",
      "shop-db-password",
      "atlas-operator-namespace",
    ]) {
      assert.ok(
        result.kept.some((n) => n.name === kept),
        kept,
      );
    }
  });
});

describe("AtlasGitOps for a stack with no applications (appName '')", () => {
  let run: Run;
  before(async () => {
    run = await evaluate(
      "dev",
      stackRun("dev", (f) => configSet(configSet(f, "appName", "", {}), "metricsEnabled", "true", {})),
    );
  });

  it("installs Argo CD with the health checks, and no operator, AppProject or Application", async () => {
    const of = (type: string) => names(run.custom.filter((n) => n.type === type));
    assert.equal(run.platform.atlasOperator, undefined);
    assert.deepEqual(run.platform.apps, []);
    assert.deepEqual(of(TYPES.release), ["argocd-release"]);
    assert.deepEqual(of(TYPES.namespace), ["argocd-namespace"]);
    assert.deepEqual(of(TYPES.password), ["argocd-admin-password"]);
    assert.deepEqual([...of(TYPES.application), ...of(TYPES.appProject)], []);
    const cm = await run.inputs(run.one(TYPES.release, "argocd-release"));
    assert.match(JSON.stringify(cm.values), /resource\.customizations\.health\.db\.atlasgo\.io_AtlasSchema/);
  });

  it("makes only Argo CD's alert rule: no operator metrics Service, ServiceMonitor or AtlasOperatorDown", async () => {
    const names = run.custom.map((n) => n.name);
    assert.ok(
      !names.includes("monitoring-atlas-metrics") && !names.includes("monitoring-atlas-servicemonitor"),
    );
    const rules = await run.inputs(
      run.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-rules"),
    );
    const alerts = rules.spec.groups[0].rules.map((r: { alert: string }) => r.alert);
    assert.deepEqual(alerts, ["ArgoCdApplicationDegraded"]);
  });
});
