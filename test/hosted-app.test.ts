import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
  find,
  isSecret,
  MOCK_PASSWORD,
  optionsRecorder,
  registered,
  resolve,
  TYPES,
  useMocks,
} from "./support/mocks";
import { parseStackConfig } from "../stacks/config";
import { applicationManifest, appProjectManifest } from "../components/application";
import { HostedApp } from "../components/hosted-app";
import type { ApplicationWaiter } from "../components/application-wait";
import type { PasswordCheck, PasswordGuard } from "../components/password-guard";
import type { WaitTarget } from "../components/sync-wait";

const REPO = "https://github.com/org/manifests";

/** Applications as the stack config reader builds them. */
function appsOf(items: unknown[], stackKeys: Record<string, string> = {}) {
  return parseStackConfig({ repoURL: REPO, ...stackKeys, applications: JSON.stringify(items) }, "test")
    .applications;
}

/** A waiter that records what it was asked to wait for, and when. */
function recordingWaiter() {
  const targets: WaitTarget[] = [];
  const waiter: ApplicationWaiter = { wait: async (target) => void targets.push(target) };
  return { waiter, targets };
}

/** Lets every registration and apply started so far run. */
async function settle() {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** A stand-in for Argo CD and the operator, to see what waits for them. */
class Platform extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:platform:Stub", name);
    this.registerOutputs({});
  }
}

describe("HostedApp", () => {
  describe("a PostgreSQL application from a private repository", () => {
    const recorder = optionsRecorder();
    const [parsed] = appsOf(
      [{ name: "ledger", dbEngine: "postgres", dbName: "ledger", dbUser: "ledger", path: "ledger/dev" }],
      { targetRevision: "v1.4.0", waitTimeout: "900" },
    );
    // Credentials of its own, as `applications[0].repoToken` set with --path --secret gives them.
    const app = {
      ...parsed,
      repoAccess: {
        from: "own",
        credentials: { kind: "https", username: "bot", token: pulumi.secret("ghp_x") },
      },
    } as const;
    const platform = new Platform("hosted-platform");
    const waits = recordingWaiter();
    let hosted: HostedApp;
    before(() => {
      hosted = new HostedApp(
        "ledger",
        {
          app,
          argocdNamespace: "argocd",
          platform: [platform],
          waiter: waits.waiter,
          protect: true,
        },
        { transformations: [recorder.transformation] },
      );
    });

    it("creates its own namespace", async () => {
      assert.deepStrictEqual((await find(TYPES.namespace, "ledger-namespace")).inputs.metadata, {
        name: "ledger",
      });
    });

    it("generates its own password, with a rotation keeper", async () => {
      const password = await find(TYPES.password, "ledger-db-password");
      assert.deepStrictEqual(password.inputs, { length: 32, special: false, keepers: { rotation: "0" } });
    });

    it("stores the credentials in its namespace under the configured name, the URL for its engine", async () => {
      const secret = await find(TYPES.secret, "ledger-db-secret");
      assert.deepStrictEqual(secret.inputs.metadata, {
        name: "db-credentials",
        namespace: "ledger",
        annotations: { "atlas-gitops.io/password-rotation": "0" },
      });
      assert.deepStrictEqual(secret.inputs.stringData, {
        username: "ledger",
        password: MOCK_PASSWORD,
        host: "postgres",
        port: "5432",
        database: "ledger",
        url: `postgres://ledger:${MOCK_PASSWORD}@postgres:5432/ledger?sslmode=disable`,
      });
      assert.strictEqual(await isSecret(hosted.secret.stringData), true);
    });

    it("registers its AppProject and Application with the rendered specs", async () => {
      const settings = {
        name: "ledger",
        argocdNamespace: "argocd",
        namespace: "ledger",
        source: { repoURL: REPO, targetRevision: "v1.4.0", path: "ledger/dev" },
      };
      assert.deepStrictEqual(
        (await find(TYPES.appProject, "ledger-project")).inputs.spec,
        appProjectManifest(settings).spec,
      );
      const application = await find(TYPES.application, "ledger-application");
      assert.deepStrictEqual(application.inputs.spec, applicationManifest(settings).spec);
    });

    it("makes pulumi up wait, once the Application exists, for its source, for as long as the config says", async () => {
      await resolve(hosted.applicationName);
      await settle();
      assert.strictEqual(waits.targets.length, 1);
      const { stack, ...target } = waits.targets[0];
      assert.strictEqual(typeof stack, "string");
      assert.deepStrictEqual(target, {
        namespace: "argocd",
        name: "ledger",
        source: { repoURL: REPO, targetRevision: "v1.4.0", path: "ledger/dev" },
        destination: { server: "https://kubernetes.default.svc", namespace: "ledger" },
        timeoutSeconds: 900,
        timeoutKey: "waitTimeout",
      });
    });

    it("leaves the Application without wait annotations, with only the delete timeout", async () => {
      const application = await find(TYPES.application, "ledger-application");
      assert.strictEqual(application.inputs.metadata.annotations, undefined);
      assert.deepStrictEqual(recorder.options.get("ledger-application")?.customTimeouts, { delete: "20m" });
    });

    it("creates a repository Secret for its project in Argo CD's namespace, its data secret", async () => {
      const secret = await find(TYPES.secret, "ledger-repository");
      assert.deepStrictEqual(secret.inputs.metadata, {
        name: "ledger-repository",
        namespace: "argocd",
        labels: { "argocd.argoproj.io/secret-type": "repository" },
      });
      assert.deepStrictEqual(secret.inputs.stringData, {
        type: "git",
        url: REPO,
        project: "ledger",
        username: "bot",
        password: "ghp_x",
      });
    });

    it("creates the namespace and credentials at once, and the Argo CD objects only after the platform", () => {
      const deps = (name: string) => (recorder.options.get(name)?.dependsOn ?? []) as pulumi.Resource[];
      assert.ok(!deps("ledger-namespace").includes(platform));
      assert.ok(!deps("ledger-db-password").includes(platform));
      assert.ok(!deps("ledger-db-secret").includes(platform));
      for (const name of ["ledger-project", "ledger-repository", "ledger-application"]) {
        assert.ok(deps(name).includes(platform), `${name} waits for the platform`);
      }
      // The password check, then platform, project, credentials, repository.
      assert.strictEqual(
        deps("ledger-application").length,
        5,
        "check, platform, project, credentials, repository",
      );
      assert.ok(pulumi.Output.isInstance(deps("ledger-application")[0]), "the password check comes first");
      assert.ok(deps("ledger-application").includes(hosted.secret));
    });

    it("protects the namespace, the password and the credentials Secret", () => {
      for (const name of ["ledger-namespace", "ledger-db-password", "ledger-db-secret"]) {
        assert.strictEqual(recorder.options.get(name)?.protect, true, name);
      }
    });

    it("ignores every input of the password but its rotation keeper, and the keeper too at rotation 0", () => {
      assert.deepStrictEqual(recorder.options.get("ledger-db-password")?.ignoreChanges, [
        "length",
        "lower",
        "minLower",
        "minNumeric",
        "minSpecial",
        "minUpper",
        "number",
        "numeric",
        "overrideSpecial",
        "special",
        "upper",
        "keepers",
      ]);
    });

    it("carries no v0.1 aliases, since it is not the application v0.1 described", () => {
      for (const name of ["ledger-namespace", "ledger-db-secret", "ledger-application"]) {
        assert.strictEqual(recorder.options.get(name)?.aliases, undefined, name);
      }
    });
  });

  describe("an application synced by hand, from a public repository", () => {
    const recorder = optionsRecorder();
    const [app] = appsOf([{ name: "handsync" }], { syncAutomated: "false" });
    const waits = recordingWaiter();
    let hosted: HostedApp;
    before(() => {
      hosted = new HostedApp(
        "handsync",
        { app, argocdNamespace: "argocd", waiter: waits.waiter },
        { transformations: [recorder.transformation] },
      );
    });

    it("waits for nothing, since Argo CD will not sync until a person does", async () => {
      await resolve(hosted.applicationName);
      await settle();
      assert.deepStrictEqual(waits.targets, []);
      const application = await find(TYPES.application, "handsync-application");
      assert.strictEqual(application.inputs.metadata.annotations, undefined);
      assert.deepStrictEqual(recorder.options.get("handsync-application")?.customTimeouts, { delete: "20m" });
    });

    it("creates no repository Secret", async () => {
      const names = (await registered()).map((r) => r.name);
      assert.ok(names.includes("handsync-application"));
      assert.ok(!names.includes("handsync-repository"));
    });
  });

  describe("an application under the stack's credential template", () => {
    const recorder = optionsRecorder();
    const [app] = appsOf([{ name: "templated" }]);
    const template = new Platform("templated-credentials");
    before(() => {
      new HostedApp(
        "templated",
        {
          app: { ...app, repoAccess: { from: "template" } },
          argocdNamespace: "argocd",
          credentialTemplate: template,
        },
        { transformations: [recorder.transformation] },
      );
    });

    it("declares its repository for its project with no credentials, so Argo CD takes the template's", async () => {
      const secret = await find(TYPES.secret, "templated-repository");
      assert.deepStrictEqual(secret.inputs.stringData, { type: "git", url: REPO, project: "templated" });
    });

    it("creates its repository Secret after the template", () => {
      assert.ok(
        (recorder.options.get("templated-repository")?.dependsOn as pulumi.Resource[]).includes(template),
      );
    });
  });
  describe("with the password guard, in `pulumi up`", () => {
    const recorder = optionsRecorder();
    const [app] = appsOf([{ name: "guarded", dbPasswordRotation: "2" }]);
    const checks: { change: PasswordCheck; password: string }[] = [];
    let release: () => void = () => undefined;
    const guard: PasswordGuard = {
      check: (change, password) => {
        checks.push({ change, password });
        return new Promise((done) => (release = done));
      },
    };
    before(() => {
      new HostedApp(
        "guarded",
        {
          app,
          argocdNamespace: "argocd",
          passwordGuard: guard,
          rotationKey: "applications[3].dbPasswordRotation",
        },
        { transformations: [recorder.transformation] },
      );
    });

    it("asks the guard about the password it is about to write, naming the Secret, the rotation and its key", async () => {
      await settle();
      assert.equal(checks.length, 1);
      const { change, password } = checks[0];
      assert.equal(password, MOCK_PASSWORD);
      assert.deepStrictEqual(
        { ...change, passwordUrn: undefined, parentUrn: undefined },
        {
          app: "guarded",
          namespace: "guarded",
          secretName: "db-credentials",
          rotation: 2,
          rotationKey: "applications[3].dbPasswordRotation",
          stack: "test",
          passwordName: "guarded-db-password",
          passwordUrn: undefined,
          parentUrn: undefined,
        },
      );
      assert.match(change.passwordUrn, /random:index\/randomPassword:RandomPassword::guarded-db-password$/);
      assert.equal(
        change.parentUrn,
        change.passwordUrn.replace(/\$random:[^:]+:[^:]+::guarded-db-password$/, "::guarded"),
      );
      assert.match(change.parentUrn, /atlas-gitops:hosted-app:HostedApp::guarded$/);
    });

    it("writes the Secret only once the guard has let the password through", async () => {
      const names = async () => (await registered()).map((r) => r.name);
      assert.ok(!(await names()).includes("guarded-db-secret"), "registered before the check ended");
      release();
      for (let i = 0; i < 50 && !(await names()).includes("guarded-db-secret"); i++) await settle();
      const secret = await find(TYPES.secret, "guarded-db-secret");
      assert.equal(secret.inputs.stringData.password, MOCK_PASSWORD);
      assert.deepStrictEqual(secret.inputs.metadata.annotations, {
        "atlas-gitops.io/password-rotation": "2",
      });
    });

    it("compares the rotation keeper at a rotation other than 0, and leaves the password unprotected here", () => {
      const options = recorder.options.get("guarded-db-password");
      assert.ok(!(options?.ignoreChanges ?? []).includes("keepers"));
      assert.ok((options?.ignoreChanges ?? []).includes("special"));
      assert.notStrictEqual(options?.protect, true);
    });
  });

  describe("with the password guard, in a preview", () => {
    const [app] = appsOf([{ name: "previewguard" }]);
    let asked = 0;
    before(() => {
      useMocks("test", {}, [], true);
      try {
        new HostedApp("previewguard", {
          app,
          argocdNamespace: "argocd",
          passwordGuard: { check: async () => void asked++ },
        });
      } finally {
        useMocks();
      }
    });

    it("asks nothing: a preview reads nothing from the cluster", async () => {
      await find(TYPES.secret, "previewguard-db-secret");
      assert.equal(asked, 0);
    });
  });

  describe("in a preview", () => {
    const [app] = appsOf([{ name: "previewed" }]);
    const waits = recordingWaiter();
    let hosted: HostedApp;
    before(() => {
      useMocks("test", {}, [], true);
      try {
        hosted = new HostedApp("previewed", { app, argocdNamespace: "argocd", waiter: waits.waiter });
      } finally {
        useMocks();
      }
    });

    it("waits for nothing and reads nothing from the cluster", async () => {
      await resolve(hosted.applicationName);
      await settle();
      assert.deepStrictEqual(waits.targets, []);
    });
  });
});
