/**
 * argocdLocation existing, for real: Argo CD is installed beforehand by other means than the stack (a Helm
 * release of its own, from a Pulumi program of its own, with a customization key of its own in argocd-cm). The
 * stack adopts it: no chart of ours, our two health-check keys patched in under our field manager, its
 * application Synced and Healthy; the other key stays, and destroy removes only ours.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { AtlasOperatorStandIn } from "./stand-ins/atlas-operator";
import { ControlPlane } from "./support/control-plane";
import { figure } from "./support/figures";
import { removeScratch, scratchDir } from "./support/scratch";
import { Backend, copyProgram, newBackend, REPO_ROOT, stackOf, toolchainBin } from "./support/stack";
import { targetFrom } from "./support/target";
import { ARGOCD_CHART_VERSION } from "../../stacks/defaults";

const MANIFESTS = path.join(REPO_ROOT, "examples", "manifests");
/** Someone else's key in argocd-cm, which must survive our patch and our destroy. */
const THEIR_KEY = "resource.customizations.health.example.com_Widget";
const THEIR_SCRIPT = 'hs = {}\nhs.status = "Healthy"\nreturn hs\n';
const OUR_KEYS = [
  "resource.customizations.health.db.atlasgo.io_AtlasMigration",
  "resource.customizations.health.db.atlasgo.io_AtlasSchema",
];

function chartsDir(): string | undefined {
  if (process.env.E2E_CHARTS_DIR) return path.resolve(process.env.E2E_CHARTS_DIR);
  const beside = path.resolve(REPO_ROOT, "..", "shared", "charts");
  return fs.existsSync(path.join(beside, "index.yaml")) ? beside : undefined;
}

describe("adopting an Argo CD the cluster already has (argocdLocation existing)", function () {
  this.timeout(20 * 60_000);

  let cp: ControlPlane;
  let operator: AtlasOperatorStandIn;
  let backend: Backend;
  let program: string;
  /** Their program's directory: a project of its own, not ours (whose Pulumi.yaml requires repoURL). */
  let theirDir: string;
  let theirs: Stack;
  let ours: Stack;
  let failed = false;
  let skipped = false;

  before(async function () {
    this.timeout(60 * 60_000);
    if (targetFrom(process.env).existing !== undefined) {
      skipped = true;
      this.skip();
    }
    const bin = toolchainBin();
    cp = new ControlPlane({ bin, manifests: MANIFESTS, charts: chartsDir() });
    await cp.start();
    operator = new AtlasOperatorStandIn(cp.kubeconfig, () => ({ kind: "applied" }));
    await operator.start();
    backend = newBackend(bin, cp.kubeconfig, true);
    program = copyProgram(REPO_ROOT);
    theirDir = scratchDir("their-argocd");
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      failed = true;
      console.log(`\nLogs (all in ${cp?.work}):\n${cp?.processes.tails()}`);
    }
  });

  after(async () => {
    if (skipped) return;
    await operator?.stop();
    await cp?.stop();
    if (!failed) {
      cp?.remove();
      if (backend) removeScratch(backend.dir);
      if (program) removeScratch(program);
      if (theirDir) removeScratch(theirDir);
    }
  });

  // kubectl leaves managedFields out unless asked; the test reads who owns which key.
  const argocdCm = () =>
    JSON.parse(
      cp.kubectl(["get", "configmap", "argocd-cm", "-n", "argocd", "-o", "json", "--show-managed-fields"]),
    );

  it("installs Argo CD by other means: a Helm release of its own, with a key of its own in argocd-cm", async () => {
    theirs = await LocalWorkspace.createOrSelectStack(
      {
        stackName: "their-argocd",
        projectName: "their-argocd",
        program: async () => {
          const ns = new k8s.core.v1.Namespace("argocd", { metadata: { name: "argocd" } });
          new k8s.helm.v3.Release(
            "argocd",
            {
              name: "argocd",
              chart: "argo-cd",
              version: ARGOCD_CHART_VERSION,
              ...(cp.chartRepository ? { repositoryOpts: { repo: cp.chartRepository } } : {}),
              namespace: "argocd",
              values: { configs: { cm: { [THEIR_KEY]: THEIR_SCRIPT } } },
            },
            { dependsOn: [ns] },
          );
        },
      },
      { workDir: theirDir, envVars: backend.env },
    );
    await theirs.up();
    assert.strictEqual(argocdCm().data[THEIR_KEY], THEIR_SCRIPT);
    for (const key of OUR_KEYS) assert.strictEqual(argocdCm().data[key], undefined);
  });

  it("adopts it: no chart of ours, our two keys patched in under our field manager, the application Synced and Healthy", async () => {
    ours = await stackOf(program, backend, "adopter", {
      repoURL: cp.repoURL,
      targetRevision: "main",
      argocdLocation: "existing",
      "applications[0].name": "shop",
      "applications[0].path": "shop/overlays/dev",
      ...(cp.chartRepository ? { atlasOperatorChartRepository: cp.chartRepository } : {}),
    });
    const t0 = Date.now();
    await ours.up();
    figure("up on an existing Argo CD (one application)", (Date.now() - t0) / 1000);
    const cm = argocdCm();
    assert.strictEqual(cm.data[THEIR_KEY], THEIR_SCRIPT, "their key changed");
    for (const key of OUR_KEYS)
      assert.ok(cm.data[key]?.includes("AtlasSchema") || cm.data[key]?.includes("AtlasMigration"), key);
    const manager = (
      cm.metadata.managedFields as { manager: string; fieldsV1?: { "f:data"?: object } }[]
    ).find((m) => m.manager === "atlas-gitops-health-checks");
    assert.ok(manager, "no field manager atlas-gitops-health-checks on argocd-cm");
    assert.deepStrictEqual(
      Object.keys(manager.fieldsV1?.["f:data"] ?? {}).sort(),
      OUR_KEYS.map((k) => `f:${k}`),
    );
    const app = cp.get("application.argoproj.io", "shop", "argocd");
    assert.deepStrictEqual(
      [app.status.sync.status, app.status.health.status, app.status.sync.revision],
      ["Synced", "Healthy", cp.head()],
    );
    // One argo-cd release only: theirs.
    const releases = cp
      .kubectl([
        "get",
        "secrets",
        "-A",
        "-l",
        "owner=helm,name=argocd",
        "-o",
        "jsonpath={.items[*].metadata.name}",
      ])
      .split(" ")
      .filter(Boolean);
    assert.deepStrictEqual(releases, ["sh.helm.release.v1.argocd.v1"]);
  });

  it("removes only our keys on destroy, and leaves their Argo CD and key", async () => {
    await ours.destroy();
    await ours.workspace.removeStack("adopter");
    const cm = argocdCm();
    assert.ok(cm, "argocd-cm was deleted");
    assert.strictEqual(cm.data[THEIR_KEY], THEIR_SCRIPT);
    for (const key of OUR_KEYS) assert.strictEqual(cm.data[key], undefined, `${key} is still there`);
    assert.ok(cp.get("deployment", "argocd-server", "argocd"));
    await theirs.destroy();
    await theirs.workspace.removeStack("their-argocd");
  });
});
