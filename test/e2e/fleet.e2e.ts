/**
 * One Argo CD for a fleet, for real: three control planes on this machine, each its own etcd, API server,
 * controllers and kwok on free loopback ports. The hub runs Argo CD's application controller and repo-server (and
 * the git daemon); the two spokes run none, only the stand-in Atlas operator. A hub stack installs Argo CD on the
 * hub (argocdLocation install, one application of its own); a `dev` and a `prod` spoke stack (argocdLocation hub)
 * deploy `shop` through it. Once dev is destroyed, its cluster also hosts a single-cluster stack deployed with the
 * previous release (with an Argo CD of its own for a while), which moves to the hub; last, the hub stack drops its
 * own application. The tests build on each other, in order.
 */
import * as assert from "assert";
import { createHash } from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { AtlasObject, AtlasOperatorStandIn, mysqlRefusal, Outcome } from "./stand-ins/atlas-operator";
import { ControlPlane } from "./support/control-plane";
import { allFigures, figure } from "./support/figures";
import { freePort, until } from "./support/processes";
import { removeScratch } from "./support/scratch";
import {
  Backend,
  copyProgram,
  newBackend,
  operations,
  programAt,
  REPO_ROOT,
  stackOf,
  toolchainBin,
  upgradeProgram,
} from "./support/stack";
import { targetFrom } from "./support/target";

const MANIFESTS = path.join(REPO_ROOT, "examples", "manifests");
const SPOKES = ["dev", "prod"] as const;
const SA = "system:serviceaccount:kube-system:atlas-gitops-argocd";
/** A column MySQL refuses, and what the operator reports of it. */
const REFUSED_COLUMN = "broken varchar(70000) NULL";
const REFUSED_ERROR = mysqlRefusal(REFUSED_COLUMN) as string;
const applied: Outcome = { kind: "applied" };
/** The previous release, 0.3.0 (CHANGELOG.md): a single-cluster program from before fleets. */
const PREVIOUS_RELEASE = "b3ad288f603f0fc7e66db9f002fd3b948f452253";

function chartsDir(): string | undefined {
  if (process.env.E2E_CHARTS_DIR) return path.resolve(process.env.E2E_CHARTS_DIR);
  const beside = path.resolve(REPO_ROOT, "..", "shared", "charts");
  return fs.existsSync(path.join(beside, "index.yaml")) ? beside : undefined;
}

describe("a hub Argo CD and two spoke clusters", function () {
  this.timeout(20 * 60_000);

  let bin: string;
  let hub: ControlPlane;
  const spokes = new Map<string, ControlPlane>();
  const operators: AtlasOperatorStandIn[] = [];
  /** What each spoke's stand-in operator does with an Atlas object, by spoke; applied unless a test says. */
  const decide = new Map<string, (o: AtlasObject) => Outcome>();
  let backend: Backend;
  let program: string;
  /** Program directories besides `program`, removed with it. */
  const programs: string[] = [];
  const stacks = new Map<string, Stack>();
  let failed = false;
  let skipped = false;

  const common = () => ({
    repoURL: hub.repoURL,
    targetRevision: "main",
    ...(hub.chartRepository
      ? { argocdChartRepository: hub.chartRepository, atlasOperatorChartRepository: hub.chartRepository }
      : {}),
  });
  const shop = { "applications[0].name": "shop", "applications[0].path": "shop/overlays/dev" };

  before(async function () {
    this.timeout(90 * 60_000);
    const target = targetFrom(process.env);
    // Several clusters of our own: an existing cluster (E2E_KUBECONFIG) is one cluster, not a fleet.
    if (target.existing !== undefined) {
      skipped = true;
      this.skip();
    }
    bin = toolchainBin();
    const charts = chartsDir();
    const t0 = Date.now();
    hub = new ControlPlane({ bin, manifests: MANIFESTS, charts });
    for (const name of SPOKES)
      spokes.set(name, new ControlPlane({ bin, manifests: MANIFESTS, charts, argoCd: false }));
    await Promise.all([hub, ...spokes.values()].map((cp) => cp.start()));
    figure("three control planes start", (Date.now() - t0) / 1000);
    for (const [name, cp] of [["hub", hub], ...spokes] as [string, ControlPlane][]) {
      const operator = new AtlasOperatorStandIn(cp.kubeconfig, (o) =>
        (decide.get(name) ?? (() => applied))(o),
      );
      await operator.start();
      operators.push(operator);
    }
    backend = newBackend(bin, hub.kubeconfig, true);
    program = copyProgram(REPO_ROOT);
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      failed = true;
      console.log(
        `\n${this.currentTest.title} failed: ${this.currentTest.err?.stack ?? this.currentTest.err}`,
      );
      for (const [name, cp] of [["hub", hub], ...spokes] as [string, ControlPlane][]) {
        console.log(`\nLogs of ${name} (all in ${cp?.work}):\n${cp?.processes.tails()}`);
      }
    }
  });

  after(async () => {
    if (skipped) return;
    const figures = Object.entries(allFigures());
    if (figures.length > 0)
      console.log(`\nFigures (seconds):\n${figures.map(([w, s]) => `  ${w}: ${s}`).join("\n")}`);
    for (const operator of operators) await operator.stop();
    for (const cp of [hub, ...spokes.values()]) await cp?.stop();
    if (!failed) {
      for (const cp of [hub, ...spokes.values()]) cp?.remove();
      if (backend) removeScratch(backend.dir);
      for (const dir of [program, ...programs]) if (dir) removeScratch(dir);
    }
  });

  const spoke = (name: string) => spokes.get(name)!;
  const names = (cp: ControlPlane, kind: string, namespace?: string) =>
    cp
      .kubectl([
        "get",
        kind,
        ...(namespace ? ["-n", namespace] : []),
        "-o",
        "jsonpath={.items[*].metadata.name}",
      ])
      .split(" ")
      .filter(Boolean)
      .sort();

  async function spokeStack(name: string): Promise<Stack> {
    // Not argocdChartRepository: a spoke installs no Argo CD, and the config check refuses the chart keys.
    const { argocdChartRepository, ...forSpoke } = common();
    void argocdChartRepository;
    const stack = await stackOf(program, backend, name, {
      ...forSpoke,
      ...shop,
      argocdLocation: "hub",
      hubKubeconfig: { value: hub.kubeconfig, secret: true },
    });
    await stack.setConfig("kubernetes:kubeconfig", { value: spoke(name).kubeconfig });
    return stack;
  }

  it("brings up a hub stack, then a dev and a prod spoke stack, each application Synced and Healthy in its spoke", async () => {
    const hubStack = await stackOf(program, backend, "hub", {
      ...common(),
      "applications[0].name": "billing",
      "applications[0].path": "billing/overlays/dev",
      "applications[0].dbEngine": "postgres",
      "applications[0].dbName": "billing",
      "applications[0].dbUser": "billing",
    });
    await hubStack.setConfig("kubernetes:kubeconfig", { value: hub.kubeconfig });
    const fleetStart = Date.now();
    let t0 = Date.now();
    await hubStack.up();
    figure("up hub (Argo CD, operator, one application)", (Date.now() - t0) / 1000);
    stacks.set("hub", hubStack);

    for (const name of SPOKES) {
      const stack = await spokeStack(name);
      t0 = Date.now();
      await stack.up();
      figure(`up spoke ${name} from empty`, (Date.now() - t0) / 1000);
      stacks.set(name, stack);
    }
    figure("up the hub and two spokes, one after another", (Date.now() - fleetStart) / 1000);

    const head = hub.head();
    for (const name of SPOKES) {
      const app = hub.get("application.argoproj.io", `${name}-shop`, "argocd");
      assert.deepStrictEqual(
        {
          sync: app.status.sync.status,
          health: app.status.health.status,
          revision: app.status.sync.revision,
        },
        { sync: "Synced", health: "Healthy", revision: head },
        name,
      );
      assert.strictEqual(
        app.spec.destination.server,
        JSON.parse(fs.readFileSync(spoke(name).kubeconfig, "utf8")).clusters[0].cluster.server,
      );
      for (const [kind, object] of [
        ["deployment", "shop"],
        ["deployment", "mysql"],
        ["secret", "db-credentials"],
        ["atlasschema.db.atlasgo.io", "shop"],
      ]) {
        assert.ok(spoke(name).get(kind, object, "shop"), `${name}: ${kind} ${object} is not in its spoke`);
      }
      const cluster = hub.get("secret", `cluster-${name}`, "argocd");
      assert.strictEqual(cluster.metadata.labels["argocd.argoproj.io/secret-type"], "cluster");
      assert.strictEqual(Buffer.from(cluster.data.namespaces, "base64").toString(), "shop");
    }
    // Of a spoke's application the hub holds only its AppProject, Application and the cluster Secret.
    assert.ok(!names(hub, "namespaces").includes("shop"), "the hub has a namespace shop");
    assert.deepStrictEqual(names(hub, "application.argoproj.io", "argocd"), [
      "billing",
      "dev-shop",
      "prod-shop",
    ]);
    // (No "default" AppProject here: argocd-server creates it, and only the controller and repo-server run.)
    assert.deepStrictEqual(names(hub, "appproject.argoproj.io", "argocd"), [
      "billing",
      "dev-shop",
      "prod-shop",
    ]);
    // And a spoke runs no Argo CD.
    assert.ok(!names(spoke("dev"), "namespaces").includes("argocd"));
  });

  it("gives Argo CD a token that writes in the application namespace and reads no Secret elsewhere", () => {
    const dev = spoke("dev");
    const tokenSecret = dev.get("secret", "atlas-gitops-argocd-token-0", "kube-system");
    const token = Buffer.from(tokenSecret.data.token, "base64").toString();
    const config = JSON.parse(fs.readFileSync(dev.kubeconfig, "utf8"));
    const ca = path.join(dev.work, "pki", "ca.crt");
    // As that ServiceAccount, with its own token: no admin credentials involved.
    const canI = (...args: string[]) => {
      try {
        return execFileSync(
          path.join(bin, "kubectl"),
          [
            "--kubeconfig=/dev/null",
            `--server=${config.clusters[0].cluster.server}`,
            `--certificate-authority=${ca}`,
            `--token=${token}`,
            "auth",
            "can-i",
            ...args,
          ],
          { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
        ).trim();
      } catch (e) {
        return String((e as { stdout?: string }).stdout ?? "").trim();
      }
    };
    const whoami = execFileSync(
      path.join(bin, "kubectl"),
      [
        "--kubeconfig=/dev/null",
        `--server=${config.clusters[0].cluster.server}`,
        `--certificate-authority=${ca}`,
        `--token=${token}`,
        "auth",
        "whoami",
        "-o",
        "jsonpath={.status.userInfo.username}",
      ],
      { encoding: "utf8" },
    );
    assert.strictEqual(whoami, SA);
    assert.strictEqual(canI("create", "deployments", "-n", "shop"), "yes");
    assert.strictEqual(canI("delete", "secrets", "-n", "shop"), "yes");
    for (const ns of ["kube-system", "atlas-operator", "default"]) {
      assert.strictEqual(canI("get", "secrets", "-n", ns), "no", `can read Secrets in ${ns}`);
    }
    assert.strictEqual(canI("list", "secrets", "--all-namespaces"), "no");
    assert.strictEqual(canI("create", "namespaces"), "no");
    assert.strictEqual(canI("create", "clusterroles"), "no");
  });

  it("keeps the token and the hub kubeconfig out of the state in plain text", () => {
    const token = Buffer.from(
      spoke("dev").get("secret", "atlas-gitops-argocd-token-0", "kube-system").data.token,
      "base64",
    ).toString();
    const hubKey = JSON.parse(fs.readFileSync(hub.kubeconfig, "utf8")).users[0].user["client-key-data"];
    const stored = execFileSync("grep", ["-r", "-h", "", path.join(backend.dir, "state")], {
      encoding: "utf8",
      // Three stacks' state and history: more than the default 1 MiB.
      maxBuffer: 512 * 1024 * 1024,
    });
    assert.ok(!stored.includes(token), "the spoke token is in the state");
    assert.ok(!stored.includes(hubKey), "the hub's kubeconfig is in the state");
  });

  /** Edits a file of the hub's manifests checkout. */
  const edit = (file: string, from: string | RegExp, to: string) => {
    const full = path.join(hub.checkout, file);
    const text = fs.readFileSync(full, "utf8");
    const next = text.replace(from, to);
    assert.notStrictEqual(next, text, `${file}: nothing to replace`);
    fs.writeFileSync(full, next);
  };
  const markShop = (mark: string) =>
    edit(
      "shop/base/app.yaml",
      /  template:\n    metadata:\n(      annotations:\n        e2e\/revision: "[^"]*"\n)?/,
      `  template:\n    metadata:\n      annotations:\n        e2e/revision: "${mark}"\n`,
    );
  const shopMark = (name: string) =>
    spoke(name).get("deployment", "shop", "shop")?.spec.template.metadata.annotations?.["e2e/revision"];
  const hubApp = (name: string) => hub.get("application.argoproj.io", name, "argocd");

  it("waits on a spoke for the commit that was pushed, read from the hub's Application", async () => {
    markShop("pushed");
    const pushed = hub.commitAndPush("Mark shop");
    const t0 = Date.now();
    await stacks.get("dev")!.up();
    figure("up spoke dev after a push", (Date.now() - t0) / 1000);
    const status = hubApp("dev-shop").status;
    assert.deepStrictEqual(
      [status.sync.revision, status.sync.status, status.health.status],
      [pushed, "Synced", "Healthy"],
    );
    assert.strictEqual(shopMark("dev"), "pushed");
  });

  it("fails fast on a spoke's failed schema, naming the Application, the AtlasSchema and the operator's message", async () => {
    edit(
      "shop/base/schema.yaml",
      "        short_bio varchar(255) NOT NULL,\n",
      `        short_bio varchar(255) NOT NULL,\n        ${REFUSED_COLUMN},\n`,
    );
    markShop("broken");
    hub.commitAndPush("A schema the database refuses");
    let failedAt: number | undefined;
    decide.set("dev", (o) => {
      if (!JSON.stringify(o.spec).includes("broken")) return applied;
      failedAt ??= Date.now();
      return { kind: "failed", reason: "ApplyingSchema", message: REFUSED_ERROR };
    });
    await assert.rejects(stacks.get("dev")!.up(), (e: Error) => {
      const after = (Date.now() - (failedAt ?? 0)) / 1000;
      figure("failed schema on a spoke → pulumi up exits (s after the operator reported it)", after);
      assert.ok(failedAt !== undefined && after < 30, `pulumi up exited ${after} s after the failure`);
      for (const part of ["argocd/dev-shop", "AtlasSchema", "Column length too big"]) {
        assert.ok(e.message.includes(part), `the error does not name ${part}:\n${e.message}`);
      }
      return true;
    });
    assert.strictEqual(shopMark("dev"), "pushed", "wave 2 rolled out although its schema failed");
    // The fix, so that dev ends healthy before it is destroyed.
    edit("shop/base/schema.yaml", `        ${REFUSED_COLUMN},\n`, "        display_name varchar(64) NULL,\n");
    markShop("fixed");
    const fixed = hub.commitAndPush("Replace the broken column");
    await stacks.get("dev")!.up();
    assert.strictEqual(hubApp("dev-shop").status.sync.revision, fixed);
    decide.delete("dev");
  });

  it("destroys dev: its Applications go before its cluster Secret, and prod is untouched", async () => {
    // prod follows main too: let it settle on the head first.
    const head = hub.head();
    await until(
      "prod-shop to be Synced and Healthy at the head",
      () => {
        const s = hubApp("prod-shop")?.status;
        return s?.sync?.revision === head &&
          s.sync.status === "Synced" &&
          s.health?.status === "Healthy" &&
          s.operationState?.phase === "Succeeded"
          ? true
          : undefined;
      },
      5 * 60_000,
      1000,
    );
    const prodApp = () => hub.get("application.argoproj.io", "prod-shop", "argocd");
    const operationBefore = prodApp().status.operationState.startedAt;
    const podsBefore = names(spoke("prod"), "pods", "shop");
    assert.ok(podsBefore.length > 0);
    // The order the engine finished the deletes in.
    const done: string[] = [];
    const onEvent = (e: unknown) => {
      const out = (e as { resOutputsEvent?: { metadata?: { op: string; urn: string } } }).resOutputsEvent
        ?.metadata;
      if (out?.op === "delete") done.push(out.urn.split("::").pop()!);
    };
    await stacks.get("dev")!.destroy({ onEvent });
    const application = done.indexOf("shop-application");
    const clusterSecret = done.indexOf("cluster-registration-secret");
    assert.ok(application >= 0 && clusterSecret > application, `deletes in order: ${done.join(", ")}`);
    assert.strictEqual(hub.get("application.argoproj.io", "dev-shop", "argocd"), undefined);
    assert.strictEqual(hub.get("secret", "cluster-dev", "argocd"), undefined);
    assert.strictEqual(spoke("dev").get("namespace", "shop"), undefined);
    const after = prodApp();
    assert.deepStrictEqual(
      [after.status.sync.status, after.status.health.status, after.status.operationState.startedAt],
      ["Synced", "Healthy", operationBefore],
    );
    assert.deepStrictEqual(names(spoke("prod"), "pods", "shop"), podsBefore);
    assert.ok(hub.get("secret", "cluster-prod", "argocd"));
    await stacks.get("dev")!.workspace.removeStack("dev");
  });

  /** A spoke stack `staging` on dev's cluster (empty since dev's destroy), with extra config. */
  async function stagingStack(extra: Record<string, string | { value: string; secret: boolean }>) {
    const { argocdChartRepository, ...forSpoke } = common();
    void argocdChartRepository;
    const stack = await stackOf(program, backend, "staging", {
      ...forSpoke,
      "applications[0].name": "inventory",
      "applications[0].path": "shop/overlays/dev",
      argocdLocation: "hub",
      hubKubeconfig: { value: hub.kubeconfig, secret: true },
      ...extra,
    });
    await stack.setConfig("kubernetes:kubeconfig", { value: spoke("dev").kubeconfig });
    return stack;
  }
  /** The resources a stack's state holds, the stack itself aside. */
  const registered = async (stack: Stack) =>
    ((await stack.exportStack()).deployment.resources ?? [])
      .map((r: { type: string }) => r.type)
      .filter((type: string) => type !== "pulumi:pulumi:Stack");

  it("refuses, before it registers anything, a cluster name another spoke holds on the hub and a hub that does not answer", async () => {
    const namespacesBefore = names(spoke("dev"), "namespaces");
    const staging = await stagingStack({ clusterName: "prod", "applications[0].name": "shop" });
    let t0 = Date.now();
    await assert.rejects(staging.up(), (e: Error) => {
      assert.match(
        e.message,
        /Config 'atlas-gitops:clusterName' is 'prod' — the hub already has a cluster Secret cluster-prod in argocd for server https:\/\/127\.0\.0\.1:\d+, not this cluster's/,
      );
      assert.match(
        e.message,
        /the hub already has an Application prod-shop in argocd that deploys to https:\/\//,
      );
      assert.match(e.message, /pulumi config set --stack staging clusterName <name>/);
      return true;
    });
    figure("a cluster name another spoke holds: up refused after", (Date.now() - t0) / 1000);
    assert.deepStrictEqual(await registered(staging), []);

    // The hub's kubeconfig with the port of nothing that listens.
    const away = JSON.parse(fs.readFileSync(hub.kubeconfig, "utf8"));
    const port = await freePort();
    away.clusters[0].cluster.server = `https://127.0.0.1:${port}`;
    await staging.setConfig("atlas-gitops:hubKubeconfig", { value: JSON.stringify(away), secret: true });
    await staging.setConfig("atlas-gitops:clusterName", { value: "staging" });
    t0 = Date.now();
    await assert.rejects(staging.up(), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(`The hub at https://127\\.0\\.0\\.1:${port} cannot be read: .*ECONNREFUSED`),
      );
      assert.match(
        e.message,
        /pulumi config set --secret --stack staging hubKubeconfig -- < ~\/.kube\/hub.yaml/,
      );
      return true;
    });
    figure("a hub that does not answer: up refused after", (Date.now() - t0) / 1000);
    assert.deepStrictEqual(await registered(staging), []);
    // Nothing in the spoke, nothing of staging's in the hub.
    assert.deepStrictEqual(names(spoke("dev"), "namespaces"), namespacesBefore);
    assert.strictEqual(hub.get("secret", "cluster-staging", "argocd"), undefined);
    await staging.workspace.removeStack("staging");
  });

  it("fails within seconds when the hub cannot reach a spoke's server, with Argo CD's message and the cluster named", async () => {
    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    // No cascade: an Application whose cluster cannot be reached could never delete what it deployed.
    const staging = await stagingStack({ clusterServer: server, "applications[0].cascadeDelete": "false" });
    let created: number | undefined;
    const onEvent = (e: unknown) => {
      const out = (e as { resOutputsEvent?: { metadata?: { op: string; urn: string } } }).resOutputsEvent
        ?.metadata;
      if (out?.op === "create" && out.urn.endsWith("::inventory-application")) created ??= Date.now();
    };
    await assert.rejects(staging.up({ onEvent }), (e: Error) => {
      const after = (Date.now() - (created ?? 0)) / 1000;
      figure("a spoke the hub cannot reach: up failed after the Application was created (s)", after);
      console.log(
        `    what up said:\n${e.message
          .split("\n")
          .filter((l) => /Argo CD|cannot reach|clusterServer/.test(l))
          .join("\n")}`,
      );
      assert.ok(
        created !== undefined && after < 60,
        `up failed ${after} s after the Application was created`,
      );
      assert.ok(e.message.includes(`Argo CD cannot reach the cluster at ${server}`), e.message);
      assert.ok(e.message.includes("argocd/staging-inventory"), e.message);
      assert.match(e.message, /connection refused/);
      assert.match(e.message, /pulumi config set --stack staging clusterServer https:\/\/<host>:<port>/);
      return true;
    });
    await staging.destroy();
    assert.strictEqual(hub.get("application.argoproj.io", "staging-inventory", "argocd"), undefined);
    assert.strictEqual(hub.get("secret", "cluster-staging", "argocd"), undefined);
    await staging.workspace.removeStack("staging");
  });

  it("moves a single-cluster stack deployed by the previous release to the hub as docs/fleet.md says: no password changes, no workload or database is deleted", async () => {
    const cluster = spoke("dev");
    // The single-cluster stack's own Argo CD, as its chart's pods would run it, for as long as it has one.
    await cluster.startArgoCd();
    const dir = programAt(PREVIOUS_RELEASE);
    programs.push(dir);
    const stack = await stackOf(dir, backend, "staging", { ...common(), ...shop });
    await stack.setConfig("kubernetes:kubeconfig", { value: cluster.kubeconfig });
    let t0 = Date.now();
    await stack.up();
    figure("up a single-cluster stack with 0.3.0", (Date.now() - t0) / 1000);
    const own = cluster.get("application.argoproj.io", "shop", "argocd");
    assert.deepStrictEqual([own.status.sync.status, own.status.health.status], ["Synced", "Healthy"]);
    assert.ok(own.metadata.finalizers?.includes("resources-finalizer.argocd.argoproj.io"));

    const password = () =>
      createHash("sha256")
        .update(cluster.get("secret", "db-credentials", "shop").data.password)
        .digest("hex");
    const uid = (kind: string, name: string, namespace?: string) =>
      cluster.get(kind, name, namespace)?.metadata.uid;
    // What must outlive the move: the namespace, the workload, the database and its volume, the schema.
    const marks = () => ({
      password: password(),
      namespace: uid("namespace", "shop"),
      shop: uid("deployment", "shop", "shop"),
      mysql: uid("deployment", "mysql", "shop"),
      volume: uid("persistentvolumeclaim", "mysql-data", "shop"),
      schema: uid("atlasschema.db.atlasgo.io", "shop", "shop"),
      pods: names(cluster, "pods", "shop"),
    });
    const before = marks();
    assert.ok(before.pods.length > 0 && before.mysql && before.volume);

    // The user pulls this release. Step 1: the finalizer goes, through the program.
    upgradeProgram(dir);
    await stack.setConfig("atlas-gitops:cascadeDelete", { value: "false" });
    await stack.setConfig("atlas-gitops:applications[0].cascadeDelete", { value: "false" }, true);
    const upgrade = operations();
    await stack.up({ onEvent: upgrade.onEvent });
    const changed = upgrade.ops
      .filter((o) => o.op !== "same")
      .map((o) => `${o.op} ${o.urn.split("::").pop()}`);
    console.log(`    the upgrade from 0.3.0, cascadeDelete false: ${changed.join(", ") || "no change"}`);
    assert.deepStrictEqual(
      upgrade.ops.filter((o) => /replace|delete/.test(o.op)).map((o) => o.urn),
      [],
      "the upgrade replaced or deleted something",
    );
    const rows = cluster
      .kubectl([
        "get",
        "applications",
        "-n",
        "argocd",
        "-o",
        "custom-columns=NAME:.metadata.name,FINALIZERS:.metadata.finalizers",
      ])
      .trim()
      .split("\n")
      .slice(1);
    assert.ok(rows.length > 0 && rows.every((r) => r.endsWith("<none>")), rows.join("\n"));

    // Step 2: the old Argo CD stops acting (its controller's pod is a process here).
    cluster.kubectl([
      "-n",
      "argocd",
      "scale",
      "statefulset",
      "argocd-application-controller",
      "--replicas",
      "0",
    ]);
    await cluster.processes.stop(ControlPlane.ARGO_CD_PROCESSES);

    // Step 4: point the stack at the hub, and look at the plan.
    await stack.setConfig("atlas-gitops:argocdLocation", { value: "hub" });
    await stack.setConfig("atlas-gitops:hubKubeconfig", {
      value: fs.readFileSync(hub.kubeconfig, "utf8"),
      secret: true,
    });
    await stack.removeConfig("atlas-gitops:argocdChartRepository");
    const plan = operations();
    await stack.preview({ onEvent: plan.onEvent });
    const kept = plan.ops.filter((o) => /::shop-(namespace|db-password|db-secret)$/.test(o.urn));
    assert.strictEqual(kept.length, 3, `shop's namespace, password and Secret in the plan: ${kept.length}`);
    for (const o of kept) assert.strictEqual(o.op, "same", `the plan would ${o.op} ${o.urn}`);
    const planned = (op: string) => plan.ops.filter((o) => o.op === op).map((o) => o.urn.split("::").pop()!);
    assert.ok(planned("delete").includes("argocd-release"), `deletes: ${planned("delete").join(", ")}`);

    // Step 5.
    t0 = Date.now();
    await stack.up();
    figure("move a single-cluster stack to the hub (up)", (Date.now() - t0) / 1000);
    const moved = hubApp("staging-shop");
    assert.deepStrictEqual(
      [moved.status.sync.status, moved.status.health.status, moved.status.sync.revision],
      ["Synced", "Healthy", hub.head()],
    );
    assert.strictEqual(cluster.get("application.argoproj.io", "shop", "argocd"), undefined);
    assert.deepStrictEqual(marks(), before, "something of shop was replaced on the way");

    await stack.destroy();
    await stack.workspace.removeStack("staging");
  });

  it("lets the hub stack drop its own application (appName ''): Argo CD and its health checks stay, the operator goes, prod is untouched", async () => {
    const hubStack = stacks.get("hub")!;
    const prodBefore = hubApp("prod-shop").status.operationState.startedAt;
    const podsBefore = names(spoke("prod"), "pods", "shop");
    await hubStack.removeConfig("atlas-gitops:applications");
    await hubStack.setConfig("atlas-gitops:appName", { value: "" });
    const t0 = Date.now();
    await hubStack.up();
    figure("hub drops its own application", (Date.now() - t0) / 1000);
    const outputs = await hubStack.outputs();
    assert.deepStrictEqual(outputs.applications.value, []);
    assert.deepStrictEqual(names(hub, "application.argoproj.io", "argocd"), ["prod-shop"]);
    assert.deepStrictEqual([...new Set(hub.helmRecords("name"))], ["argocd"]);
    const cm = hub.get("configmap", "argocd-cm", "argocd").data;
    assert.ok(
      cm["resource.customizations.health.db.atlasgo.io_AtlasSchema"],
      "the health checks left argocd-cm",
    );
    // The spoke's Application went on as it was, and a spoke's `up` still waits through the hub.
    await stacks.get("prod")!.up();
    const prod = hubApp("prod-shop").status;
    assert.deepStrictEqual(
      [prod.sync.status, prod.health.status, prod.operationState.startedAt],
      ["Synced", "Healthy", prodBefore],
    );
    assert.deepStrictEqual(names(spoke("prod"), "pods", "shop"), podsBefore);
  });
});
