import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { isSecret, resolve, TYPES, useMocks } from "./support/mocks";
import { ArgoCd } from "../components/argocd";
import { AtlasOperator } from "../components/atlas-operator";
import { AtlasGitOps } from "../components/platform";
import { CHART_VALUES_KEYS, configPath, ownedPathsSet } from "../stacks/chart-values";
import { parseStackConfig, StackConfigError } from "../stacks/config";
import { PROJECT } from "../stacks/defaults";
import { configSet, ConfigSetOptions, StackConfig } from "./support/pulumi-cli";
import { stackRun } from "./support/stack-files";

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const REPO = "https://github.com/org/manifests";
const SCHEMA_CHECK = "resource.customizations.health.db.atlasgo.io_AtlasSchema";

/** The problems parseStackConfig reports for raw config, or [] when it accepts it. */
function problemsOf(raw: Record<string, string>, encrypted: string[] = []): string[] {
  try {
    parseStackConfig({ repoURL: REPO, ...raw }, "dev", new Set(encrypted));
    return [];
  } catch (e) {
    if (e instanceof StackConfigError) return e.problems;
    throw e;
  }
}

/** `pulumi config set --stack dev ...` commands on the template's dev stack, as the program then reads it. */
function devWith(...sets: [string, string, ConfigSetOptions?][]) {
  return stackRun("dev", (file: StackConfig) => sets.reduce((f, [k, v, o]) => configSet(f, k, v, o), file));
}

/** Every Helm release's values as handed to the resource (an Output when secret), by logical name. */
async function releaseValuesOf(
  build: (opts: pulumi.ComponentResourceOptions) => void,
): Promise<Map<string, unknown>> {
  const values = new Map<string, unknown>();
  build({
    transformations: [
      (args) => {
        if (args.type === TYPES.release) values.set(args.name, args.props.values);
        return undefined;
      },
    ],
  });
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  return values;
}

describe("chart values a stack sets: argocdValues and atlasOperatorValues", () => {
  after(() => useMocks());

  describe("reading them", () => {
    it("reads values set with --path as an object, plain unless a value was set with --secret", () => {
      const run = devWith(
        ["argocdValues.server.replicas", "2", { path: true }],
        ['argocdValues.configs.cm["exec.enabled"]', "true", { path: true }],
        ["atlasOperatorValues.resources.limits.memory", "256Mi", { path: true }],
      );
      const c = parseStackConfig(run.config, "dev", new Set(run.secretKeys));
      assert.deepStrictEqual(c.argocd.values, {
        values: { server: { replicas: 2 }, configs: { cm: { "exec.enabled": true } } },
        secret: false,
      });
      assert.deepStrictEqual(c.atlas.values, {
        values: { resources: { limits: { memory: "256Mi" } } },
        secret: false,
      });
    });

    it("marks the values secret when one was set with --path --secret, as the CLI marks the whole key", () => {
      const run = devWith(
        ['argocdValues.configs.secret.extra["oidc.clientSecret"]', "s3cr3t", { path: true, secret: true }],
        ["argocdValues.server.replicas", "2", { path: true }],
      );
      assert.deepStrictEqual(run.secretKeys, ["argocdValues"]);
      const c = parseStackConfig(run.config, "dev", new Set(run.secretKeys));
      assert.strictEqual(c.argocd.values.secret, true);
      assert.strictEqual(c.atlas.values.secret, false);
    });

    it("defaults to no values", () => {
      const c = parseStackConfig({ repoURL: REPO }, "dev");
      assert.deepStrictEqual(
        [c.argocd.values, c.atlas.values],
        [
          { values: {}, secret: false },
          { values: {}, secret: false },
        ],
      );
    });

    for (const raw of ["[1, 2]", "null", "3", "replicas: 2", '"x"']) {
      it(`rejects argocdValues that are not an object: ${raw}`, () => {
        const [problem, ...rest] = problemsOf({ argocdValues: raw });
        assert.deepStrictEqual(rest, []);
        assert.match(
          problem,
          new RegExp(`^Config '${PROJECT}:argocdValues' is '.*' — expected an object of argo-cd`),
        );
        assert.ok(problem.includes("pulumi config set --stack dev --path 'argocdValues.server.replicas' 2"));
      });
    }

    it("never shows values held encrypted in a message", () => {
      const [problem] = problemsOf({ atlasOperatorValues: '["hunter2"]' }, ["atlasOperatorValues"]);
      assert.match(problem, /^Config 'atlas-gitops:atlasOperatorValues' is set — expected an object/);
      assert.ok(!problem.includes("hunter2"));
    });
  });

  describe("refusing what the program owns", () => {
    const refused: [string, Values, string, string | undefined][] = [
      ["argocdValues", { crds: { keep: false } }, "argocdValues.crds.keep", undefined],
      ["argocdValues", { crds: { install: false } }, "argocdValues.crds.install", undefined],
      [
        "argocdValues",
        { configs: { cm: { [SCHEMA_CHECK]: "return {}" } } },
        `argocdValues.configs.cm["${SCHEMA_CHECK}"]`,
        undefined,
      ],
      ["argocdValues", { configs: { cm: "x" } }, "argocdValues.configs.cm", undefined],
      ["argocdValues", { configs: null }, "argocdValues.configs", undefined],
      [
        "argocdValues",
        { configs: { cm: { "admin.enabled": true } } },
        'argocdValues.configs.cm["admin.enabled"]',
        "argocdAdminEnabled false",
      ],
      [
        "argocdValues",
        { configs: { secret: { argocdServerAdminPassword: "$2a$10$x" } } },
        "argocdValues.configs.secret.argocdServerAdminPassword",
        "argocdAdminEnabled false",
      ],
      [
        "argocdValues",
        { configs: { params: { "controller.resource.health.persist": false } } },
        'argocdValues.configs.params["controller.resource.health.persist"]',
        undefined,
      ],
      [
        "argocdValues",
        { configs: { cm: { "timeout.reconciliation": "10s" } } },
        'argocdValues.configs.cm["timeout.reconciliation"]',
        "argocdPollInterval 5m",
      ],
      [
        "argocdValues",
        { namespaceOverride: "cd" },
        "argocdValues.namespaceOverride",
        "argocdNamespace argocd",
      ],
      ["argocdValues", { fullnameOverride: "cd" }, "argocdValues.fullnameOverride", undefined],
      ["atlasOperatorValues", { crds: { create: false } }, "atlasOperatorValues.crds", undefined],
      [
        "atlasOperatorValues",
        { watchNamespaces: ["x"] },
        "atlasOperatorValues.watchNamespaces",
        "atlasOperatorClusterWide true",
      ],
      [
        "atlasOperatorValues",
        { rbac: { create: true } },
        "atlasOperatorValues.rbac",
        "atlasOperatorClusterWide true",
      ],
      [
        "atlasOperatorValues",
        { serviceAccount: { name: "x" } },
        "atlasOperatorValues.serviceAccount",
        undefined,
      ],
      [
        "atlasOperatorValues",
        { extraEnvs: [{ name: "X", value: "1" }] },
        "atlasOperatorValues.extraEnvs",
        "--secret --stack dev atlasToken <token>",
      ],
      [
        "atlasOperatorValues",
        { prewarmDevDB: false },
        "atlasOperatorValues.prewarmDevDB",
        "atlasPrewarmDevDB false",
      ],
    ];
    for (const [key, values, at, instead] of refused) {
      it(`refuses ${at}, saying why${instead ? ` and to set ${instead.split(" ").at(-2)} instead` : ""}`, () => {
        const [problem, ...rest] = problemsOf({ [key]: JSON.stringify({ ...values, keptValue: 1 }) });
        assert.deepStrictEqual(rest, [], problem);
        assert.ok(problem.startsWith(`Config '${PROJECT}:${at}' is set — `), problem);
        assert.ok(problem.includes(`so ${key} may not set it`), problem);
        assert.ok(problem.includes(`Remove it with: pulumi config rm --stack dev --path '${at}'`), problem);
        if (instead)
          assert.ok(
            problem.endsWith(
              `set instead: pulumi config set ${instead.includes("--") ? "" : "--stack dev "}${instead}`,
            ),
            problem,
          );
      });
    }

    it("lets everything else through, health checks for other kinds included", () => {
      assert.deepStrictEqual(
        problemsOf({
          argocdValues: JSON.stringify({
            configs: {
              cm: { "resource.customizations.health.example.com_Thing": "return {}", "exec.enabled": true },
              rbac: { "policy.csv": "g, platform, role:admin" },
              ssh: { extraHosts: "git.example.com ssh-ed25519 AAAA" },
            },
            controller: { replicas: 2 },
            crds: { annotations: { a: "b" } },
          }),
          atlasOperatorValues: JSON.stringify({
            resources: { limits: { memory: "256Mi" } },
            replicaCount: 1,
          }),
        }),
        [],
      );
    });

    it("names each owned path once, however many owned values sit below it", () => {
      const found = ownedPathsSet({ configs: "x" }, CHART_VALUES_KEYS.argocdValues.owned);
      assert.ok(found.length > 1);
      assert.strictEqual(problemsOf({ argocdValues: '{"configs": "x"}' }).length, 1);
    });

    it("writes a path as pulumi config set --path reads it", () => {
      assert.strictEqual(
        configPath("argocdValues", ["configs", "cm", "admin.enabled"]),
        'argocdValues.configs.cm["admin.enabled"]',
      );
      assert.strictEqual(configPath("argocdValues", ["server", "replicas"]), "argocdValues.server.replicas");
    });
  });

  describe("the rendered release values", () => {
    it("merges argocdValues last, deeply, keeping what the program sets beside them", async () => {
      useMocks("dev");
      const values = await releaseValuesOf(
        (opts) =>
          new ArgoCd(
            "cv",
            {
              namespace: "argocd",
              cmEntries: { [SCHEMA_CHECK]: "return {}" },
              values: { configs: { cm: { "exec.enabled": true } }, server: { replicas: 2 } },
            },
            opts,
          ),
      );
      const v = values.get("cv-release") as Values;
      assert.strictEqual(pulumi.Output.isInstance(v), false);
      assert.deepStrictEqual(v.configs.cm, {
        "admin.enabled": true,
        [SCHEMA_CHECK]: "return {}",
        "exec.enabled": true,
      });
      assert.deepStrictEqual(v.server, { replicas: 2 });
      assert.deepStrictEqual(v.crds, { keep: true });
    });

    it("makes the whole values a secret Output when they hold a secret, the admin hash included", async () => {
      useMocks("dev");
      const values = await releaseValuesOf(
        (opts) =>
          new ArgoCd(
            "cvs",
            {
              namespace: "argocd",
              values: { configs: { secret: { extra: { "oidc.clientSecret": "s3cr3t" } } } },
              valuesSecret: true,
            },
            opts,
          ),
      );
      const v = values.get("cvs-release");
      assert.strictEqual(await isSecret(v), true);
      const plain = (await resolve(v as pulumi.Output<Values>)) as Values;
      assert.strictEqual(plain.configs.secret.extra["oidc.clientSecret"], "s3cr3t");
      assert.ok(typeof plain.configs.secret.argocdServerAdminPassword === "string");
    });

    it("merges atlasOperatorValues last, and makes them secret only when they hold a secret", async () => {
      useMocks("dev");
      const args = {
        namespace: "atlas-operator",
        watchNamespaces: ["shop"],
        values: { resources: { limits: { memory: "256Mi" } } },
      };
      const values = await releaseValuesOf((opts) => {
        new AtlasOperator("cvp", args, opts);
        new AtlasOperator("cvq", { ...args, valuesSecret: true }, opts);
      });
      const plain = values.get("cvp-release") as Values;
      assert.deepStrictEqual(plain.resources, { limits: { memory: "256Mi" } });
      assert.deepStrictEqual(plain.watchNamespaces, ["shop"]);
      assert.strictEqual(await isSecret(values.get("cvq-release")), true);
      assert.deepStrictEqual(
        ((await resolve(values.get("cvq-release") as pulumi.Output<Values>)) as Values).resources,
        {
          limits: { memory: "256Mi" },
        },
      );
    });

    it("reaches both releases from the stack config, with --path and --path --secret", async () => {
      const run = devWith(
        ["argocdValues.server.replicas", "2", { path: true }],
        ["atlasOperatorValues.resources.limits.memory", "256Mi", { path: true }],
        ["atlasOperatorValues.podAnnotations.token", "s3cr3t", { path: true, secret: true }],
      );
      useMocks("dev", run.config, run.secretKeys);
      const config = parseStackConfig(run.config, "dev", new Set(run.secretKeys));
      const values = await releaseValuesOf((opts) => new AtlasGitOps(PROJECT, config, opts));
      const argo = values.get("argocd-release") as Values;
      assert.strictEqual(await isSecret(argo), false);
      assert.strictEqual((await resolve(pulumi.output(argo)))?.server.replicas, 2);
      const atlas = values.get("atlas-operator-release");
      assert.strictEqual(await isSecret(atlas), true);
      const atlasPlain = (await resolve(atlas as pulumi.Output<Values>)) as Values;
      assert.deepStrictEqual(atlasPlain.podAnnotations, { token: "s3cr3t" });
      assert.strictEqual(atlasPlain.resources.limits.memory, "256Mi");
    });
  });
});
