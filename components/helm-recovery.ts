/**
 * A Helm release of ours that an interrupted `pulumi up` left pending, recovered by the next `pulumi up` before its
 * install or upgrade runs.
 *
 * Why the program does it: Helm marks a release pending-install, pending-upgrade or pending-rollback while it works
 * and never recovers one on its own (helm#7653); a process killed there leaves every later install refused with
 * "cannot re-use a name that is still in use" and every upgrade with "another operation (install/upgrade/rollback)
 * is in progress". pulumi-kubernetes' helm.v3.Release has no code for it (pulumi-kubernetes#2054). Flux's
 * helm-controller unlocks such a release itself by marking the pending revision failed; this does the same, and
 * removes Helm's record of a release that never reached deployed, so that the install starts again and takes over
 * the objects it had created (Helm adopts objects that carry its release annotations).
 *
 * Helm's storage (helm v3 pkg/storage/driver/secrets.go): one Secret per revision, `sh.helm.release.v1.<name>.v<N>`,
 * labelled owner=helm, name, status and version; `data.release` is the release as JSON, gzip-compressed, in base64
 * (and, as the Kubernetes API returns any Secret's data, in base64 once more).
 *
 * It is safe because `pulumi up` holds the stack's lock: no other run of this stack is working on the release. It
 * is not done where the release is not ours (another chart), or its history is not what an interrupted run leaves.
 */
import { gunzipSync, gzipSync } from "zlib";
import * as pulumi from "@pulumi/pulumi";

export const PENDING_STATUSES = ["pending-install", "pending-upgrade", "pending-rollback"] as const;

/** The part of Helm's release record this reads and writes; everything else is kept as it is. */
export interface HelmRelease {
  readonly name?: string;
  readonly namespace?: string;
  readonly version?: number;
  readonly info?: { status?: string; description?: string; last_deployed?: string; [k: string]: unknown };
  readonly chart?: { readonly metadata?: { readonly name?: string; readonly version?: string } };
  readonly [k: string]: unknown;
}

/** One revision as stored: its Secret and, decoded, the release. */
export interface ReleaseRecord {
  readonly secretName: string;
  readonly version: number;
  /** The Secret's `status` label. */
  readonly status: string;
  readonly release: HelmRelease;
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);

/** A Secret's `data.release` as the Kubernetes API returns it, decoded to the release. */
export function decodeRelease(data: string): HelmRelease {
  const helmText = Buffer.from(data, "base64").toString("utf8");
  const bytes = Buffer.from(helmText, "base64");
  const json = bytes.subarray(0, 3).equals(GZIP_MAGIC) ? gunzipSync(bytes) : bytes;
  return JSON.parse(json.toString("utf8")) as HelmRelease;
}

/** The inverse of decodeRelease: the value to put into the Secret's `data.release`. */
export function encodeRelease(release: HelmRelease): string {
  const helmText = gzipSync(Buffer.from(JSON.stringify(release), "utf8")).toString("base64");
  return Buffer.from(helmText, "utf8").toString("base64");
}

export interface RecoveryTarget {
  readonly namespace: string;
  readonly releaseName: string;
  /** The chart this program installs under that name: a release of another chart is not ours. */
  readonly chart: string;
  readonly stack: string;
}

export type Recovery =
  | { readonly kind: "none" }
  /** Mark the pending revision failed: a deployed revision exists, and the upgrade goes on from it. */
  | {
      readonly kind: "mark-failed";
      readonly record: ReleaseRecord;
      readonly found: string;
      readonly did: string;
    }
  /** Remove every revision: the release never reached deployed, so the install starts again. */
  | {
      readonly kind: "remove-records";
      readonly records: readonly ReleaseRecord[];
      readonly found: string;
      readonly did: string;
    }
  /** Change nothing and stop, with the commands that fix it in order. */
  | { readonly kind: "refuse"; readonly message: string };

const isPending = (status: string) => (PENDING_STATUSES as readonly string[]).includes(status);
const REACHED_DEPLOYED = ["deployed", "superseded"];

/** What to do about a release's records. Pure. */
export function planRecovery(t: RecoveryTarget, records: readonly ReleaseRecord[]): Recovery {
  const sorted = [...records].sort((a, b) => a.version - b.version);
  const pending = sorted.filter((r) => isPending(r.status));
  if (pending.length === 0) return { kind: "none" };
  const where = `Helm release ${t.namespace}/${t.releaseName}`;
  const list = `kubectl -n ${t.namespace} get secrets -l owner=helm,name=${t.releaseName} -L status,version`;
  const history = sorted.map((r) => `v${r.version} ${r.status}`).join(", ");
  const refuse = (why: string, fix: string[]): Recovery => ({
    kind: "refuse",
    message: [
      `${where} is left ${pending.map((r) => `${r.status} (revision ${r.version})`).join(", ")}, and this run did ` +
        `not recover it: ${why}. Nothing was changed. Its revisions: ${history}.`,
      `See them with: ${list}`,
      `Once no other helm or pulumi run works on it:`,
      ...fix.map((c) => `  ${c}`),
    ].join("\n"),
  });

  const latest = sorted[sorted.length - 1];
  const foreign = sorted.filter((r) => r.release.chart?.metadata?.name !== t.chart);
  const p = pending[pending.length - 1];
  const stack = t.stack;
  const markFailed = [
    `kubectl -n ${t.namespace} label secret ${p.secretName} status=failed --overwrite`,
    `pulumi cancel --stack ${stack} --yes   # only if the stack is still locked`,
    `pulumi refresh --stack ${stack} --clear-pending-creates --yes`,
    `pulumi up --stack ${stack}`,
  ];
  if (foreign.length > 0) {
    const charts = [...new Set(foreign.map((r) => r.release.chart?.metadata?.name ?? "unknown"))].join(", ");
    return refuse(`it holds the chart ${charts}, not ${t.chart}, so it is not this program's`, [
      `helm -n ${t.namespace} uninstall ${t.releaseName}   # only if nothing else needs it`,
      `pulumi refresh --stack ${stack} --clear-pending-creates --yes`,
      `pulumi up --stack ${stack}`,
    ]);
  }
  if (pending.length > 1 || p !== latest) {
    return refuse(
      "more than one revision is pending, or a pending one is not the latest, which an interrupted run does not leave",
      markFailed,
    );
  }

  const age = p.release.info?.last_deployed ? ` (started ${p.release.info.last_deployed})` : "";
  const found = `${where} was left ${p.status} at revision ${p.version}${age} by an interrupted run`;
  const reached = sorted.filter((r) => r.version < p.version && REACHED_DEPLOYED.includes(r.status));
  if (p.status === "pending-install" && reached.length === 0) {
    return {
      kind: "remove-records",
      records: sorted,
      found,
      did:
        `it never reached deployed, so Helm's record of it (${sorted.map((r) => r.secretName).join(", ")}) was ` +
        `removed and the install starts again, taking over the objects it had already created`,
    };
  }
  if (reached.length === 0) {
    return refuse(`no earlier revision of it was ever deployed, so an upgrade has nothing to go on from`, [
      `kubectl -n ${t.namespace} delete secret -l owner=helm,name=${t.releaseName}`,
      `pulumi state delete --stack ${stack} --yes '<the release's URN, from pulumi stack --show-urns>'`,
      `pulumi up --stack ${stack}`,
    ]);
  }
  return {
    kind: "mark-failed",
    record: p,
    found,
    did:
      `revision ${p.version} was marked failed, as Flux's helm-controller unlocks a release, so that this update ` +
      `goes on from revision ${reached[reached.length - 1].version} (${reached[reached.length - 1].status})`,
  };
}

/** The release as Helm would record a failed revision. */
export function failedRelease(release: HelmRelease, note: string): HelmRelease {
  return { ...release, info: { ...release.info, status: "failed", description: note } };
}

/** Helm's records of a release; ./cluster-client.ts is the real one. */
export interface ReleaseStore {
  listReleaseRecords(namespace: string, releaseName: string): Promise<ReleaseRecord[]>;
  /** Replaces the record's Secret with the release marked failed and the label status=failed. */
  markReleaseFailed(namespace: string, record: ReleaseRecord, note: string): Promise<void>;
  deleteReleaseRecord(namespace: string, secretName: string): Promise<void>;
}

export interface ReleaseRecovery {
  /** Resolves once the release can be installed or upgraded; rejects with a RunError where that is not safe. */
  recover(t: RecoveryTarget, report: (message: string) => void): Promise<void>;
}

export const RECOVERY_NOTE = "Left pending by an interrupted run; marked failed by atlas-gitops";

export function releaseRecovery(store: ReleaseStore): ReleaseRecovery {
  return {
    async recover(t, report) {
      let records: ReleaseRecord[];
      try {
        records = await store.listReleaseRecords(t.namespace, t.releaseName);
      } catch (e) {
        throw new pulumi.RunError(
          `Helm release ${t.namespace}/${t.releaseName}: cannot read Helm's records of it to check that no ` +
            `interrupted run left it pending: ${e instanceof Error ? e.message : String(e)}. Check that the cluster ` +
            `is reachable (kubectl -n ${t.namespace} get secrets -l owner=helm,name=${t.releaseName}), then run ` +
            `pulumi up --stack ${t.stack} again.`,
        );
      }
      const plan = planRecovery(t, records);
      if (plan.kind === "none") return;
      if (plan.kind === "refuse") throw new pulumi.RunError(plan.message);
      if (plan.kind === "mark-failed") await store.markReleaseFailed(t.namespace, plan.record, RECOVERY_NOTE);
      else for (const r of plan.records) await store.deleteReleaseRecord(t.namespace, r.secretName);
      report(`${plan.found}: ${plan.did}.`);
    },
  };
}

/**
 * The release name for a helm.v3.Release, available once a recovery of the release has run: in `pulumi up` the
 * install or upgrade waits for it, and fails with its message when it refuses. In a preview, or without a
 * recovery, the plain name: a preview changes nothing in the cluster.
 */
export function nameAfterRecovery(
  recovery: ReleaseRecovery | undefined,
  t: RecoveryTarget,
  parent: pulumi.Resource,
): pulumi.Input<string> {
  if (recovery === undefined || pulumi.runtime.isDryRun()) return t.releaseName;
  return pulumi.output(
    recovery.recover(t, (message) => void pulumi.log.warn(message, parent)).then(() => t.releaseName),
  );
}
