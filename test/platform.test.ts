import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import { mark, optionsRecorder, Registration, registeredSince, TYPES } from "./support/mocks";
import { effectiveStackConfig } from "./support/stack-files";
import { parseStackConfig } from "../stacks/config";
import { AtlasGitOps } from "../components/platform";

/** Builds the whole platform from a committed stack file, recording registrations and resource options. */
async function evaluate(stack: string) {
  const recorder = optionsRecorder();
  const start = mark();
  const platform = new AtlasGitOps(
    `platform-${stack}`,
    parseStackConfig(effectiveStackConfig(stack), stack),
    {
      transformations: [recorder.transformation],
    },
  );
  const resources = await registeredSince(start);
  const one = (type: string, name: string): Registration => {
    const found = resources.filter((r) => r.type === type && r.name === name);
    assert.strictEqual(found.length, 1, `expected one ${type} '${name}'`);
    return found[0];
  };
  return { platform, resources, options: recorder.options, one };
}

describe("AtlasGitOps, evaluated from the committed stack files", () => {
  for (const stack of ["dev", "prod"]) {
    describe(stack, () => {
      let run: Awaited<ReturnType<typeof evaluate>>;
      before(async () => {
        run = await evaluate(stack);
      });

      it("installs both charts at their pinned versions", () => {
        const argo = run.one(TYPES.release, "argocd-release").inputs;
        assert.deepStrictEqual(
          [argo.chart, argo.version, argo.name, argo.namespace],
          ["argo-cd", "10.1.1", "argocd", "argocd"],
        );
        const atlas = run.one(TYPES.release, "atlas-operator-release").inputs;
        assert.deepStrictEqual(
          [atlas.chart, atlas.version, atlas.name, atlas.namespace],
          ["oci://ghcr.io/ariga/charts/atlas-operator", "0.7.37", "atlas-operator", "atlas-operator"],
        );
      });

      it("puts both Atlas health checks into argocd-cm", () => {
        const cm = run.one(TYPES.release, "argocd-release").inputs.values.configs.cm;
        assert.deepStrictEqual(Object.keys(cm).sort(), [
          "admin.enabled",
          "resource.customizations.health.db.atlasgo.io_AtlasMigration",
          "resource.customizations.health.db.atlasgo.io_AtlasSchema",
        ]);
        for (const [key, script] of Object.entries(cm)) {
          if (key.startsWith("resource.")) assert.match(script as string, /return/);
        }
      });

      it("never creates a ConfigMap named argocd-cm of its own", () => {
        assert.ok(!run.resources.some((r) => r.type === "kubernetes:core/v1:ConfigMap"));
      });

      it("stores the credentials in the application namespace under the configured name", () => {
        const secret = run.one(TYPES.secret, "db-credentials-secret").inputs;
        assert.deepStrictEqual(secret.metadata, { name: "db-credentials", namespace: "myapp" });
        assert.match(secret.stringData.url, /^mysql:\/\/root:[^@]+@mysql:3306\/example$/);
      });

      it("registers an Application and AppProject that pass Argo CD's CRD schemas", () => {
        const application = run.one(TYPES.application, "app-application").inputs;
        new Application(application as never).validate();
        assert.strictEqual(application.spec.source.repoURL, "https://github.com/rotemtam/atlas-argocd-demo");
        assert.strictEqual(application.spec.source.path, "manifests");
        assert.strictEqual(application.spec.project, "myapp");
        const project = run.one(TYPES.appProject, "app-project").inputs;
        new AppProject(project as never).validate();
        assert.deepStrictEqual(project.spec.sourceRepos, ["https://github.com/rotemtam/atlas-argocd-demo"]);
      });

      it("creates each layer after the one before it, and the Application last", () => {
        const { platform, options } = run;
        const deps = (name: string) => (options.get(name)?.dependsOn ?? []) as pulumi.Resource[];
        assert.deepStrictEqual(deps("atlas-operator"), [platform.argocd]);
        assert.deepStrictEqual(deps("db-credentials"), [platform.atlasOperator]);
        assert.deepStrictEqual(deps("app"), [platform.argocd, platform.atlasOperator, platform.credentials]);
      });

      it("creates no repository Secret for the public demo repository", () => {
        assert.ok(!run.resources.some((r) => r.name === "app-repository"));
      });
    });
  }

  describe("what differs between the stacks", () => {
    let dev: Awaited<ReturnType<typeof evaluate>>;
    let prod: Awaited<ReturnType<typeof evaluate>>;
    before(async () => {
      dev = await evaluate("dev");
      prod = await evaluate("prod");
    });

    const guarded = [
      "argocd-namespace",
      "argocd-release",
      "atlas-operator-namespace",
      "atlas-operator-release",
    ];
    const alsoGuarded = ["db-credentials-namespace", "db-credentials-secret"];

    it("protects prod's releases, namespaces and credentials Secret from pulumi destroy", () => {
      for (const name of [...guarded, ...alsoGuarded]) {
        assert.strictEqual(prod.options.get(name)?.protect, true, `prod ${name}`);
      }
    });

    it("leaves dev destroyable", () => {
      for (const name of [...guarded, ...alsoGuarded]) {
        assert.notStrictEqual(dev.options.get(name)?.protect, true, `dev ${name}`);
      }
    });

    it("tracks a moving branch in dev and a pinned commit in prod", () => {
      assert.strictEqual(
        dev.one(TYPES.application, "app-application").inputs.spec.source.targetRevision,
        "master",
      );
      assert.match(
        prod.one(TYPES.application, "app-application").inputs.spec.source.targetRevision,
        /^[0-9a-f]{40}$/,
      );
    });

    it("cascades Application deletion in dev only, so deleting prod's Application keeps its database", () => {
      assert.deepStrictEqual(dev.one(TYPES.application, "app-application").inputs.metadata.finalizers, [
        "resources-finalizer.argocd.argoproj.io",
      ]);
      assert.deepStrictEqual(prod.one(TYPES.application, "app-application").inputs.metadata.finalizers, []);
    });
  });
});
