/**
 * The GitHub Actions workflows: what triggers them, which stacks they preview and deploy (the committed
 * Pulumi.<stack>.yaml files, no more, no fewer), the policy pack at each stack's levels, the approval gate before
 * prod, `--yes` on every scripted `pulumi up`, nothing that lets a failed step pass, and pinned actions.
 *
 * Upstream behaviour relied on:
 * - pulumi/pulumi pkg/cmd/pulumi/operations/up.go (newUpCmd): without --yes (or --skip-preview) and outside an
 *   interactive terminal, `pulumi up` stops with NoConfirmationInNonInteractiveError; validatePolicyPackConfig
 *   requires one --policy-pack-config per --policy-pack, in order.
 * - pulumi/actions v7 src/main.ts and src/config.ts: without `command` the action only installs the CLI
 *   (makeInstallationConfig); with `command: preview`, `policyPacks` and `policyPackConfigs` go to the Automation
 *   API (pulumi/pulumi sdk/nodejs/automation/stack.ts preview), which passes them as --policy-pack and
 *   --policy-pack-config.
 * - pulumi/pulumi pkg/resource/plugin/analyzer_plugin.go NewPolicyAnalyzer and the nodejs language host's
 *   RunPlugin/locateModule: a local pack's dependencies are not installed by the CLI; it resolves
 *   @pulumi/pulumi/cmd/run-policy-pack from the pack's folder, or fails with "try running npm install".
 * - pulumi/actions v7.0.0 action.yml (input `pulumi-version`, no default) and src/config.ts makeConfig /
 *   makeInstallationConfig (an unset input becomes the range `^3`, src/__tests__/config.test.ts), then
 *   src/libs/pulumi-cli.ts downloadCli: a CLI already on the runner that satisfies the range is kept, else the
 *   highest release satisfying it is installed. So only an exact version makes CI run the CLI the tests model.
 * - GitHub Actions: `shell: bash` runs `bash --noprofile --norc -eo pipefail {0}`.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { readDoc } from "./support/docs";
import { committedStacks, REPO_ROOT } from "./support/stack-files";

const WORKFLOWS_DIR = path.join(REPO_ROOT, ".github", "workflows");
const PULUMI_ACTION = /^pulumi\/actions@v\d+$/;
const BACKEND_SECRETS = ["PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"];

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  "working-directory"?: string;
  "continue-on-error"?: unknown;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

interface Job {
  name?: string;
  "continue-on-error"?: unknown;
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
  defaults?: { run?: { shell?: string } };
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

function readWorkflow(file: string): Workflow {
  const doc = parseDocument(fs.readFileSync(path.join(WORKFLOWS_DIR, file), "utf8"));
  assert.deepStrictEqual(doc.errors, [], `${file} does not parse`);
  return doc.toJS() as Workflow;
}

/**
 * The stacks the workflows preview and deploy: the template's two. A user may commit more stack files
 * (docs/your-own-manifests.md, "Add a stack"); CI runs only the stacks the workflows name.
 */
const WORKFLOW_STACKS = ["dev", "prod"];

const needs = (job: Job) => (job.needs === undefined ? [] : ([] as string[]).concat(job.needs));
const pulumiSteps = (job: Job) => job.steps.filter((s) => s.uses !== undefined && PULUMI_ACTION.test(s.uses));
const runs = (job: Job) =>
  job.steps
    .filter((s) => s.run !== undefined && s["working-directory"] === undefined)
    .map((s) => s.run!.trim());

/** The argv of a `pulumi up` run step (folded YAML joins its lines with spaces), or undefined. */
function pulumiUpArgs(step: Step): string[] | undefined {
  const words = step.run?.trim().split(/\s+/) ?? [];
  return words[0] === "pulumi" && words[1] === "up" ? words : undefined;
}

/** The value of a `--flag value` in an argv. */
function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
}

/** The one step of a deploy job that runs `pulumi up`, and its argv. */
function upStep(job: Job, where: string): { step: Step; args: string[] } {
  const found = job.steps.filter((s) => pulumiUpArgs(s) !== undefined);
  assert.strictEqual(found.length, 1, `${where}: expected one \`pulumi up\` step`);
  return { step: found[0], args: pulumiUpArgs(found[0])! };
}

/** The stack a deploy job updates. */
const upStack = (job: Job, where: string) => flag(upStep(job, where).args, "--stack");

/** The one pulumi/actions step of a job. */
function pulumiStep(job: Job, where: string): Step {
  const steps = pulumiSteps(job);
  assert.strictEqual(steps.length, 1, `${where}: expected one pulumi/actions step`);
  return steps[0];
}

/** Environment a step sees: workflow, job and step env merged, as GitHub does. */
const envOf = (workflow: Workflow, job: Job, step: Step) => ({ ...workflow.env, ...job.env, ...step.env });

/**
 * The step that runs Pulumi comes after `npm ci` (the program's dependencies) and `npm ci` in policy/ (the pack's),
 * with the backend's secrets, and after a step that writes the kubeconfig taken from `kubeconfigFrom` (an
 * expression) and exports KUBECONFIG.
 */
function assertReadyToRunPulumi(
  workflow: Workflow,
  job: Job,
  step: Step,
  where: string,
  kubeconfigFrom: string,
): void {
  const index = job.steps.indexOf(step);
  const before = job.steps.slice(0, index);
  assert.ok(
    before.some((s) => s.run?.trim() === "npm ci" && s["working-directory"] === undefined),
    `${where}: npm ci must run before pulumi`,
  );
  assert.ok(
    before.some((s) => s.run?.trim() === "npm ci" && s["working-directory"] === "policy"),
    `${where}: the policy pack's dependencies must be installed (npm ci in policy/) before pulumi`,
  );
  const env = envOf(workflow, job, step);
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
  it("runs only stacks that have a committed stack file and a policy config", function () {
    for (const stack of WORKFLOW_STACKS) {
      assert.ok(committedStacks().includes(stack), `no Pulumi.${stack}.yaml`);
      assert.ok(
        fs.existsSync(path.join(REPO_ROOT, "policy", "config", `${stack}.json`)),
        `no config for ${stack}`,
      );
    }
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

  for (const file of ["pull-request.yml", "deploy.yml"]) {
    it(`pins the Pulumi CLI to one exact version in every pulumi/actions step of ${file}`, function () {
      const steps = Object.values(readWorkflow(file).jobs).flatMap(pulumiSteps);
      assert.ok(steps.length > 0, `${file} installs the CLI`);
      for (const step of steps) {
        const version = step.with?.["pulumi-version"];
        assert.strictEqual(typeof version, "string", `${file}: ${step.uses} without pulumi-version`);
        assert.match(version as string, /^\d+\.\d+\.\d+$/, `${file}: '${version}' is a range, not a version`);
        assert.strictEqual(
          step.with?.["pulumi-version-file"],
          undefined,
          `${file}: one way to name the version`,
        );
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

    it("previews dev and prod, after the tests pass", function () {
      const preview = workflow().jobs.preview;
      assert.deepStrictEqual(needs(preview), ["test"]);
      assert.deepStrictEqual([...(preview.strategy?.matrix?.stack ?? [])].sort(), WORKFLOW_STACKS);
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
        WORKFLOW_STACKS.map((s) => [s, kubeconfigSecret(s)]),
      );
      assertReadyToRunPulumi(
        w,
        preview,
        pulumiStep(preview, "preview"),
        "preview",
        "${{ secrets[matrix.kubeconfig_secret] }}",
      );
    });

    it("previews each stack with the policy pack at the levels of policy/config/<stack>.json", function () {
      const step = pulumiStep(workflow().jobs.preview, "preview");
      assert.strictEqual(step.with?.policyPacks, "policy");
      assert.strictEqual(step.with?.policyPackConfigs, "policy/config/${{ matrix.stack }}.json");
      for (const stack of WORKFLOW_STACKS) {
        assert.ok(
          fs.existsSync(path.join(REPO_ROOT, "policy", "config", `${stack}.json`)),
          `no config for ${stack}`,
        );
      }
      assert.ok(
        fs.existsSync(path.join(REPO_ROOT, "policy", "package-lock.json")),
        "npm ci in policy/ needs a lock",
      );
    });
  });

  describe("deploy.yml", function () {
    const workflow = () => readWorkflow("deploy.yml");
    const deployJobs = (w: Workflow) =>
      Object.entries(w.jobs).filter(([, job]) => job.steps.some((s) => pulumiUpArgs(s) !== undefined));

    it("runs on pushes to main only", function () {
      const w = workflow();
      assert.deepStrictEqual(Object.keys(w.on), ["push"]);
      assert.deepStrictEqual(w.on.push, { branches: ["main"] });
      assert.deepStrictEqual(w.permissions, { contents: "read" });
    });

    it("runs `pulumi up` once for dev and once for prod", function () {
      const stacks = deployJobs(workflow()).map(([name, job]) => upStack(job, name));
      assert.deepStrictEqual([...stacks].sort(), WORKFLOW_STACKS);
    });

    it("deploys dev after the tests and prod only after dev, behind the production environment", function () {
      const { jobs } = workflow();
      assert.deepStrictEqual(runs(jobs.test), ["npm ci && npm test"]);
      assert.deepStrictEqual(needs(jobs.dev), ["test"]);
      assert.strictEqual(upStack(jobs.dev, "dev"), "dev");
      assert.strictEqual(jobs.dev.environment, undefined, "dev needs no approval");
      assert.deepStrictEqual(needs(jobs.prod), ["dev"]);
      assert.strictEqual(upStack(jobs.prod, "prod"), "prod");
      assert.strictEqual(jobs.prod.if, undefined, "prod runs only when dev succeeded");
      const environment = jobs.prod.environment;
      assert.strictEqual(typeof environment === "object" ? environment.name : environment, "production");
    });

    it("never runs two `pulumi up` on the same stack at once, and never cancels one halfway", function () {
      const groups = deployJobs(workflow()).map(([name, job]) => {
        assert.ok(typeof job.concurrency === "object", `${name}: no concurrency block`);
        assert.strictEqual(job.concurrency["cancel-in-progress"], false, `${name}: cancel-in-progress`);
        const stack = upStack(job, name)!;
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
        const stack = upStack(job, name)!;
        assertReadyToRunPulumi(
          w,
          job,
          upStep(job, name).step,
          name,
          `\${{ secrets.${kubeconfigSecret(stack)} }}`,
        );
      }
    });

    it("installs the Pulumi CLI before `pulumi up`, with pulumi/actions in install-only mode", function () {
      for (const [name, job] of deployJobs(workflow())) {
        const index = job.steps.indexOf(upStep(job, name).step);
        const installer = job.steps
          .slice(0, index)
          .filter((s) => s.uses !== undefined && PULUMI_ACTION.test(s.uses));
        assert.strictEqual(installer.length, 1, `${name}: one pulumi/actions step before pulumi up`);
        // pulumi/actions src/config.ts makeInstallationConfig: no `command` means install only.
        assert.strictEqual(
          installer[0].with?.command,
          undefined,
          `${name}: the action must not run a command`,
        );
      }
    });

    it("runs `pulumi up` with the stack's policy pack levels", function () {
      for (const [name, job] of deployJobs(workflow())) {
        const { args } = upStep(job, name);
        assert.strictEqual(flag(args, "--policy-pack"), "policy", name);
        assert.strictEqual(
          flag(args, "--policy-pack-config"),
          `policy/config/${upStack(job, name)}.json`,
          name,
        );
      }
    });
  });

  for (const file of ["pull-request.yml", "deploy.yml"]) {
    it(`passes --yes to every scripted \`pulumi up\` in ${file}`, function () {
      const text = fs.readFileSync(path.join(WORKFLOWS_DIR, file), "utf8");
      const commands = Object.values(readWorkflow(file).jobs)
        .flatMap((job) => job.steps.map((s) => s.run ?? ""))
        .flatMap((run) => run.split(/&&|;|\n(?!\s*--)/))
        .filter((command) => /\bpulumi\s+up\b/.test(command));
      for (const command of commands)
        assert.match(command, /(^|\s)(--yes|-y)(\s|$)/, `${file}: ${command.trim()}`);
      // A pulumi/actions `command: up` would go through the Automation API, which passes --yes itself
      // (sdk/nodejs/automation/stack.ts up); these workflows script `pulumi up` instead, so the flags are visible.
      assert.ok(!/command:\s*(up|update)\b/.test(text), `${file}: pulumi up runs as a script step`);
      if (file === "deploy.yml")
        assert.ok(commands.length >= WORKFLOW_STACKS.length, "deploy runs pulumi up");
    });

    it(`lets no failed step in ${file} pass as green`, function () {
      const workflow = readWorkflow(file);
      // `shell: bash` is bash -eo pipefail; the default for an unset shell has no pipefail.
      assert.strictEqual(workflow.defaults?.run?.shell, "bash");
      for (const [name, job] of Object.entries(workflow.jobs)) {
        assert.strictEqual(job["continue-on-error"], undefined, `${file} ${name}: continue-on-error`);
        assert.ok(
          !/always\(\)|failure\(\)|cancelled\(\)/.test(job.if ?? ""),
          `${file} ${name}: if: ${job.if}`,
        );
        for (const step of job.steps) {
          const where = `${file} ${name} ${step.name ?? step.uses ?? step.run}`;
          assert.strictEqual(step["continue-on-error"], undefined, `${where}: continue-on-error`);
          assert.strictEqual(
            step.with?.["continue-on-error"],
            undefined,
            `${where}: continue-on-error input`,
          );
          assert.ok(!/always\(\)|failure\(\)|cancelled\(\)/.test(step.if ?? ""), `${where}: if: ${step.if}`);
          assert.ok(
            !/\|\|\s*(true|:|exit 0)|set \+e/.test(step.run ?? ""),
            `${where}: a failure is swallowed`,
          );
          assert.ok(
            !("PULUMI_CONTINUE_ON_ERROR" in envOf(workflow, job, step)),
            `${where}: PULUMI_CONTINUE_ON_ERROR`,
          );
        }
      }
    });
  }

  /**
   * Each run of a job: one per matrix include (its `${{ matrix.* }}` filled in), or the job itself. GitHub gives
   * a job an environment's secrets only when it names that environment, and holds it for the environment's
   * required reviewers first.
   */
  function jobRuns(job: Job): { environment?: string; stack?: string; text: string }[] {
    const combos: Record<string, string>[] = job.strategy?.matrix?.include ?? [{}];
    return combos.map((combo) => {
      const fill = (text: string) =>
        text
          .replace(
            /\$\{\{\s*secrets\[matrix\.(\w+)\]\s*\}\}/g,
            (_, k: string) => `\${{ secrets.${combo[k]} }}`,
          )
          .replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_, k: string) => combo[k] ?? "");
      const env = job.environment;
      const stackFlag = job.steps.map((s) => pulumiUpArgs(s)).find((a) => a !== undefined);
      return {
        environment: fill(typeof env === "object" ? env.name : (env ?? "")) || undefined,
        stack: combo.stack ?? (stackFlag ? flag(stackFlag, "--stack") : undefined),
        text: fill(JSON.stringify(job)),
      };
    });
  }

  for (const file of ["pull-request.yml", "deploy.yml"]) {
    it(`gives no run of ${file} prod's credentials without the production environment's approval`, function () {
      const workflow = readWorkflow(file);
      let prodRuns = 0;
      for (const [name, job] of Object.entries(workflow.jobs)) {
        for (const run of jobRuns(job)) {
          const touchesProd =
            run.stack === "prod" || run.text.includes(`secrets.${kubeconfigSecret("prod")}`);
          if (!touchesProd) continue;
          prodRuns++;
          assert.strictEqual(run.environment, "production", `${file}: job '${name}' reaches prod`);
        }
      }
      assert.ok(prodRuns > 0, `${file}: no run of prod found, so this checks nothing`);
    });
  }

  it("lets dev previews run without waiting for prod's reviewers", function () {
    const preview = readWorkflow("pull-request.yml").jobs.preview;
    const dev = jobRuns(preview).find((r) => r.stack === "dev");
    assert.ok(dev !== undefined);
    assert.notStrictEqual(dev.environment, "production");
  });

  it("documents in the CI/CD guide every secret the workflows read", function () {
    const doc = readDoc("docs/ci-cd-and-promotion.md");
    const text = ["pull-request.yml", "deploy.yml"]
      .map((f) => fs.readFileSync(path.join(WORKFLOWS_DIR, f), "utf8"))
      .join("\n");
    const secrets = new Set([...text.matchAll(/secrets\.([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]));
    for (const stack of WORKFLOW_STACKS) secrets.add(kubeconfigSecret(stack));
    assert.ok(secrets.size >= 6);
    for (const secret of secrets) {
      assert.ok(doc.includes(`\`${secret}\``), `docs/ci-cd-and-promotion.md does not mention \`${secret}\``);
    }
  });
});
