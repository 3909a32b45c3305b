/**
 * The GitHub Actions workflows: what triggers them, which stacks they preview and deploy (the committed
 * Pulumi.<stack>.yaml files, no more, no fewer), the approval gate before prod, and pinned actions.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { REPO_ROOT } from "./support/stack-files";

const WORKFLOWS_DIR = path.join(REPO_ROOT, ".github", "workflows");
const PULUMI_ACTION = /^pulumi\/actions@v\d+$/;
const BACKEND_SECRETS = ["PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"];

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  concurrency?: string | { group: string; "cancel-in-progress"?: boolean };
  strategy?: { matrix?: { stack?: string[]; include?: Record<string, string>[] } };
  env?: Record<string, string>;
  steps: Step[];
}

interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

function readWorkflow(file: string): Workflow {
  const doc = parseDocument(fs.readFileSync(path.join(WORKFLOWS_DIR, file), "utf8"));
  assert.deepStrictEqual(doc.errors, [], `${file} does not parse`);
  return doc.toJS() as Workflow;
}

/** The stacks with a committed Pulumi.<stack>.yaml. */
function committedStacks(): string[] {
  return fs
    .readdirSync(REPO_ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

const needs = (job: Job) => (job.needs === undefined ? [] : ([] as string[]).concat(job.needs));
const pulumiSteps = (job: Job) => job.steps.filter((s) => s.uses !== undefined && PULUMI_ACTION.test(s.uses));
const runs = (job: Job) => job.steps.filter((s) => s.run !== undefined).map((s) => s.run!.trim());

/** The one pulumi/actions step of a job. */
function pulumiStep(job: Job, where: string): Step {
  const steps = pulumiSteps(job);
  assert.strictEqual(steps.length, 1, `${where}: expected one pulumi/actions step`);
  return steps[0];
}

/** Environment a step sees: workflow, job and step env merged, as GitHub does. */
const envOf = (workflow: Workflow, job: Job, step: Step) => ({ ...workflow.env, ...job.env, ...step.env });

/**
 * The pulumi/actions step runs after `npm ci`, with the backend's secrets, and after a step that writes the
 * kubeconfig taken from `kubeconfigFrom` (an expression) and exports KUBECONFIG.
 */
function assertReadyToRunPulumi(workflow: Workflow, job: Job, where: string, kubeconfigFrom: string): void {
  const index = job.steps.indexOf(pulumiStep(job, where));
  const before = job.steps.slice(0, index);
  assert.ok(
    before.some((s) => s.run?.trim() === "npm ci"),
    `${where}: npm ci must run before pulumi`,
  );
  const env = envOf(workflow, job, job.steps[index]);
  for (const secret of BACKEND_SECRETS) {
    assert.strictEqual(env[secret], `\${{ secrets.${secret} }}`, `${where}: ${secret} is not passed`);
  }
  const writer = before.find((s) => s.run?.includes("KUBECONFIG="));
  assert.ok(writer !== undefined, `${where}: no step writes a kubeconfig before pulumi runs`);
  assert.match(writer.run!, /GITHUB_ENV/, `${where}: KUBECONFIG must be exported to later steps`);
  assert.strictEqual(
    writer.env?.KUBECONFIG_DATA,
    kubeconfigFrom,
    `${where}: where the kubeconfig comes from`,
  );
}

const kubeconfigSecret = (stack: string) => `KUBECONFIG_${stack.toUpperCase()}`;

describe("GitHub workflows", function () {
  it("finds both committed stacks, dev and prod", function () {
    assert.deepStrictEqual(committedStacks(), ["dev", "prod"]);
  });

  for (const file of ["pull-request.yml", "deploy.yml"]) {
    it(`pins every action in ${file} to a version tag or a commit, never a branch`, function () {
      const workflow = readWorkflow(file);
      const uses = Object.values(workflow.jobs).flatMap((job) => job.steps.map((s) => s.uses));
      const actions = uses.filter((u): u is string => u !== undefined);
      assert.ok(actions.length > 0);
      for (const action of actions) {
        assert.match(action, /^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, `${file}: ${action}`);
      }
    });
  }

  describe("pull-request.yml", function () {
    const workflow = () => readWorkflow("pull-request.yml");

    it("runs on pull requests with read-only contents by default", function () {
      const w = workflow();
      assert.deepStrictEqual(Object.keys(w.on), ["pull_request"]);
      assert.deepStrictEqual(w.permissions, { contents: "read" });
    });

    it("tests with exactly `npm ci && npm test` on Node 20 with the npm cache", function () {
      const test = workflow().jobs.test;
      assert.deepStrictEqual(runs(test), ["npm ci && npm test"]);
      const setup = test.steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
      assert.ok(setup !== undefined, "no actions/setup-node step");
      assert.deepStrictEqual(setup.with, { "node-version": 20, cache: "npm" });
      assert.ok(test.steps.findIndex((s) => s.uses?.startsWith("actions/checkout@")) === 0, "checkout first");
    });

    it("previews every committed stack, and only those, after the tests pass", function () {
      const preview = workflow().jobs.preview;
      assert.deepStrictEqual(needs(preview), ["test"]);
      assert.deepStrictEqual([...(preview.strategy?.matrix?.stack ?? [])].sort(), committedStacks());
      const step = pulumiStep(preview, "preview");
      assert.strictEqual(step.with?.command, "preview");
      assert.strictEqual(step.with?.["stack-name"], "${{ matrix.stack }}");
      assert.ok([true, "true"].includes(step.with?.["comment-on-pr"] as string | boolean), "comment-on-pr");
      assert.strictEqual(step.with?.["github-token"], "${{ secrets.GITHUB_TOKEN }}");
    });

    it("gives the preview job only what commenting needs", function () {
      assert.deepStrictEqual(workflow().jobs.preview.permissions, {
        contents: "read",
        "pull-requests": "write",
      });
    });

    it("previews each stack against its own cluster, with the backend's secrets", function () {
      const w = workflow();
      const preview = w.jobs.preview;
      const include = preview.strategy?.matrix?.include ?? [];
      assert.deepStrictEqual(
        include.map((i) => [i.stack, i.kubeconfig_secret]),
        committedStacks().map((s) => [s, kubeconfigSecret(s)]),
      );
      assertReadyToRunPulumi(w, preview, "preview", "${{ secrets[matrix.kubeconfig_secret] }}");
    });
  });

  describe("deploy.yml", function () {
    const workflow = () => readWorkflow("deploy.yml");
    const deployJobs = (w: Workflow) =>
      Object.entries(w.jobs).filter(([, job]) => pulumiSteps(job).some((s) => s.with?.command === "up"));

    it("runs on pushes to main only", function () {
      const w = workflow();
      assert.deepStrictEqual(Object.keys(w.on), ["push"]);
      assert.deepStrictEqual(w.on.push, { branches: ["main"] });
      assert.deepStrictEqual(w.permissions, { contents: "read" });
    });

    it("runs `pulumi up` once for every committed stack, and only those", function () {
      const stacks = deployJobs(workflow()).map(([, job]) => pulumiStep(job, "deploy").with?.["stack-name"]);
      assert.deepStrictEqual([...stacks].sort(), committedStacks());
    });

    it("deploys dev after the tests and prod only after dev, behind the production environment", function () {
      const { jobs } = workflow();
      assert.deepStrictEqual(runs(jobs.test), ["npm ci && npm test"]);
      assert.deepStrictEqual(needs(jobs.dev), ["test"]);
      assert.strictEqual(pulumiStep(jobs.dev, "dev").with?.["stack-name"], "dev");
      assert.strictEqual(jobs.dev.environment, undefined, "dev needs no approval");
      assert.deepStrictEqual(needs(jobs.prod), ["dev"]);
      assert.strictEqual(pulumiStep(jobs.prod, "prod").with?.["stack-name"], "prod");
      const environment = jobs.prod.environment;
      assert.strictEqual(typeof environment === "object" ? environment.name : environment, "production");
    });

    it("never runs two `pulumi up` on the same stack at once, and never cancels one halfway", function () {
      const groups = deployJobs(workflow()).map(([name, job]) => {
        assert.ok(typeof job.concurrency === "object", `${name}: no concurrency block`);
        assert.strictEqual(job.concurrency["cancel-in-progress"], false, `${name}: cancel-in-progress`);
        const stack = pulumiStep(job, name).with?.["stack-name"] as string;
        assert.ok(
          job.concurrency.group.includes(stack),
          `${name}: group '${job.concurrency.group}' names no stack`,
        );
        return job.concurrency.group;
      });
      assert.strictEqual(new Set(groups).size, groups.length, "each stack needs its own group");
    });

    it("deploys each stack to its own cluster, with the backend's secrets", function () {
      const w = workflow();
      for (const [name, job] of deployJobs(w)) {
        const stack = pulumiStep(job, name).with?.["stack-name"] as string;
        assertReadyToRunPulumi(w, job, name, `\${{ secrets.${kubeconfigSecret(stack)} }}`);
      }
    });
  });

  it("documents in the README every secret the workflows read", function () {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const text = ["pull-request.yml", "deploy.yml"]
      .map((f) => fs.readFileSync(path.join(WORKFLOWS_DIR, f), "utf8"))
      .join("\n");
    const secrets = new Set([...text.matchAll(/secrets\.([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]));
    for (const stack of committedStacks()) secrets.add(kubeconfigSecret(stack));
    assert.ok(secrets.size >= 6);
    for (const secret of secrets) {
      assert.ok(doc.includes(`\`${secret}\``), `README.md does not mention \`${secret}\``);
    }
  });
});
