/**
 * What an AtlasSchema's or AtlasMigration's status means for `pulumi up`: done, still working, waiting for a
 * person, a failure that may pass (the database not up yet), or a failure that will not pass without a change in
 * git. Read in ariga/atlas-operator v0.7.37:
 *
 * - api/v1alpha1/atlasschema_types.go `SetNotReady` (atlasmigration_types.go the same): every reason but the
 *   three of api/v1alpha1/reason.go `isFailedReason` (Reconciling, GettingDevDB, ApprovalPending) sets
 *   Ready=False with Stalled=True, and counts `status.failed` up; Ready=True comes only with reason Applied.
 *   `IsExceedBackoffLimit`: `spec.backoffLimit > 0 && status.failed > spec.backoffLimit` means the operator has
 *   stopped retrying.
 * - internal/controller/atlasschema_controller.go: `resultErr` marks the error transient and requeues with
 *   backoff (ReadSchema, CreatingWorkingDir, CreatingAtlasClient, Login, CalculatingHash, WhoAmI,
 *   LintPolicyError at the policy check, ModifyingAtlasHCL); `resultCLIErr` is what Atlas itself answered
 *   (SchemaInspect, SchemaPush, SchemaPlan, ListingPlans, VerifyingFirstRun, LintPolicyError at lint,
 *   ApplyingSchema); FirstRunDestructive (internal/controller/lint.go) is not requeued at all.
 * - internal/controller/atlasmigration_controller.go: `resultErr` for everything (ReadingMigrationData,
 *   CreatingAtlasClient, Login, WhoAmI, Migrating, StoringDirState), with the reasons its errors carry
 *   (ProtectedFlowError, PlanRejected, CopyingDirState), and ApprovalPending / GettingDevDB as pending.
 *
 * A requeue is not a recovery: the operator retries an SQL error up to backoffLimit times (20 by default), with
 * the same result each time. So the reason, not the requeue, decides: a failure of the operator's own
 * machinery or of the connection may pass; anything Atlas said about the schema will not.
 */

/** The condition list of a Kubernetes status (metav1.Condition). */
export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

/** The parts of an AtlasSchema or AtlasMigration this reads. */
export interface AtlasObject {
  readonly metadata?: { readonly generation?: number };
  readonly spec?: { readonly backoffLimit?: number };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly failed?: number;
    readonly conditions?: readonly Condition[];
  };
}

/** Reasons the operator reports while it works; the wait goes on (within waitTimeout). */
export const PROGRESS_REASONS: readonly string[] = ["Reconciling"];

/**
 * Reasons that are the operator's own machinery or its access to the cluster and Atlas Cloud, not the schema: a
 * new attempt may succeed. GettingDevDB is the dev database starting (Stalled=False, but it cannot last:
 * counted against the grace period). StoringDirState writes a ConfigMap after the migration has run: an API
 * server problem, not a migration problem (the lead's list did not name it; this is the one addition).
 */
export const TRANSIENT_REASONS: readonly string[] = [
  "GettingDevDB",
  "CreatingWorkingDir",
  "CreatingAtlasClient",
  "Login",
  "WhoAmI",
  "StoringDirState",
];

/** A person has to approve a plan in Atlas Cloud; the wait goes on, and its timeout message says so. */
export const APPROVAL_REASON = "ApprovalPending";

/**
 * Messages of a database that cannot be reached (yet), whatever the reason they come with: Atlas reports the
 * connection error under the step that needed the connection (ApplyingSchema, SchemaInspect, Migrating...).
 * Go's net errors, the lib/pq and pgx texts, go-sql-driver/mysql's, and the MySQL server's own.
 */
export const CONNECTION_ERRORS: readonly { readonly name: string; readonly pattern: RegExp }[] = [
  { name: "connection refused", pattern: /connection refused/i },
  { name: "dial tcp", pattern: /\bdial tcp\b/i },
  { name: "i/o timeout", pattern: /i\/o timeout/i },
  { name: "no such host", pattern: /no such host/i },
  { name: "network unreachable", pattern: /network is unreachable|no route to host/i },
  { name: "PostgreSQL starting up", pattern: /the database system is (starting up|shutting down)/i },
  { name: "MySQL unreachable", pattern: /can't connect to (local )?mysql server/i },
  { name: "MySQL server gone", pattern: /server has gone away|lost connection to mysql server/i },
  { name: "bad connection", pattern: /\bbad connection\b|invalid connection/i },
  { name: "connection reset", pattern: /connection reset( by peer)?/i },
  { name: "broken pipe", pattern: /broken pipe/i },
  { name: "unexpected EOF", pattern: /unexpected EOF|\bEOF$/ },
  { name: "too many connections", pattern: /too many (connections|clients)/i },
  { name: "context deadline", pattern: /context deadline exceeded/i },
];

/** Whether an operator message looks like the database could not be reached, rather than refused the change. */
export function isConnectionError(message: string): boolean {
  return CONNECTION_ERRORS.some((c) => c.pattern.test(message.trim()));
}

export type AtlasVerdict =
  /** Applied, at the current generation. */
  | { readonly kind: "ready"; readonly reason: string; readonly message: string }
  /** Not looked at yet, or being worked on. */
  | { readonly kind: "progress"; readonly reason: string; readonly message: string }
  /** Waiting for a person to approve a plan. */
  | { readonly kind: "approval"; readonly reason: string; readonly message: string }
  /** Failed, and may succeed on a later attempt. */
  | { readonly kind: "transient"; readonly reason: string; readonly message: string }
  /** Failed, and will not succeed without a change; `gaveUp` when the operator stopped retrying. */
  | { readonly kind: "final"; readonly reason: string; readonly message: string; readonly gaveUp: boolean };

const condition = (o: AtlasObject, type: string) => o.status?.conditions?.find((c) => c.type === type);

/** Classifies one Atlas object's status. Only status the operator wrote for the current generation counts. */
export function atlasVerdict(o: AtlasObject): AtlasVerdict {
  const generation = o.metadata?.generation;
  const observed = o.status?.observedGeneration;
  if (generation === undefined || observed !== generation) {
    const message = `the operator has not looked at generation ${generation ?? "?"} yet`;
    return { kind: "progress", reason: "NotObserved", message };
  }
  const ready = condition(o, "Ready");
  if (ready === undefined) return { kind: "progress", reason: "NoStatus", message: "no Ready condition yet" };
  const reason = ready.reason ?? "";
  const message = ready.message ?? "";
  if (ready.status === "True") return { kind: "ready", reason, message };
  const backoffLimit = o.spec?.backoffLimit ?? 0;
  if (backoffLimit > 0 && (o.status?.failed ?? 0) > backoffLimit) {
    return { kind: "final", reason, message, gaveUp: true };
  }
  if (reason === APPROVAL_REASON) return { kind: "approval", reason, message };
  if (PROGRESS_REASONS.includes(reason)) return { kind: "progress", reason, message };
  if (TRANSIENT_REASONS.includes(reason) || isConnectionError(message)) {
    return { kind: "transient", reason, message };
  }
  // Every other reason with Ready=False is one of isFailedReason's, which also set Stalled=True. Stalled is
  // checked anyway, so that a reason a later operator adds without stalling is waited for rather than failed.
  if (condition(o, "Stalled")?.status !== "True") return { kind: "progress", reason, message };
  return { kind: "final", reason, message, gaveUp: false };
}
