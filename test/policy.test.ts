/**
 * The policy pack in policy/: every policy on registrations shaped like this program's (a passing and a failing
 * case each), the per-stack config files as the CLI reads them, and the committed stacks, evaluated under the
 * shared mocks, passing the pack at the levels their config files give.
 *
 * Policies run through @pulumi/policy 1.21.0's own analyze functions (node_modules/@pulumi/policy/server.js
 * makeAnalyzeRpcFun and makeAnalyzeStackRpcFun, the handlers the CLI calls over gRPC), fed protobuf requests
 * built like the engine builds them (pulumi/pulumi pkg/resource/plugin/analyzer_plugin.go Analyze and
 * AnalyzeStack: properties marshalled with KeepSecrets, options with Protect). So the tests see what the pack
 * sees in a real run: inputs for resource policies, outputs for stack policies, secrets as plain values.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import type { EnforcementLevel, Policies } from "@pulumi/policy";
import {
  isSecret,
  mark,
  MOCK_BCRYPT_HASH,
  MOCK_PASSWORD,
  Registration,
  registeredSince,
  resolve,
  useMocks,
} from "./support/mocks";
import { committedStacks, REPO_ROOT, StackFiles, stackRun } from "./support/stack-files";
import { parseStackConfig } from "../stacks/config";
import { AtlasGitOps } from "../components/platform";
import { ArgoCd, argoCdValues } from "../components/argocd";
import { CASCADE_FINALIZER as PROGRAM_CASCADE_FINALIZER } from "../components/application";
import { CREDENTIAL_KEYS } from "../components/database-credentials";
import {
  CASCADE_FINALIZER,
  CREDENTIALS_SIGNATURE,
  findGeneratedValues,
  PACK_NAME,
  POLICIES,
  SECRET_PLACES,
  TYPES,
} from "../policy/policies";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const structproto = require("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(value: Record<string, unknown>): unknown };
};

type Level = EnforcementLevel;
type Callback = (err: unknown, response?: analyzerproto.AnalyzeResponse) => void;
type Rpc = (call: { request: unknown }, callback: Callback) => Promise<void>;
/** The analyze handlers of @pulumi/policy's server (marked @internal, so not in its typings). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const server = require("@pulumi/policy/server") as {
  makeAnalyzeRpcFun(pack: string, version: string, level: Level, policies: Policies): Rpc;
  makeAnalyzeStackRpcFun(pack: string, version: string, level: Level, policies: Policies): Rpc;
};

/** A resource as the engine knows it: type, logical name, properties and the `protect` option. */
interface Resource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly protect?: boolean;
}

interface Violation {
  readonly policy: string;
  readonly level: Level;
  readonly message: string;
  readonly urn: string;
}

const LEVELS: Record<number, Level> = {
  [analyzerproto.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerproto.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzerproto.EnforcementLevel.DISABLED]: "disabled",
  [analyzerproto.EnforcementLevel.REMEDIATE]: "remediate",
};

const urnOf = (r: Resource) => `urn:pulumi:test::atlas-gitops::${r.type}::${r.name}`;
const struct = (props: Record<string, unknown>) =>
  structproto.Struct.fromJavaScript(JSON.parse(JSON.stringify(props)) as Record<string, unknown>);

function options(r: Resource): analyzerproto.AnalyzerResourceOptions {
  return new analyzerproto.AnalyzerResourceOptions().setProtect(r.protect === true);
}

function call(rpc: Rpc, request: unknown): Promise<Violation[]> {
  return new Promise((done, fail) => {
    void rpc({ request }, (err, response) => {
      if (err !== null && err !== undefined) return fail(err);
      done(
        response!.getDiagnosticsList().map((d) => ({
          policy: d.getPolicyname(),
          level: LEVELS[d.getEnforcementlevel()],
          message: d.getMessage(),
          urn: d.getUrn(),
        })),
      );
    });
  });
}

/**
 * Runs the pack on a stack as a preview does: each resource through the resource policies (its inputs), then
 * the whole stack through the stack policies (here the same properties stand in for the outputs, as a
 * CustomResource's or a Secret's outputs echo their inputs). `levels` are the effective levels per policy.
 */
async function analyze(
  resources: readonly Resource[],
  levels: ReadonlyMap<string, Level>,
): Promise<Violation[]> {
  // What the engine's Configure sends wins over the policy's own level (server.ts makeAnalyzeRpcFun); handing the
  // server the policies with their configured level is the same, since Configure lists every policy.
  const policies = POLICIES.map((p) => ({
    ...p,
    enforcementLevel: levels.get(p.name) ?? "advisory",
  })) as Policies;
  const violations: Violation[] = [];
  const resourceRpc = server.makeAnalyzeRpcFun(PACK_NAME, "0.1.0", "advisory", policies);
  for (const r of resources) {
    const request = new analyzerproto.AnalyzeRequest()
      .setType(r.type)
      .setName(r.name)
      .setUrn(urnOf(r))
      .setProperties(struct(r.props) as never)
      .setOptions(options(r));
    violations.push(...(await call(resourceRpc, request)));
  }
  const stack = new analyzerproto.AnalyzeStackRequest().setResourcesList(
    resources.map((r) =>
      new analyzerproto.AnalyzerResource()
        .setType(r.type)
        .setName(r.name)
        .setUrn(urnOf(r))
        .setProperties(struct(r.props) as never)
        .setOptions(options(r)),
    ),
  );
  violations.push(
    ...(await call(server.makeAnalyzeStackRpcFun(PACK_NAME, "0.1.0", "advisory", policies), stack)),
  );
  return violations;
}

const ALL_ADVISORY = new Map(POLICIES.map((p) => [p.name, "advisory" as Level]));
const VALID_LEVELS: Level[] = ["advisory", "mandatory", "remediate", "disabled"];

/**
 * The level of each policy for a `--policy-pack-config` file, as pulumi/pulumi computes it (pkg/resource/analyzer/
 * config.go): parsePolicyPackConfig reads each key as a level string or an object with `enforcementLevel`;
 * createConfigWithDefaults starts every policy at the level the pack reports for it (its own, else the pack's:
 * @pulumi/policy protoutil.ts makeAnalyzerInfo); applyConfig then applies "all" to every policy and after that
 * each policy's own key.
 */
function levelsFromConfig(file: string, packLevel: Level = "advisory"): Map<string, Level> {
  return levelsOf(
    JSON.parse(fs.readFileSync(path.join(REPO_ROOT, file), "utf8")) as Record<string, unknown>,
    file,
    packLevel,
  );
}

function levelsOf(
  config: Record<string, unknown>,
  file: string,
  packLevel: Level = "advisory",
): Map<string, Level> {
  const levelOf = (key: string, value: unknown): Level | undefined => {
    const level =
      typeof value === "string" ? value : (value as { enforcementLevel?: unknown })?.enforcementLevel;
    if (typeof value !== "string" && (typeof value !== "object" || value === null)) {
      throw new Error(`${file}: '${key}' must be a string or an object`);
    }
    if (level === undefined) return undefined;
    if (!VALID_LEVELS.includes(level as Level))
      throw new Error(`${file}: '${key}' has level '${String(level)}'`);
    return level as Level;
  };
  const levels = new Map(
    POLICIES.map((p) => [p.name, (p as { enforcementLevel?: Level }).enforcementLevel ?? packLevel]),
  );
  const all = levelOf("all", config.all);
  if (all !== undefined) for (const name of levels.keys()) levels.set(name, all);
  for (const [key, value] of Object.entries(config)) {
    const level = levelOf(key, value);
    if (key !== "all" && level !== undefined) levels.set(key, level);
  }
  return levels;
}

const only = (violations: Violation[], policy: string) => violations.filter((v) => v.policy === policy);

// Registrations shaped like the program's (components/application.ts, argocd.ts, atlas-operator.ts, hosted-app.ts).
const REPO = "https://github.com/org/manifests";
const COMMIT = "a9dd05e484cf276742a00173f4e3efa3f3601c76";

function application(
  over: { revision?: unknown; project?: unknown; finalizers?: string[]; repo?: string } = {},
) {
  return {
    type: TYPES.application,
    name: "shop-application",
    props: {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name: "shop", namespace: "argocd", finalizers: over.finalizers ?? [] },
      spec: {
        project: "project" in over ? over.project : "shop",
        source: {
          repoURL: over.repo ?? REPO,
          targetRevision: "revision" in over ? over.revision : COMMIT,
          path: ".",
        },
        destination: { server: "https://kubernetes.default.svc", namespace: "shop" },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"] },
      },
    },
  };
}

function appProject(over: { name?: string; repos?: unknown; destinations?: unknown } = {}) {
  return {
    type: TYPES.appProject,
    name: "shop-project",
    props: {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "AppProject",
      metadata: { name: over.name ?? "shop", namespace: "argocd" },
      spec: {
        sourceRepos: over.repos ?? [REPO],
        destinations: over.destinations ?? [{ server: "https://kubernetes.default.svc", namespace: "shop" }],
        clusterResourceWhitelist: [{ group: "", kind: "Namespace" }],
      },
    },
  };
}

const release = (version: unknown, protect = true): Resource => ({
  type: TYPES.release,
  name: "argocd-release",
  props: {
    name: "argocd",
    chart: "argo-cd",
    version,
    repositoryOpts: { repo: "https://argoproj.github.io/argo-helm" },
  },
  protect,
});
const namespace = (protect: boolean): Resource => ({
  type: TYPES.namespace,
  name: "shop-namespace",
  props: { metadata: { name: "shop" } },
  protect,
});
const credentials = (protect: boolean, password = "x"): Resource => ({
  type: TYPES.secret,
  name: "shop-db-secret",
  props: {
    metadata: { name: "db-credentials", namespace: "shop" },
    stringData: {
      username: "root",
      password,
      host: "mysql",
      port: "3306",
      database: "example",
      url: `mysql://root:${password}@mysql:3306/example`,
    },
  },
  protect,
});
const generated: Resource = {
  type: TYPES.password,
  name: "shop-db-password",
  props: { length: 32, special: false, result: MOCK_PASSWORD, bcryptHash: MOCK_BCRYPT_HASH },
};

describe("policy pack", () => {
  describe("its shape, as the Pulumi CLI and @pulumi/policy require it", () => {
    it("names the pack and its policies as @pulumi/policy's server accepts them", () => {
      // server.ts serve(): the pack name must match packNameRE, and no policy may be called "all".
      assert.match(PACK_NAME, /^[a-zA-Z0-9-_.]{1,100}$/);
      const names = POLICIES.map((p) => p.name);
      assert.strictEqual(new Set(names).size, names.length, "policy names are unique");
      assert.ok(!names.includes("all"));
    });

    it("has a PulumiPolicy.yaml with a nodejs runtime and a package.json with a version", () => {
      // pulumi/pulumi sdk/go/common/workspace/project.go PolicyPackProject.Validate: runtime is required.
      assert.match(
        fs.readFileSync(path.join(REPO_ROOT, "policy", "PulumiPolicy.yaml"), "utf8"),
        /^runtime: nodejs$/m,
      );
      // @pulumi/policy policy.ts PolicyPack reads `version` from package.json in the working directory.
      const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policy", "package.json"), "utf8"));
      assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
    });

    it("pins @pulumi/policy and @pulumi/pulumi to the versions the program uses, in its lock file too", () => {
      const root = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
      const pack = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policy", "package.json"), "utf8"));
      const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policy", "package-lock.json"), "utf8"));
      const rootVersions = { ...root.dependencies, ...root.devDependencies };
      for (const dep of Object.keys(pack.dependencies)) {
        assert.strictEqual(pack.dependencies[dep], rootVersions[dep], `policy/package.json ${dep}`);
        assert.strictEqual(
          lock.packages[`node_modules/${dep}`]?.version,
          pack.dependencies[dep],
          `lock ${dep}`,
        );
      }
      assert.deepStrictEqual(
        lock.packages[""].dependencies,
        pack.dependencies,
        "lock file is stale: npm install",
      );
    });

    it("shares the finalizer and the credentials keys with the program", () => {
      assert.strictEqual(CASCADE_FINALIZER, PROGRAM_CASCADE_FINALIZER);
      assert.deepStrictEqual([...CREDENTIALS_SIGNATURE].sort(), [...CREDENTIAL_KEYS].sort());
    });
  });

  describe("config files", () => {
    for (const stack of ["dev", "prod"]) {
      it(`policy/config/${stack}.json names only 'all' and policies of the pack`, () => {
        // The CLI keeps a key it does not know as config for a policy that never runs: a typo is silent.
        const config = JSON.parse(
          fs.readFileSync(path.join(REPO_ROOT, "policy", "config", `${stack}.json`), "utf8"),
        );
        const known = ["all", ...POLICIES.map((p) => p.name)];
        for (const key of Object.keys(config))
          assert.ok(known.includes(key), `${stack}.json: unknown key '${key}'`);
      });
    }

    it("makes every policy mandatory in prod", () => {
      const levels = levelsFromConfig("policy/config/prod.json");
      assert.deepStrictEqual([...new Set(levels.values())], ["mandatory"]);
    });

    it("keeps dev advisory, and skips the two rules dev breaks on purpose", () => {
      const levels = levelsFromConfig("policy/config/dev.json");
      assert.strictEqual(levels.get("application-keeps-workloads-on-delete"), "disabled");
      assert.strictEqual(levels.get("stateful-resources-protected"), "disabled");
      const rest = [...levels].filter(([, l]) => l !== "disabled").map(([, l]) => l);
      assert.deepStrictEqual([...new Set(rest)], ["advisory"]);
      assert.strictEqual(rest.length, POLICIES.length - 2);
    });

    it("reads 'all' before each policy's own key, as pulumi's applyConfig does", () => {
      // Keys in this order on purpose: the policy's own key comes first and still wins.
      const config = { "application-pinned-revision": { enforcementLevel: "advisory" }, all: "mandatory" };
      const levels = levelsOf(config, "example.json");
      assert.strictEqual(levels.get("application-pinned-revision"), "advisory");
      assert.strictEqual(levels.get("helm-release-exact-chart-version"), "mandatory");
    });
  });

  describe("application-pinned-revision", () => {
    const policy = "application-pinned-revision";
    for (const revision of [COMMIT, "v1.4.2", "1.4.2"]) {
      it(`accepts targetRevision ${revision}`, async () => {
        assert.deepStrictEqual(only(await analyze([application({ revision })], ALL_ADVISORY), policy), []);
      });
    }
    for (const revision of [
      "master",
      "HEAD",
      "a9dd05e",
      COMMIT.toUpperCase(),
      "v1.4",
      "v1.4.2-rc.1",
      "release-1.4.2",
    ]) {
      it(`rejects targetRevision ${revision}`, async () => {
        const found = only(await analyze([application({ revision })], ALL_ADVISORY), policy);
        assert.strictEqual(found.length, 1);
        assert.match(found[0].message, new RegExp(`targetRevision '${revision}' can move`));
      });
    }
    it("checks every source of a multi-source Application", async () => {
      const app = application();
      (app.props.spec as Record<string, unknown>).sources = [
        { repoURL: REPO, targetRevision: "main", path: "x" },
      ];
      assert.strictEqual(only(await analyze([app], ALL_ADVISORY), policy).length, 1);
    });
  });

  describe("helm-release-exact-chart-version", () => {
    const policy = "helm-release-exact-chart-version";
    for (const version of ["4.5.6", "0.1.2", "1.0.0-rc.1"]) {
      it(`accepts chart version ${version}`, async () => {
        assert.deepStrictEqual(only(await analyze([release(version)], ALL_ADVISORY), policy), []);
      });
    }
    for (const version of ["", "^4.5.6", "4.x", "~0.1", ">=4.0.0", "latest", undefined]) {
      it(`rejects chart version ${JSON.stringify(version)}`, async () => {
        const found = only(await analyze([release(version)], ALL_ADVISORY), policy);
        assert.strictEqual(found.length, 1);
        assert.match(found[0].message, /argo-cd: chart version .* is not an exact version/);
      });
    }
  });

  describe("appproject-own-repository-and-namespace", () => {
    const policy = "appproject-own-repository-and-namespace";
    it("accepts a project with one repository and one namespace", async () => {
      assert.deepStrictEqual(only(await analyze([appProject()], ALL_ADVISORY), policy), []);
    });
    const bad: [string, Parameters<typeof appProject>[0], RegExp][] = [
      ["named default", { name: "default" }, /never 'default'/],
      ["allowing every repository", { repos: ["*"] }, /exactly one repository/],
      [
        "allowing two repositories",
        { repos: [REPO, "https://github.com/org/other"] },
        /exactly one repository/,
      ],
      [
        "allowing every namespace",
        { destinations: [{ server: "https://kubernetes.default.svc", namespace: "*" }] },
        /one namespace/,
      ],
      [
        "allowing a namespace pattern",
        { destinations: [{ server: "https://kubernetes.default.svc", namespace: "shop-*" }] },
        /one namespace/,
      ],
      ["allowing every cluster", { destinations: [{ server: "*", namespace: "shop" }] }, /one namespace/],
      [
        "allowing two namespaces",
        {
          destinations: [
            { server: "https://kubernetes.default.svc", namespace: "a" },
            { server: "https://kubernetes.default.svc", namespace: "b" },
          ],
        },
        /one namespace/,
      ],
    ];
    for (const [what, over, message] of bad) {
      it(`rejects a project ${what}`, async () => {
        const found = only(await analyze([appProject(over)], ALL_ADVISORY), policy);
        assert.strictEqual(found.length, 1);
        assert.match(found[0].message, message);
      });
    }
  });

  describe("application-not-in-default-project", () => {
    const policy = "application-not-in-default-project";
    it("accepts an Application in its own project", async () => {
      assert.deepStrictEqual(only(await analyze([application()], ALL_ADVISORY), policy), []);
    });
    for (const project of ["default", ""]) {
      it(`rejects spec.project '${project}' (empty means default in Argo CD)`, async () => {
        assert.strictEqual(only(await analyze([application({ project })], ALL_ADVISORY), policy).length, 1);
      });
    }
  });

  describe("appproject-matches-application", () => {
    const policy = "appproject-matches-application";
    it("accepts a project that allows exactly the Application's repository and destination", async () => {
      assert.deepStrictEqual(only(await analyze([appProject(), application()], ALL_ADVISORY), policy), []);
    });
    it("reports an Application whose project allows another repository, on the Application", async () => {
      const app = application({ repo: "https://github.com/org/other" });
      const found = only(await analyze([appProject(), app], ALL_ADVISORY), policy);
      assert.strictEqual(found.length, 1);
      assert.match(found[0].message, /allows repositories \["https:\/\/github.com\/org\/manifests"\]/);
      assert.strictEqual(found[0].urn, urnOf(app));
    });
    it("reports an Application whose project allows another namespace", async () => {
      const project = appProject({
        destinations: [{ server: "https://kubernetes.default.svc", namespace: "billing" }],
      });
      assert.match(
        only(await analyze([project, application()], ALL_ADVISORY), policy)[0].message,
        /deploys to/,
      );
    });
    it("reports an Application whose project the stack lacks", async () => {
      const found = only(await analyze([application()], ALL_ADVISORY), policy);
      assert.match(found[0].message, /names project 'shop', which this stack lacks/);
    });
  });

  describe("application-keeps-workloads-on-delete", () => {
    const policy = "application-keeps-workloads-on-delete";
    it("accepts an Application without a cascade finalizer", async () => {
      assert.deepStrictEqual(
        only(await analyze([application({ finalizers: ["other/finalizer"] })], ALL_ADVISORY), policy),
        [],
      );
    });
    for (const finalizer of [
      CASCADE_FINALIZER,
      `${CASCADE_FINALIZER}/foreground`,
      `${CASCADE_FINALIZER}/background`,
    ]) {
      it(`rejects the finalizer ${finalizer}`, async () => {
        const found = only(await analyze([application({ finalizers: [finalizer] })], ALL_ADVISORY), policy);
        assert.strictEqual(found.length, 1);
        assert.match(found[0].message, /pulumi config set cascadeDelete false/);
      });
    }
  });

  describe("stateful-resources-protected", () => {
    const policy = "stateful-resources-protected";
    it("accepts protected releases, namespaces and credentials Secrets, and ignores other Secrets", async () => {
      const token: Resource = {
        type: TYPES.secret,
        name: "atlas-operator-token",
        props: { stringData: { ATLAS_TOKEN: "t" } },
      };
      // An Argo CD repository Secret has `url` and `password` too, and is not protected by the program.
      const repository: Resource = {
        type: TYPES.secret,
        name: "shop-repository",
        props: {
          stringData: { type: "git", url: "https://h/r", project: "shop", username: "bot", password: "t" },
        },
      };
      const found = only(
        await analyze(
          [release("4.5.6", true), namespace(true), credentials(true), token, repository],
          ALL_ADVISORY,
        ),
        policy,
      );
      assert.deepStrictEqual(found, []);
    });
    it("reports each unprotected release, namespace and credentials Secret by name", async () => {
      const found = only(
        await analyze([release("4.5.6", false), namespace(false), credentials(false)], ALL_ADVISORY),
        policy,
      );
      assert.deepStrictEqual(
        found.map((v) =>
          /(Helm release|namespace|database credentials Secret) '([^']+)'/.exec(v.message)?.slice(1),
        ),
        [
          ["Helm release", "argocd-release"],
          ["namespace", "shop-namespace"],
          ["database credentials Secret", "shop-db-secret"],
        ],
      );
    });
  });

  describe("generated-secrets-stay-secret", () => {
    const policy = "generated-secrets-stay-secret";
    const stackOutputs = (outputs: Record<string, unknown>): Resource => ({
      type: TYPES.stack,
      name: "atlas-gitops-test",
      props: outputs,
    });
    it("accepts a generated password in a Secret and in the admin password output", async () => {
      const resources = [
        generated,
        credentials(true, MOCK_PASSWORD),
        stackOutputs({ argocdAdminPassword: MOCK_PASSWORD }),
      ];
      assert.deepStrictEqual(only(await analyze(resources, ALL_ADVISORY), policy), []);
      assert.strictEqual(
        findGeneratedValues(resources.map((r) => ({ ...r, urn: urnOf(r) }))).length,
        3,
        "all three were found",
      );
    });
    it("reports a generated password in another stack output, on the stack", async () => {
      const outputs = stackOutputs({ dbUrl: `mysql://root:${MOCK_PASSWORD}@mysql:3306/example` });
      const found = only(await analyze([generated, outputs], ALL_ADVISORY), policy);
      assert.strictEqual(found.length, 1);
      assert.match(found[0].message, /appears in 'dbUrl' of pulumi:pulumi:Stack/);
      assert.strictEqual(found[0].urn, urnOf(outputs));
    });
    it("reports a bcrypt hash in a ConfigMap", async () => {
      const cm: Resource = {
        type: "kubernetes:core/v1:ConfigMap",
        name: "cm",
        props: { data: { hash: MOCK_BCRYPT_HASH } },
      };
      assert.strictEqual(only(await analyze([generated, cm], ALL_ADVISORY), policy).length, 1);
    });
    it("sees a secret the engine sends marked as secret as its plain value, and still finds it", async () => {
      // What the engine sends for a secret (sdk/go/common/resource/plugin/rpc.go MarshalPropertyValue with
      // KeepSecrets): the value under the secret signature. deserialize.ts hands the policy the plain value.
      const sig = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
      const outputs = stackOutputs({ leaked: { ...sig, value: MOCK_PASSWORD } });
      const found = only(await analyze([generated, outputs], ALL_ADVISORY), policy);
      assert.deepStrictEqual(
        found.map((v) => /appears in '([^']+)'/.exec(v.message)?.[1]),
        ["leaked"],
      );
    });
    it("reports nothing when no password is known yet (first preview)", async () => {
      const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // proxy.ts unknownStringValue
      const pending: Resource = { ...generated, props: { length: 32, result: unknown, bcryptHash: unknown } };
      assert.deepStrictEqual(
        only(await analyze([pending, stackOutputs({ x: unknown })], ALL_ADVISORY), policy),
        [],
      );
    });
  });

  describe("with the program's stacks", () => {
    /** Every registration of the platform for a stack, with its `protect` option and (for passwords) outputs. */
    async function evaluateStack(
      stack: string,
      files: StackFiles = "template",
    ): Promise<{ resources: Resource[]; inputs: Map<string, pulumi.Inputs> }> {
      const run = stackRun(stack, (f) => f, files);
      const opts = new Map<string, pulumi.ResourceOptions>();
      const inputs = new Map<string, pulumi.Inputs>();
      const key = (type: string, name: string) => `${type}::${name}`;
      const start = mark();
      new AtlasGitOps(`policy-${stack}`, parseStackConfig(run.config, stack, new Set(run.secretKeys)), {
        transformations: [
          (args) => {
            opts.set(key(args.type, args.name), args.opts);
            inputs.set(key(args.type, args.name), args.props);
            return undefined;
          },
        ],
      });
      const registrations: Registration[] = await registeredSince(start);
      const resources: Resource[] = registrations.map((r) => ({
        type: r.type,
        name: r.name,
        // The mocks answer a RandomPassword with these outputs (test/support/mocks.ts newResource).
        props:
          r.type === TYPES.password
            ? { ...r.inputs, result: MOCK_PASSWORD, bcryptHash: MOCK_BCRYPT_HASH }
            : r.inputs,
        protect: opts.get(key(r.type, r.name))?.protect === true,
      }));
      // index.ts's exports become the root stack resource's outputs.
      // A preview: index.ts then builds no client for a cluster.
      useMocks(stack, run.config, run.secretKeys, true);
      const entry = require.resolve("../index");
      delete require.cache[entry];
      const exports = require(entry) as Record<string, unknown>; // eslint-disable-line @typescript-eslint/no-require-imports
      const outputs = (await resolve(pulumi.output(exports))) as Record<string, unknown>;
      useMocks();
      resources.push({ type: TYPES.stack, name: `atlas-gitops-${stack}`, props: outputs });
      return { resources, inputs };
    }

    // Every committed stack, whatever the user set in it: a stack without policy/config/<stack>.json runs the
    // pack at its default levels, as `pulumi preview --policy-pack policy` would.
    for (const stack of committedStacks()) {
      describe(`committed ${stack}`, () => {
        let evaluated: Awaited<ReturnType<typeof evaluateStack>>;
        let violations: Violation[];
        const config = `policy/config/${stack}.json`;
        before(async () => {
          evaluated = await evaluateStack(stack, "committed");
          const levels = fs.existsSync(path.join(REPO_ROOT, config))
            ? levelsFromConfig(config)
            : new Map(
                POLICIES.map((p) => [
                  p.name,
                  (p as { enforcementLevel?: Level }).enforcementLevel ?? "advisory",
                ]),
              );
          violations = await analyze(evaluated.resources, levels);
        });

        it("registers every kind of resource the pack checks", () => {
          const types = new Set(evaluated.resources.map((r) => r.type));
          for (const type of Object.values(TYPES)) assert.ok(types.has(type), `no ${type} registered`);
        });

        it(`passes the pack with no mandatory violation at the levels of ${config}`, () => {
          assert.deepStrictEqual(
            violations.filter((v) => v.level === "mandatory"),
            [],
          );
        });

        it("finds the generated passwords only where they stay secret", () => {
          const found = findGeneratedValues(evaluated.resources.map((r) => ({ ...r, urn: urnOf(r) })));
          assert.ok(
            found.some((o) => o.type === TYPES.secret),
            "the password reaches the credentials Secret",
          );
          assert.ok(
            found.some((o) => o.type === TYPES.stack),
            "the admin password reaches the stack outputs",
          );
          assert.deepStrictEqual(
            found.filter((o) => !o.secretPlace),
            [],
          );
        });

        it("passes every generated value to a resource only inside a secret Output", async () => {
          // The input half of the contract the pack cannot see: walk the inputs as the program handed them over.
          const leaks: string[] = [];
          const visit = async (value: unknown, where: string): Promise<void> => {
            if (pulumi.Output.isInstance(value)) {
              const plain = JSON.stringify(await resolve(value)) ?? "";
              if (
                [MOCK_PASSWORD, MOCK_BCRYPT_HASH].some((g) => plain.includes(g)) &&
                !(await isSecret(value))
              ) {
                leaks.push(where);
              }
            } else if (typeof value === "string") {
              if ([MOCK_PASSWORD, MOCK_BCRYPT_HASH].some((g) => value.includes(g))) leaks.push(where);
            } else if (typeof value === "object" && value !== null) {
              for (const [k, v] of Object.entries(value)) await visit(v, `${where}.${k}`);
            }
          };
          for (const [name, props] of evaluated.inputs) await visit(props, name);
          assert.deepStrictEqual(leaks, []);
        });
      });
    }

    it("the template's dev reports its moving branch as advisory, so the checks ran", async () => {
      const dev = await evaluateStack("dev");
      const found = only(
        await analyze(dev.resources, levelsFromConfig("policy/config/dev.json")),
        "application-pinned-revision",
      );
      assert.ok(found.length > 0);
      assert.ok(found.every((v) => v.level === "advisory"));
    });

    it("the template's prod fails on a branch, an unprotected release and a cascade finalizer", async () => {
      const prod = await evaluateStack("prod");
      const broken = prod.resources.map((r): Resource => {
        if (r.type === TYPES.release) return { ...r, protect: false };
        if (r.type !== TYPES.application) return r;
        const props = JSON.parse(JSON.stringify(r.props));
        props.spec.source.targetRevision = "main";
        props.metadata.finalizers = [CASCADE_FINALIZER];
        return { ...r, props };
      });
      const mandatory = (await analyze(broken, levelsFromConfig("policy/config/prod.json"))).filter(
        (v) => v.level === "mandatory",
      );
      assert.deepStrictEqual([...new Set(mandatory.map((v) => v.policy))].sort(), [
        "application-keeps-workloads-on-delete",
        "application-pinned-revision",
        "stateful-resources-protected",
      ]);
    });
  });

  describe("the pack as the Pulumi CLI starts it", function () {
    // The nodejs language host's RunPlugin (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go) runs
    // `node <@pulumi/pulumi/cmd/run-policy-pack> <engine> <pack dir>` in the pack's folder; run.ts loads index.ts
    // with ts-node, type-checking it with default options (policy/ has no tsconfig.json), and the pack prints
    // the port of its gRPC server. Type-checking takes a while.
    this.timeout(180000);
    let child: ReturnType<typeof spawn> | undefined;
    let client: {
      getAnalyzerInfo(req: unknown, cb: (err: unknown, info: analyzerproto.AnalyzerInfo) => void): void;
      analyze(req: unknown, cb: (err: unknown, res: analyzerproto.AnalyzeResponse) => void): void;
      close(): void;
    };
    before(async () => {
      const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
      const packDir = path.join(REPO_ROOT, "policy");
      child = spawn(process.execPath, [runner, "127.0.0.1:1", packDir], { cwd: packDir });
      const port = await new Promise<string>((done, fail) => {
        let out = "";
        let err = "";
        child!.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          if (/^\d+\n/.test(out)) done(out.trim());
        });
        child!.stderr!.on("data", (d: Buffer) => (err += d.toString()));
        child!.on("exit", (code) => fail(new Error(`the pack exited with ${code}: ${err}`)));
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const grpc = require("@grpc/grpc-js") as { credentials: { createInsecure(): unknown } };
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as {
        AnalyzerClient: new (address: string, credentials: unknown) => typeof client;
      };
      client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });
    after(() => {
      client?.close();
      child?.kill();
    });

    it("serves every policy of the pack, advisory unless configured", async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Empty } = require("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };
      const info = await new Promise<analyzerproto.AnalyzerInfo>((done, fail) =>
        client.getAnalyzerInfo(new Empty(), (err, res) => (err ? fail(err) : done(res))),
      );
      assert.strictEqual(info.getName(), PACK_NAME);
      assert.strictEqual(info.getVersion(), "0.1.0");
      assert.deepStrictEqual(
        info.getPoliciesList().map((p) => [p.getName(), LEVELS[p.getEnforcementlevel()]]),
        POLICIES.map((p) => [p.name, "advisory"]),
      );
    });

    it("reports an Application that tracks a branch", async () => {
      const app = application({ revision: "main" });
      const request = new analyzerproto.AnalyzeRequest()
        .setType(app.type)
        .setName(app.name)
        .setUrn(urnOf(app))
        .setProperties(struct(app.props) as never)
        .setOptions(options(app));
      const res = await new Promise<analyzerproto.AnalyzeResponse>((done, fail) =>
        client.analyze(request, (err, r) => (err ? fail(err) : done(r))),
      );
      assert.deepStrictEqual(
        res.getDiagnosticsList().map((d) => d.getPolicyname()),
        ["application-pinned-revision"],
      );
    });
  });

  describe("the places the pack trusts to keep a generated value secret", () => {
    it("lists, for the program's own places, only values the program marks secret", async () => {
      // argocd: the bcrypt hash in the release values, and the component's adminPassword output.
      const values = argoCdValues({ cmEntries: {}, adminEnabled: true, adminPasswordHash: "hash" }) as {
        configs: { secret: { argocdServerAdminPassword: unknown } };
      };
      assert.ok(
        SECRET_PLACES.some(
          (p) => p.type === TYPES.release && p.path === "values.configs.secret.argocdServerAdminPassword",
        ),
      );
      assert.strictEqual(await isSecret(values.configs.secret.argocdServerAdminPassword), true);
      const argocd = new ArgoCd("policy-argocd", { namespace: "argocd" });
      assert.ok(
        SECRET_PLACES.some((p) => p.type === "atlas-gitops:argocd:ArgoCd" && p.path === "adminPassword"),
      );
      assert.strictEqual(await isSecret(argocd.adminPassword), true);
    });

    it("lists as stack outputs only exports of index.ts that are secret", async () => {
      useMocks("dev", stackRun("dev").config, [], true);
      const entry = require.resolve("../index");
      delete require.cache[entry];
      const exports = require(entry) as Record<string, unknown>; // eslint-disable-line @typescript-eslint/no-require-imports
      useMocks();
      const outputs = SECRET_PLACES.filter((p) => p.type === TYPES.stack).map((p) => p.path);
      assert.ok(outputs.length > 0);
      for (const name of outputs) assert.strictEqual(await isSecret(exports[name]), true, name);
    });
  });
});
