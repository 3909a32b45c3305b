/**
 * A model of one kubernetes:helm.sh/v3:Release across `pulumi up` runs: what the provider asks Helm to do, what
 * Helm leaves in the cluster and in its release records, what the Pulumi engine records, and what the next run
 * does. Written from:
 *
 * pulumi/pulumi-kubernetes provider/pkg/provider/helm_release.go (master 94977969, after v4.32.0, the newest
 * snapshot available; the project pins 4.34.2):
 * - `helmCreate`: action.Install with Wait = !skipAwait, Timeout = `getTimeoutOrDefault` (300 s when 0 or unset),
 *   Atomic = atomic; no CleanupOnFail (Install has none) and no MaxHistory (a fresh action.Configuration from
 *   `getActionConfig`, whose storage keeps every record). On an error with a release returned it looks the release
 *   up (`resourceReleaseLookup`): still there → `releaseFailedError`; gone → the plain error.
 * - `Create`: a `releaseFailedError` becomes `partialError` (the inputs are checkpointed); any other error is
 *   returned as is (nothing checkpointed).
 * - `helmUpdate`: action.Upgrade with the same Wait/Timeout/Atomic, MaxHistory = maxHistory or 0, CleanupOnFail.
 *   An error with no release (prepareUpgrade refused) is returned as is; an error with a release is wrapped in
 *   `releaseFailedError`. `Update` turns that into `partialError` with the NEW inputs checkpointed.
 * - `Diff`: any change of the inputs is an update, a change of `.name` or `.namespace` a replacement.
 *
 * helm/helm v3.20.2 (the version pulumi-kubernetes' go.mod requires):
 * - pkg/action/install.go `RunWithContext` (Wait = Wait || Atomic; record revision 1, pending-install, then
 *   `performInstall`: create the objects, wait, mark deployed) and `failRelease` (status failed; with Atomic an
 *   Uninstall with KeepHistory false: every object of the manifest deleted and every record purged, so the release
 *   no longer exists; without it the failed record is kept and the objects stay).
 * - pkg/action/upgrade.go `RunWithContext` (Wait = Wait || Atomic; the store's MaxHistory set from the action),
 *   `prepareUpgrade` (the newest record must not be pending; the base is the deployed revision, or the newest
 *   record when it failed or was superseded and none is deployed; the new revision is newest + 1),
 *   `performUpgrade` (Releases.Create of the new revision, then `releasingUpgrade`: KubeClient.Update creates the
 *   objects new in this manifest and deletes the ones it dropped, then the wait; on success the base becomes
 *   superseded and the new revision deployed) and `failRelease` (new revision failed; CleanupOnFail deletes the
 *   objects this upgrade created; Atomic rolls back to the newest deployed or superseded revision).
 * - pkg/action/rollback.go `Run` (sets the store's MaxHistory from the Rollback action, which failRelease leaves
 *   at 0, so the rollback record prunes nothing; a new revision newest + 1 with the target's manifest) and
 *   `performRollback` (KubeClient.Update from the failed manifest to the target's; if applying fails the rollback
 *   record is failed and nothing is deleted; otherwise the wait, every deployed record superseded, the rollback
 *   record deployed).
 * - pkg/kube/client.go `update`: objects of the target missing from the cluster are created (and listed as
 *   created), then, only if every object applied, the objects of the original manifest the target lacks are
 *   deleted.
 * - pkg/storage/storage.go `Create` → `removeLeastRecent(name, MaxHistory-1)`: oldest records first, never the
 *   deployed one, until MaxHistory-1 remain; MaxHistory 0 keeps all.
 *
 * pulumi/pulumi v3.248.0 pkg/resource/deploy:
 * - step.go CreateStep.Apply / UpdateStep.Apply: a partial failure records the provider's outputs with the new
 *   inputs and InitErrors; any other error records nothing (a create leaves no resource, an update leaves the
 *   previous state as it was).
 * - step_generator.go `generateSteps` / `diff`: no previous state → create; a diff → update (or replace);
 *   no diff but `hasInitErrors` → an update anyway; otherwise nothing.
 *
 * Not modelled: hooks, objects kept by `helm.sh/resource-policy: keep` (and CRDs in a chart's crds/), a
 * cancelled run, createNamespace, waitForJobs, failures of the uninstall itself.
 */

/** The Release inputs this model reads (the rest of a registered Release's inputs are ignored). */
export interface ReleaseInputs {
  readonly name?: string;
  readonly namespace?: string;
  readonly atomic?: boolean;
  readonly cleanupOnFail?: boolean;
  readonly timeout?: number;
  readonly maxHistory?: number;
  readonly skipAwait?: boolean;
}

/** One version of the chart with its values: the objects it renders and how long its workloads take to be ready. */
export interface ChartVersion {
  readonly id: string;
  readonly objects: readonly string[];
  /** Seconds until every object is ready; Infinity when they never are. */
  readonly readyAfter: number;
}

export type ReleaseStatus = "deployed" | "superseded" | "failed" | "pending-install" | "pending-upgrade";

/** A release record: Secret sh.helm.release.v1.<name>.v<version>. */
export interface Revision {
  readonly version: number;
  readonly status: ReleaseStatus;
  readonly chart: string;
  readonly objects: readonly string[];
}

/** The Release in the Pulumi checkpoint. */
export interface Recorded {
  readonly inputs: ReleaseInputs;
  readonly chart: string;
  readonly initErrors: boolean;
}

export interface World {
  readonly revisions: readonly Revision[];
  /** The release's objects in the cluster. */
  readonly live: readonly string[];
  readonly recorded?: Recorded;
}

export const EMPTY: World = { revisions: [], live: [] };

export type Step = "create" | "update" | "replace" | "nothing";

/** provider `getTimeoutOrDefault`: seconds, 300 when unset or 0. */
const DEFAULT_TIMEOUT = 300;
const timeoutOf = (inputs: ReleaseInputs) => (inputs.timeout ? inputs.timeout : DEFAULT_TIMEOUT);
/** install.go / upgrade.go RunWithContext: Wait = !skipAwait (provider) || Atomic (Helm). */
const waits = (inputs: ReleaseInputs) => !inputs.skipAwait || Boolean(inputs.atomic);
/** The wait fails when the workloads are not ready within the timeout; without a wait nothing fails. */
const waitFails = (inputs: ReleaseInputs, chart: ChartVersion) =>
  waits(inputs) && chart.readyAfter > timeoutOf(inputs);

const inputsKey = (inputs: ReleaseInputs) =>
  JSON.stringify([
    inputs.name,
    inputs.namespace,
    inputs.atomic,
    inputs.cleanupOnFail,
    inputs.timeout,
    inputs.maxHistory,
    inputs.skipAwait,
  ]);

/** step_generator.go: what the engine does with this Release on the next `pulumi up`. */
export function nextStep(world: World, inputs: ReleaseInputs, chart: ChartVersion): Step {
  const old = world.recorded;
  if (old === undefined) return "create";
  if (old.inputs.name !== inputs.name || old.inputs.namespace !== inputs.namespace) return "replace";
  if (old.chart !== chart.id || inputsKey(old.inputs) !== inputsKey(inputs)) return "update";
  return old.initErrors ? "update" : "nothing";
}

/** The record Helm reports (`helm status`): the newest revision, or none. */
export function newest(world: World): Revision | undefined {
  return [...world.revisions].sort((a, b) => b.version - a.version)[0];
}

/** storage.go Deployed: the newest deployed record. */
export function deployed(world: World): Revision | undefined {
  return [...world.revisions].filter((r) => r.status === "deployed").sort((a, b) => b.version - a.version)[0];
}

const without = (list: readonly string[], gone: readonly string[]) => list.filter((o) => !gone.includes(o));
const union = (a: readonly string[], b: readonly string[]) => [...a, ...b.filter((o) => !a.includes(o))];

/** storage.go Create with MaxHistory: prune (removeLeastRecent) to max - 1, then add the record. */
function storeCreate(revisions: Revision[], rev: Revision, maxHistory: number): Revision[] {
  let kept = [...revisions].sort((a, b) => a.version - b.version);
  if (maxHistory > 0 && kept.length > maxHistory - 1) {
    const current = deployed({ revisions: kept, live: [] });
    const toDelete: number[] = [];
    for (const r of kept) {
      if (kept.length - toDelete.length === maxHistory - 1) break;
      if (current === undefined || r.version !== current.version) toDelete.push(r.version);
    }
    kept = kept.filter((r) => !toDelete.includes(r.version));
  }
  return [...kept, rev];
}

const setStatus = (revisions: Revision[], version: number, status: ReleaseStatus) =>
  revisions.map((r) => (r.version === version ? { ...r, status } : r));

/** What Helm did, as the provider sees it: an error with or without a release returned. */
interface HelmResult {
  readonly revisions: Revision[];
  readonly live: readonly string[];
  readonly error?: "with-release" | "without-release";
}

/** install.go RunWithContext → performInstall / failRelease, and helmCreate's look-up after an error. */
function install(world: World, inputs: ReleaseInputs, chart: ChartVersion): HelmResult {
  // install.go availableName: a name with a record still in use is refused before anything is written.
  if (world.revisions.length > 0)
    return { revisions: [...world.revisions], live: world.live, error: "without-release" };
  const revisions = storeCreate(
    [],
    { version: 1, status: "pending-install", chart: chart.id, objects: chart.objects },
    0,
  );
  const live = union(world.live, chart.objects);
  if (!waitFails(inputs, chart)) return { revisions: setStatus(revisions, 1, "deployed"), live };
  // Atomic: Uninstall with KeepHistory false deletes the manifest's objects and purges every record, so
  // helmCreate's resourceReleaseLookup finds nothing and returns the plain error.
  if (inputs.atomic) return { revisions: [], live: without(live, chart.objects), error: "without-release" };
  return { revisions: setStatus(revisions, 1, "failed"), live, error: "with-release" };
}

/** The event a rollback meets, for an atomic upgrade that fails. */
export type RollbackOutcome = "succeeds" | "fails-to-apply";

/** upgrade.go RunWithContext → prepareUpgrade / performUpgrade / failRelease, rollback.go Run. */
function upgrade(
  world: World,
  inputs: ReleaseInputs,
  chart: ChartVersion,
  rollback: RollbackOutcome,
  charts: ReadonlyMap<string, ChartVersion>,
): HelmResult {
  const last = newest(world);
  if (last === undefined)
    return { revisions: [...world.revisions], live: world.live, error: "without-release" };
  if (last.status.startsWith("pending"))
    return { revisions: [...world.revisions], live: world.live, error: "without-release" };
  const base = deployed(world) ?? (["failed", "superseded"].includes(last.status) ? last : undefined);
  if (base === undefined)
    return { revisions: [...world.revisions], live: world.live, error: "without-release" };

  const version = last.version + 1;
  let revisions = storeCreate(
    [...world.revisions],
    { version, status: "pending-upgrade", chart: chart.id, objects: chart.objects },
    inputs.maxHistory ?? 0,
  );
  // kube client update: create what is missing, then (all applied) delete what the base had and this lacks.
  const created = chart.objects.filter((o) => !world.live.includes(o));
  let live = without(union(world.live, chart.objects), without(base.objects, chart.objects));

  if (!waitFails(inputs, chart)) {
    revisions = setStatus(revisions, base.version, "superseded");
    return { revisions: setStatus(revisions, version, "deployed"), live };
  }

  // failRelease
  revisions = setStatus(revisions, version, "failed");
  if (inputs.cleanupOnFail && created.length > 0) live = without(live, created);
  if (!inputs.atomic) return { revisions, live, error: "with-release" };

  const target = [...revisions]
    .filter((r) => r.status === "deployed" || r.status === "superseded")
    .sort((a, b) => b.version - a.version)[0];
  if (target === undefined) return { revisions, live, error: "with-release" };
  const failed = revisions.find((r) => r.version === version)!;
  // rollback.go Run: MaxHistory 0 on this action, so the rollback record prunes nothing.
  const rollbackVersion = version + 1;
  revisions = storeCreate(revisions, { ...target, version: rollbackVersion, status: "pending-upgrade" }, 0);
  const targetChart = charts.get(target.chart);
  if (rollback === "fails-to-apply") {
    // performRollback: Update failed before its deletions; failed manifest's record superseded, rollback failed.
    live = union(
      live,
      target.objects.filter((o) => !live.includes(o)),
    );
    revisions = setStatus(setStatus(revisions, failed.version, "superseded"), rollbackVersion, "failed");
    return { revisions, live, error: "with-release" };
  }
  live = without(union(live, target.objects), without(failed.objects, target.objects));
  if (targetChart !== undefined && targetChart.readyAfter > timeoutOf(inputs)) {
    return { revisions: setStatus(revisions, rollbackVersion, "failed"), live, error: "with-release" };
  }
  revisions = revisions.map((r) => (r.status === "deployed" ? { ...r, status: "superseded" as const } : r));
  revisions = setStatus(revisions, rollbackVersion, "deployed");
  return { revisions, live, error: "with-release" };
}

export interface UpResult {
  readonly world: World;
  readonly step: Step;
  /** Whether `pulumi up` reported an error for this Release. */
  readonly failed: boolean;
}

/**
 * One `pulumi up` with these inputs and this chart. `rollback` says how an atomic rollback goes, should this run
 * need one; `charts` lets a rollback find how its target's workloads behave (by chart id).
 */
export function pulumiUp(
  world: World,
  inputs: ReleaseInputs,
  chart: ChartVersion,
  opts: { rollback?: RollbackOutcome; charts?: readonly ChartVersion[] } = {},
): UpResult {
  const step = nextStep(world, inputs, chart);
  if (step === "nothing") return { world, step, failed: false };
  if (step === "replace") throw new Error("replace (a new name or namespace) is not modelled");
  const charts = new Map([...(opts.charts ?? []), chart].map((c) => [c.id, c]));
  let result: HelmResult;
  if (step === "create") {
    result = install(world, inputs, chart);
  } else {
    result = upgrade(world, inputs, chart, opts.rollback ?? "succeeds", charts);
  }
  const cluster = { revisions: result.revisions, live: result.live };
  if (result.error === undefined)
    return {
      world: { ...cluster, recorded: { inputs, chart: chart.id, initErrors: false } },
      step,
      failed: false,
    };
  if (result.error === "with-release")
    return {
      world: { ...cluster, recorded: { inputs, chart: chart.id, initErrors: true } },
      step,
      failed: true,
    };
  // A plain error: a create records nothing, an update keeps the previous state.
  return {
    world: { ...cluster, recorded: step === "create" ? undefined : world.recorded },
    step,
    failed: true,
  };
}

/** What remains after an event, in the terms the tests assert. */
export interface Outcome {
  /** `helm status`: the newest record's status, or "none" when Helm has no record of the release. */
  readonly release: ReleaseStatus | "none";
  /** The chart version of the deployed record (what Helm would roll back to or upgrade from). */
  readonly running?: string;
  readonly live: readonly string[];
  readonly recorded: "nothing" | "init-errors" | "inputs";
  readonly recordedChart?: string;
  readonly next: Step;
  /** Release records (Secrets sh.helm.release.v1.*) kept. */
  readonly revisions: number;
}

export function outcome(world: World, inputs: ReleaseInputs, chart: ChartVersion): Outcome {
  const rec = world.recorded;
  return {
    release: newest(world)?.status ?? "none",
    running: deployed(world)?.chart,
    live: world.live,
    recorded: rec === undefined ? "nothing" : rec.initErrors ? "init-errors" : "inputs",
    recordedChart: rec?.chart,
    next: nextStep(world, inputs, chart),
    revisions: world.revisions.length,
  };
}
