import * as assert from "assert";
import { isSecret, resolve, useMocks } from "./support/mocks";
import * as pulumi from "@pulumi/pulumi";
import {
  isEncrypted,
  loadStackConfig,
  parseStackConfig,
  RawConfig,
  StackConfigError,
} from "../stacks/config";
import { CONFIG_KEYS, DEFAULTS, DERIVED_KEYS, KEY_SPECS, PROJECT, SECRET_KEYS } from "../stacks/defaults";
import {
  committedStacks,
  effectiveStackConfig,
  readProjectFile,
  readStackConfig,
  readStackFile,
  stackRun,
  TEMPLATE_STACKS,
} from "./support/stack-files";
import { configProblems } from "./support/config-problems";

const REPO = "https://github.com/org/manifests";

/** Secrets given to these tests count as set with --secret, unless a test says otherwise. */
const ENCRYPTED = new Set<string>(SECRET_KEYS);
const problemsOf = (raw: RawConfig, stack = "dev") => configProblems(raw, stack, ENCRYPTED);

describe("stack config", () => {
  describe("defaults", () => {
    it("fills every optional key with the documented default", () => {
      const c = parseStackConfig({ repoURL: REPO }, "dev");
      assert.strictEqual(c.applications.length, 1);
      const [app] = c.applications;
      assert.deepStrictEqual(app.source, { repoURL: REPO, targetRevision: "HEAD", path: "manifests" });
      assert.deepStrictEqual(
        { name: app.name, namespace: app.namespace, sync: app.sync, cascadeDelete: app.cascadeDelete },
        {
          name: "myapp",
          namespace: "myapp",
          sync: { automated: true, prune: true, selfHeal: true },
          cascadeDelete: true,
        },
      );
      assert.deepStrictEqual(app.wait, { enabled: true, timeoutSeconds: 1200 });
      assert.strictEqual(app.keepsV01Urns, true);
      assert.deepStrictEqual(c.argocd, {
        namespace: "argocd",
        chartVersion: "10.1.1",
        chartRepository: "https://argoproj.github.io/argo-helm",
        adminEnabled: true,
        values: { values: {}, secret: false },
      });
      assert.deepStrictEqual(
        { ...c.atlas },
        {
          namespace: "atlas-operator",
          chartVersion: "0.7.37",
          chartRepository: "oci://ghcr.io/ariga/charts",
          prewarmDevDB: true,
          clusterWide: false,
          token: undefined,
          values: { values: {}, secret: false },
        },
      );
      assert.deepStrictEqual(app.database, {
        engine: "mysql",
        host: "mysql",
        port: 3306,
        name: "example",
        user: "root",
        secretName: "db-credentials",
        passwordRotation: 0,
      });
      assert.strictEqual(c.repoCredentialTemplate, undefined);
      assert.strictEqual(c.protectResources, false);
    });

    it("declares every key but the optional secrets and derived keys in Pulumi.yaml, with type, description and default", () => {
      const declared = readProjectFile().config;
      const declarable = CONFIG_KEYS.filter((k) => !SECRET_KEYS.includes(k) && !DERIVED_KEYS.includes(k));
      assert.deepStrictEqual(Object.keys(declared).sort(), [...declarable].sort());
      for (const key of declarable) {
        const spec = declared[key];
        assert.ok(spec.type && spec.description, `Pulumi.yaml: '${key}' needs a type and a description`);
        const expected = KEY_SPECS[key].default;
        const declaredDefault =
          spec.default === undefined
            ? undefined
            : typeof spec.default === "object"
              ? JSON.stringify(spec.default)
              : String(spec.default);
        assert.strictEqual(declaredDefault, expected, `Pulumi.yaml default of '${key}'`);
        assert.notStrictEqual(spec.secret, true, `Pulumi.yaml: '${key}' must not be declared secret`);
      }
    });

    it("declares applications as a list of objects, so the CLI checks its shape", () => {
      const spec = readProjectFile().config.applications as { type?: string; items?: { type?: string } };
      assert.deepStrictEqual([spec.type, spec.items?.type], ["array", "object"]);
    });

    it("gives a project default for every key but repoURL, the optional secrets and the derived keys", () => {
      assert.deepStrictEqual(
        CONFIG_KEYS.filter((k) => !(k in DEFAULTS)).sort(),
        ["repoURL", ...SECRET_KEYS, ...DERIVED_KEYS].sort(),
      );
      // A default would make them always set, as the CLI hands defaults to the program: dbEngine decides the
      // first two; a spoke's clusterName is the stack name, its clusterServer the spoke kubeconfig's.
      assert.deepStrictEqual(DERIVED_KEYS, ["clusterName", "clusterServer", "dbHost", "dbPort"]);
    });
  });

  // The committed stack files are the user's: only what must hold for any stack is required of them.
  describe("every committed stack file", () => {
    for (const stack of committedStacks()) {
      it(`Pulumi.${stack}.yaml: sets only keys the program knows, and the program accepts it`, () => {
        for (const key of Object.keys(readStackFile(stack, "committed")))
          assert.ok(CONFIG_KEYS.includes(key as never), `Pulumi.${stack}.yaml: unknown key '${key}'`);
        const run = stackRun(stack, (f) => f, "committed");
        assert.doesNotThrow(() => parseStackConfig(run.config, stack, new Set(run.secretKeys)));
      });

      it(`Pulumi.${stack}.yaml: holds every credential encrypted, never in plain text`, () => {
        const file = readStackConfig(stack, "committed");
        for (const key of SECRET_KEYS) {
          const value = file.values.get(`${PROJECT}:${key}`);
          if (value !== undefined)
            assert.strictEqual(value.kind, "secure", `Pulumi.${stack}.yaml: '${key}' in plain text`);
        }
      });
    }
  });

  describe("the template's stack files (test/fixtures/stacks)", () => {
    it("sets only keys that differ from the defaults", () => {
      for (const stack of TEMPLATE_STACKS) {
        for (const [key, value] of Object.entries(readStackFile(stack))) {
          assert.ok(CONFIG_KEYS.includes(key as never), `Pulumi.${stack}.yaml: unknown key '${key}'`);
          assert.notStrictEqual(
            value,
            DEFAULTS[key as keyof typeof DEFAULTS],
            `${stack}: '${key}' repeats the default`,
          );
        }
      }
    });

    it("points dev at the public demo repository's moving branch", () => {
      const c = parseStackConfig(effectiveStackConfig("dev"), "dev");
      assert.deepStrictEqual(
        c.applications.map((a) => a.source),
        [
          {
            repoURL: "https://github.com/rotemtam/atlas-argocd-demo",
            targetRevision: "master",
            path: "manifests",
          },
        ],
      );
      assert.strictEqual(c.protectResources, false);
      assert.strictEqual(c.applications[0].cascadeDelete, true);
    });

    it("pins prod to a full commit, keeps its database on Application delete and protects its resources", () => {
      const c = parseStackConfig(effectiveStackConfig("prod"), "prod");
      assert.strictEqual(c.applications.length, 1);
      assert.match(c.applications[0].source.targetRevision, /^[0-9a-f]{40}$/);
      assert.strictEqual(c.applications[0].cascadeDelete, false);
      assert.strictEqual(c.protectResources, true);
    });
  });

  describe("reading from the Pulumi runtime", () => {
    after(() => useMocks());

    it("reads the stack's config through pulumi.Config and wraps secrets", async () => {
      // useMocks hands the secret keys to runtime.setAllConfig, as the CLI does through PULUMI_CONFIG_SECRET_KEYS.
      useMocks("staging", { repoURL: REPO, dbPort: "3307", atlasToken: "tok-123" }, ["atlasToken"]);
      const c = loadStackConfig();
      assert.strictEqual(c.stack, "staging");
      assert.strictEqual(c.applications[0].database.port, 3307);
      assert.ok(c.atlas.token, "expected the Atlas token to be read");
      assert.strictEqual(await resolve(c.atlas.token), "tok-123");
      assert.strictEqual(await isSecret(c.atlas.token), true);
    });

    it("rejects a credential the stack holds in plaintext, naming the key and the --secret command", () => {
      useMocks("dev", { repoURL: REPO, atlasToken: "tok-plain" });
      assert.throws(
        () => loadStackConfig(),
        (e: unknown) =>
          e instanceof StackConfigError &&
          e.problems.length === 1 &&
          e.problems[0].startsWith(
            "Config 'atlas-gitops:atlasToken' is set in plaintext — a credential must be encrypted, since " +
              "Pulumi.dev.yaml is usually committed",
          ) &&
          e.problems[0].endsWith("set it with: pulumi config set --secret --stack dev atlasToken <token>") &&
          !e.message.includes("tok-plain"),
      );
    });

    it("learns which keys the CLI decrypted from the SDK's runtime.isConfigSecret", () => {
      // sdk/nodejs/runtime/config.ts `isConfigSecret` reads PULUMI_CONFIG_SECRET_KEYS, which the Node language
      // host sets from the stack's secure keys; it is exported at run time but not in the typings.
      const runtime = pulumi.runtime as unknown as Record<string, unknown>;
      assert.strictEqual(typeof runtime.isConfigSecret, "function");
      useMocks("dev", { repoURL: REPO, atlasToken: "t" }, ["atlasToken"]);
      assert.deepStrictEqual([isEncrypted("atlasToken"), isEncrypted("repoURL")], [true, false]);
    });

    it("treats an empty secret as unset", () => {
      useMocks("dev", { repoURL: REPO, atlasToken: "", repoToken: "", repoSshPrivateKey: "" });
      const c = loadStackConfig();
      assert.strictEqual(c.atlas.token, undefined);
      assert.strictEqual(c.repoCredentialTemplate, undefined);
    });

    it("fails before any resource exists when repoURL is missing", () => {
      useMocks("dev", {});
      assert.throws(() => loadStackConfig(), /Config 'atlas-gitops:repoURL' is not set/);
    });
  });

  describe("bad input", () => {
    const cases: { name: string; raw: RawConfig; message: string }[] = [
      {
        name: "rejects a missing repoURL",
        raw: {},
        message:
          "Config 'atlas-gitops:repoURL' is not set — the stack needs the manifests repository Argo CD tracks. " +
          "Set it with: pulumi config set --stack dev repoURL https://github.com/org/manifests",
      },
      {
        name: "rejects a repoURL that is not a URL",
        raw: { repoURL: "github.com/org/manifests" },
        message: "Config 'atlas-gitops:repoURL' is 'github.com/org/manifests' — expected an https://",
      },
      {
        name: "rejects an empty targetRevision",
        raw: { repoURL: REPO, targetRevision: "" },
        message:
          "Config 'atlas-gitops:targetRevision' is '' — expected a branch, tag or commit (HEAD tracks the default " +
          "branch). Set it with: pulumi config set --stack dev targetRevision main",
      },
      {
        name: "rejects an absolute path",
        raw: { repoURL: REPO, path: "/manifests" },
        message:
          "Config 'atlas-gitops:path' is '/manifests' — expected a path relative to the repository root that stays " +
          "inside it (no leading / or ..). Set it with: pulumi config set --stack dev path manifests",
      },
      {
        name: "rejects a path that climbs out with ..",
        raw: { repoURL: REPO, path: "overlays/../../etc" },
        message: "Config 'atlas-gitops:path' is 'overlays/../../etc' — expected a path relative",
      },
      {
        name: "rejects a namespace that is not a Kubernetes name",
        raw: { repoURL: REPO, appNamespace: "My_App" },
        message:
          "Config 'atlas-gitops:appNamespace' is 'My_App' — expected a Kubernetes name: lowercase letters, digits " +
          "and '-', at most 63 characters. Set it with: pulumi config set --stack dev appNamespace myapp",
      },
      {
        name: "rejects a namespace longer than 63 characters",
        raw: { repoURL: REPO, argocdNamespace: "a".repeat(64) },
        message: `Config 'atlas-gitops:argocdNamespace' is '${"a".repeat(64)}' — expected a Kubernetes name`,
      },
      {
        name: "rejects a Secret name that is not a Kubernetes name",
        raw: { repoURL: REPO, dbSecretName: "DB credentials" },
        message:
          "Config 'atlas-gitops:dbSecretName' is 'DB credentials' — expected a Kubernetes object name: lowercase " +
          "letters, digits, '-' and '.', at most 253 characters. Set it with: pulumi config set --stack dev " +
          "dbSecretName db-credentials",
      },
      {
        name: "rejects port 0",
        raw: { repoURL: REPO, dbPort: "0" },
        message:
          "Config 'atlas-gitops:dbPort' is '0' — expected a port number from 1 to 65535. Set it with: pulumi " +
          "config set --stack dev dbPort 3306",
      },
      {
        name: "rejects a port above 65535",
        raw: { repoURL: REPO, dbPort: "65536" },
        message: "Config 'atlas-gitops:dbPort' is '65536' — expected a port number from 1 to 65535",
      },
      {
        name: "rejects a port that is not a number",
        raw: { repoURL: REPO, dbPort: "mysql" },
        message: "Config 'atlas-gitops:dbPort' is 'mysql' — expected a port number from 1 to 65535",
      },
      {
        name: "rejects an unknown engine",
        raw: { repoURL: REPO, dbEngine: "oracle" },
        message:
          "Config 'atlas-gitops:dbEngine' is 'oracle' — expected one of mysql, postgres. Set it with: pulumi " +
          "config set --stack dev dbEngine postgres",
      },
      {
        name: "rejects a chart version range",
        raw: { repoURL: REPO, argocdChartVersion: "^10.1.1" },
        message:
          "Config 'atlas-gitops:argocdChartVersion' is '^10.1.1' — expected an exact chart version such as " +
          "1.2.3 (no ranges, no 'latest'). Set it with: pulumi config set --stack dev argocdChartVersion 10.1.1",
      },
      {
        name: "rejects 'latest' as a chart version",
        raw: { repoURL: REPO, atlasOperatorChartVersion: "latest" },
        message:
          "Config 'atlas-gitops:atlasOperatorChartVersion' is 'latest' — expected an exact chart version",
      },
      {
        name: "rejects a chart version without a patch number",
        raw: { repoURL: REPO, atlasOperatorChartVersion: "0.7" },
        message: "Config 'atlas-gitops:atlasOperatorChartVersion' is '0.7' — expected an exact chart version",
      },
      {
        name: "rejects a boolean that is not true or false",
        raw: { repoURL: REPO, syncPrune: "yes" },
        message:
          "Config 'atlas-gitops:syncPrune' is 'yes' — expected true or false. Set it with: pulumi config set " +
          "--stack dev syncPrune true",
      },
      {
        name: "rejects an application namespace the cluster owns",
        raw: { repoURL: REPO, appNamespace: "kube-system" },
        message:
          "Config 'atlas-gitops:appNamespace' is 'kube-system' — expected a namespace of the application's own",
      },
      {
        name: "rejects an application namespace shared with Argo CD",
        raw: { repoURL: REPO, appNamespace: "argocd" },
        message:
          "Config 'atlas-gitops:appNamespace' is 'argocd' — expected a namespace of its own, but " +
          "'atlas-gitops:argocdNamespace' uses it too. Set it with: pulumi config set --stack dev appNamespace myapp",
      },
      {
        name: "rejects the operator sharing Argo CD's namespace",
        raw: { repoURL: REPO, atlasOperatorNamespace: "argocd" },
        message:
          "Config 'atlas-gitops:atlasOperatorNamespace' is 'argocd' — expected a namespace of its own, but " +
          "'atlas-gitops:argocdNamespace' uses it too",
      },
      {
        name: "rejects a wait shorter than 30 seconds",
        raw: { repoURL: REPO, waitTimeout: "10" },
        message:
          "Config 'atlas-gitops:waitTimeout' is '10' — expected a number of seconds from 30 to 86400. Set it " +
          "with: pulumi config set --stack dev waitTimeout 1800",
      },
      {
        name: "rejects a waitForSync that is not true or false",
        raw: { repoURL: REPO, waitForSync: "always" },
        message: "Config 'atlas-gitops:waitForSync' is 'always' — expected true or false",
      },
      {
        name: "rejects a negative password rotation",
        raw: { repoURL: REPO, dbPasswordRotation: "-1" },
        message: "Config 'atlas-gitops:dbPasswordRotation' is '-1' — expected a whole number",
      },
      {
        name: "rejects postgres on MySQL's port",
        raw: { repoURL: REPO, dbEngine: "postgres", dbPort: "3306" },
        message:
          "Config 'atlas-gitops:dbPort' is '3306' — expected PostgreSQL's port (usually 5432) with dbEngine " +
          "postgres; 3306 is the other engine's. Leave dbPort unset to take the engine's. Set it with: pulumi " +
          "config set --stack dev dbPort 5432",
      },
      {
        name: "rejects a repository username without a token",
        raw: { repoURL: REPO, repoUsername: "git" },
        message:
          "Config 'atlas-gitops:repoToken' is not set, but 'atlas-gitops:repoUsername' is 'git' — an HTTPS " +
          "login needs both. Set it with: pulumi config set --secret --stack dev repoToken <token>",
      },
    ];

    for (const c of cases) {
      it(c.name, () => {
        const problems = problemsOf(c.raw);
        assert.ok(
          problems.some((p) => p.startsWith(c.message)),
          `expected a problem starting with:\n  ${c.message}\ngot:\n  ${problems.join("\n  ")}`,
        );
      });
    }

    it("reports every problem at once", () => {
      const problems = problemsOf({ repoURL: "nope", dbPort: "0", dbEngine: "oracle", path: "/x" });
      assert.deepStrictEqual(problems.map((p) => p.split("'")[1]).sort(), [
        "atlas-gitops:dbEngine",
        "atlas-gitops:dbPort",
        "atlas-gitops:path",
        "atlas-gitops:repoURL",
      ]);
    });

    it("names a bad secret without showing its value", () => {
      const token = "ghp_not-a-real-token-but-secret";
      const problems = problemsOf({
        repoURL: "git@github.com:org/manifests.git",
        repoUsername: "git",
        repoToken: token,
      });
      assert.strictEqual(
        problems[0],
        "Config 'atlas-gitops:repoToken' is set — expected an https:// repoURL for a username and token. Set it " +
          "with: pulumi config set --secret --stack dev repoToken <token>",
      );
      assert.ok(!problems.join("").includes(token));
    });

    it("rejects an SSH key for an https repoURL without showing the key", () => {
      const problems = problemsOf({
        repoURL: REPO,
        repoSshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----",
      });
      assert.strictEqual(problems.length, 1);
      assert.match(problems[0], /^Config 'atlas-gitops:repoSshPrivateKey' is set — expected an ssh:\/\//);
      assert.ok(!problems[0].includes("BEGIN"));
    });

    it("rejects both an SSH key and an HTTPS token", () => {
      const problems = problemsOf({
        repoURL: REPO,
        repoUsername: "u",
        repoToken: "t",
        repoSshPrivateKey: "k",
      });
      assert.match(
        problems[0],
        /^Config 'atlas-gitops:repoSshPrivateKey' is set — expected either an SSH key or/,
      );
    });

    it("rejects a misspelt key, which the CLI lets through because Pulumi.yaml does not declare it", () => {
      assert.deepStrictEqual(problemsOf({ repoURL: REPO, repoUrl: REPO }), [
        "Config 'atlas-gitops:repoUrl' is set — expected one of this project's keys (Pulumi.yaml lists them); " +
          "did you mean 'repoURL'? Remove it with: pulumi config rm --stack dev repoUrl",
      ]);
    });

    it("names the stack in the command that fixes it", () => {
      assert.match(problemsOf({}, "prod")[0], /pulumi config set --stack prod repoURL /);
    });
  });

  describe("accepted input", () => {
    for (const url of [
      "https://github.com/org/manifests",
      "https://gitlab.example.com/group/sub/manifests.git",
      "ssh://git@github.com/org/manifests.git",
      "git@github.com:org/manifests.git",
      "git://example.com/manifests",
      "http://gitea-http.gitea.svc:3000/org/manifests.git",
    ]) {
      it(`accepts the repoURL ${url}`, () => {
        // Over SSH Argo CD needs a key, even for a public repository.
        const key = /^(ssh:|[\w.-]+@)/.test(url) ? { repoSshPrivateKey: "KEY" } : {};
        const c = parseStackConfig({ repoURL: url, ...key }, "dev", ENCRYPTED);
        assert.strictEqual(c.applications[0].source.repoURL, url);
      });
    }

    it("reads HTTPS repository credentials as username plus a secret token", async () => {
      const c = parseStackConfig(
        { repoURL: REPO, repoUsername: "bot", repoToken: "t0ken" },
        "dev",
        ENCRYPTED,
      );
      const credentials = c.repoCredentialTemplate?.credentials;
      assert.ok(credentials?.kind === "https");
      assert.strictEqual(credentials.username, "bot");
      assert.strictEqual(await resolve(credentials.token), "t0ken");
      assert.strictEqual(await isSecret(credentials.token), true);
    });

    it("reads an SSH key for an scp-style repoURL", async () => {
      const c = parseStackConfig(
        { repoURL: "git@github.com:org/m.git", repoSshPrivateKey: "KEY" },
        "dev",
        ENCRYPTED,
      );
      const credentials = c.repoCredentialTemplate?.credentials;
      assert.ok(credentials?.kind === "ssh");
      assert.strictEqual(await isSecret(credentials.sshPrivateKey), true);
      assert.strictEqual(c.repoCredentialTemplate?.urlPrefix, "git@github.com:org/");
    });

    it("accepts postgres on its own port", () => {
      const c = parseStackConfig(
        { repoURL: REPO, dbEngine: "postgres", dbPort: "5432", dbHost: "postgres" },
        "dev",
      );
      assert.strictEqual(c.applications[0].database.engine, "postgres");
      assert.strictEqual(c.applications[0].database.port, 5432);
    });

    it("accepts '.' as the repository root", () => {
      assert.strictEqual(
        parseStackConfig({ repoURL: REPO, path: "." }, "dev").applications[0].source.path,
        ".",
      );
    });
  });
});
