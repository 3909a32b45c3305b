/**
 * Where the e2e suite deploys (test/e2e/support/target.ts): its own control plane with both stand-ins by default,
 * an existing cluster with none under E2E_KUBECONFIG, and a clear error, before anything starts, for a setting
 * it cannot use.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { targetFrom } from "./e2e/support/target";

describe("the e2e target", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-target-"));
  const kubeconfig = path.join(dir, "kubeconfig");
  fs.writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\n");
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("starts its own control plane with both stand-ins when E2E_KUBECONFIG is unset or empty", () => {
    for (const env of [{}, { E2E_KUBECONFIG: "" }]) {
      const target = targetFrom(env);
      assert.equal(target.existing, undefined);
      assert.deepEqual([...target.standIns].sort(), ["atlas-operator", "random"]);
    }
  });

  it("uses an existing cluster with no stand-in, the git daemon on E2E_GIT_HOST", () => {
    const target = targetFrom({ E2E_KUBECONFIG: kubeconfig, E2E_GIT_HOST: "172.18.0.1" });
    assert.deepEqual(target.existing, { kubeconfig, gitHost: "172.18.0.1" });
    assert.deepEqual([...target.standIns], []);
  });

  it("keeps the stand-ins E2E_STAND_INS names on an existing cluster", () => {
    const target = targetFrom({ E2E_KUBECONFIG: kubeconfig, E2E_GIT_HOST: "::1", E2E_STAND_INS: "random" });
    assert.deepEqual([...target.standIns], ["random"]);
  });

  it("refuses a kubeconfig that does not exist, naming it and how to write one", () => {
    assert.throws(
      () => targetFrom({ E2E_KUBECONFIG: "/nowhere/kubeconfig", E2E_GIT_HOST: "172.18.0.1" }),
      /E2E_KUBECONFIG is '\/nowhere\/kubeconfig', which does not exist: .*kind get kubeconfig --name atlas-e2e/,
    );
  });

  for (const gitHost of [undefined, "", "host name", "a;b"]) {
    it(`refuses E2E_GIT_HOST ${JSON.stringify(gitHost)} with E2E_KUBECONFIG, saying what it is for`, () => {
      assert.throws(
        () => targetFrom({ E2E_KUBECONFIG: kubeconfig, E2E_GIT_HOST: gitHost }),
        new RegExp(
          `E2E_GIT_HOST is '${(gitHost ?? "").replace(/[;]/g, "\\$&")}': .*the cluster's pods reach.*docker network inspect kind`,
        ),
      );
    });
  }

  it("refuses a stand-in it does not have, listing those it has", () => {
    assert.throws(
      () =>
        targetFrom({ E2E_KUBECONFIG: kubeconfig, E2E_GIT_HOST: "10.0.0.1", E2E_STAND_INS: "random,mysql" }),
      /E2E_STAND_INS is 'random,mysql': 'mysql' is not a stand-in; allowed: random, atlas-operator/,
    );
  });

  it("refuses to drop a stand-in on its own control plane, which has no real random provider or operator", () => {
    assert.throws(
      () => targetFrom({ E2E_STAND_INS: "random" }),
      /E2E_STAND_INS is 'random': the suite's own control plane .* needs both stand-ins; unset E2E_STAND_INS/,
    );
  });
});
