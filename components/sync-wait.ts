/**
 * What `pulumi up` waits for after it creates or updates an Argo CD Application, and how it judges what it sees.
 * This file is pure: the Argo CD Application and the Atlas objects come in as plain data; the loop that reads them
 * is in ./application-wait.ts, the Kubernetes client in ./cluster-client.ts.
 *
 * "Now" (argoproj/argo-cd v3.4.4, read again in v3.5.3, which the e2e runs: the same code, needRefreshAppStatus
 * at ~2091 and processRequestedAppOperation at ~1512 there):
 * - a full 40-hex SHA is the commit itself;
 * - anything else (a branch, a tag, HEAD, a short SHA) is resolved by Argo CD. The wait merge-patches the
 *   Application's annotation `argocd.argoproj.io/refresh: normal`. controller/appcontroller.go
 *   `needRefreshAppStatus`: a requested refresh compares with CompareWithLatestForceResolve, i.e. resolves the
 *   branch again; `persistAppStatus` deletes the annotation in the same merge patch that writes the new status.
 *   So once the annotation is gone and status.sync.comparedTo equals the spec, status.sync.revision is the
 *   commit the branch pointed to after the request: the target.
 * - controller/state.go `CompareAppState` writes comparedTo, revision, sync status and (with health) the whole
 *   status from one comparison, so comparedTo equal to the spec means the rest is about it too.
 * - controller/appcontroller.go `processRequestedAppOperation` (~1538): a failed sync with retries left is put
 *   back to phase Running ("Retrying attempt #N"); Failed or Error is final, retries are exhausted. A retry
 *   clears the operation's revision when `retry.refresh` is set (~1567 in v3.5.3), so it syncs what the source
 *   names then; until then the operation names the commit it is retrying, and Argo CD starts no other sync.
 */
import { atlasVerdict, type AtlasObject, type AtlasVerdict } from "./atlas-status";
import { IN_CLUSTER_SERVER } from "./common";

/**
 * How long deleting the Application may take. The provider's default is ten minutes; with the cascade
 * finalizer Argo CD first deletes everything the app deployed (foreground, so the database's pods must
 * terminate and release their volumes) and only then lets the Application go. Twenty minutes covers a slow
 * database shutdown and volume detach; a delete stuck on a finalizer is not helped by waiting longer.
 */
export const APPLICATION_DELETE_TIMEOUT = "20m";

/**
 * Seconds between two reads of the Application and its Atlas objects. Polling rather than a watch: two GETs and
 * a few more per Atlas object every 2 s is nothing for the API server, it needs no reconnect or resourceVersion
 * handling, and it bounds the time from a final failure to `pulumi up` failing by one interval, well within the
 * 30 s the issue asks for.
 */
export const POLL_INTERVAL_SECONDS = 2;

/**
 * Seconds a failure that may pass (the database not reachable yet, the dev database starting, a resource
 * Degraded, Argo CD unable to compare) may last, without a break, before the wait gives up on it. Five minutes
 * covers a database pod that restarts or pulls its image, and the operator's first backoff steps; a failure
 * still there after that needs a person, and `waitTimeout` (20 minutes by default) would only delay the news.
 */
export const TRANSIENT_GRACE_SECONDS = 300;

/** The annotation that asks Argo CD for a refresh; its controller removes it with the status it writes. */
export const REFRESH_ANNOTATION = "argocd.argoproj.io/refresh";

/** The API group of AtlasSchema and AtlasMigration. */
export const ATLAS_GROUP = "db.atlasgo.io";

/**
 * "commit": a full 40-character lowercase SHA: Argo CD uses it as is (util/git/client.go `lsRemote` returns a
 * 40-hex revision without asking the remote) and status.sync.revision holds the same SHA. "ref": anything
 * else, resolved by Argo CD at each refresh (a short or upper-case SHA comes back as the full lowercase one).
 */
export type RevisionKind = "commit" | "ref";

const FULL_SHA = /^[0-9a-f]{40}$/;

export function revisionKind(targetRevision: string): RevisionKind {
  return FULL_SHA.test(targetRevision) ? "commit" : "ref";
}

/** The parts of an Argo CD Application (argoproj.io/v1alpha1) the wait reads. */
export interface ArgoApplication {
  readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> };
  /** A sync requested but not started yet. */
  readonly operation?: unknown;
  readonly status?: {
    readonly sync?: {
      readonly status?: string;
      readonly revision?: string;
      readonly comparedTo?: {
        readonly source?: {
          readonly repoURL?: string;
          readonly path?: string;
          readonly targetRevision?: string;
        };
        readonly destination?: { readonly server?: string; readonly namespace?: string };
      };
    };
    readonly health?: { readonly status?: string; readonly message?: string };
    readonly operationState?: {
      readonly phase?: string;
      readonly message?: string;
      readonly startedAt?: string;
      readonly finishedAt?: string;
      readonly retryCount?: number;
      readonly operation?: { readonly sync?: { readonly revision?: string } };
      readonly syncResult?: { readonly revision?: string; readonly resources?: readonly SyncedResource[] };
    };
    readonly resources?: readonly ArgoResource[];
    readonly conditions?: readonly { readonly type: string; readonly message?: string }[];
  };
}

/** One entry of operationState.syncResult.resources: what the sync did with one object. */
export interface SyncedResource {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly status?: string;
  readonly message?: string;
}

/** One entry of status.resources. */
export interface ArgoResource {
  readonly group?: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly status?: string;
  readonly health?: { readonly status?: string; readonly message?: string };
}

/** What one wait is for: the Application, the source and destination this update set, and its bounds. */
export interface WaitTarget {
  /** The Application's namespace (Argo CD's) and name. */
  readonly namespace: string;
  readonly name: string;
  readonly source: { readonly repoURL: string; readonly path: string; readonly targetRevision: string };
  readonly destination: { readonly server: string; readonly namespace: string };
  readonly timeoutSeconds: number;
  /** The stack, for the command that raises the timeout. */
  readonly stack: string;
  /** The config key of the timeout: `waitTimeout`, or `applications[1].waitTimeout` for an item. */
  readonly timeoutKey: string;
}

/** The Atlas objects the Application deployed, keyed by atlasKey. Absent: not found. */
export type AtlasObjects = ReadonlyMap<string, AtlasObject | undefined>;

export const atlasKey = (r: { kind: string; namespace?: string; name: string }) =>
  `${r.kind} ${r.namespace ?? ""}/${r.name}`;

/** The Atlas objects among the Application's resources. */
export function atlasResources(app: ArgoApplication): ArgoResource[] {
  return (app.status?.resources ?? []).filter(
    (r) => r.group === ATLAS_GROUP && (r.kind === "AtlasSchema" || r.kind === "AtlasMigration"),
  );
}

export type Assessment =
  | { readonly kind: "done"; readonly summary: string }
  /** Nothing wrong yet: keep going within waitTimeout. */
  | { readonly kind: "waiting"; readonly summary: string; readonly detail: string[] }
  /** Wrong, but it may pass: keep going within the grace period. */
  | { readonly kind: "transient"; readonly summary: string; readonly detail: string[] }
  /** Final: fail now. */
  | { readonly kind: "failed"; readonly summary: string; readonly detail: string[]; readonly fix: string };

const short = (revision: string | undefined) => (revision ? revision.slice(0, 12) : "?");

/** Operator and Argo CD messages may quote a connection URL: its password is cut out; long text is cut short. */
export function clean(text: string | undefined): string {
  const redacted = (text ?? "").replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*):[^@\s/]*@/gi, "$1:***@").trim();
  return redacted.length > 1500 ? `${redacted.slice(0, 1500)}…` : redacted;
}

/** Whether Argo CD compared exactly the source and destination this update set. */
export function comparedMatches(app: ArgoApplication, t: WaitTarget): boolean {
  const compared = app.status?.sync?.comparedTo;
  return (
    compared?.source?.repoURL === t.source.repoURL &&
    (compared.source.path ?? "") === t.source.path &&
    compared.source.targetRevision === t.source.targetRevision &&
    compared.destination?.server === t.destination.server &&
    compared.destination.namespace === t.destination.namespace
  );
}

/**
 * The commit Argo CD resolved the target revision to after the refresh this wait asked for, or why it is not
 * known yet. For a full SHA, the SHA.
 */
export function resolvedRevision(
  app: ArgoApplication,
  t: WaitTarget,
): { revision: string } | { revision?: undefined; why: string } {
  if (revisionKind(t.source.targetRevision) === "commit") return { revision: t.source.targetRevision };
  if (app.metadata?.annotations?.[REFRESH_ANNOTATION] !== undefined) {
    return { why: `Argo CD has not refreshed it yet (to resolve ${t.source.targetRevision})` };
  }
  if (!comparedMatches(app, t)) return { why: `Argo CD has not compared ${t.source.targetRevision} yet` };
  const revision = app.status?.sync?.revision;
  if (!revision) return { why: `Argo CD has not resolved ${t.source.targetRevision} yet` };
  return { revision };
}

const operationRevisions = (app: ArgoApplication) => {
  const op = app.status?.operationState;
  return [op?.operation?.sync?.revision, op?.syncResult?.revision].filter((r): r is string => !!r);
};

/**
 * No sync is left to run: none yet, the last one Succeeded, or it Failed or Errored while syncing another commit
 * than the target. Why not simply "Succeeded": when the new commit renders the same manifests Argo CD reports it
 * Synced and starts no sync (`autoSync` acts on OutOfSync only), so operationState still describes the previous
 * commit's sync, which may have failed. Why not simply "not Running": a PostSync hook that fails leaves the app
 * Synced and Healthy with phase Failed.
 */
export function operationSettled(app: ArgoApplication, revision: string): boolean {
  if (app.operation !== undefined && app.operation !== null) return false;
  const phase = app.status?.operationState?.phase;
  if (phase === undefined || phase === "Succeeded") return true;
  return (phase === "Failed" || phase === "Error") && !operationRevisions(app).includes(revision);
}

/**
 * The objects of `revision` that the Application's AppProject does not permit, as the sync of that commit
 * recorded them: "resource <group>:<kind> is not permitted in project <p>" or "namespace <n> is not permitted in
 * project '<p>'" (Argo CD controller/sync.go validateSyncPermissions, v3.4.4 and v3.5.3).
 */
export function refusedByProject(app: ArgoApplication, revision: string): SyncedResource[] {
  const op = app.status?.operationState;
  if (op?.syncResult?.revision !== revision) return [];
  return (op.syncResult.resources ?? []).filter(
    (r) => r.status === "SyncFailed" && / is not permitted in project /.test(r.message ?? ""),
  );
}

/**
 * The stuck state argo-cd#29636 describes (open at v3.5.3): after a controller restart the last operation reads
 * `Succeeded` with no syncResult and no finishedAt. The controller's auto-sync then never starts another sync
 * (it takes the operation for the one that synced the commit) and refuses a manual one. A finished sync always
 * has both (controller/sync.go writes them with the phase), so this is never a moment in a normal sync.
 */
export function stuckSucceeded(app: ArgoApplication): boolean {
  const op = app.status?.operationState;
  return (
    (app.operation === undefined || app.operation === null) &&
    op?.phase === "Succeeded" &&
    op.syncResult === undefined &&
    op.finishedAt === undefined
  );
}

/** Argo CD's conditions that are errors (ApplicationCondition.IsError: the type ends in "Error"). */
export function errorConditions(app: ArgoApplication): string[] {
  return (app.status?.conditions ?? [])
    .filter((c) => c.type.endsWith("Error"))
    .map((c) => `${c.type}: ${clean(c.message)}`);
}

/**
 * Errors that say the destination cluster cannot be reached or refuses Argo CD's credentials: nothing that retrying
 * the same address fixes. A slow answer (a timeout) is not among them: that may pass.
 */
const UNREACHABLE =
  /connection refused|no such host|no route to host|x509: |tls: |Unauthorized|provide credentials/;

/**
 * The error conditions that are about the destination cluster (they name its server) and say it cannot be reached:
 * what a spoke whose clusterServer the hub cannot reach shows (docs/fleet.md).
 */
export function unreachableDestination(app: ArgoApplication, t: WaitTarget): string[] {
  const server = t.destination.server.replace(/\/+$/, "");
  const host = server.replace(/^https?:\/\//, "");
  return (app.status?.conditions ?? [])
    .filter((c) => c.type.endsWith("Error"))
    .filter((c) => (c.message ?? "").includes(host) && UNREACHABLE.test(c.message ?? ""))
    .map((c) => `${c.type}: ${clean(c.message)}`);
}

const objectName = (r: { kind: string; namespace?: string; name: string }) =>
  `${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`;

/** Argo CD's view in a few lines: health, sync, the last sync, errors, and each resource not Healthy. */
export function argoDetail(app: ArgoApplication): string[] {
  const st = app.status;
  const health = st?.health;
  const op = st?.operationState;
  const lines = [
    `Argo CD: health ${health?.status ?? "unknown"}${health?.message ? ` (${clean(health.message)})` : ""}, ` +
      `sync ${st?.sync?.status ?? "unknown"} at ${short(st?.sync?.revision)}`,
  ];
  if (op?.phase) {
    const revision = operationRevisions(app)[0];
    lines.push(`last sync (of ${short(revision)}): ${op.phase}${op.message ? `: ${clean(op.message)}` : ""}`);
  }
  lines.push(...errorConditions(app));
  for (const r of st?.resources ?? []) {
    const h = r.health?.status;
    if (h && h !== "Healthy") {
      lines.push(`${objectName(r)}: ${h}${r.health?.message ? `: ${clean(r.health.message)}` : ""}`);
    }
  }
  return lines;
}

const verdictLine = (r: ArgoResource, v: AtlasVerdict) =>
  `${objectName(r)}: ${v.reason}${v.message ? `: ${clean(v.message)}` : ""}`;

/** Judges one snapshot of the Application (and its Atlas objects) against the commit it should run. */
export function assess(
  app: ArgoApplication,
  atlas: AtlasObjects,
  t: WaitTarget,
  revision: string | undefined,
): Assessment {
  const st = app.status;
  const errors = errorConditions(app);
  const notYet = (why: string): Assessment =>
    errors.length > 0
      ? { kind: "transient", summary: `${why}; ${errors[0]}`, detail: argoDetail(app) }
      : { kind: "waiting", summary: why, detail: argoDetail(app) };
  // Argo CD cannot reach the destination (a spoke behind an address the hub cannot reach, or a token it refuses):
  // nothing will sync until the address or the credentials change, so say so now, not after the grace period.
  const unreachable = unreachableDestination(app, t);
  if (unreachable.length > 0) {
    const inCluster = t.destination.server.replace(/\/+$/, "") === IN_CLUSTER_SERVER;
    return {
      kind: "failed",
      summary: `Argo CD cannot reach the cluster at ${t.destination.server}: ${unreachable[0]}`,
      detail: argoDetail(app),
      fix: inCluster
        ? `Argo CD's application controller cannot reach its own cluster's API server: see its logs with: ` +
          `kubectl -n ${t.namespace} logs statefulset/argocd-application-controller`
        : `The hub's Argo CD connects to ${t.destination.server}, which clusterServer sets (by default the server ` +
          `of this stack's kubeconfig). Set the address the hub reaches this cluster at with: pulumi config set ` +
          `--stack ${t.stack} clusterServer https://<host>:<port>, or open the way from the hub's application ` +
          `controller to it (a token it refuses: pulumi config set --stack ${t.stack} clusterTokenRotation <one more than now>); ` +
          `then run pulumi up again.`,
    };
  }
  if (revision === undefined) {
    const resolved = resolvedRevision(app, t);
    return notYet("why" in resolved ? resolved.why : `resolving ${t.source.targetRevision}`);
  }
  if (!comparedMatches(app, t)) return notYet(`Argo CD has not compared ${t.source.targetRevision} yet`);
  if (st?.sync?.revision !== revision) {
    return notYet(`Argo CD compared ${short(st?.sync?.revision)}, not ${short(revision)}`);
  }

  const op = st.operationState;
  const opRevisions = operationRevisions(app);
  if ((op?.phase === "Failed" || op?.phase === "Error") && opRevisions.includes(revision)) {
    return {
      kind: "failed",
      summary: `Argo CD's sync of ${short(revision)} ended ${op.phase}${op.message ? `: ${clean(op.message)}` : ""}`,
      detail: argoDetail(app),
      fix:
        `Argo CD has stopped retrying. See what it says with: kubectl -n ${t.namespace} get application ${t.name} ` +
        `-o yaml (status.operationState, status.resources, status.conditions); fix the manifests in ` +
        `${t.source.repoURL} ${t.source.path} and push.`,
    };
  }

  // The AppProject refuses an object of this commit (controller/sync.go validateSyncPermissions): every retry of
  // the commit is refused the same way, and only this stack changes the AppProject, so do not wait for the
  // retries to run out (five, minutes apart).
  const refused = refusedByProject(app, revision);
  if (refused.length > 0) {
    const lines = refused.map((r) => `${objectName(r)}: ${clean(r.message)}`);
    return {
      kind: "failed",
      summary: `Argo CD refuses to sync ${short(revision)}: ${lines.join("; ")}`,
      detail: [...lines, ...argoDetail(app)],
      fix:
        `The application's AppProject lets its manifests create only namespaced objects in ${t.destination.namespace} ` +
        `and that Namespace itself (docs/security.md). Remove ${refused.map(objectName).join(", ")} from ` +
        `${t.source.repoURL} ${t.source.path} (or deploy it from the application that owns it) and push.`,
    };
  }

  // A sync of another commit is still running or retrying (Argo CD starts no new sync before it ends): what the
  // cluster shows is that commit's outcome, not the target's. With retry.refresh the next retry syncs the target;
  // either way Argo CD moves on within its retry budget, so this is waiting, and no grace period runs out on it.
  if (op?.phase === "Running" && opRevisions.length > 0 && !opRevisions.includes(revision)) {
    return {
      kind: "waiting",
      summary:
        `Argo CD is still syncing ${short(opRevisions[0])}` +
        `${op.message ? ` (${clean(op.message)})` : ""}; ${short(revision)} comes next`,
      detail: argoDetail(app),
    };
  }

  // The Atlas objects' status counts only once Argo CD has applied this commit's version of them (the resource is
  // Synced); before that the object still describes the previous commit, whose failure may be what was fixed.
  const verdicts = atlasResources(app).map((r): [ArgoResource, AtlasVerdict] => {
    const o = atlas.get(atlasKey(r));
    if (r.status !== "Synced") {
      return [r, { kind: "progress", reason: "NotApplied", message: "Argo CD has not applied it yet" }];
    }
    if (o === undefined) return [r, { kind: "progress", reason: "NotFound", message: "not created yet" }];
    return [r, atlasVerdict(o)];
  });
  const final = verdicts.find(([, v]) => v.kind === "final");
  if (final) {
    const [r, v] = final;
    const gaveUp = v.kind === "final" && v.gaveUp ? " The operator has stopped retrying." : "";
    return {
      kind: "failed",
      summary: verdictLine(r, v),
      detail: [verdictLine(r, v), ...argoDetail(app)],
      fix:
        `${gaveUp ? `${gaveUp.trim()} ` : ""}Fix the schema in ${t.source.repoURL} ${t.source.path} and push` +
        (revisionKind(t.source.targetRevision) === "commit"
          ? `, then set targetRevision to the new commit; \`pulumi up\` waits for it.`
          : `; \`pulumi up\` waits for the new commit.`),
    };
  }

  const health = st.health?.status ?? "Unknown";
  const sync = st.sync.status ?? "Unknown";
  if (sync === "Synced" && health === "Healthy" && operationSettled(app, revision)) {
    return { kind: "done", summary: `Synced and Healthy at ${short(revision)}` };
  }

  if (stuckSucceeded(app)) {
    return {
      kind: "failed",
      summary:
        `Argo CD's last operation reads Succeeded with no result and no end time, a state its application ` +
        `controller leaves after a restart (argo-cd#29636): it will not sync ${short(revision)} on its own`,
      detail: argoDetail(app),
      fix:
        `Clear the stuck operation, then run \`pulumi up\` again (Argo CD syncs the commit at once): ` +
        `kubectl -n ${t.namespace} patch application ${t.name} --type json ` +
        `-p '[{"op":"remove","path":"/status/operationState"}]'`,
    };
  }

  const notable = verdicts.filter(([, v]) => v.kind !== "ready");
  const summary = [
    `${health}${sync === "Synced" ? "" : `, ${sync}`}` +
      (op?.phase === "Running" || app.operation ? ", syncing" : ""),
    ...notable.map(([r, v]) => `${objectName(r)}: ${v.reason}`),
    ...errors,
  ].join(" — ");
  const detail = [...notable.map(([r, v]) => verdictLine(r, v)), ...argoDetail(app)];
  const troubled =
    verdicts.some(([, v]) => v.kind === "transient") || health === "Degraded" || errors.length > 0;
  return { kind: troubled ? "transient" : "waiting", summary, detail };
}

/** Whether a snapshot waits for a person (a plan to approve, or a resource suspended). */
export function waitsForApproval(app: ArgoApplication, atlas: AtlasObjects): boolean {
  return (
    app.status?.health?.status === "Suspended" ||
    atlasResources(app).some((r) => {
      const o = atlas.get(atlasKey(r));
      return o !== undefined && atlasVerdict(o).kind === "approval";
    })
  );
}
