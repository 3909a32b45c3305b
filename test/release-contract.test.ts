/**
 * The contract both Helm releases (argo-cd and atlas-operator) are installed under: RELEASE_SETTINGS in
 * components/common.ts, spread into every helm.v3.Release.
 *
 * Read in pulumi/pulumi-kubernetes at master 94977969 (after v4.32.0, the newest snapshot available; the project
 * pins 4.34.2), provider/pkg/provider/helm_release.go:
 * - `helmCreate` builds Helm's action.Install: Wait = !skipAwait, WaitForJobs = !skipAwait && waitForJobs,
 *   Timeout = timeout seconds (`getTimeoutOrDefault`, 300 when unset), Atomic = atomic,
 *   CreateNamespace = createNamespace. It sets no CleanupOnFail: Helm's Install has no such field.
 * - `helmUpdate` builds action.Upgrade with the same Wait/WaitForJobs/Timeout/Atomic, plus
 *   CleanupOnFail = cleanupOnFail and MaxHistory = maxHistory, or 0 (no limit) when unset. So cleanupOnFail and
 *   maxHistory only ever act on an upgrade (an install writes revision 1 only).
 * - `helmCreate`, after a failed install: if the release still exists (no atomic: Helm recorded it as failed) it
 *   returns releaseFailedError, which `Create` turns into a partial error: the engine keeps the release in state
 *   with init errors, and the next `pulumi up` runs an Update (helm upgrade of the failed release), not a create
 *   and not a replace (pulumi/pulumi v3.248.0 pkg/resource/deploy/step_generator.go `hasInitErrors`). If the
 *   release is gone (atomic uninstalled it), it returns the plain error: `Create` fails, nothing is recorded, and
 *   the next `pulumi up` installs from scratch.
 * - `Update`, after a failed upgrade: partial error as well; the new inputs stay in state with init errors, so
 *   the next `pulumi up` tries the upgrade again even with no change.
 *
 * Read in helm/helm v3.20.2 (the version pulumi-kubernetes' provider/go.mod requires), pkg/action:
 * - install.go `failRelease`: with Atomic, uninstall the release (KeepHistory false, so no record stays) and
 *   return "release X failed, and has been uninstalled due to atomic being set"; without it, record the release
 *   as `failed`. `RunWithContext` forces Wait on when Atomic is set.
 * - upgrade.go `failRelease`: record the new revision as failed; with CleanupOnFail delete the resources this
 *   upgrade created; with Atomic roll back to the newest deployed or superseded revision (waiting, same timeout).
 *   `prepareUpgrade` accepts a release whose only revision failed, which is how a retry after a failed first
 *   install without atomic proceeds. `RunWithContext` sets the store's MaxHistory; pkg/storage/storage.go
 *   `Create` then drops the oldest revisions beyond it but never the deployed one (`removeLeastRecent`; 0: keep
 *   all), so an atomic rollback always has its target. The helm CLI's default is 10 (pkg/cli/environment.go
 *   defaultMaxHistory); the provider's is 0.
 */
import * as assert from "assert";
import { find, TYPES } from "./support/mocks";
import { ArgoCd } from "../components/argocd";
import { AtlasOperator } from "../components/atlas-operator";
import { RELEASE_SETTINGS } from "../components/common";

/** The contract, written out once; every key is explained in the table below. */
const CONTRACT = { createNamespace: false, atomic: true, cleanupOnFail: true, timeout: 600, maxHistory: 10 };

describe("Helm release contract", () => {
  describe("RELEASE_SETTINGS", () => {
    it("sets exactly createNamespace, atomic, cleanupOnFail, timeout and maxHistory, and nothing else", () => {
      // No skipAwait: helmCreate/helmUpdate set Wait = !skipAwait, so Helm waits for the workloads and the
      // Application (which dependsOn the releases) is created only once Argo CD and the operator run.
      // No waitForJobs: the charts' only Job (argo-cd's redis-secret-init) is a pre-install/pre-upgrade hook,
      // and Helm waits for hooks regardless (helm pkg/action/hooks.go `execHook` → WatchUntilReady).
      assert.deepStrictEqual(Object.keys(RELEASE_SETTINGS).sort(), Object.keys(CONTRACT).sort());
    });

    const cases: [keyof typeof CONTRACT, unknown, string][] = [
      [
        "atomic",
        true,
        "uninstalls a failed first install, so nothing is left in state and the next `pulumi up` installs again",
      ],
      ["cleanupOnFail", true, "deletes what a failed upgrade created before rolling back (upgrade only)"],
      [
        "createNamespace",
        false,
        "leaves the namespace to Pulumi, which creates it and deletes it on destroy",
      ],
      ["timeout", 600, "gives every Helm wait ten minutes (seconds, not a duration string)"],
      [
        "maxHistory",
        10,
        "keeps ten revisions like the helm CLI, not every one forever (each holds the values and manifest)",
      ],
    ];
    for (const [key, expected, why] of cases) {
      it(`sets ${key} to ${String(expected)}: ${why}`, () => {
        assert.strictEqual((RELEASE_SETTINGS as Record<string, unknown>)[key], expected);
      });
    }
  });

  describe("both releases", () => {
    before(() => {
      new ArgoCd("rc-cd", { namespace: "rc-argocd" });
      new AtlasOperator("rc-atlas", { namespace: "rc-atlas-operator", watchNamespaces: ["rc-app"] });
    });

    for (const release of ["rc-cd-release", "rc-atlas-release"]) {
      it(`${release} is installed under the contract, with no skipAwait or waitForJobs of its own`, async () => {
        const { inputs } = await find(TYPES.release, release);
        for (const [key, value] of Object.entries(CONTRACT)) {
          assert.strictEqual(inputs[key], value, `${release}.${key}`);
        }
        assert.strictEqual(inputs.skipAwait, undefined);
        assert.strictEqual(inputs.waitForJobs, undefined);
      });
    }
  });
});
