/**
 * Applications and Atlas objects shaped as Argo CD v3.4.4 and the Atlas operator v0.7.37 write them, each checked
 * against the CRD schema this program ships (examples/manifests/schemas/), so a fixture cannot drift from what
 * the controllers can write. Used by the wait's tests.
 */
import { strict as assert } from "assert";
import type { AtlasObject } from "../../components/atlas-status";
import type { ArgoApplication, WaitTarget } from "../../components/sync-wait";
import { readSchema, schemaErrors } from "./manifests";

const APPLICATION_SCHEMA = readSchema("argoproj.io/v1alpha1", "Application");
const ATLAS_SCHEMAS = {
  AtlasSchema: readSchema("db.atlasgo.io/v1alpha1", "AtlasSchema"),
  AtlasMigration: readSchema("db.atlasgo.io/v1alpha1", "AtlasMigration"),
};

export const REPO = "https://github.com/org/manifests";
export const PATH = "shop/dev";
export const SERVER = "https://kubernetes.default.svc";
export const NS = "shop";
export const SHA_A = "3f2a9c0d5b7e41f6a8c2d9e0b1f4a7c3d6e8f0a2";
export const SHA_B = "9b1e7d4c2a0f6e8d3c5b7a9f1e2d4c6b8a0f3e5d";

export function target(over: Partial<WaitTarget> = {}): WaitTarget {
  return {
    namespace: "argocd",
    name: "shop",
    source: { repoURL: REPO, path: PATH, targetRevision: "main" },
    destination: { server: SERVER, namespace: NS },
    timeoutSeconds: 1200,
    stack: "dev",
    timeoutKey: "waitTimeout",
    ...over,
  };
}

export interface AppState {
  /** spec.source.targetRevision; also what was compared unless `compared` says otherwise. */
  readonly targetRevision?: string;
  readonly compared?: string;
  readonly comparedNamespace?: string;
  /** status.sync.revision. */
  readonly revision?: string;
  readonly sync?: "Synced" | "OutOfSync" | "Unknown";
  readonly health?: "Healthy" | "Progressing" | "Degraded" | "Suspended" | "Missing" | "Unknown";
  readonly refreshRequested?: boolean;
  /** The AtlasSchema's entry in status.resources. */
  readonly schema?: {
    readonly status?: "Synced" | "OutOfSync";
    readonly health?: string;
    readonly message?: string;
  };
  /** Another resource, e.g. the Deployment, with its health. */
  readonly deployment?: { readonly health: string; readonly message?: string };
  readonly operation?: {
    readonly phase: "Running" | "Terminating" | "Failed" | "Error" | "Succeeded";
    readonly revision: string;
    readonly message?: string;
    readonly retryCount?: number;
    /** syncResult.resources: each object's result, as the controller records it. */
    readonly results?: readonly {
      readonly kind: string;
      readonly name: string;
      readonly namespace?: string;
      readonly status: string;
      readonly message: string;
    }[];
    /** The stuck state of argo-cd#29636: no syncResult and no finishedAt. */
    readonly noResult?: boolean;
  };
  /** A sync requested (the `operation` field) but not started. */
  readonly pendingOperation?: boolean;
  readonly conditions?: readonly { readonly type: string; readonly message: string }[];
  /** No status at all: Argo CD has not looked at the Application yet. */
  readonly noStatus?: boolean;
}

const source = (targetRevision: string) => ({ repoURL: REPO, path: PATH, targetRevision });

/** An Application as Argo CD stores it: the spec this program writes, the status its controller writes. */
export function application(s: AppState = {}): ArgoApplication {
  const spec = s.targetRevision ?? "main";
  const revision = s.revision ?? SHA_B;
  const sync = s.sync ?? "Synced";
  const op = s.operation;
  const app = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: {
      name: "shop",
      namespace: "argocd",
      generation: 7,
      ...(s.refreshRequested ? { annotations: { "argocd.argoproj.io/refresh": "normal" } } : {}),
    },
    spec: {
      project: "shop",
      source: source(spec),
      destination: { server: SERVER, namespace: NS },
      syncPolicy: { automated: { prune: true, selfHeal: true }, retry: { limit: 5 } },
    },
    ...(s.pendingOperation ? { operation: { sync: { revision }, initiatedBy: { automated: true } } } : {}),
    ...(s.noStatus
      ? {}
      : {
          status: {
            sync: {
              status: sync,
              comparedTo: {
                source: source(s.compared ?? spec),
                destination: { server: SERVER, namespace: s.comparedNamespace ?? NS },
              },
              revision,
            },
            health: { status: s.health ?? "Healthy" },
            reconciledAt: "2026-03-02T10:00:05Z",
            resources: [
              {
                group: "db.atlasgo.io",
                version: "v1alpha1",
                kind: "AtlasSchema",
                namespace: NS,
                name: "shop",
                status: s.schema?.status ?? sync,
                syncWave: 1,
                health: { status: s.schema?.health ?? "Healthy", message: s.schema?.message ?? "" },
              },
              {
                group: "apps",
                version: "v1",
                kind: "Deployment",
                namespace: NS,
                name: "web",
                status: sync,
                syncWave: 2,
                health: { status: s.deployment?.health ?? "Healthy", message: s.deployment?.message ?? "" },
              },
            ],
            ...(s.conditions ? { conditions: s.conditions } : {}),
            ...(op
              ? {
                  operationState: {
                    operation: { sync: { revision: op.revision }, retry: { limit: 5 } },
                    phase: op.phase,
                    message: op.message ?? "",
                    startedAt: "2026-03-02T10:00:06Z",
                    ...((op.phase === "Running" && !op.retryCount) || op.noResult
                      ? {}
                      : { finishedAt: "2026-03-02T10:01:00Z" }),
                    ...(op.retryCount ? { retryCount: op.retryCount } : {}),
                    ...(op.noResult
                      ? {}
                      : {
                          syncResult: {
                            revision: op.revision,
                            source: source(spec),
                            ...(op.results
                              ? {
                                  resources: op.results.map((r) => ({
                                    group: "",
                                    version: "v1",
                                    syncPhase: "Sync",
                                    namespace: r.namespace ?? NS,
                                    ...r,
                                  })),
                                }
                              : {}),
                          },
                        }),
                  },
                }
              : {}),
          },
        }),
  };
  assert.deepEqual(
    schemaErrors(APPLICATION_SCHEMA, app),
    [],
    "the fixture fits Argo CD v3.4.4's Application",
  );
  return app;
}

/** The reasons api/v1alpha1/reason.go isFailedReason does not count as failures (v0.7.37). */
const NOT_FAILED = ["Reconciling", "GettingDevDB", "ApprovalPending"];

export interface AtlasState {
  readonly kind?: "AtlasSchema" | "AtlasMigration";
  readonly reason: string;
  readonly message?: string;
  readonly generation?: number;
  readonly observedGeneration?: number;
  readonly failed?: number;
  readonly backoffLimit?: number;
}

/** An AtlasSchema or AtlasMigration with the conditions SetReady / SetNotReady / SetReconciling write. */
export function atlasObject(s: AtlasState): AtlasObject {
  const kind = s.kind ?? "AtlasSchema";
  const generation = s.generation ?? 3;
  const message = s.message ?? "";
  const applied = s.reason === "Applied";
  const failedReason = !applied && !NOT_FAILED.includes(s.reason);
  const cond = (type: string, status: boolean, msg = message) => ({
    type,
    status: status ? "True" : "False",
    reason: s.reason,
    message: msg,
    observedGeneration: generation,
    lastTransitionTime: "2026-03-02T10:00:30Z",
  });
  const obj = {
    apiVersion: "db.atlasgo.io/v1alpha1",
    kind,
    metadata: { name: "shop", namespace: NS, generation },
    spec: {
      ...(kind === "AtlasSchema" ? { schema: { sql: "CREATE TABLE t (id int);" } } : { dir: {} }),
      url: "mysql://root:pass@mysql:3306/shop",
      ...(s.backoffLimit !== undefined ? { backoffLimit: s.backoffLimit } : {}),
    },
    status: {
      observedGeneration: s.observedGeneration ?? generation,
      failed: s.failed ?? (failedReason ? 1 : 0),
      conditions: [
        cond("Ready", applied),
        cond("Reconciling", !applied && !failedReason),
        cond("Stalled", failedReason, failedReason ? message : ""),
      ],
    },
  };
  assert.deepEqual(schemaErrors(ATLAS_SCHEMAS[kind], obj), [], `the fixture fits the operator's ${kind}`);
  return obj;
}
