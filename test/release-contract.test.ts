/**
 * What a failed or repeated `pulumi up` leaves behind for the two Helm releases (argo-cd and atlas-operator),
 * installed with RELEASE_SETTINGS (components/common.ts). The outcomes come from test/support/helm-release-model.ts,
 * a model written from pulumi-kubernetes provider/pkg/provider/helm_release.go (`helmCreate`, `helmUpdate`,
 * `Create`, `Update`, `Diff`), helm v3.20.2 pkg/action install.go / upgrade.go / rollback.go (`failRelease`,
 * `prepareUpgrade`, `performRollback`), pkg/kube/client.go `update`, pkg/storage/storage.go `removeLeastRecent`,
 * and pulumi v3.248.0 pkg/resource/deploy step.go / step_generator.go (partial failures, `hasInitErrors`); its
 * header names what each rule was read from. The model is fed the releases' real inputs, as the components
 * register them under the shared mocks, so a setting changed in the program changes these outcomes.
 */
import * as assert from "assert";
import { find, TYPES } from "./support/mocks";
import { ArgoCd } from "../components/argocd";
import { AtlasOperator } from "../components/atlas-operator";
import { RELEASE_SETTINGS } from "../components/common";
import {
  ChartVersion,
  EMPTY,
  outcome,
  pulumiUp,
  ReleaseInputs,
  RollbackOutcome,
  World,
} from "./support/helm-release-model";

const OBJECTS = ["Deployment/server", "Service/server", "ConfigMap/settings"];
/** A chart whose workloads are ready within a minute. */
const version = (id: string, extra: string[] = [], readyAfter = 60): ChartVersion => ({
  id,
  objects: [...OBJECTS, ...extra],
  readyAfter,
});
/** A chart whose workloads never become ready (an image that cannot be pulled, a crash loop). */
const broken = (id: string, extra: string[] = []): ChartVersion => version(id, extra, Infinity);
/** What a failing upgrade adds: objects the previous revision did not have. */
const NEW_IN_V2 = ["Deployment/new-in-v2", "Secret/new-in-v2"];

/** A first `pulumi up` whose install never becomes ready. */
function firstInstallFails(inputs: ReleaseInputs) {
  const chart = broken("v1");
  const up = pulumiUp(EMPTY, inputs, chart);
  return { up, after: outcome(up.world, inputs, chart) };
}

/** v1 installed, then an upgrade to a v2 with new objects whose workloads never become ready. */
function upgradeFails(inputs: ReleaseInputs, rollback: RollbackOutcome = "succeeds") {
  const v1 = version("v1");
  const installed = pulumiUp(EMPTY, inputs, v1);
  assert.strictEqual(installed.failed, false);
  const v2 = broken("v2", NEW_IN_V2);
  const up = pulumiUp(installed.world, inputs, v2, { rollback, charts: [v1] });
  return { up, after: outcome(up.world, inputs, v2) };
}

/** An install, then `count` upgrades (every `failEvery`-th failing its wait); the most records seen at once. */
function upgrades(inputs: ReleaseInputs, count: number, failEvery = 0) {
  let world: World = pulumiUp(EMPTY, inputs, version("v0")).world;
  let most = world.revisions.length;
  const charts = [version("v0")];
  for (let i = 1; i <= count; i++) {
    const fails = failEvery > 0 && i % failEvery === 0;
    const chart = fails ? broken(`v${i}`) : version(`v${i}`);
    world = pulumiUp(world, inputs, chart, { charts }).world;
    if (!fails) charts.push(chart);
    most = Math.max(most, world.revisions.length);
  }
  return { most, final: world.revisions.length, world };
}

describe("Helm release contract: what a failed or repeated `pulumi up` leaves behind", () => {
  const releases = new Map<string, ReleaseInputs>();
  before(async () => {
    new ArgoCd("rc-cd", { namespace: "rc-argocd" });
    new AtlasOperator("rc-atlas", { namespace: "rc-atlas-operator", watchNamespaces: ["rc-app"] });
    for (const name of ["rc-cd-release", "rc-atlas-release"])
      releases.set(name, (await find(TYPES.release, name)).inputs as ReleaseInputs);
  });

  const subjects: [string, () => ReleaseInputs][] = [
    ["RELEASE_SETTINGS", () => ({ name: "r", namespace: "ns", ...RELEASE_SETTINGS })],
    ["the argo-cd release", () => releases.get("rc-cd-release")!],
    ["the atlas-operator release", () => releases.get("rc-atlas-release")!],
  ];

  for (const [label, inputsOf] of subjects) {
    describe(label, () => {
      it("a failed first install leaves no release, no objects and nothing in state; the next `pulumi up` installs again", () => {
        const inputs = inputsOf();
        const { up, after } = firstInstallFails(inputs);
        assert.deepStrictEqual([up.step, up.failed], ["create", true]);
        assert.deepStrictEqual(after, {
          release: "none",
          running: undefined,
          live: [],
          recorded: "nothing",
          recordedChart: undefined,
          next: "create",
          revisions: 0,
        });
        const retry = pulumiUp(up.world, inputs, version("v1"));
        assert.deepStrictEqual([retry.step, retry.failed], ["create", false]);
        assert.deepStrictEqual(outcome(retry.world, inputs, version("v1")).release, "deployed");
      });

      it("a failed upgrade leaves the previous revision running and nothing the upgrade created; the next `pulumi up` retries it", () => {
        const inputs = inputsOf();
        const { up, after } = upgradeFails(inputs);
        assert.deepStrictEqual([up.step, up.failed], ["update", true]);
        assert.strictEqual(after.release, "deployed", "the rollback record is the deployed one");
        assert.strictEqual(after.running, "v1");
        assert.deepStrictEqual([...after.live].sort(), [...OBJECTS].sort());
        // The provider checkpoints the new inputs with init errors (helm_release.go Update → partialError), so
        // the next run upgrades again even with nothing changed (step_generator.go hasInitErrors).
        assert.deepStrictEqual(
          [after.recorded, after.recordedChart, after.next],
          ["init-errors", "v2", "update"],
        );
        const fixed = version("v2", NEW_IN_V2);
        const retry = pulumiUp(up.world, inputs, fixed, { charts: [version("v1")] });
        assert.deepStrictEqual([retry.step, retry.failed], ["update", false]);
        assert.deepStrictEqual(outcome(retry.world, inputs, fixed).running, "v2");
        assert.strictEqual(outcome(retry.world, inputs, fixed).next, "nothing");
      });

      it("removes the failed upgrade's objects even when its rollback fails to apply", () => {
        const { after } = upgradeFails(inputsOf(), "fails-to-apply");
        assert.ok(NEW_IN_V2.every((o) => !after.live.includes(o)));
        assert.strictEqual(after.release, "failed");
        assert.strictEqual(after.next, "update");
      });

      it("keeps at most 10 release revisions however many upgrades run", () => {
        for (const count of [1, 9, 10, 11, 50]) {
          const { most, final } = upgrades(inputsOf(), count);
          assert.ok(most <= 10, `${count} upgrades: ${most} records at once`);
          assert.strictEqual(final, Math.min(count + 1, 10));
        }
      });

      it("stays bounded with failed upgrades among them: at most one record over 10 (the rollback prunes none)", () => {
        const { most, final } = upgrades(inputsOf(), 60, 3);
        assert.strictEqual(most, 11);
        assert.ok(final <= 11);
      });

      it("gives a first install ten minutes: workloads ready after seven succeed, after eleven fail", () => {
        const inputs = inputsOf();
        assert.strictEqual(pulumiUp(EMPTY, inputs, version("v1", [], 7 * 60)).failed, false);
        assert.strictEqual(pulumiUp(EMPTY, inputs, version("v1", [], 11 * 60)).failed, true);
      });
    });
  }

  describe("the model gives other outcomes for other settings", () => {
    const settings = (): ReleaseInputs => ({ name: "r", namespace: "ns", ...RELEASE_SETTINGS });

    it("without atomic, a failed first install leaves a failed release with its objects and a resource with init errors", () => {
      const inputs = { ...settings(), atomic: false };
      const { after, up } = firstInstallFails(inputs);
      assert.strictEqual(up.failed, true);
      assert.deepStrictEqual(
        [after.release, after.recorded, after.next, after.revisions],
        ["failed", "init-errors", "update", 1],
      );
      assert.deepStrictEqual(after.live, OBJECTS);
      // The retry is a helm upgrade of the failed release (upgrade.go prepareUpgrade accepts it).
      const retry = pulumiUp(up.world, inputs, version("v1"));
      assert.deepStrictEqual([retry.step, retry.failed], ["update", false]);
      assert.deepStrictEqual(outcome(retry.world, inputs, version("v1")).revisions, 2);
    });

    it("without atomic or cleanupOnFail, a failed upgrade leaves its new objects and a failed release", () => {
      const { after } = upgradeFails({ ...settings(), atomic: false, cleanupOnFail: false });
      assert.ok(NEW_IN_V2.every((o) => after.live.includes(o)));
      assert.deepStrictEqual([after.release, after.running], ["failed", "v1"]);
    });

    it("without cleanupOnFail, the rollback alone removes the new objects, unless it fails to apply", () => {
      const inputs = { ...settings(), cleanupOnFail: false };
      assert.ok(NEW_IN_V2.every((o) => !upgradeFails(inputs).after.live.includes(o)));
      const stuck = upgradeFails(inputs, "fails-to-apply").after;
      assert.ok(NEW_IN_V2.every((o) => stuck.live.includes(o)));
    });

    it("without atomic, cleanupOnFail still removes the failed upgrade's objects, but nothing rolls back", () => {
      const { after } = upgradeFails({ ...settings(), atomic: false });
      assert.ok(NEW_IN_V2.every((o) => !after.live.includes(o)));
      assert.strictEqual(after.release, "failed");
    });

    it("without maxHistory, every upgrade adds a record that is never pruned", () => {
      const { maxHistory, ...unbounded } = settings();
      assert.strictEqual(typeof maxHistory, "number");
      assert.deepStrictEqual(
        [1, 10, 50, 200].map((n) => upgrades(unbounded, n).final),
        [2, 11, 51, 201],
      );
    });

    it("with skipAwait and without atomic, a release that never becomes ready is recorded as a success", () => {
      const inputs = { ...settings(), atomic: false, skipAwait: true };
      const { up, after } = firstInstallFails(inputs);
      assert.strictEqual(up.failed, false);
      assert.deepStrictEqual([after.release, after.recorded, after.next], ["deployed", "inputs", "nothing"]);
      // atomic forces the wait (install.go RunWithContext), so skipAwait alone changes nothing here.
      assert.strictEqual(firstInstallFails({ ...settings(), skipAwait: true }).up.failed, true);
    });

    it("with the provider's default timeout (300 s), a first install that needs seven minutes fails", () => {
      const { timeout, ...defaulted } = settings();
      assert.ok(timeout !== undefined && timeout >= 7 * 60);
      assert.strictEqual(pulumiUp(EMPTY, defaulted, version("v1", [], 7 * 60)).failed, true);
    });
  });
});
