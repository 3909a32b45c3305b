/**
 * argocdLocation `install` (the default) is the program as it was before the fleet keys: every resource keeps its
 * URN, its identity (metadata name and namespace) and its provider, so an existing stack's `pulumi up` replaces
 * nothing. The fixture was recorded from commit 900f370 (before argocdLocation) with RECORD_INSTALL_URNS=1.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { resolve, useMocks } from "./support/mocks";
import { EngineModel } from "./support/engine-model";
import { stackRun, TEMPLATE_STACKS } from "./support/stack-files";
import { parseStackConfig, RawConfig } from "../stacks/config";
import { SECRET_KEYS } from "../stacks/defaults";
import { AtlasGitOps } from "../components/platform";

const FIXTURE = path.join(__dirname, "fixtures", "install-urns.json");
const PROJECT = "atlas-gitops";

/** Every optional part at once: two applications, a credential template, alerts, webhooks, an Ingress, metrics. */
const FULL: RawConfig = {
  repoURL: "https://github.com/org/manifests",
  repoUsername: "git",
  repoToken: "token",
  applications: JSON.stringify([
    { name: "shop" },
    { name: "billing", namespace: "pay", dbEngine: "postgres" },
  ]),
  alertWebhookUrl: "https://hooks.example.com/x",
  gitWebhookGitHubSecret: "hook",
  argocdIngressHost: "argocd.example.com",
  metricsEnabled: "true",
  atlasToken: "atlas",
};

interface Recorded {
  urn: string;
  name?: unknown;
  namespace?: unknown;
  provider?: string;
  /** An Application's or AppProject's spec, which the fleet code now renders with parameters. */
  spec?: unknown;
}

async function record(stack: string, raw: RawConfig, secrets: Set<string>): Promise<Recorded[]> {
  useMocks(stack);
  const model = new EngineModel(stack, PROJECT);
  const platform = new AtlasGitOps(PROJECT, parseStackConfig(raw, stack, secrets), {
    transformations: [model.transformation],
  });
  await resolve(platform.urn);
  const out: Recorded[] = [];
  for (const node of model.nodes) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const props = ((await resolve(pulumi.output(node.props))) ?? {}) as Record<string, any>;
    const provider = (node.opts as pulumi.CustomResourceOptions).provider;
    out.push({
      urn: model.urn(node),
      ...(node.custom
        ? {
            name: props.metadata?.name ?? props.name,
            namespace: props.metadata?.namespace ?? props.namespace,
          }
        : {}),
      ...(provider === undefined ? {} : { provider: "explicit" }),
      ...(node.type.startsWith("kubernetes:argoproj.io/") ? { spec: props.spec } : {}),
    });
  }
  return JSON.parse(JSON.stringify(out.sort((a, b) => a.urn.localeCompare(b.urn)))) as Recorded[];
}

async function recordAll(): Promise<Record<string, Recorded[]>> {
  const all: Record<string, Recorded[]> = {};
  for (const stack of TEMPLATE_STACKS) {
    const run = stackRun(stack);
    all[stack] = await record(stack, run.config, new Set(run.secretKeys));
  }
  all.full = await record("dev", FULL, new Set(SECRET_KEYS));
  return all;
}

describe("argocdLocation install", () => {
  after(() => useMocks());

  it("registers every resource of the template stacks and of a stack using every option as before, with the same Argo CD specs", async () => {
    const now = await recordAll();
    if (process.env.RECORD_INSTALL_URNS === "1")
      fs.writeFileSync(FIXTURE, JSON.stringify(now, null, 2) + "\n");
    const before = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as Record<string, Recorded[]>;
    assert.ok(before.full.length > 30, `only ${before.full.length} resources recorded`);
    assert.deepStrictEqual(now, before);
  });
});
