/**
 * `pulumi up` for real: the Pulumi CLI and engine, the kubernetes provider and Helm, a Kubernetes API server,
 * Argo CD's application controller and repo-server, our Lua health checks and kustomize, against the example
 * manifests in a git repository. Only the random provider and the Atlas operator's status are stand-ins
 * (stand-ins/). The tests run in order and build on each other, as a user's day would: preview, deploy, push,
 * break, recover, tear down, upgrade.
 *
 * Run with `npm run test:e2e`. The control plane and the toolchain are described in support/control-plane.ts
 * and toolchain/build.sh; E2E_CHARTS_DIR serves a chart directory on loopback in place of the charts' homes.
 * With E2E_KUBECONFIG (support/target.ts) the same tests run against an existing cluster with the real operator
 * and databases; the one that needs the stand-in operator to hold a schema is then skipped, and the push and
 * recovery tests check what a real operator decides.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import * as bcrypt from "bcryptjs";
import { AtlasObject, AtlasOperatorStandIn, mysqlRefusal, Outcome } from "./stand-ins/atlas-operator";
import { atlasHealthChecks, HEALTH_CHECK_KEY_PREFIX } from "../../components/health-checks";
import { terminatingHealth } from "../support/argo-cd-health";
import { runHealthScript } from "../support/lua-sandbox";
import { ControlPlane, GIT_IDENTITY } from "./support/control-plane";
import { removeScratch } from "./support/scratch";
import { allFigures, figure } from "./support/figures";
import { render, resourceOf, secretKeysRead } from "./support/manifests";
import { sleep, until } from "./support/processes";
import {
  Backend,
  copyProgram,
  newBackend,
  operations,
  programAt,
  REPO_ROOT,
  stackOf,
  toolchainBin,
} from "./support/stack";
import { targetFrom } from "./support/target";
import { ARGOCD_CHART_REPOSITORY, ATLAS_OPERATOR_CHART_REPOSITORY } from "../../stacks/defaults";

const MANIFESTS = path.join(REPO_ROOT, "examples", "manifests");
const APPS = [
  { name: "shop", path: "shop/overlays/dev", engine: "mysql" },
  { name: "billing", path: "billing/overlays/dev", engine: "postgres" },
];
const V01 = "112ceef";
/** The namespaces the stacks create; an existing cluster must not have them already. */
const NAMESPACES = ["argocd", "atlas-operator", ...APPS.map((a) => a.name)];
/** A column MySQL refuses (utf8mb4 allows 16383 characters), and what MySQL 8 says of it. */
const REFUSED_COLUMN = "broken varchar(70000) NULL";
const REFUSED_ERROR = mysqlRefusal(REFUSED_COLUMN) as string;

/** The charts: a directory CI points at (the offline copy beside the repository), or their public homes. */
function chartsDir(): string | undefined {
  if (process.env.E2E_CHARTS_DIR) return path.resolve(process.env.E2E_CHARTS_DIR);
  const beside = path.resolve(REPO_ROOT, "..", "shared", "charts");
  return fs.existsSync(path.join(beside, "index.yaml")) ? beside : undefined;
}

/**
 * Without a chart directory Helm pulls both charts from their homes: say so once, before anything starts, when
 * this machine cannot reach them, rather than in every test that installs them. Any HTTP answer (an OCI
 * registry answers 401 to an anonymous client) means the host is reachable.
 */
async function assertChartHomesReachable(): Promise<void> {
  const homes = [
    `${ARGOCD_CHART_REPOSITORY}/index.yaml`,
    `https://${new URL(ATLAS_OPERATOR_CHART_REPOSITORY).host}/v2/`,
  ];
  for (const url of homes) {
    try {
      await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      throw new Error(
        `The charts' home ${url} cannot be reached from here (${(e as Error).cause ?? e}), and no chart ` +
          `directory was found: set E2E_CHARTS_DIR to a Helm repository directory (index.yaml and packages) that ` +
          `holds both charts, or place one at ${path.resolve(REPO_ROOT, "..", "shared", "charts")}`,
      );
    }
  }
}

describe(`pulumi up on ${process.env.E2E_KUBECONFIG ? "the cluster E2E_KUBECONFIG names" : "a real control plane"}`, function () {
  this.timeout(15 * 60_000);

  let bin: string;
  let cp: ControlPlane;
  /** The stand-in operator; undefined on an existing cluster, where the real one runs. */
  let operator: AtlasOperatorStandIn | undefined;
  let backend: Backend;
  let program: string;
  let dev: Stack;
  let failed = false;
  /** The CRDs the cluster had before this run. */
  let crdsBefore: string[] = [];
  /** Stacks that may have resources in the cluster, by name; after() tears these down on an existing cluster. */
  const live = new Map<string, Stack>();
  /** Per Atlas object (namespace/name), what the stand-in operator does with its current generation. */
  const outcomes = new Map<string, (o: AtlasObject) => Outcome>();
  const applied: Outcome = { kind: "applied" };

  /** Everything every stack of this run sets: the loopback repository and, when there is one, chart mirror. */
  function platformConfig(): Record<string, string> {
    return {
      repoURL: cp.repoURL,
      targetRevision: "main",
      ...(cp.chartRepository
        ? { argocdChartRepository: cp.chartRepository, atlasOperatorChartRepository: cp.chartRepository }
        : {}),
    };
  }

  function appsConfig(apps = APPS): Record<string, string> {
    const config: Record<string, string> = {};
    apps.forEach((app, i) => {
      config[`applications[${i}].name`] = app.name;
      config[`applications[${i}].path`] = app.path;
      if (app.engine === "postgres") {
        Object.assign(config, {
          [`applications[${i}].dbEngine`]: "postgres",
          [`applications[${i}].dbName`]: "billing",
          [`applications[${i}].dbUser`]: "billing",
        });
      }
    });
    return config;
  }

  const application = (name: string) => cp.get("application.argoproj.io", name, "argocd");
  const names = (kind: string) =>
    cp.kubectl(["get", kind, "-o", "jsonpath={.items[*].metadata.name}"]).split(" ").filter(Boolean).sort();
  /** The stacks' namespaces among `present`. */
  const ours = (present: string[]) => NAMESPACES.filter((n) => present.includes(n));
  const namespacesGone = () =>
    until(
      "the stack's namespaces to be gone",
      () => (ours(names("namespaces")).length > 0 ? undefined : true),
      5 * 60_000,
      1000,
    );

  /** Runs the CLI on a stack of this run's backend, as a user would from the project directory. */
  const cli = (args: string[]) =>
    execFileSync(path.join(bin, "pulumi"), args, {
      cwd: program,
      env: { ...process.env, ...backend.env },
      encoding: "utf8",
    });

  /** `pulumi state unprotect --all`, then destroy: the documented way to really tear down a protected stack. */
  async function tearDown(name: string, stack: Stack): Promise<void> {
    cli(["state", "unprotect", "--all", "--yes", "--stack", name]);
    await stack.destroy();
    await stack.workspace.removeStack(name);
    live.delete(name);
  }

  before(async function () {
    this.timeout(90 * 60_000);
    const t0 = Date.now();
    const target = targetFrom(process.env);
    bin = toolchainBin();
    figure("toolchain (build.sh, this run)", (Date.now() - t0) / 1000);
    const charts = chartsDir();
    if (charts === undefined) await assertChartHomesReachable();
    cp = new ControlPlane({ bin, manifests: MANIFESTS, charts, existing: target.existing });
    const t1 = Date.now();
    await cp.start();
    if (cp.argoCdVersion) console.log(`    Argo CD: ${cp.argoCdVersion} (argocd version --client --short)`);
    figure(cp.existing ? "git daemon start" : "control plane start", (Date.now() - t1) / 1000);
    const taken = ours(names("namespaces"));
    if (taken.length > 0) {
      throw new Error(
        `E2E_KUBECONFIG's cluster already has the namespace${taken.length > 1 ? "s" : ""} ${taken.join(", ")}: ` +
          "the suite installs Argo CD and the operator there and destroys them again, so it needs a cluster " +
          "without them, e.g. " +
          "`kind create cluster --name atlas-e2e`",
      );
    }
    crdsBefore = names("crd");
    if (target.standIns.has("atlas-operator")) {
      operator = new AtlasOperatorStandIn(cp.kubeconfig, (o) => {
        const decide = outcomes.get(`${o.metadata.namespace}/${o.metadata.name}`);
        return decide ? decide(o) : applied;
      });
      await operator.start();
    }
    backend = newBackend(bin, cp.kubeconfig, target.standIns.has("random"));
    program = copyProgram(REPO_ROOT);
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      failed = true;
      console.log(
        `\n${this.currentTest.title} failed: ${this.currentTest.err?.stack ?? this.currentTest.err}`,
      );
      console.log(`\nLogs of the failed test (all in ${cp?.work}):\n${cp?.processes.tails()}`);
    }
  });

  after(async () => {
    const figures = Object.entries(allFigures());
    if (figures.length > 0) {
      console.log(`\nFigures of this run (seconds):\n${figures.map(([w, s]) => `  ${w}: ${s}`).join("\n")}`);
    }
    // On an existing cluster, leave nothing behind that a failed test left deployed.
    for (const [name, stack] of cp?.existing ? live : []) {
      await tearDown(name, stack).catch((e) => console.log(`\nCould not tear down ${name}: ${e}`));
    }
    await operator?.stop();
    await cp?.stop();
    if (!failed) {
      cp?.remove();
      if (backend) removeScratch(backend.dir);
      if (program) removeScratch(program);
    }
  });

  it("fails on a config error before any resource exists in the cluster", async () => {
    const before = cp.kubectl(["get", "namespaces", "-o", "name"]);
    const broken = await stackOf(program, backend, "broken", { ...platformConfig(), dbPort: "70000" });
    await assert.rejects(broken.up(), (e: Error) => {
      assert.match(
        e.message,
        /Config 'atlas-gitops:dbPort' is '70000' — expected a port number from 1 to 65535/,
      );
      return true;
    });
    assert.strictEqual(cp.kubectl(["get", "namespaces", "-o", "name"]), before);
    // The engine records the stack itself before the program runs; nothing else may be there.
    const state = await broken.exportStack();
    const recorded = ((state.deployment.resources ?? []) as { type: string }[]).map((r) => r.type);
    assert.deepStrictEqual(
      recorded.filter((t) => t !== "pulumi:pulumi:Stack"),
      [],
    );
    await broken.workspace.removeStack("broken");
  });

  for (const stackName of ["dev", "prod"]) {
    it(`previews ${stackName} on an empty control plane: creates only, with both releases and every Application`, async () => {
      const stack = await stackOf(program, backend, stackName, {
        ...platformConfig(),
        ...appsConfig(),
        // Chart values a platform team sets, merged last over the program's (checked after the deploy).
        'argocdValues.global.deploymentAnnotations["e2e-values"]': "argocd",
        'atlasOperatorValues.podAnnotations["e2e-values"]': "atlas-operator",
        ...(stackName === "prod" ? { targetRevision: cp.head() } : {}),
      });
      const { ops, onEvent } = operations();
      const t0 = Date.now();
      const result = await stack.preview({ onEvent });
      figure(`preview ${stackName}, empty control plane`, (Date.now() - t0) / 1000);
      assert.deepStrictEqual([...new Set(ops.map((o) => o.op))], ["create"]);
      assert.deepStrictEqual(Object.keys(result.changeSummary), ["create"]);
      const names = ops.map((o) => `${o.type}::${o.urn.split("::").pop()}`);
      for (const expected of [
        "kubernetes:helm.sh/v3:Release::argocd-release",
        "kubernetes:helm.sh/v3:Release::atlas-operator-release",
        ...APPS.map((a) => `kubernetes:argoproj.io/v1alpha1:Application::${a.name}-application`),
        ...APPS.map((a) => `kubernetes:argoproj.io/v1alpha1:AppProject::${a.name}-project`),
        ...APPS.map((a) => `random:index/randomPassword:RandomPassword::${a.name}-db-password`),
      ]) {
        assert.ok(names.includes(expected), `expected a create of ${expected}; got:\n${names.join("\n")}`);
      }
      if (stackName === "dev") dev = stack;
    });
  }

  /** The first `up` of dev, started by the hold test (or by the deploy test when there is no stand-in). */
  let devUp: Promise<unknown> | undefined;
  let devUpStarted = 0;
  const startDevUp = () => {
    devUpStarted = Date.now();
    live.set("dev", dev);
    devUp = dev.up();
    devUp.catch(() => undefined);
    return devUp;
  };

  it("holds shop's wave 2, and `pulumi up`, while shop's schema is pending (stand-in operator)", async function () {
    // The real operator applies a schema as soon as it can; only the stand-in can hold one.
    if (!operator) this.skip();
    const standIn = operator;
    let released = false;
    outcomes.set("shop/shop", () => (released ? applied : { kind: "hold" }));
    let settled = false;
    const settle = () => (settled = true);
    void startDevUp().then(settle, settle);
    await until(
      "shop's AtlasSchema",
      () => cp.get("atlasschema.db.atlasgo.io", "shop", "shop"),
      10 * 60_000,
      1000,
    );
    await until(
      "billing's objects to be applied",
      () => cp.get("deployment", "billing", "billing"),
      5 * 60_000,
      1000,
    );
    await sleep(10_000);
    assert.strictEqual(
      cp.get("deployment", "shop", "shop"),
      undefined,
      "wave 2 ran before its schema was applied",
    );
    assert.ok(cp.get("deployment", "mysql", "shop"), "wave 0 of shop should be in place");
    assert.strictEqual(settled, false, "pulumi up returned while shop's schema was still pending");
    released = true;
    await standIn.recheck();
  });

  it("deploys dev: returns only once both Applications are Synced and Healthy at the head commit, wave by wave", async () => {
    await (devUp ?? startDevUp());
    figure("up dev from an empty control plane (two applications)", (Date.now() - devUpStarted) / 1000);

    const argocdServer = cp.get("deployment", "argocd-server", "argocd");
    assert.strictEqual(
      argocdServer.metadata.annotations?.["e2e-values"],
      "argocd",
      "argocdValues did not reach the chart",
    );
    const operatorDeployment = cp.get("deployment", "atlas-operator", "atlas-operator");
    assert.strictEqual(
      operatorDeployment.spec.template.metadata.annotations?.["e2e-values"],
      "atlas-operator",
      "atlasOperatorValues did not reach the chart",
    );

    const head = cp.head();
    for (const app of APPS) {
      const status = application(app.name).status;
      assert.deepStrictEqual(
        { sync: status.sync.status, health: status.health.status, revision: status.sync.revision },
        { sync: "Synced", health: "Healthy", revision: head },
        app.name,
      );
      const objects = render(bin, path.join(cp.checkout, app.path));
      assert.deepStrictEqual([...new Set(objects.map((o) => o.wave))].sort(), [0, 1, 2], app.name);
      for (const o of objects) {
        assert.ok(
          cp.get(resourceOf(o), o.name, app.name),
          `${app.name}: wave ${o.wave} ${o.kind} ${o.name} is missing`,
        );
      }
      for (const ref of secretKeysRead(objects)) {
        const secret = cp.get("secret", ref.name, app.name);
        assert.ok(
          secret?.data?.[ref.key],
          `${app.name}: Secret ${ref.name} lacks the key ${ref.key} its manifests read`,
        );
      }
    }
  });

  it("keeps every password out of the state and stores only a bcrypt hash of the admin password", async () => {
    // `pulumi stack export` as a user runs it (the Automation API's exportStack adds --show-secrets), and every
    // file the backend keeps, history included.
    const exported = cli(["stack", "export", "--stack", "dev"]);
    const stored = execFileSync("grep", ["-r", "-h", "", path.join(backend.dir, "state")], {
      encoding: "utf8",
    });
    const state = exported + stored;
    assert.match(exported, /"ciphertext"/, "the export should hold the secrets encrypted");
    for (const app of APPS) {
      const secret = cp.get("secret", "db-credentials", app.name);
      for (const [key, value] of Object.entries(secret.data as Record<string, string>)) {
        const plain = Buffer.from(value, "base64").toString();
        if (/password/i.test(key)) assert.ok(!state.includes(plain), `${app.name}'s ${key} is in the state`);
      }
    }
    const outputs = await dev.outputs();
    const admin = outputs.argocdAdminPassword;
    assert.strictEqual(admin.secret, true);
    assert.ok(!state.includes(admin.value as string), "the admin password is in the state");
    const hash = Buffer.from(
      cp.get("secret", "argocd-secret", "argocd").data["admin.password"],
      "base64",
    ).toString();
    assert.match(hash, /^\$2[aby]\$/);
    assert.ok(
      bcrypt.compareSync(admin.value as string, hash),
      "argocd-secret's hash is not the admin password's",
    );
  });

  it("changes nothing on a second up", async () => {
    const t0 = Date.now();
    const result = await dev.up();
    figure("no-op up dev", (Date.now() - t0) / 1000);
    const changed = Object.entries(result.summary.resourceChanges ?? {}).filter(
      ([op, n]) => op !== "same" && n,
    );
    assert.deepStrictEqual(changed, []);
  });

  /** Edits a file of the checkout. */
  const edit = (file: string, from: string | RegExp, to: string) => {
    const full = path.join(cp.checkout, file);
    const text = fs.readFileSync(full, "utf8");
    const next = text.replace(from, to);
    assert.notStrictEqual(next, text, `${file}: nothing to replace`);
    fs.writeFileSync(full, next);
  };
  /** Marks shop's pod template with a revision, so a test can tell which commit the Deployment runs. */
  const markShop = (mark: string) =>
    edit(
      "shop/base/app.yaml",
      /  template:\n    metadata:\n(      annotations:\n        e2e\/revision: "[^"]*"\n)?/,
      `  template:\n    metadata:\n      annotations:\n        e2e/revision: "${mark}"\n`,
    );
  const shopMark = () =>
    cp.get("deployment", "shop", "shop")?.spec.template.metadata.annotations?.["e2e/revision"];
  /** Adds a column to shop's users table, after short_bio: `definition` is e.g. "nickname varchar(64) NULL". */
  const addColumn = (definition: string) =>
    edit(
      "shop/base/schema.yaml",
      "        short_bio varchar(255) NOT NULL,\n",
      `        short_bio varchar(255) NOT NULL,\n        ${definition},\n`,
    );

  it("waits for the commit that was pushed, not the one Argo CD last synced", async () => {
    addColumn("nickname varchar(64) NULL");
    markShop("nickname");
    const pushed = cp.commitAndPush("Add users.nickname");
    const delay = 20_000;
    let firstSeen: number | undefined;
    outcomes.set("shop/shop", (o) => {
      if (!JSON.stringify(o.spec).includes("nickname")) return applied;
      firstSeen ??= Date.now();
      return Date.now() - firstSeen < delay ? { kind: "hold" } : applied;
    });
    const t0 = Date.now();
    await dev.up();
    const took = Date.now() - t0;
    figure("up dev after a push (schema applied after 20 s)", took / 1000);
    if (operator) {
      assert.ok(
        firstSeen !== undefined && took >= delay,
        `up returned after ${took} ms, before the new schema was applied`,
      );
    }
    const status = application("shop").status;
    assert.deepStrictEqual(
      { revision: status.sync.revision, sync: status.sync.status, health: status.health.status },
      { revision: pushed, sync: "Synced", health: "Healthy" },
    );
    assert.strictEqual(shopMark(), "nickname");
  });

  it("fails within 30 s of a final schema failure, naming the application, the AtlasSchema and the operator's message", async () => {
    addColumn(REFUSED_COLUMN);
    markShop("broken");
    cp.commitAndPush("A schema the database refuses");
    // The stand-in fails it as the operator reports MySQL's refusal; a real operator and MySQL refuse it.
    let failedAt: number | undefined;
    outcomes.set("shop/shop", (o) => {
      if (!JSON.stringify(o.spec).includes("broken")) return applied;
      failedAt ??= Date.now();
      return { kind: "failed", reason: "ApplyingSchema", message: REFUSED_ERROR };
    });
    const pushedAt = Date.now();
    await assert.rejects(dev.up(), (e: Error) => {
      const exitedAfter = (Date.now() - (failedAt ?? pushedAt)) / 1000;
      figure(
        operator
          ? "failed schema → pulumi up exits (s after the operator reported it)"
          : "failed schema → pulumi up exits (s after the push)",
        exitedAfter,
      );
      if (operator) {
        assert.ok(failedAt !== undefined, "the operator was never asked about the broken schema");
        assert.ok(exitedAfter < 30, `pulumi up exited ${exitedAfter} s after the failure`);
      }
      for (const part of ["shop", "AtlasSchema", "Column length too big"]) {
        assert.ok(e.message.includes(part), `the error does not name ${part}:\n${e.message}`);
      }
      return true;
    });
    assert.strictEqual(shopMark(), "nickname", "wave 2 rolled out although its schema failed");
  });

  it("converges on the fixed schema pushed after the failure, riding out a transient failure on the way", async () => {
    edit("shop/base/schema.yaml", `        ${REFUSED_COLUMN},\n`, "        display_name varchar(64) NULL,\n");
    markShop("display_name");
    const pushed = cp.commitAndPush("Replace the broken column");
    // Only the stand-in can refuse connections for 15 s and then apply: a real database cannot, on cue. The broken
    // schema stays refused, as the database would refuse it again on each of Argo CD's retries of its commit.
    let firstSeen: number | undefined;
    outcomes.set("shop/shop", (o) => {
      const spec = JSON.stringify(o.spec);
      if (spec.includes("broken"))
        return { kind: "failed", reason: "ApplyingSchema", message: REFUSED_ERROR };
      if (!spec.includes("display_name")) return applied;
      firstSeen ??= Date.now();
      return Date.now() - firstSeen < 15_000
        ? {
            kind: "failed",
            reason: "ApplyingSchema",
            message: "dial tcp 10.96.0.20:3306: connect: connection refused",
          }
        : applied;
    });
    await dev.up();
    if (operator) assert.ok(firstSeen !== undefined, "the stand-in never saw the fixed schema");
    assert.strictEqual(application("shop").status.sync.revision, pushed);
    assert.strictEqual(shopMark(), "display_name");
    outcomes.delete("shop/shop");
  });

  it("refuses a Namespace that is not the application's own: the sync fails naming it, and so does `pulumi up`", async () => {
    const good = cp.head();
    fs.writeFileSync(
      path.join(cp.checkout, "shop", "base", "stray-namespace.yaml"),
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop-stray\n",
    );
    edit("shop/base/kustomization.yaml", "  - app.yaml\n", "  - app.yaml\n  - stray-namespace.yaml\n");
    cp.commitAndPush("A Namespace that is not shop's");
    const t0 = Date.now();
    await assert.rejects(dev.up(), (e: Error) => {
      const took = (Date.now() - t0) / 1000;
      figure("Namespace refused by the AppProject → pulumi up exits", took);
      // Fast: not after Argo CD's five retries of the commit (5 s to 80 s apart), which refuse it the same way.
      assert.ok(took < 60, `pulumi up exited ${took} s after the push`);
      for (const part of ["shop", "Namespace", "shop-stray", "not permitted"]) {
        assert.ok(e.message.includes(part), `the error does not name ${part}:\n${e.message}`);
      }
      return true;
    });
    assert.strictEqual(cp.get("namespace", "shop-stray"), undefined, "Argo CD created the stray Namespace");
    // Back to the last good tree, so the tests after this one start from a converged stack.
    execFileSync("git", ["revert", "--no-edit", "HEAD"], {
      cwd: cp.checkout,
      env: { ...process.env, ...GIT_IDENTITY },
      stdio: "ignore",
    });
    execFileSync("git", ["push", "-q", "origin", "main"], { cwd: cp.checkout, stdio: "ignore" });
    await dev.up();
    const status = application("shop").status;
    assert.deepStrictEqual([status.sync.status, status.health.status], ["Synced", "Healthy"]);
    assert.notStrictEqual(status.sync.revision, good, "the revert is a commit of its own");
  });

  it("holds the wave for an AtlasSchema being deleted, showing what the unit tests' model says this Argo CD shows", async () => {
    /** Sets the finalizers of shop's AtlasSchema (none: the list removed). */
    const finalizers = (list?: string[]) =>
      cp.kubectl(
        list
          ? [
              "patch",
              "atlasschema",
              "shop",
              "-n",
              "shop",
              "--type=merge",
              "-p",
              JSON.stringify({ metadata: { finalizers: list } }),
            ]
          : [
              "patch",
              "atlasschema",
              "shop",
              "-n",
              "shop",
              "--type=json",
              "-p",
              '[{"op":"remove","path":"/metadata/finalizers"}]',
            ],
      );
    finalizers(["e2e.atlas-gitops/hold"]);
    cp.kubectl(["delete", "atlasschema", "shop", "-n", "shop", "--wait=false"]);
    try {
      const live = cp.get("atlasschema", "shop", "shop");
      assert.ok(live?.metadata.deletionTimestamp, "the AtlasSchema is not being deleted");
      // On an existing cluster the chart's Argo CD runs (v3.4.4), not the toolchain's.
      const minor = Number(/^v?3\.(\d+)\./.exec(cp.argoCdVersion ?? "v3.4.4")?.[1]);
      const script = atlasHealthChecks()[`${HEALTH_CHECK_KEY_PREFIX}db.atlasgo.io_AtlasSchema`];
      const expected = terminatingHealth(minor, live.metadata.finalizers, runHealthScript(script, live));
      const shown = await until(
        "Argo CD to judge the AtlasSchema being deleted",
        () => {
          const entry = (application("shop").status.resources ?? []).find(
            (r: { kind: string; name: string }) => r.kind === "AtlasSchema" && r.name === "shop",
          );
          return entry?.health?.status === "Healthy" ? undefined : entry?.health;
        },
        60_000,
        500,
      );
      assert.deepStrictEqual({ status: shown.status, message: shown.message }, expected);
    } finally {
      finalizers();
    }
    // Self-heal puts it back; up converges again.
    await dev.up();
    assert.strictEqual(application("shop").status.health.status, "Healthy");
  });

  it("destroys dev, leaving only what the README says stays", async () => {
    const t0 = Date.now();
    await dev.destroy();
    figure("destroy dev", (Date.now() - t0) / 1000);
    await namespacesGone();
    // The CRDs stay, by design: deleting them would delete every Application and AtlasSchema in the cluster.
    const added = names("crd").filter((c) => !crdsBefore.includes(c));
    assert.ok(
      added.every((c) => c.endsWith(".argoproj.io") || c.endsWith(".atlasgo.io")),
      added.join(" "),
    );
    await dev.workspace.removeStack("dev");
    live.delete("dev");
  });

  it(`upgrades a stack deployed by v0.1 (${V01}) to this version without replacing anything`, async () => {
    const oldProgram = programAt(V01);
    const config = {
      repoURL: cp.repoURL,
      targetRevision: "main",
      path: "shop/overlays/dev",
      appName: "shop",
      appNamespace: "shop",
      // v0.1 declared these `secret: true` with a default, which a current CLI refuses until each is set.
      atlasToken: { value: "", secret: true },
      repoToken: { value: "", secret: true },
      repoSshPrivateKey: { value: "", secret: true },
    };
    const v01 = await stackOf(oldProgram, backend, "upgrade", config, chartMirrorTransform);
    live.set("upgrade", v01);
    await v01.up();
    const now = await stackOf(program, backend, "upgrade", {
      ...config,
      ...platformConfig(),
      targetRevision: "main",
    });
    const { ops, onEvent } = operations();
    await now.preview({ onEvent });
    const replaced = ops.filter((o) => ["replace", "create-replacement", "delete-replaced"].includes(o.op));
    assert.deepStrictEqual(replaced, []);
    // What goes are v0.1's two ComponentResources, which own nothing in the cluster: their children moved to
    // the HostedApp under aliases (the updates above). No Kubernetes object and no password is deleted.
    const deleted = ops.filter((o) => o.op === "delete").map((o) => o.type);
    assert.deepStrictEqual(deleted.sort(), [
      "atlas-gitops:application:GitOpsApplication",
      "atlas-gitops:database-credentials:DatabaseCredentials",
    ]);
    assert.ok(
      ops.some((o) => o.op === "update" || o.op === "same"),
      "the program's resources should carry over from v0.1",
    );
    live.set("upgrade", now);
    await now.up();
    await now.destroy();
    await now.workspace.removeStack("upgrade");
    live.delete("upgrade");
    await namespacesGone();
    removeScratch(oldProgram);
  });

  /**
   * v0.1 has no chart repository keys: inside its run, point every Helm release at the loopback mirror, as a
   * firewall's mirror would. The same inputs main then gets from argocdChartRepository and
   * atlasOperatorChartRepository, so the comparison is of the program's own changes.
   */
  function chartMirrorTransform(): void {
    const mirror = cp.chartRepository;
    if (mirror === undefined) return;
    pulumi.runtime.registerStackTransform(async (args) => {
      if (args.type !== "kubernetes:helm.sh/v3:Release") return undefined;
      const chart = String(args.props.chart).split("/").pop();
      return { props: { ...args.props, chart, repositoryOpts: { repo: mirror } }, opts: args.opts };
    });
  }

  it("deploys prod with its guard rails: `pulumi destroy` refuses until `pulumi state unprotect --all`", async () => {
    const prod = await stackOf(program, backend, "prod", {
      ...platformConfig(),
      ...appsConfig(APPS.map((a) => ({ ...a, path: a.path.replace("/dev", "/prod") }))),
      targetRevision: cp.head(),
    });
    live.set("prod", prod);
    const t0 = Date.now();
    await prod.up();
    figure("up prod from an empty control plane", (Date.now() - t0) / 1000);
    await assert.rejects(prod.destroy(), (e: Error) => {
      assert.match(e.message, /protect/);
      return true;
    });
    assert.ok(cp.get("namespace", "argocd"), "a protected namespace was deleted");
    // The teardown docs/operations-and-alerts.md gives for prod.
    await tearDown("prod", prod);
    await namespacesGone();
  });
});
