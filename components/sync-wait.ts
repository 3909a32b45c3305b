/**
 * What `pulumi up` waits for after it creates or updates an Argo CD Application: Argo CD reporting that it
 * compared exactly the source this update asked for, found it Synced and Healthy, and has no sync of it still
 * running or failed. Pulumi-kubernetes does the waiting itself, from two annotations on the Application.
 *
 * The provider side (pulumi/pulumi-kubernetes, read at v4.32.0 and at master 94977969; the files below did
 * not change between them, and 4.34.2 behaves the same unless it changed them since):
 * - provider/pkg/metadata/overrides.go `ReadyCondition`: `pulumi.com/waitFor` is one condition or a JSON
 *   array of them, all of which must hold on the same observed object; `jsonpath={path}` (the path selects
 *   something), `jsonpath={path}=value` (the first node selected, printed with Go's fmt.Sprint, equals value)
 *   or `condition=Type[=Status]`. Used on create and on update of every kind, in place of any built-in await
 *   logic (a CustomResource has none) (provider/pkg/await/await.go `Creation`, `Update`); not in preview or
 *   refresh.
 * - provider/pkg/jsonpath/jsonpath.go `Parse`: splits on "=" after protecting "==", so a value containing "="
 *   is rejected, `!=` inside the braces breaks the path, and `{path}!=x` is silently read as `{path}=x` (only
 *   the text between the first "{" and the next "}" counts as the path). The path is evaluated as RFC 9535
 *   JSONPath (github.com/theory/jsonpath; waitFor exists since 4.18.0, RFC 9535 since 4.24.0, per the
 *   CHANGELOG.md).
 * - provider/pkg/await/internal/awaiter.go `Await`: a condition that is not met is checked again on the next
 *   watch event until the deadline; nothing fails early, so a Degraded application ends in the timeout.
 * - overrides.go `TimeoutDuration`: the resource's `customTimeouts` win over `pulumi.com/timeoutSeconds`;
 *   without either, ten minutes. The annotation also bounds a delete unless `customTimeouts.delete` is set.
 *
 * The Argo CD side (argoproj/argo-cd v3.4.4):
 * - controller/appcontroller.go `needRefreshAppStatus`: a spec.source that differs from
 *   status.sync.comparedTo.source forces a refresh that re-resolves the revision; until that refresh lands,
 *   the status still describes the previous source (Synced and Healthy at the old revision, say).
 * - controller/state.go `CompareAppState` builds comparedTo (a copy of the compared spec source and
 *   destination), revision (the commit the manifests came from, `git rev-parse HEAD` in
 *   reposerver/repository/repository.go) and sync status from one comparison; `processAppRefreshQueueItem`
 *   adds health and writes all of them in one merge patch (`persistAppStatus`). So comparedTo equal to what
 *   we asked means sync and health are about it too.
 * - controller/appcontroller.go `autoSync` starts a sync only when OutOfSync, with operation.sync.revision =
 *   the compared revision; controller/sync.go `SyncAppState` records the synced commit in
 *   operationState.syncResult.revision. `processRequestedAppOperation` keeps the phase Running while a retry
 *   is pending. Phases: Running, Terminating, Failed, Error, Succeeded (gitops-engine
 *   pkg/sync/common/types.go).
 */
import type * as pulumi from "@pulumi/pulumi";

export const WAIT_FOR_ANNOTATION = "pulumi.com/waitFor";
export const TIMEOUT_ANNOTATION = "pulumi.com/timeoutSeconds";

/**
 * How long deleting the Application may take. The provider's default is ten minutes; with the cascade
 * finalizer Argo CD first deletes everything the app deployed (foreground, so the database's pods must
 * terminate and release their volumes) and only then lets the Application go. Twenty minutes covers a slow
 * database shutdown and volume detach; a delete stuck on a finalizer is not helped by waiting longer.
 */
export const APPLICATION_DELETE_TIMEOUT = "20m";

/**
 * "commit": a full 40-character lowercase SHA. Argo CD uses it as is (util/git/client.go `lsRemote` returns a
 * 40-hex revision without asking the remote) and status.sync.revision holds the same SHA, so the wait can
 * name the commit. Upper-case hex would come back lowercased from `git rev-parse`, so it is left to "ref".
 *
 * "ref": anything else, i.e. a branch, a tag, HEAD, a semver range over tags, or a short SHA. Argo CD
 * resolves these to a commit at each refresh; a tag cannot be told from a branch by its name. A short SHA is
 * resolved as a branch or tag of that name first and only then as a commit, and status.sync.revision then
 * holds the full SHA, which a whole-string comparison cannot match; it is checked like a tag (comparedTo),
 * which proves the same thing as long as no branch or tag carries that name.
 */
export type RevisionKind = "commit" | "ref";

const FULL_SHA = /^[0-9a-f]{40}$/;

export function revisionKind(targetRevision: string): RevisionKind {
  return FULL_SHA.test(targetRevision) ? "commit" : "ref";
}

export interface SyncWaitSource {
  readonly repoURL: string;
  readonly path: string;
  readonly targetRevision: string;
  /**
   * Where the Application deploys to. Defaults to not checked; give it, so that an update that moves the
   * Application to another namespace also waits for a comparison against the new one.
   */
  readonly destination?: { readonly server: string; readonly namespace: string };
}

export interface SyncWaitArgs extends SyncWaitSource {
  /** Seconds the provider waits before it fails the create or update. */
  readonly timeoutSeconds: number;
}

/**
 * The last condition: no sync is left running or failed for the compared revision. Written as an RFC 9535
 * filter over the Application's top-level members, of which only `status` has `sync.status`, so it selects
 * that one node. It holds when there is no operation yet, when the last one Succeeded, or when the last one
 * Failed or Errored while syncing another commit than the one now compared. Why not simply "phase is
 * Succeeded": when the new revision renders the same manifests, Argo CD reports it Synced and starts no sync
 * (`autoSync` acts on OutOfSync only), so operationState still describes the previous revision's sync, which
 * may have failed. Why not simply "not Running": a PostSync hook that fails leaves the app Synced and Healthy
 * with phase Failed. Uses no `!=`, no single "=", no "}" (see the provider's `Parse`).
 */
export const OPERATION_SETTLED =
  "jsonpath={$[?@.sync.status && (!@.operationState || @.operationState.phase == 'Succeeded' || " +
  "((@.operationState.phase == 'Failed' || @.operationState.phase == 'Error') && " +
  "!(@.operationState.syncResult.revision == @.sync.revision)))]}";

/** Why the provider could not compare a status field with this value, or undefined when it can. */
export function unwaitableReason(value: string): string | undefined {
  if (value === "") return "is empty, and pulumi.com/waitFor cannot wait for an empty value";
  if (value.includes("=")) return "contains '=', which pulumi.com/waitFor cannot compare (it splits on '=')";
  return undefined;
}

/**
 * The conditions, in the order the provider checks them: it reports the first one not met, so a stale status
 * shows as "Waiting for {.status.sync.comparedTo.source.targetRevision}=v2 (found "v1")" rather than as a
 * health problem. Throws when a value cannot be compared (see `unwaitableReason`).
 */
export function syncWaitConditions(s: SyncWaitSource): string[] {
  const compared: [string, string][] = [
    ["source.repoURL", s.repoURL],
    ["source.path", s.path],
    ["source.targetRevision", s.targetRevision],
    ...(s.destination
      ? ([
          ["destination.server", s.destination.server],
          ["destination.namespace", s.destination.namespace],
        ] as [string, string][])
      : []),
  ];
  const problems = compared.flatMap(([field, value]) => {
    const why = unwaitableReason(value);
    return why === undefined ? [] : [`The Application's ${field} '${value}' ${why}`];
  });
  if (problems.length > 0) {
    throw new Error(`${problems.join("; ")}. Change the value, or turn the wait off for this application.`);
  }
  return [
    // Argo CD has compared exactly this source and destination: sync and health below are about it.
    ...compared.map(([field, value]) => `jsonpath={.status.sync.comparedTo.${field}}=${value}`),
    // For a pinned commit, also name the commit the manifests came from.
    ...(revisionKind(s.targetRevision) === "commit"
      ? [`jsonpath={.status.sync.revision}=${s.targetRevision}`]
      : []),
    "jsonpath={.status.sync.status}=Synced",
    "jsonpath={.status.health.status}=Healthy",
    OPERATION_SETTLED,
  ];
}

/** The Application's annotations that make `pulumi up` wait for it. */
export function syncWaitAnnotations(args: SyncWaitArgs): Record<string, string> {
  if (!Number.isInteger(args.timeoutSeconds) || args.timeoutSeconds <= 0) {
    // The provider reads the annotation with strconv.Atoi and falls back to ten minutes on anything else.
    throw new Error(`The wait timeout '${args.timeoutSeconds}' must be a whole number of seconds above 0.`);
  }
  return {
    [WAIT_FOR_ANNOTATION]: JSON.stringify(syncWaitConditions(args)),
    [TIMEOUT_ANNOTATION]: String(args.timeoutSeconds),
  };
}

/**
 * The Application's customTimeouts: create and update as long as the annotation says (customTimeouts win over
 * it, so both must agree), delete as APPLICATION_DELETE_TIMEOUT. A delete runs with the timeout stored in the
 * state (pulumi/pulumi pkg/resource/deploy/step.go: DeleteStep.Apply passes s.old.CustomTimeouts.Delete), so
 * a new delete timeout counts only once a `pulumi up` has recorded it.
 */
export function applicationCustomTimeouts(timeoutSeconds: number): pulumi.CustomTimeouts {
  return { create: `${timeoutSeconds}s`, update: `${timeoutSeconds}s`, delete: APPLICATION_DELETE_TIMEOUT };
}
