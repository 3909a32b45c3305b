import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { resolve, TYPES, useMocks } from "./support/mocks";
import { EngineModel, Node } from "./support/engine-model";
import { configSet, StackConfig } from "./support/pulumi-cli";
import { stackRun } from "./support/stack-files";
import { parseStackConfig } from "../stacks/config";
import { AtlasGitOps } from "../components/platform";

const PROJECT = "atlas-gitops";
const TOKEN = "ghp_stack-token";

/** dev, edited with `pulumi config set` as the CLI model runs them, evaluated as index.ts does. */
async function evaluate(edit: (f: StackConfig) => StackConfig) {
  const run = stackRun("dev", edit);
  useMocks("dev");
  const model = new EngineModel("dev", PROJECT);
  const config = parseStackConfig(run.config, "dev", new Set(run.secretKeys));
  const platform = new AtlasGitOps(PROJECT, config, { transformations: [model.transformation] });
  await resolve(platform.urn);
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const inputs = async (n: Node) => (await resolve(pulumi.output(n.props))) as unknown as Record<string, any>;
  const secrets = model.nodes.filter((n) => n.custom && n.type === TYPES.secret);
  return { model, inputs, secrets };
}

const set =
  (...edits: [key: string, value: string, opts?: { secret?: boolean; path?: boolean }][]) =>
  (f: StackConfig) =>
    edits.reduce((file, [key, value, opts]) => configSet(file, key, value, opts ?? {}), f);

describe("repository credentials on the platform", () => {
  describe("a stack token, and applications on github.com/org and on gitlab.com", () => {
    let run: Awaited<ReturnType<typeof evaluate>>;
    before(async () => {
      run = await evaluate(
        set(
          ["repoURL", "https://github.com/org/manifests"],
          ["repoUsername", "bot"],
          ["repoToken", TOKEN, { secret: true }],
          ["applications[0].name", "catalog", { path: true }],
          ["applications[1].name", "vendor", { path: true }],
          ["applications[1].repoURL", "https://gitlab.com/vendor/manifests", { path: true }],
          ["applications[2].name", "accounts", { path: true }],
          ["applications[2].repoURL", "https://gitlab.com/acme/ledger", { path: true }],
          ["applications[2].repoUsername", "deploy", { path: true }],
          ["applications[2].repoToken", "glpat-own", { path: true, secret: true }],
        ),
      );
    });

    it("puts the stack's token into one credential template for https://github.com/org/ in Argo CD's namespace", async () => {
      const template = run.model.node(TYPES.secret, "repository-credentials-template");
      const inputs = await run.inputs(template);
      assert.deepStrictEqual(inputs.metadata, {
        namespace: "argocd",
        labels: { "argocd.argoproj.io/secret-type": "repo-creds" },
      });
      assert.deepStrictEqual(inputs.stringData, {
        type: "git",
        url: "https://github.com/org/",
        username: "bot",
        password: TOKEN,
      });
    });

    it("writes the stack's token into no other Secret", async () => {
      const holders: string[] = [];
      for (const node of run.secrets) {
        if (JSON.stringify(await run.inputs(node)).includes(TOKEN)) holders.push(node.name);
      }
      assert.deepStrictEqual(holders, ["repository-credentials-template"]);
    });

    it("gives the repository under the prefix a Secret without credentials, after the template", async () => {
      const catalog = run.model.node(TYPES.secret, "catalog-repository");
      assert.deepStrictEqual((await run.inputs(catalog)).stringData, {
        type: "git",
        url: "https://github.com/org/manifests",
        project: "catalog",
      });
      const before = [...run.model.before(catalog)].map((n) => n.name);
      assert.ok(before.includes("repository-credentials-template"));
    });

    it("gives the other host's public repository no Secret, and its private one only its own token", async () => {
      assert.ok(!run.secrets.some((n) => n.name === "vendor-repository"));
      const accounts = await run.inputs(run.model.node(TYPES.secret, "accounts-repository"));
      assert.deepStrictEqual(accounts.stringData, {
        type: "git",
        url: "https://gitlab.com/acme/ledger",
        project: "accounts",
        username: "deploy",
        password: "glpat-own",
      });
    });
  });
});
