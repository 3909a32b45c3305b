/**
 * Stand-in for the Atlas operator's status writes, for the end-to-end test: operator v0.7.37 reconciles by
 * running the `atlas` CLI, and that binary is not served here (ariga.io/atlas/cmd/atlas is refused).
 *
 * What the real operator does (ariga/atlas-operator at tag v0.7.37), and this one writes the same way:
 * - Conditions: THREE of them, not just Ready: `Ready`, `Reconciling` and `Stalled` (api/v1alpha1/
 *   atlasschema_types.go SetReconciling/SetReady/SetNotReady; atlasmigration_types.go the same; the type names
 *   are the constants readyCond/reconcilingCond/stalledCond in atlasmigration_types.go). Each carries reason,
 *   message, observedGeneration (the object's generation) and lastTransitionTime, merged the way
 *   apimachinery's meta.SetStatusCondition merges: lastTransitionTime moves only when the condition's status
 *   flips. status.observedGeneration is the generation too.
 * - Success: SetReady replaces the whole status (so all three conditions start afresh) with Ready=True,
 *   Reconciling=False, Stalled=False, reason `Applied`, and `failed` reset to 0. AtlasSchema's Ready message is
 *   "The schema has been applied successfully. Apply response: <JSON>" and it writes `observed_hash`,
 *   `last_applied` (unix seconds), `planURL`, `planLink`; AtlasMigration's messages are empty and it writes
 *   `observed_hash`, `lastApplied` (unix seconds), `lastAppliedVersion` (omitted when empty).
 * - Not ready: SetNotReady writes Ready=False with the reason and message. Whether it is a failure is decided
 *   by the reason alone (api/v1alpha1/reason.go isFailedReason): Reconciling, GettingDevDB and ApprovalPending
 *   are not, and give Reconciling=True, Stalled=False; every other reason (ApplyingSchema, Migrating, …) gives
 *   Reconciling=False, Stalled=True with the same reason and message and increments `failed`. The other status
 *   fields are kept. Reason Reconciling goes through SetReconciling, which also resets `failed`.
 * - Before any work it writes Ready=False/Reconciling "Reconciling" on an object with no conditions, and
 *   "current schema does not match last applied" (AtlasSchema) or "Current migration data has changed"
 *   (AtlasMigration) when a Ready object's hash moved (internal/controller/atlasschema_controller.go
 *   Reconcile, atlasmigration_controller.go extractData); this stand-in writes the same intermediate step.
 * - It writes with a full Status().Update, which this one imitates with a merge patch on /status that nulls
 *   the keys the new status drops.
 *
 * What the real one does and this one does not: run atlas (no schema is applied to any database; the test's
 * `decide` says what would have happened), spin up dev databases, lint, talk to Atlas Cloud (plans, approval,
 * deployment URLs), store migration directory state in a Secret, record Events, honour backoffLimit or its
 * retry backoff (a failure is written once, not re-attempted), or re-reconcile when a referenced Secret
 * changes (an AtlasMigration's ConfigMap of files is read on every poll, so a change there is seen).
 * `observed_hash` is a SHA-256 of the object's spec (with an AtlasMigration's ConfigMap files inlined), not
 * atlas's hash of the database schema or migration directory; the apply response in AtlasSchema's message
 * carries no changes, since only atlas knows them; `lastAppliedVersion` is the highest version among the
 * migration files.
 *
 * Outcomes: "pending" takes only the reasons the operator does not count as failures (Reconciling,
 * GettingDevDB: Argo CD shows Progressing; ApprovalPending: Suspended), "failed" only the others (Degraded);
 * statusFor throws on a mismatch, so a test cannot write a status the operator never would. Note that at
 * v0.7.37 an unreachable target database is NOT pending: `atlas schema inspect` fails and the operator
 * writes CalculatingHash (AtlasSchema) or Migrating (AtlasMigration), a failure; only a dev database that is
 * not up yet gives the transient GettingDevDB. "hold" writes nothing.
 */
import * as crypto from "crypto";
import * as k8s from "@kubernetes/client-node";

export type Outcome =
  | { kind: "applied" }
  | { kind: "pending"; reason: string; message: string }
  | { kind: "failed"; reason: string; message: string }
  | { kind: "hold" };

export type AtlasKind = "AtlasSchema" | "AtlasMigration";

/* eslint-disable @typescript-eslint/no-explicit-any -- spec and status are the CRDs' free-form JSON */
export interface AtlasObject {
  kind: AtlasKind;
  metadata: { generation: number; name?: string; namespace?: string; uid?: string };
  spec: any;
  status?: any;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

interface Condition {
  type: string;
  status: "True" | "False";
  observedGeneration: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

const GROUP = "db.atlasgo.io";
const VERSION = "v1alpha1";
const PLURALS: Record<AtlasKind, string> = { AtlasSchema: "atlasschemas", AtlasMigration: "atlasmigrations" };

/** api/v1alpha1/reason.go isFailedReason: the only Ready=False reasons that are not failures. */
export const NOT_FAILED_REASONS = ["Reconciling", "GettingDevDB", "ApprovalPending"];
const REASON_APPLIED = "Applied";

/** The JSON of the CRD's reason pattern: the API server rejects anything else. */
const REASON_PATTERN = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** metav1.Time marshals as RFC 3339 in UTC with whole seconds. */
const timestamp = (now: Date) => now.toISOString().replace(/\.\d{3}Z$/, "Z");

/** The stand-in's observed_hash: stable over key order, changes with any spec change. */
export function hashOf(spec: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : typeof v === "object" && v !== null
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return crypto
    .createHash("sha256")
    .update(JSON.stringify(canonical(spec ?? {})))
    .digest("hex");
}

/** atlas's version of a migration file is its name up to the first "_" (or the ".sql"). */
function lastVersion(spec: AtlasObject["spec"]): string {
  const files = Object.keys((spec?.dir?.local ?? {}) as Record<string, unknown>).filter((f) =>
    f.endsWith(".sql"),
  );
  const versions = files.map((f) => f.replace(/\.sql$/, "").split("_")[0]).sort();
  return versions[versions.length - 1] ?? "";
}

/** The Go status struct's fields that have no omitempty, as decoding an object without them gives them. */
function zeroStatus(kind: AtlasKind): Record<string, unknown> {
  return kind === "AtlasSchema"
    ? { observed_hash: "", last_applied: 0, planURL: "", planLink: "", failed: 0 }
    : { observed_hash: "", lastApplied: 0, failed: 0 };
}

/** apimachinery meta.SetStatusCondition: replace in place, move lastTransitionTime only on a status flip. */
function setCondition(conditions: Condition[], next: Omit<Condition, "lastTransitionTime">, now: Date): void {
  const existing = conditions.find((c) => c.type === next.type);
  if (!existing) {
    conditions.push({ ...next, lastTransitionTime: timestamp(now) });
    return;
  }
  if (existing.status !== next.status) {
    existing.status = next.status;
    existing.lastTransitionTime = timestamp(now);
  }
  existing.reason = next.reason;
  existing.message = next.message;
  existing.observedGeneration = next.observedGeneration;
}

/** The three conditions the operator sets together, in its order. */
function setAll(
  status: Record<string, unknown>,
  generation: number,
  now: Date,
  ready: boolean,
  reason: string,
  messages: [ready: string, reconciling: string, stalled: string],
  stalled: boolean,
): void {
  const conditions = (status.conditions ?? []) as Condition[];
  const cond = (type: string, value: boolean, message: string) =>
    setCondition(
      conditions,
      { type, status: value ? "True" : "False", observedGeneration: generation, reason, message },
      now,
    );
  cond("Ready", ready, messages[0]);
  cond("Reconciling", !ready && !stalled, messages[1]);
  cond("Stalled", stalled, messages[2]);
  status.conditions = conditions;
}

function checkReason(outcome: { kind: string; reason: string }): void {
  if (!REASON_PATTERN.test(outcome.reason)) {
    throw new Error(
      `reason ${JSON.stringify(outcome.reason)} does not match the CRD's pattern ${REASON_PATTERN}`,
    );
  }
  const failure = !NOT_FAILED_REASONS.includes(outcome.reason);
  if (outcome.kind === "pending" && failure) {
    throw new Error(
      `the operator treats reason ${outcome.reason} as a failure (Stalled=True); a pending outcome needs one of ${NOT_FAILED_REASONS.join(", ")}`,
    );
  }
  if (outcome.kind === "failed" && (!failure || outcome.reason === REASON_APPLIED)) {
    throw new Error(`reason ${outcome.reason} is not a failure for the operator; use a pending outcome`);
  }
}

/**
 * The status operator v0.7.37 writes for this outcome (for "hold": the status as it is). Pure: `now` stands for
 * the operator's clock (lastTransitionTime, last_applied/lastApplied).
 */
export function statusFor(object: AtlasObject, outcome: Outcome, now: Date): object {
  const generation = object.metadata.generation;
  const current = structuredClone((object.status ?? {}) as Record<string, unknown>);
  if (outcome.kind === "hold") {
    return current;
  }
  if (outcome.kind === "applied") {
    const unix = Math.floor(now.getTime() / 1000);
    const status: Record<string, unknown> =
      object.kind === "AtlasSchema"
        ? {
            observedGeneration: generation,
            observed_hash: hashOf(object.spec),
            last_applied: unix,
            planURL: "",
            planLink: "",
            failed: 0,
          }
        : {
            observedGeneration: generation,
            observed_hash: hashOf(object.spec),
            lastApplied: unix,
            failed: 0,
          };
    const version = object.kind === "AtlasMigration" ? lastVersion(object.spec) : "";
    if (version !== "") {
      status.lastAppliedVersion = version;
    }
    const readyMessage =
      object.kind === "AtlasSchema"
        ? `The schema has been applied successfully. Apply response: ${JSON.stringify({ Changes: {} })}`
        : "";
    setAll(status, generation, now, true, REASON_APPLIED, [readyMessage, "", ""], false);
    return ordered(object.kind, status);
  }
  checkReason(outcome);
  const status: Record<string, unknown> = {
    ...zeroStatus(object.kind),
    ...current,
    observedGeneration: generation,
  };
  const stalled = outcome.kind === "failed";
  const { reason, message } = outcome;
  setAll(status, generation, now, false, reason, [message, message, stalled ? message : ""], stalled);
  if (stalled) {
    status.failed = Number(status.failed ?? 0) + 1;
  } else if (reason === "Reconciling") {
    status.failed = 0;
  }
  return ordered(object.kind, status);
}

/** The Go struct's field order, so a written status reads like the operator's. */
function ordered(kind: AtlasKind, status: Record<string, unknown>): Record<string, unknown> {
  const order =
    kind === "AtlasSchema"
      ? ["observedGeneration", "conditions", "observed_hash", "last_applied", "planURL", "planLink", "failed"]
      : [
          "observedGeneration",
          "conditions",
          "lastAppliedVersion",
          "lastDeploymentUrl",
          "approvalUrl",
          "observed_hash",
          "lastApplied",
          "failed",
        ];
  const out: Record<string, unknown> = {};
  for (const key of [...order, ...Object.keys(status)]) {
    if (key in status && !(key in out)) {
      out[key] = status[key];
    }
  }
  return out;
}

const readyOf = (status: unknown) =>
  ((status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === "Ready");

/**
 * The Reconciling status the operator writes before it does any work, or undefined when it goes straight on:
 * an object with no conditions yet, or a Ready one whose spec changed since it was applied.
 */
export function reconcilingStepFor(object: AtlasObject, now: Date): object | undefined {
  const ready = readyOf(object.status);
  const changed = ready?.status === "True" && object.status?.observed_hash !== hashOf(object.spec);
  if (ready && !changed) {
    return undefined;
  }
  const message = !ready
    ? "Reconciling"
    : object.kind === "AtlasSchema"
      ? "current schema does not match last applied"
      : "Current migration data has changed";
  return statusFor(object, { kind: "pending", reason: "Reconciling", message }, now);
}

/** Whether the status already says what the outcome would, for the object's current generation. */
export function reflects(object: AtlasObject, outcome: Outcome): boolean {
  if (outcome.kind === "hold") {
    return true;
  }
  const ready = readyOf(object.status);
  const generation = object.metadata.generation;
  if (!ready || object.status?.observedGeneration !== generation || ready.observedGeneration !== generation) {
    return false;
  }
  if (outcome.kind === "applied") {
    return ready.status === "True" && object.status?.observed_hash === hashOf(object.spec);
  }
  return ready.status === "False" && ready.reason === outcome.reason && ready.message === outcome.message;
}

type Decide = (object: AtlasObject) => Outcome | Promise<Outcome>;

/**
 * Polls every AtlasSchema and AtlasMigration in all namespaces (every 500 ms) and, for each whose status does
 * not yet say what `decide` returns for its current generation, writes what the operator would: first its
 * Reconciling step where it has one, then, `delayMs` after the object was first seen needing it, the outcome.
 * Errors are logged and the loop goes on; stop() ends it.
 */
export class AtlasOperatorStandIn {
  private static readonly POLL_MS = 500;
  private readonly delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private pass: Promise<void> = Promise.resolve();
  /** uid -> the write that is waiting out delayMs, and since when. */
  private readonly waiting = new Map<string, { signature: string; since: number }>();
  private objects: k8s.CustomObjectsApi | undefined;
  private core: k8s.CoreV1Api | undefined;

  constructor(
    private readonly kubeconfigPath: string,
    public decide: Decide,
    opts?: { delayMs?: number },
  ) {
    this.delayMs = opts?.delayMs ?? 0;
  }

  async start(): Promise<void> {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    this.objects = kc.makeApiClient(k8s.CustomObjectsApi);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.running = true;
    await this.recheck();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.pass;
  }

  /** Re-evaluates every object now (after a test changed `decide`), and resolves when that pass is done. */
  recheck(): Promise<void> {
    clearTimeout(this.timer);
    this.pass = this.pass.then(() => this.reconcileAll()).finally(() => this.schedule());
    return this.pass;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.running) {
      this.timer = setTimeout(() => void this.recheck(), AtlasOperatorStandIn.POLL_MS);
    }
  }

  private async reconcileAll(): Promise<void> {
    if (!this.running || !this.objects) {
      return;
    }
    for (const kind of Object.keys(PLURALS) as AtlasKind[]) {
      try {
        const list = (await this.objects.listClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: PLURALS[kind],
        })) as { items?: AtlasObject[] };
        for (const item of list.items ?? []) {
          await this.reconcile({ ...item, kind }).catch((err: unknown) =>
            console.error(`atlas operator stand-in: ${kind} ${describe(item)}: ${String(err)}`),
          );
        }
      } catch (err) {
        // Until the atlas-operator chart has installed the CRDs the kind does not exist (404), and just after,
        // the API server is still setting up its storage (429): nothing to do yet.
        if (!(err instanceof k8s.ApiException && (err.code === 404 || err.code === 429))) {
          console.error(`atlas operator stand-in: listing ${PLURALS[kind]}: ${String(err)}`);
        }
      }
    }
  }

  private async reconcile(listed: AtlasObject): Promise<void> {
    const { namespace, name, uid } = listed.metadata;
    if (!namespace || !name) {
      return;
    }
    const key = uid ?? `${namespace}/${name}`;
    const object = await this.resolveMigrationDir(listed);
    const outcome = await this.decide(listed);
    if (reflects(object, outcome)) {
      this.waiting.delete(key);
      return;
    }
    const now = new Date();
    const step = reconcilingStepFor(object, now);
    const next = step ?? statusFor(object, outcome, now);
    const signature = JSON.stringify([object.metadata.generation, outcome, step ? "step" : "outcome"]);
    const waiting = this.waiting.get(key);
    if (waiting?.signature !== signature) {
      this.waiting.set(key, { signature, since: Date.now() });
      if (this.delayMs > 0) {
        return;
      }
    } else if (Date.now() - waiting.since < this.delayMs) {
      return;
    }
    this.waiting.delete(key);
    await this.writeStatus(object.kind, namespace, name, object.status, next as Record<string, unknown>);
  }

  /** The operator reads an AtlasMigration's ConfigMap of files; inline them so hash and version see them. */
  private async resolveMigrationDir(object: AtlasObject): Promise<AtlasObject> {
    const ref = object.kind === "AtlasMigration" ? object.spec?.dir?.configMapRef?.name : undefined;
    if (typeof ref !== "string" || !this.core || !object.metadata.namespace) {
      return object;
    }
    try {
      const cm = await this.core.readNamespacedConfigMap({ name: ref, namespace: object.metadata.namespace });
      return { ...object, spec: { ...object.spec, dir: { ...object.spec.dir, local: cm.data ?? {} } } };
    } catch (err) {
      console.error(`atlas operator stand-in: ${describe(object)}: reading ConfigMap ${ref}: ${String(err)}`);
      return object;
    }
  }

  /** A merge patch on /status that ends up as the whole new status, as the operator's Update does. */
  private async writeStatus(
    kind: AtlasKind,
    namespace: string,
    name: string,
    before: unknown,
    status: Record<string, unknown>,
  ): Promise<void> {
    const dropped = Object.keys((before ?? {}) as Record<string, unknown>).filter((k) => !(k in status));
    const body = { status: { ...Object.fromEntries(dropped.map((k) => [k, null])), ...status } };
    await this.objects?.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace, plural: PLURALS[kind], name, body },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
  }
}

const describe = (o: AtlasObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;

/**
 * For a stand-in that decides alone (support/serve-cluster.ts), a small model of the database: MySQL 8 with
 * utf8mb4 refuses a varchar longer than 16383 characters. The rest is applied.
 */
const MYSQL_VARCHAR_MAX = 16383;

/** What MySQL 8 (utf8mb4) says of a schema's first column that is too long, if any. */
export function mysqlRefusal(sql: string): string | undefined {
  for (const m of sql.matchAll(/(\w+)\s+varchar\((\d+)\)/gi)) {
    if (Number(m[2]) > MYSQL_VARCHAR_MAX) {
      return (
        `Error 1074 (42000): Column length too big for column '${m[1]}' (max = ${MYSQL_VARCHAR_MAX}); ` +
        "use BLOB or TEXT instead"
      );
    }
  }
  return undefined;
}

/** The stand-in's own decision: applied, or failed as MySQL would refuse the schema. */
export function decideAlone(o: AtlasObject): Outcome {
  const sql = o.kind === "AtlasSchema" ? String(o.spec?.schema?.sql ?? "") : "";
  const refusal = mysqlRefusal(sql);
  return refusal ? { kind: "failed", reason: "ApplyingSchema", message: refusal } : { kind: "applied" };
}
