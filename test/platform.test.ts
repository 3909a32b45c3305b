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
import { stackRun, StackRun } from "./support/stack-files";
import { parseStackConfig } from "../stacks/config";
import { AtlasGitOps } from "../components/platform";

const PROJECT = "atlas-gitops";

/** Builds the whole platform as index.ts does for a stack, recording what the engine would see. */
async function evaluate(stack: string, run: StackRun = stackRun(stack)) {
  useMocks(stack);
  const model = new EngineModel(stack, PROJECT);
  const config = parseStackConfig(run.config, stack, new Set(run.secretKeys));
  const platform = new AtlasGitOps(PROJECT, config, { transformations: [model.transformation] });
  await resolve(platform.urn);
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  const custom = model.nodes.filter((n) => n.custom);
  const one = (type: string, name: string) => model.node(type, name);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const inputs = async (n: Node) => (await resolve(pulumi.output(n.props))) as unknown as Record<string, any>;
  return { platform, model, custom, one, inputs };
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

interface V01Resource {
  urn: string;
  identity?: Record<string, unknown>;
}
const V01: V01Resource[] = JSON.parse(
  fs.readFileSync(path.join(__dirname, "fixtures", "v0.1-urns-dev.json"), "utf8"),
).resources;

/** For each v0.1 custom resource: the one new resource that adopts its state (engine: generateSteps). */
async function adoption(run: Run): Promise<Map<string, Node>> {
  const adopted = new Map<string, Node>();
  for (const node of run.custom) {
    for (const candidate of await run.model.candidates(node)) {
      if (V01.some((r) => r.urn === candidate)) {
        assert.ok(!adopted.has(candidate), `two resources claim ${candidate}`);
        adopted.set(candidate, node);
        break;
      }
    }
  }
  return adopted;
}

describe("AtlasGitOps, evaluated from the committed stack files", () => {
  for (const stack of ["dev", "prod"]) {
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
        ]);
      });

      it("never creates a ConfigMap named argocd-cm of its own", () => {
        assert.ok(!run.custom.some((n) => n.type === "kubernetes:core/v1:ConfigMap"));
      });

      it("stores the credentials in the application namespace under the configured name", async () => {
        const secret = await run.inputs(run.one(TYPES.secret, "myapp-db-secret"));
        assert.deepStrictEqual(secret.metadata, { name: "db-credentials", namespace: "myapp" });
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

    it("waits in prod for the pinned commit itself, and in dev for the branch Argo CD compared", async () => {
      const conditions = async (run: Run) =>
        JSON.parse(
          (await run.inputs(run.one(TYPES.application, "myapp-application"))).metadata.annotations[
            "pulumi.com/waitFor"
          ],
        ) as string[];
      const prodRevision = (await prod.inputs(prod.one(TYPES.application, "myapp-application"))).spec.source
        .targetRevision;
      assert.ok((await conditions(prod)).includes(`jsonpath={.status.sync.revision}=${prodRevision}`));
      assert.ok(!(await conditions(dev)).some((c) => c.startsWith("jsonpath={.status.sync.revision}")));
      assert.ok(
        (await conditions(dev)).includes("jsonpath={.status.sync.comparedTo.source.targetRevision}=master"),
      );
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
  const names = (nodes: Iterable<Node>) => [...nodes].map((n) => n.name).sort();
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
  async function assertAdoptsV01(run: Run): Promise<void> {
    const adopted = await adoption(run);
    for (const old of V01.filter((r) => r.identity !== undefined)) {
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

  const names = (nodes: Iterable<Node>) => [...nodes].map((n) => n.name).sort();

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
      // the Secret changes too, and it is billing's.
      assert.deepStrictEqual(
        changed.map(([urn]) => urn.split("::").pop()),
        ["billing-db-password"],
      );
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
      assert.ok("pulumi.com/waitFor" in annotations, `${app} keeps its wait`);
    }
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
