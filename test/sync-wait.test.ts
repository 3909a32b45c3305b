/**
 * The wait `pulumi up` does for an Argo CD Application: the annotations exactly, then the model of
 * pulumi-kubernetes' await logic (test/support/await-model.ts) run over Application objects shaped like the
 * ones Argo CD v3.4.4 writes, through the moments an update goes through (controller/appcontroller.go
 * `processAppRefreshQueueItem` and `processRequestedAppOperation`): before the refresh, refreshed and
 * OutOfSync, syncing, synced, and failed.
 */
import { strict as assert } from "assert";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import type { IApplication } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import {
  APPLICATION_DELETE_TIMEOUT,
  applicationCustomTimeouts,
  OPERATION_SETTLED,
  revisionKind,
  syncWaitAnnotations,
  syncWaitConditions,
  unwaitableReason,
  type SyncWaitSource,
} from "../components/sync-wait";
import {
  awaitEvents,
  checkAll,
  parseJsonPath,
  parseWaitFor,
  readyCondition,
  selectNodes,
  timeoutSeconds,
  waitForEntries,
  WaitForError,
  type JsonObject,
} from "./support/await-model";
import { readSchema, schemaErrors } from "./support/manifests";

/**
 * Argo CD v3.4.4's Application schema, generated from its CRD (examples/manifests/schemas/), strict. It checks spec
 * and status against the version this program installs; @kubernetes-models 2.7.2 (an older CRD) stays for
 * ObjectMeta, which the CRD schema leaves as `type: object`.
 */
const APPLICATION_V344 = readSchema("argoproj.io/v1alpha1", "Application");

const REPO = "https://github.com/org/manifests";
const PATH = "overlays/prod";
const SERVER = "https://kubernetes.default.svc";
const NS = "shop";
const SHA_A = "3f2a9c0d5b7e41f6a8c2d9e0b1f4a7c3d6e8f0a2";
const SHA_B = "9b1e7d4c2a0f6e8d3c5b7a9f1e2d4c6b8a0f3e5d";
const SHA_C = "c0ffee00d5b7e41f6a8c2d9e0b1f4a7c3d6e8f0a";

type SyncCode = "Synced" | "OutOfSync" | "Unknown";
type HealthCode = "Healthy" | "Progressing" | "Degraded" | "Suspended" | "Missing" | "Unknown";
type Phase = "Running" | "Terminating" | "Failed" | "Error" | "Succeeded";

/** One comparison as persistAppStatus writes it, and the last operation, if any. */
interface Observed {
  /** What status.sync.comparedTo.source.targetRevision says (the spec source of the last comparison). */
  compared: string;
  comparedNamespace?: string;
  /** status.sync.revision: the commit the compared manifests came from. */
  revision: string;
  sync: SyncCode;
  health: HealthCode;
  /** Health of the AtlasSchema, persisted per resource (controller.resource.health.persist: true). */
  schemaHealth?: { status: HealthCode; message: string };
  operation?: {
    /** The commit the operation synced (syncResult.revision) and asked for (operation.sync.revision). */
    revision: string;
    phase: Phase;
    message: string;
    retryCount?: number;
    /** A retry is pending: Running with finishedAt set. */
    finished?: boolean;
    /** No syncResult (it is cleared while a retry starts). */
    noResult?: boolean;
  };
}

const source = (targetRevision: string) => ({ repoURL: REPO, path: PATH, targetRevision });

/** An Application as Argo CD stores it: spec from this program, status from the controller. */
function application(
  specRevision: string,
  observed?: Observed,
  annotations?: Record<string, string>,
): JsonObject {
  const app: IApplication = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: {
      name: "shop",
      namespace: "argocd",
      // No status subresource in Argo CD's CRD, so every status patch bumps the generation too.
      generation: 7,
      finalizers: ["resources-finalizer.argocd.argoproj.io"],
      ...(annotations ? { annotations } : {}),
    },
    spec: {
      project: "shop",
      source: source(specRevision),
      destination: { server: SERVER, namespace: NS },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        retry: { limit: 5, backoff: { duration: "5s", factor: 2, maxDuration: "3m" } },
        syncOptions: ["CreateNamespace=true"],
      },
    },
  };
  if (observed !== undefined) {
    const op = observed.operation;
    app.status = {
      sync: {
        status: observed.sync,
        comparedTo: {
          source: source(observed.compared),
          destination: { server: SERVER, namespace: observed.comparedNamespace ?? NS },
        },
        revision: observed.revision,
      },
      health: { status: observed.health, lastTransitionTime: "2026-03-02T10:00:05Z" },
      reconciledAt: "2026-03-02T10:00:05Z",
      sourceType: "Kustomize",
      controllerNamespace: "argocd",
      resourceHealthSource: observed.schemaHealth ? undefined : "appTree",
      resources: [
        {
          group: "db.atlasgo.io",
          version: "v1alpha1",
          kind: "AtlasSchema",
          namespace: NS,
          name: "shop",
          status: observed.sync,
          syncWave: 1,
          ...(observed.schemaHealth ? { health: observed.schemaHealth } : {}),
        },
      ],
      summary: {},
      ...(op
        ? {
            operationState: {
              operation: {
                sync: { revision: op.revision, prune: true, syncOptions: ["CreateNamespace=true"] },
                initiatedBy: { automated: true },
                retry: { limit: 5, backoff: { duration: "5s", factor: 2, maxDuration: "3m" } },
              },
              phase: op.phase,
              message: op.message,
              startedAt: "2026-03-02T10:00:06Z",
              ...(op.phase === "Running" && !op.finished ? {} : { finishedAt: "2026-03-02T10:01:00Z" }),
              ...(op.retryCount ? { retryCount: op.retryCount } : {}),
              ...(op.noResult ? {} : { syncResult: { revision: op.revision, source: source(op.revision) } }),
            },
          }
        : {}),
    };
    if (app.status.resourceHealthSource === undefined) delete app.status.resourceHealthSource;
  }
  // Argo CD's CRD schema, so a fixture cannot drift from what the controller can write.
  const json = JSON.parse(JSON.stringify(app)) as JsonObject;
  assert.deepEqual(schemaErrors(APPLICATION_V344, json), [], "the fixture fits Argo CD v3.4.4's Application");
  new Application(app).validate();
  return json;
}

const target = (targetRevision: string): SyncWaitSource => ({
  repoURL: REPO,
  path: PATH,
  targetRevision,
  destination: { server: SERVER, namespace: NS },
});
const waitFor = (targetRevision: string) =>
  syncWaitAnnotations({ ...target(targetRevision), timeoutSeconds: 1200 });
const passes = (targetRevision: string, obj: JsonObject) =>
  checkAll(parseWaitFor(waitFor(targetRevision)["pulumi.com/waitFor"]), obj);

const succeededAt = (revision: string) => ({
  revision,
  phase: "Succeeded" as const,
  message: "successfully synced (all tasks run)",
});

describe("sync wait", () => {
  describe("the Application fixtures", () => {
    it("are checked against v3.4.4's schema, which refuses a field @kubernetes-models 2.7.2 lets through", () => {
      const app = application(SHA_A, { compared: SHA_A, revision: SHA_A, sync: "Synced", health: "Healthy" });
      assert.deepEqual(schemaErrors(APPLICATION_V344, app), []);
      const typo = JSON.parse(JSON.stringify(app)) as JsonObject & { status: JsonObject };
      typo.status.operationStat = typo.status.operationState;
      new Application(typo as unknown as IApplication).validate();
      assert.deepEqual(schemaErrors(APPLICATION_V344, typo), [
        "$.status: field 'operationStat' is not allowed",
      ]);
    });
  });

  describe("revisionKind", () => {
    const cases: [string, "commit" | "ref", string][] = [
      [SHA_A, "commit", "a full lowercase SHA, which status.sync.revision repeats verbatim"],
      [SHA_A.toUpperCase(), "ref", "upper-case hex, which comes back lowercased from git rev-parse"],
      ["3f2a9c0", "ref", "a short SHA: status.sync.revision holds the full one"],
      [SHA_A.slice(0, 39), "ref", "39 hex digits are a short SHA"],
      [`${SHA_A}0`, "ref", "41 hex digits are no commit either"],
      ["main", "ref", "a branch"],
      ["v1.2.0", "ref", "a tag (indistinguishable from a branch by name)"],
      ["HEAD", "ref", "the default branch"],
      ["1.2.*", "ref", "a semver range over tags"],
    ];
    for (const [revision, kind, why] of cases) {
      it(`calls ${JSON.stringify(revision)} a ${kind}: ${why}`, () => {
        assert.equal(revisionKind(revision), kind);
      });
    }
  });

  describe("syncWaitAnnotations", () => {
    it("renders the conditions for a pinned commit, comparedTo first, as a JSON array, with the timeout", () => {
      assert.deepEqual(syncWaitAnnotations({ ...target(SHA_B), timeoutSeconds: 1200 }), {
        "pulumi.com/waitFor":
          '["jsonpath={.status.sync.comparedTo.source.repoURL}=https://github.com/org/manifests",' +
          '"jsonpath={.status.sync.comparedTo.source.path}=overlays/prod",' +
          `"jsonpath={.status.sync.comparedTo.source.targetRevision}=${SHA_B}",` +
          '"jsonpath={.status.sync.comparedTo.destination.server}=https://kubernetes.default.svc",' +
          '"jsonpath={.status.sync.comparedTo.destination.namespace}=shop",' +
          `"jsonpath={.status.sync.revision}=${SHA_B}",` +
          '"jsonpath={.status.sync.status}=Synced",' +
          '"jsonpath={.status.health.status}=Healthy",' +
          "\"jsonpath={$[?@.sync.status && (!@.operationState || @.operationState.phase == 'Succeeded' || " +
          "((@.operationState.phase == 'Failed' || @.operationState.phase == 'Error') && " +
          '!(@.operationState.syncResult.revision == @.sync.revision)))]}"]',
        "pulumi.com/timeoutSeconds": "1200",
      });
    });

    it("names no commit for a branch or tag: only what Argo CD compared, sync, health and the operation", () => {
      assert.deepEqual(syncWaitConditions({ repoURL: REPO, path: PATH, targetRevision: "v1.2.0" }), [
        "jsonpath={.status.sync.comparedTo.source.repoURL}=https://github.com/org/manifests",
        "jsonpath={.status.sync.comparedTo.source.path}=overlays/prod",
        "jsonpath={.status.sync.comparedTo.source.targetRevision}=v1.2.0",
        "jsonpath={.status.sync.status}=Synced",
        "jsonpath={.status.health.status}=Healthy",
        OPERATION_SETTLED,
      ]);
    });

    it("rejects a value the provider cannot compare, naming the field and the value", () => {
      assert.throws(
        () => syncWaitConditions({ ...target("main"), path: "apps/env=prod" }),
        /source\.path 'apps\/env=prod' contains '='/,
      );
      assert.throws(() => syncWaitConditions(target("")), /source\.targetRevision '' is empty/);
      assert.equal(unwaitableReason("release/1.x"), undefined);
    });

    it("rejects a timeout the provider would not read (strconv.Atoi) or that ends the wait at once", () => {
      for (const bad of [0, -5, 12.5, Number.NaN]) {
        assert.throws(() => syncWaitAnnotations({ ...target("main"), timeoutSeconds: bad }), /whole number/);
      }
    });

    it("gives customTimeouts that match the annotation, since customTimeouts win over it", () => {
      const annotations = syncWaitAnnotations({ ...target("main"), timeoutSeconds: 1200 });
      const timeouts = applicationCustomTimeouts(1200);
      assert.deepEqual(timeouts, { create: "1200s", update: "1200s", delete: "20m" });
      assert.equal(APPLICATION_DELETE_TIMEOUT, "20m");
      // overrides.go TimeoutDuration: customTimeouts first, then the annotation, then ten minutes.
      assert.equal(timeoutSeconds(900, annotations), 900);
      assert.equal(timeoutSeconds(0, annotations), 1200);
      assert.equal(timeoutSeconds(0, { "pulumi.com/timeoutSeconds": "20m" }), 600);
      assert.equal(timeoutSeconds(0, {}), 600);
    });
  });

  describe("the conditions are grammar the provider accepts (jsonpath.Parse, ReadyCondition)", () => {
    const annotation = waitFor(SHA_B)["pulumi.com/waitFor"];
    const conditions = parseWaitFor(annotation);

    it("decodes as a JSON array of strings, one condition per entry", () => {
      assert.deepEqual(waitForEntries(annotation), syncWaitConditions(target(SHA_B)));
      assert.equal(conditions.length, 9);
    });

    it("keeps every '=' of a path inside '==' and uses no !=, <= or >=", () => {
      for (const entry of waitForEntries(annotation)) {
        assert.doesNotMatch(entry, /!=|<=|>=/, entry);
        const c = parseJsonPath(entry);
        assert.doesNotMatch(c.path.replaceAll("==", ""), /=/, entry);
        assert.doesNotMatch(c.value, /=/, entry);
      }
    });

    it("ends every path at its only '}', so the provider's brace match takes all of it", () => {
      for (const c of conditions) {
        assert.equal(c.kind, "jsonpath");
        if (c.kind !== "jsonpath") continue;
        assert.equal(c.path.indexOf("}"), c.path.length - 1, c.path);
        assert.equal(c.query, `$${c.path.slice(1, -1)}`.replace(/^\$\$/, "$"));
      }
    });

    it("selects at most one node on a full Application, so 'the first match' is never a coin toss", () => {
      const obj = application(SHA_B, {
        compared: SHA_B,
        revision: SHA_B,
        sync: "Synced",
        health: "Healthy",
        operation: succeededAt(SHA_B),
      });
      for (const c of conditions) {
        if (c.kind !== "jsonpath") continue;
        assert.equal(selectNodes(c, obj).length, 1, c.path);
      }
      const settled = parseJsonPath(OPERATION_SETTLED);
      assert.deepEqual(selectNodes(settled, obj), [obj.status]);
    });
  });

  describe("the await model", () => {
    const bad: [string, RegExp][] = [
      ["jsonpath={$[?@.sync.status != 'Synced']}", /brackets/],
      ["jsonpath={.status.sync.comparedTo.source.path}=apps/env=prod", /format should be/],
      ["jsonpath={.status.sync.status}=", /requires a value/],
      ["jsonpath='{.status.sync.status}'=Synced", /shell quotes/],
      ["jsonpath=.status.sync.status", /wrapped in brackets/],
      ["{.status.sync.status}=Synced", /prefix/],
      ["jsonpath={.status.sync[}", /parsing/],
      ["[]", /at least one condition/],
      ["null", /at least one condition/],
      ['["jsonpath={.status}", 1]', /prefix, got ""/],
    ];
    for (const [annotation, error] of bad) {
      it(`rejects ${annotation}`, () => {
        assert.throws(
          () => parseWaitFor(annotation),
          (e: unknown) => e instanceof WaitForError && error.test(e.message),
        );
      });
    }

    it("reads '!=' after the braces as '=': the provider ignores text outside the first {...}", () => {
      const [c] = parseWaitFor("jsonpath={.status.sync.status}!=Synced");
      assert.deepEqual(c, {
        kind: "jsonpath",
        path: "{.status.sync.status}!",
        query: "$.status.sync.status",
        value: "Synced",
      });
      const synced = application(SHA_B, {
        compared: SHA_B,
        revision: SHA_B,
        sync: "Synced",
        health: "Healthy",
      });
      assert.equal(checkAll([c], synced).satisfied, true);
    });

    it("accepts one string, a JSON array, '==' inside a filter and condition=Type[=Status]", () => {
      assert.equal(parseWaitFor("jsonpath={.status.health.status}=Healthy").length, 1);
      const [c] = parseWaitFor(
        '["jsonpath={.status.conditions[?(@.type==\\"Ready\\")].status}=True","condition=Ready=False"]',
      );
      assert.deepEqual(c, {
        kind: "jsonpath",
        path: '{.status.conditions[?(@.type=="Ready")].status}',
        query: '$.status.conditions[?(@.type=="Ready")].status',
        value: "True",
      });
      assert.deepEqual(parseWaitFor("condition=Ready=False")[0], {
        kind: "condition",
        type: "Ready",
        status: "False",
      });
    });

    it("compares the first selected node as Go prints it, and only that node", () => {
      const obj = application(SHA_B);
      const check = (expr: string) => checkAll(parseWaitFor(expr), obj);
      assert.equal(check("jsonpath={.spec.syncPolicy.retry.limit}=5").satisfied, true);
      assert.equal(check("jsonpath={.spec.syncPolicy.automated.prune}=true").satisfied, true);
      assert.equal(check("jsonpath={.spec.syncPolicy.syncOptions[0]}").satisfied, true);
      assert.throws(() => check("jsonpath={.spec.syncPolicy.syncOptions[0]}=CreateNamespace=true"), /format/);
      assert.equal(check("jsonpath={.metadata.finalizers[*]}").satisfied, true);
      assert.equal(check("jsonpath={.status}").satisfied, false);
      const conditions = {
        status: {
          conditions: [
            { type: "Progressing", status: "True" },
            { type: "Ready", status: "True" },
          ],
        },
      };
      assert.equal(
        checkAll(parseWaitFor("jsonpath={.status.conditions[*].type}=Ready"), conditions).satisfied,
        false,
      );
      assert.equal(
        checkAll(parseWaitFor("jsonpath={.status.conditions[1].type}=Ready"), conditions).satisfied,
        true,
      );
      const complex = check("jsonpath={.spec.source}=x");
      assert.equal(complex.satisfied, false);
      assert.match(complex.error ?? "", /non-primitive/);
    });

    it("waits while status.observedGeneration is behind metadata.generation, for jsonpath and condition", () => {
      const obj = {
        metadata: { name: "x", generation: 3 },
        status: { observedGeneration: 2, phase: "Ready", conditions: [{ type: "Ready", status: "True" }] },
      };
      assert.equal(checkAll(parseWaitFor("jsonpath={.status.phase}=Ready"), obj).satisfied, false);
      assert.equal(checkAll(parseWaitFor("condition=Ready"), obj).satisfied, false);
      obj.status.observedGeneration = 3;
      assert.equal(checkAll(parseWaitFor("jsonpath={.status.phase}=Ready"), obj).satisfied, true);
      assert.equal(checkAll(parseWaitFor("condition=ready=true"), obj).satisfied, true);
    });

    it("ignores a watch event older than the object it holds, and skips the wait for skipAwait", () => {
      const annotations = { "pulumi.com/waitFor": "jsonpath={.status.phase}=Ready" };
      const older = { metadata: { generation: 1 }, status: { phase: "Ready" } };
      const current = { metadata: { generation: 2 }, status: { phase: "Pending" } };
      assert.equal(awaitEvents(annotations, current, [older]).outcome, "timeout");
      assert.deepEqual(awaitEvents({ ...annotations, "pulumi.com/skipAwait": "true" }, current, []), {
        outcome: "ready",
        event: -1,
      });
      assert.deepEqual(readyCondition({}), { mode: "none" });
    });
  });

  describe("on Application objects through an update from A to B", () => {
    for (const [kind, from, to] of [
      ["commit", SHA_A, SHA_B],
      ["tag", "v1.0.0", "v1.1.0"],
    ] as const) {
      describe(`a ${kind}`, () => {
        // What Argo CD resolved each revision to.
        const resolvedTo = to === SHA_B ? SHA_B : SHA_C;
        const resolvedFrom = from === SHA_A ? SHA_A : SHA_B;

        // (a)
        it("does not pass on the status left from A, Synced and Healthy, before Argo CD refreshes", () => {
          const stale = application(to, {
            compared: from,
            revision: resolvedFrom,
            sync: "Synced",
            health: "Healthy",
            operation: succeededAt(resolvedFrom),
          });
          const check = passes(to, stale);
          assert.equal(check.satisfied, false);
          assert.match(check.message, new RegExp(`targetRevision\\}=${to} \\(found "${from}"\\)`));
        });

        // (b)
        it("does not pass once refreshed at B while OutOfSync, syncing, or Progressing", () => {
          const base = { compared: to, revision: resolvedTo };
          const previous = succeededAt(resolvedFrom);
          const moments: Observed[] = [
            { ...base, sync: "OutOfSync", health: "Healthy", operation: previous },
            {
              ...base,
              sync: "OutOfSync",
              health: "Progressing",
              operation: {
                revision: resolvedTo,
                phase: "Running",
                message: "waiting for healthy state of db.atlasgo.io/AtlasSchema/shop",
              },
            },
            {
              ...base,
              sync: "Synced",
              health: "Progressing",
              operation: {
                revision: resolvedTo,
                phase: "Running",
                message: "waiting for completion of hook batch/Job/smoke-test",
              },
            },
            // Applied and Healthy, but a PostSync hook still runs.
            {
              ...base,
              sync: "Synced",
              health: "Healthy",
              operation: {
                revision: resolvedTo,
                phase: "Running",
                message: "waiting for completion of hook batch/Job/smoke-test",
              },
            },
            // The last wave is applied (Succeeded right after apply), health not yet Healthy.
            { ...base, sync: "Synced", health: "Progressing", operation: succeededAt(resolvedTo) },
            // A failed attempt with a retry pending: Running with finishedAt set.
            {
              ...base,
              sync: "OutOfSync",
              health: "Healthy",
              operation: {
                revision: resolvedTo,
                phase: "Running",
                message: "one or more objects failed to apply. Retrying attempt #1 at 10:02AM.",
                retryCount: 1,
                finished: true,
              },
            },
            // The retry has started: its syncResult is cleared until SyncAppState writes a new one.
            {
              ...base,
              sync: "OutOfSync",
              health: "Healthy",
              operation: {
                revision: resolvedTo,
                phase: "Running",
                message: "Retrying operation. Attempt #1",
                retryCount: 1,
                noResult: true,
              },
            },
            // The repository could not be read: comparedTo moved, but nothing is known.
            { ...base, revision: to, sync: "Unknown", health: "Healthy", operation: previous },
          ];
          for (const m of moments)
            assert.equal(passes(to, application(to, m)).satisfied, false, JSON.stringify(m));
        });

        // (c)
        it("passes once B is Synced and Healthy and its sync Succeeded, and the provider stops at that event", () => {
          const events = [
            application(to, {
              compared: from,
              revision: resolvedFrom,
              sync: "Synced",
              health: "Healthy",
              operation: succeededAt(resolvedFrom),
            }),
            application(to, {
              compared: to,
              revision: resolvedTo,
              sync: "OutOfSync",
              health: "Healthy",
              operation: succeededAt(resolvedFrom),
            }),
            application(to, {
              compared: to,
              revision: resolvedTo,
              sync: "Synced",
              health: "Healthy",
              operation: {
                revision: resolvedTo,
                phase: "Running",
                message: "waiting for completion of hook batch/Job/smoke-test",
              },
            }),
            application(to, {
              compared: to,
              revision: resolvedTo,
              sync: "Synced",
              health: "Healthy",
              operation: succeededAt(resolvedTo),
            }),
          ];
          assert.deepEqual(awaitEvents(waitFor(to), events[0], events), { outcome: "ready", event: 3 });
        });

        it("passes when B renders what A rendered: Synced at once, no new sync, A's operation left behind", () => {
          for (const phase of ["Succeeded", "Failed"] as const) {
            const obj = application(to, {
              compared: to,
              revision: resolvedTo,
              sync: "Synced",
              health: "Healthy",
              operation: { revision: resolvedFrom, phase, message: "…" },
            });
            assert.equal(passes(to, obj).satisfied, true, phase);
          }
        });

        it("does not pass while any operation runs or terminates, or when B's own sync failed", () => {
          for (const [revision, phase] of [
            [resolvedFrom, "Running"],
            [resolvedFrom, "Terminating"],
            [resolvedTo, "Failed"],
            [resolvedTo, "Error"],
          ] as const) {
            const obj = application(to, {
              compared: to,
              revision: resolvedTo,
              sync: "Synced",
              health: "Healthy",
              operation: { revision, phase, message: "…" },
            });
            assert.equal(passes(to, obj).satisfied, false, `${phase} at ${revision}`);
          }
        });

        // (d)
        // provider/pkg/await/internal/awaiter.go Await re-checks on every event and has no failure state: a
        // Degraded app keeps `pulumi up` waiting until the timeout, whose error then names the unmet condition.
        it("does not pass while B is Degraded, and ends in the timeout: the provider never fails early", () => {
          const degraded = application(to, {
            compared: to,
            revision: resolvedTo,
            sync: "Synced",
            health: "Degraded",
            schemaHealth: { status: "Degraded", message: "LintPolicyError: destructive change detected" },
            operation: {
              revision: resolvedTo,
              phase: "Failed",
              message: "one or more synchronization tasks completed unsuccessfully (retried 5 times).",
              retryCount: 5,
            },
          });
          const outcome = awaitEvents(waitFor(to), degraded, [degraded, degraded]);
          assert.equal(outcome.outcome, "timeout");
          assert.match(
            outcome.outcome === "timeout" ? outcome.message : "",
            /health\.status\}=Healthy \(found "Degraded"\)/,
          );
        });

        it("does not pass when Argo CD compared another destination namespace", () => {
          const obj = application(to, {
            compared: to,
            comparedNamespace: "shop-old",
            revision: resolvedTo,
            sync: "Synced",
            health: "Healthy",
            operation: succeededAt(resolvedTo),
          });
          assert.equal(passes(to, obj).satisfied, false);
        });
      });
    }

    it("passes with no operation at all, when the first comparison is already Synced and Healthy", () => {
      const obj = application(SHA_B, { compared: SHA_B, revision: SHA_B, sync: "Synced", health: "Healthy" });
      assert.equal(passes(SHA_B, obj).satisfied, true);
    });

    it("does not pass on a new Application before Argo CD wrote any status", () => {
      assert.match(passes(SHA_B, application(SHA_B)).message, /selected nothing/);
    });

    it("does not pass for a commit whose sync.revision names another commit", () => {
      const obj = application(SHA_B, { compared: SHA_B, revision: SHA_A, sync: "Synced", health: "Healthy" });
      assert.equal(passes(SHA_B, obj).satisfied, false);
    });
  });

  // (e)
  describe("on a branch", () => {
    it("passes for whichever commit the branch resolved to: the wait cannot tell which one runs", () => {
      const annotation = waitFor("main")["pulumi.com/waitFor"];
      for (const sha of [SHA_A, SHA_B]) {
        assert.doesNotMatch(annotation, new RegExp(sha));
        const obj = application("main", {
          compared: "main",
          revision: sha,
          sync: "Synced",
          health: "Healthy",
          operation: succeededAt(sha),
        });
        assert.equal(passes("main", obj).satisfied, true, sha);
      }
    });

    it("still does not pass on status compared against the previous branch", () => {
      const obj = application("main", {
        compared: "release-1",
        revision: SHA_A,
        sync: "Synced",
        health: "Healthy",
        operation: succeededAt(SHA_A),
      });
      assert.equal(passes("main", obj).satisfied, false);
    });

    it("checks a short SHA like a tag: comparedTo, since sync.revision holds the full SHA", () => {
      const short = SHA_B.slice(0, 7);
      const obj = application(short, {
        compared: short,
        revision: SHA_B,
        sync: "Synced",
        health: "Healthy",
        operation: succeededAt(SHA_B),
      });
      assert.equal(passes(short, obj).satisfied, true);
      assert.doesNotMatch(waitFor(short)["pulumi.com/waitFor"], /sync\.revision\}=/);
    });
  });
});
