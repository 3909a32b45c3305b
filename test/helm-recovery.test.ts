/**
 * A Helm release left pending by an interrupted `pulumi up`: how Helm's record is read and written, what the next
 * `pulumi up` does about it, and that the release's install or upgrade waits for that.
 */
import { strict as assert } from "assert";
import { gzipSync } from "zlib";
import * as pulumi from "@pulumi/pulumi";
import "./support/mocks";
import { find, registered, TYPES, useMocks } from "./support/mocks";
import { ArgoCd } from "../components/argocd";
import {
  decodeRelease,
  encodeRelease,
  failedRelease,
  planRecovery,
  releaseRecovery,
  type HelmRelease,
  type RecoveryTarget,
  type ReleaseRecord,
  type ReleaseRecovery,
  type ReleaseStore,
} from "../components/helm-recovery";

const T: RecoveryTarget = { namespace: "argocd", releaseName: "argocd", chart: "argo-cd", stack: "dev" };

const release = (version: number, status: string, chart = "argo-cd"): HelmRelease => ({
  name: "argocd",
  namespace: "argocd",
  version,
  info: { status, description: "Install complete", last_deployed: "2026-12-07T05:13:00Z" },
  chart: { metadata: { name: chart, version: "1.0.0" } },
  manifest: "---\nkind: Deployment\n",
});
const record = (version: number, status: string, chart?: string): ReleaseRecord => ({
  secretName: `sh.helm.release.v1.argocd.v${version}`,
  version,
  status,
  release: release(version, status, chart),
});

describe("Helm's release record", () => {
  it("decodes data.release as the Kubernetes API returns it: base64 of Helm's base64 of gzip'd JSON", () => {
    const helm = gzipSync(Buffer.from(JSON.stringify(release(3, "pending-upgrade")))).toString("base64");
    const data = Buffer.from(helm).toString("base64");
    assert.deepEqual(decodeRelease(data), release(3, "pending-upgrade"));
  });

  it("decodes a record Helm wrote without gzip", () => {
    const helm = Buffer.from(JSON.stringify(release(1, "deployed"))).toString("base64");
    assert.deepEqual(decodeRelease(Buffer.from(helm).toString("base64")), release(1, "deployed"));
  });

  it("encodes what it decodes, gzip'd as Helm writes it", () => {
    const data = encodeRelease(release(2, "failed"));
    assert.deepEqual(decodeRelease(data), release(2, "failed"));
    const helmBytes = Buffer.from(Buffer.from(data, "base64").toString("utf8"), "base64");
    assert.deepEqual([...helmBytes.subarray(0, 2)], [0x1f, 0x8b]);
  });

  it("marks a revision failed keeping everything else, with a description that says why", () => {
    const failed = failedRelease(release(3, "pending-upgrade"), "why");
    assert.deepEqual(failed, {
      ...release(3, "pending-upgrade"),
      info: { ...release(3, "pending-upgrade").info, status: "failed", description: "why" },
    });
  });
});

describe("planRecovery", () => {
  it("does nothing without records, or with none pending", () => {
    assert.deepEqual(planRecovery(T, []), { kind: "none" });
    assert.deepEqual(planRecovery(T, [record(1, "superseded"), record(2, "deployed"), record(3, "failed")]), {
      kind: "none",
    });
  });

  it("removes Helm's records of a first install that never reached deployed", () => {
    const plan = planRecovery(T, [record(1, "pending-install")]);
    assert.equal(plan.kind, "remove-records");
    assert.ok(plan.kind === "remove-records");
    assert.deepEqual(
      plan.records.map((r) => r.secretName),
      ["sh.helm.release.v1.argocd.v1"],
    );
    assert.equal(
      plan.found,
      "Helm release argocd/argocd was left pending-install at revision 1 (started 2026-12-07T05:13:00Z) by an interrupted run",
    );
    assert.match(plan.did, /never reached deployed.*removed and the install starts again/);
  });

  it("removes every revision when an install after failed ones never reached deployed", () => {
    const plan = planRecovery(T, [record(2, "pending-install"), record(1, "failed")]);
    assert.ok(plan.kind === "remove-records");
    assert.deepEqual(
      plan.records.map((r) => r.version),
      [1, 2],
    );
  });

  for (const status of ["pending-upgrade", "pending-rollback"]) {
    it(`marks a ${status} revision failed, going on from the last deployed one`, () => {
      const plan = planRecovery(T, [record(1, "superseded"), record(2, "deployed"), record(3, status)]);
      assert.ok(plan.kind === "mark-failed");
      assert.equal(plan.record.version, 3);
      assert.equal(
        plan.did,
        "revision 3 was marked failed, as Flux's helm-controller unlocks a release, so that this update goes on from revision 2 (deployed)",
      );
    });
  }

  it("refuses a release of another chart, changing nothing, with the commands in order", () => {
    const plan = planRecovery(T, [record(1, "pending-install", "nginx")]);
    assert.ok(plan.kind === "refuse");
    const lines = plan.message.split("\n");
    assert.match(lines[0], /^Helm release argocd\/argocd is left pending-install \(revision 1\)/);
    assert.match(
      lines[0],
      /it holds the chart nginx, not argo-cd, so it is not this program's\. Nothing was changed\./,
    );
    assert.equal(
      lines[1],
      "See them with: kubectl -n argocd get secrets -l owner=helm,name=argocd -L status,version",
    );
    assert.deepEqual(lines.slice(3), [
      "  helm -n argocd uninstall argocd   # only if nothing else needs it",
      "  pulumi refresh --stack dev --clear-pending-creates --yes",
      "  pulumi up --stack dev",
    ]);
  });

  it("refuses a history an interrupted run does not leave: two pending revisions", () => {
    const plan = planRecovery(T, [
      record(1, "deployed"),
      record(2, "pending-upgrade"),
      record(3, "pending-rollback"),
    ]);
    assert.ok(plan.kind === "refuse");
    assert.match(plan.message, /more than one revision is pending/);
    assert.deepEqual(plan.message.split("\n").slice(3), [
      "  kubectl -n argocd label secret sh.helm.release.v1.argocd.v3 status=failed --overwrite",
      "  pulumi cancel --stack dev --yes   # only if the stack is still locked",
      "  pulumi refresh --stack dev --clear-pending-creates --yes",
      "  pulumi up --stack dev",
    ]);
  });

  it("refuses an upgrade with no deployed revision to go on from", () => {
    const plan = planRecovery(T, [record(1, "failed"), record(2, "pending-upgrade")]);
    assert.ok(plan.kind === "refuse");
    assert.match(plan.message, /no earlier revision of it was ever deployed/);
  });
});

/** A store that records what it was asked to do. */
function fakeStore(records: ReleaseRecord[] | Error) {
  const done: string[] = [];
  const store: ReleaseStore = {
    async listReleaseRecords(namespace, name) {
      done.push(`list ${namespace} ${name}`);
      if (records instanceof Error) throw records;
      return records;
    },
    async markReleaseFailed(namespace, r, note) {
      done.push(`mark-failed ${namespace} ${r.secretName} ${note}`);
    },
    async deleteReleaseRecord(namespace, secretName) {
      done.push(`delete ${namespace} ${secretName}`);
    },
  };
  return { store, done };
}

describe("releaseRecovery", () => {
  it("marks a pending upgrade failed and says what it found and did", async () => {
    const { store, done } = fakeStore([record(1, "deployed"), record(2, "pending-upgrade")]);
    const reports: string[] = [];
    await releaseRecovery(store).recover(T, (m) => reports.push(m));
    assert.deepEqual(done, [
      "list argocd argocd",
      "mark-failed argocd sh.helm.release.v1.argocd.v2 Left pending by an interrupted run; marked failed by atlas-gitops",
    ]);
    assert.equal(reports.length, 1);
    assert.match(
      reports[0],
      /^Helm release argocd\/argocd was left pending-upgrade at revision 2 .*: revision 2 was marked failed/,
    );
  });

  it("removes the records of a first install", async () => {
    const { store, done } = fakeStore([record(1, "pending-install")]);
    await releaseRecovery(store).recover(T, () => undefined);
    assert.deepEqual(done, ["list argocd argocd", "delete argocd sh.helm.release.v1.argocd.v1"]);
  });

  it("changes nothing and reports nothing for a healthy release", async () => {
    const { store, done } = fakeStore([record(1, "deployed")]);
    const reports: string[] = [];
    await releaseRecovery(store).recover(T, (m) => reports.push(m));
    assert.deepEqual(done, ["list argocd argocd"]);
    assert.deepEqual(reports, []);
  });

  it("rejects with a RunError and changes nothing where it is not safe", async () => {
    const { store, done } = fakeStore([record(1, "pending-install", "nginx")]);
    await assert.rejects(
      releaseRecovery(store).recover(T, () => undefined),
      pulumi.RunError,
    );
    assert.deepEqual(done, ["list argocd argocd"]);
  });

  it("rejects naming the release and what to check when Helm's records cannot be read", async () => {
    const { store } = fakeStore(new Error("the Kubernetes API answered 403: forbidden"));
    await assert.rejects(
      releaseRecovery(store).recover(T, () => undefined),
      (e: Error) =>
        e instanceof pulumi.RunError &&
        e.message.startsWith("Helm release argocd/argocd: cannot read Helm's records of it") &&
        e.message.includes("kubectl -n argocd get secrets -l owner=helm,name=argocd"),
    );
  });
});

describe("ArgoCd with a release recovery", () => {
  describe("in `pulumi up`", () => {
    const asked: RecoveryTarget[] = [];
    let finish: () => void = () => undefined;
    const recovery: ReleaseRecovery = {
      recover: (t) => {
        asked.push(t);
        return new Promise((done) => (finish = done));
      },
    };
    before(() => {
      new ArgoCd("recovering", { namespace: "gitops", recovery });
    });

    it("asks for the recovery of its release in its namespace, for the argo-cd chart", async () => {
      await registered();
      assert.deepEqual(asked, [
        { namespace: "gitops", releaseName: "argocd", chart: "argo-cd", stack: "test" },
      ]);
    });

    it("installs the release only once the recovery is done, under the same name", async () => {
      const names = async () => (await registered()).map((r) => r.name);
      assert.ok(!(await names()).includes("recovering-release"), "installed before the recovery ended");
      finish();
      for (let i = 0; i < 50 && !(await names()).includes("recovering-release"); i++) await registered();
      assert.equal((await find(TYPES.release, "recovering-release")).inputs.name, "argocd");
    });
  });

  describe("in a preview", () => {
    let asked = 0;
    before(() => {
      useMocks("test", {}, [], true);
      try {
        new ArgoCd("previewing", { namespace: "gitops", recovery: { recover: async () => void asked++ } });
      } finally {
        useMocks();
      }
    });

    it("asks for nothing: a preview changes nothing in the cluster", async () => {
      assert.equal((await find(TYPES.release, "previewing-release")).inputs.name, "argocd");
      assert.equal(asked, 0);
    });
  });
});
