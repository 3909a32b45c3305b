/**
 * How the wait judges one snapshot of an Application, over Applications shaped as Argo CD v3.4.4 writes them
 * (test/support/wait-fixtures.ts): every operation phase (gitops-engine pkg/sync/common/types.go), every health
 * status (gitops-engine pkg/health), every sync status, a stale comparison, a refresh not yet done, and a retry
 * pending or exhausted (controller/appcontroller.go processRequestedAppOperation).
 */
import { strict as assert } from "assert";
import type { AtlasObject } from "../components/atlas-status";
import {
  assess,
  atlasKey,
  clean,
  POLL_INTERVAL_SECONDS,
  resolvedRevision,
  revisionKind,
  TRANSIENT_GRACE_SECONDS,
  waitsForApproval,
  type ArgoApplication,
  type WaitTarget,
} from "../components/sync-wait";
import {
  application,
  atlasObject,
  NS,
  PATH,
  REPO,
  SHA_A,
  SHA_B,
  target,
  type AppState,
  type AtlasState,
} from "./support/wait-fixtures";

const schemaKey = atlasKey({ kind: "AtlasSchema", namespace: NS, name: "shop" });
const atlas = (s: AtlasState = { reason: "Applied" }) =>
  new Map<string, AtlasObject>([[schemaKey, atlasObject(s)]]);

/** Judges an Application whose branch `main` resolved to SHA_B. */
const judge = (s: AppState, a = atlas(), t: WaitTarget = target(), revision: string | undefined = SHA_B) =>
  assess(application(s), a, t, revision);

describe("the wait's constants", () => {
  it("polls every 2 s and allows 300 s for a failure that may pass", () => {
    assert.equal(POLL_INTERVAL_SECONDS, 2);
    assert.equal(TRANSIENT_GRACE_SECONDS, 300);
  });
});

describe("revisionKind", () => {
  it("takes only a full lowercase SHA as a commit", () => {
    assert.equal(revisionKind(SHA_A), "commit");
    for (const ref of ["main", "HEAD", "v1.2.0", SHA_A.slice(0, 7), SHA_A.toUpperCase(), "1.*"]) {
      assert.equal(revisionKind(ref), "ref", ref);
    }
  });
});

describe("resolvedRevision", () => {
  it("uses a full SHA as it is, without asking Argo CD", () => {
    const t = target({ source: { repoURL: REPO, path: PATH, targetRevision: SHA_A } });
    assert.deepEqual(resolvedRevision(application({ noStatus: true }), t), { revision: SHA_A });
  });

  it("does not know a branch's commit while the refresh annotation is still on the Application", () => {
    const r = resolvedRevision(application({ refreshRequested: true, revision: SHA_A }), target());
    assert.equal(r.revision, undefined);
  });

  it("does not know it while the comparison is of another source", () => {
    assert.equal(resolvedRevision(application({ compared: "release" }), target()).revision, undefined);
    assert.equal(resolvedRevision(application({ comparedNamespace: "old" }), target()).revision, undefined);
  });

  it("takes the commit Argo CD compared once the refresh is done and the comparison is of this source", () => {
    assert.deepEqual(resolvedRevision(application({ revision: SHA_B }), target()), { revision: SHA_B });
  });
});

describe("assess", () => {
  it("is done when the commit is Synced and Healthy, with no sync running", () => {
    assert.equal(judge({}).kind, "done");
  });

  it("waits while the refresh it asked for has not happened, though the old commit is Synced and Healthy", () => {
    const a = assess(application({ refreshRequested: true, revision: SHA_A }), atlas(), target(), undefined);
    assert.equal(a.kind, "waiting");
    assert.match(a.kind === "waiting" ? a.summary : "", /has not refreshed it yet/);
  });

  it("waits while the status is about another source (stale), though Synced and Healthy", () => {
    assert.equal(judge({ compared: "release" }).kind, "waiting");
    assert.equal(judge({ comparedNamespace: "old" }).kind, "waiting");
  });

  it("waits while the compared commit is not the target", () => {
    const t = target({ source: { repoURL: REPO, path: PATH, targetRevision: SHA_B } });
    assert.equal(judge({ targetRevision: SHA_B, revision: SHA_A }, atlas(), t).kind, "waiting");
    assert.equal(judge({ targetRevision: SHA_B, revision: SHA_B }, atlas(), t).kind, "done");
  });

  describe("every health status", () => {
    const expected: [AppState["health"], string][] = [
      ["Healthy", "done"],
      ["Progressing", "waiting"],
      ["Degraded", "transient"],
      ["Suspended", "waiting"],
      ["Missing", "waiting"],
      ["Unknown", "waiting"],
    ];
    for (const [health, kind] of expected) {
      it(`${health}: ${kind}`, () => assert.equal(judge({ health }).kind, kind));
    }

    it("names a Degraded resource that is not an Atlas object in the detail, and waits within the grace period", () => {
      const a = judge({
        health: "Degraded",
        deployment: { health: "Degraded", message: "CrashLoopBackOff" },
      });
      assert.equal(a.kind, "transient");
      assert.ok(
        a.kind === "transient" && a.detail.includes("Deployment shop/web: Degraded: CrashLoopBackOff"),
      );
    });

    it("counts Suspended as waiting for a person", () => {
      assert.equal(waitsForApproval(application({ health: "Suspended" }), atlas()), true);
      assert.equal(waitsForApproval(application({}), atlas()), false);
    });
  });

  describe("every sync status", () => {
    for (const [sync, kind] of [
      ["Synced", "done"],
      ["OutOfSync", "waiting"],
      ["Unknown", "waiting"],
    ] as const) {
      it(`${sync}: ${kind}`, () => assert.equal(judge({ sync }).kind, kind));
    }

    it("waits within the grace period on an error condition (ComparisonError, InvalidSpecError)", () => {
      for (const type of ["ComparisonError", "InvalidSpecError"]) {
        const a = judge({
          sync: "Unknown",
          conditions: [{ type, message: "rpc error: repository not found" }],
        });
        assert.equal(a.kind, "transient", type);
        assert.match(a.kind === "transient" ? a.summary : "", new RegExp(`${type}: rpc error`));
      }
    });

    it("ignores a warning condition", () => {
      assert.equal(
        judge({ conditions: [{ type: "OrphanedResourceWarning", message: "1 orphan" }] }).kind,
        "done",
      );
    });
  });

  describe("a destination Argo CD cannot reach", () => {
    const SPOKE = "https://10.1.2.3:6443";
    const spoke = target({ name: "dev-shop", destination: { server: SPOKE, namespace: NS } });
    // As Argo CD v3.5.3 wrote it in fleet.e2e.ts for a spoke whose port nothing listened on.
    const refused = (server: string) =>
      `Failed to load live state: failed to get cluster info for "${server}": error synchronizing cache state : ` +
      `failed to get server version: failed to get server version: Get "${server}/version?timeout=32s": dial tcp ` +
      `${server.replace("https://", "")}: connect: connection refused`;

    it("fails at once, before any commit is resolved, naming the server, Argo CD's message and clusterServer", () => {
      const a = assess(
        application({ sync: "Unknown", conditions: [{ type: "ComparisonError", message: refused(SPOKE) }] }),
        atlas(),
        spoke,
        undefined,
      );
      assert.equal(a.kind, "failed");
      if (a.kind !== "failed") return;
      assert.ok(
        a.summary.startsWith(`Argo CD cannot reach the cluster at ${SPOKE}: ComparisonError: Failed`),
      );
      assert.match(a.summary, /connection refused/);
      assert.match(a.fix, /pulumi config set --stack dev clusterServer https:\/\/<host>:<port>/);
    });

    it("fails on a certificate or a token the cluster refuses, too", () => {
      for (const why of ["x509: certificate signed by unknown authority", "Unauthorized"]) {
        const message = `failed to sync cluster ${SPOKE}: ${why}`;
        const a = judge(
          { sync: "Unknown", conditions: [{ type: "ComparisonError", message }] },
          atlas(),
          spoke,
        );
        assert.equal(a.kind, "failed", why);
      }
    });

    it("waits on a timeout, and on errors about another server (the repository's, say)", () => {
      const slow = `failed to sync cluster ${SPOKE}: dial tcp 10.1.2.3:6443: i/o timeout`;
      const repo = "rpc error: dial tcp 10.9.9.9:443: connect: connection refused";
      for (const message of [slow, repo]) {
        const a = judge(
          { sync: "Unknown", conditions: [{ type: "ComparisonError", message }] },
          atlas(),
          spoke,
        );
        assert.equal(a.kind, "transient", message);
      }
    });

    it("points at the controller's logs, not clusterServer, when the cluster is Argo CD's own", () => {
      const a = judge({
        sync: "Unknown",
        conditions: [{ type: "ComparisonError", message: refused("https://kubernetes.default.svc") }],
      });
      assert.equal(a.kind, "failed");
      assert.match(a.kind === "failed" ? a.fix : "", /logs statefulset\/argocd-application-controller/);
      assert.doesNotMatch(a.kind === "failed" ? a.fix : "", /clusterServer/);
    });
  });

  describe("every operation phase", () => {
    const op = (phase: "Running" | "Terminating" | "Failed" | "Error" | "Succeeded", revision = SHA_B) => ({
      phase,
      revision,
      message: `${phase} message`,
    });
    it("Running: waiting", () => assert.equal(judge({ operation: op("Running") }).kind, "waiting"));
    it("Terminating: waiting", () => assert.equal(judge({ operation: op("Terminating") }).kind, "waiting"));
    it("Succeeded: done", () => assert.equal(judge({ operation: op("Succeeded") }).kind, "done"));
    for (const phase of ["Failed", "Error"] as const) {
      it(`${phase} for the target commit: failed at once, with Argo CD's message and where to look`, () => {
        const a = judge({ sync: "OutOfSync", health: "Degraded", operation: op(phase) });
        assert.equal(a.kind, "failed");
        if (a.kind !== "failed") return;
        assert.match(a.summary, new RegExp(`ended ${phase}: ${phase} message`));
        assert.match(a.fix, /kubectl -n argocd get application shop -o yaml/);
        assert.match(a.fix, new RegExp(`${REPO} ${PATH}`));
      });
      it(`${phase} for another commit, this one Synced without a sync: done`, () => {
        assert.equal(judge({ operation: op(phase, SHA_A) }).kind, "done");
      });
    }
    it("a retry pending (Running, retryCount 2): waiting, not failed", () => {
      const retrying = {
        ...op("Running"),
        message: "one or more objects failed to apply. Retrying attempt #2",
        retryCount: 2,
      };
      assert.equal(judge({ sync: "OutOfSync", health: "Degraded", operation: retrying }).kind, "transient");
      assert.equal(judge({ sync: "OutOfSync", operation: retrying }).kind, "waiting");
    });
    it("an object the AppProject refuses: failed at once, while Argo CD still retries, naming it and the fix", () => {
      // As Argo CD v3.5.3 recorded a stray Namespace in the e2e: the sync is Running, retry #1 of 5 pending.
      const refused = {
        ...op("Running"),
        message: "one or more synchronization tasks are not valid. Retrying attempt #1 at 6:40AM.",
        retryCount: 1,
        results: [
          {
            kind: "Namespace",
            name: "shop-stray",
            status: "SyncFailed",
            message: "resource :Namespace is not permitted in project shop",
          },
        ],
      };
      const a = judge({ sync: "OutOfSync", operation: refused });
      assert.equal(a.kind, "failed");
      if (a.kind !== "failed") return;
      assert.match(
        a.summary,
        /Namespace shop\/shop-stray: resource :Namespace is not permitted in project shop/,
      );
      assert.match(a.fix, new RegExp(`Remove Namespace shop/shop-stray from ${REPO} ${PATH}`));
    });
    it("an object refused in another commit's sync: not this commit's failure", () => {
      const refusedOld = {
        ...op("Running", SHA_A),
        retryCount: 1,
        results: [
          {
            kind: "Deployment",
            name: "x",
            status: "SyncFailed",
            message: "namespace kube-system is not permitted in project 'shop'",
          },
        ],
      };
      assert.equal(judge({ sync: "OutOfSync", operation: refusedOld }).kind, "waiting");
    });
    it("an object that failed for another reason: left to Argo CD's retries", () => {
      const failedApply = {
        ...op("Running"),
        retryCount: 1,
        results: [
          {
            kind: "Deployment",
            name: "shop",
            status: "SyncFailed",
            message: "admission webhook denied the request",
          },
        ],
      };
      assert.notEqual(judge({ sync: "OutOfSync", operation: failedApply }).kind, "failed");
    });
    it("another commit's sync still retrying: waiting for it to end, naming both commits, never transient", () => {
      // As the e2e's Argo CD (v3.2.11 then) showed after a fix was pushed over a failed sync: the comparison is at the fix (SHA_B),
      // the operation retries the broken commit (SHA_A), and the schema still carries that commit's failure.
      const retryingOld = {
        ...op("Running", SHA_A),
        message: "one or more synchronization tasks completed unsuccessfully. Retrying attempt #4 at 8:23AM.",
      };
      const failedEarlier = atlas({
        reason: "ApplyingSchema",
        message: "Error 1074 (42000): Column length too big",
      });
      for (const schemaStatus of ["OutOfSync", "Synced"] as const) {
        const a = judge(
          {
            sync: "OutOfSync",
            health: "Degraded",
            operation: retryingOld,
            schema: { status: schemaStatus, health: "Degraded" },
          },
          failedEarlier,
        );
        assert.equal(a.kind, "waiting", schemaStatus);
        assert.match(
          a.summary,
          new RegExp(
            `still syncing ${SHA_A.slice(0, 12)} \\(.*Retrying attempt #4.*\\); ${SHA_B.slice(0, 12)} comes next`,
          ),
        );
      }
    });
    it("retries exhausted (Failed, retryCount 5): failed", () => {
      const exhausted = {
        ...op("Failed"),
        message: "one or more objects failed to apply (retried 5 times).",
        retryCount: 5,
      };
      assert.equal(judge({ sync: "OutOfSync", operation: exhausted }).kind, "failed");
    });
    it("an operation requested but not started: waiting", () => {
      assert.equal(judge({ pendingOperation: true }).kind, "waiting");
    });
  });

  describe("the Atlas objects", () => {
    const SQL = "Error 1064 (42000): You have an error in your SQL syntax near 'CREAT TABLE users (id int)'";
    const failedSchema = { reason: "ApplyingSchema", message: SQL };

    it("fails at once on a final failure of this commit's schema, naming the object, the reason, the SQL and the fix", () => {
      // Wave 1 applied and failed; wave 2 (the Deployment) not synced, so the app as a whole is OutOfSync.
      const applied = { status: "Synced", health: "Degraded" } as const;
      const a = judge({ sync: "OutOfSync", health: "Degraded", schema: applied }, atlas(failedSchema));
      assert.equal(a.kind, "failed");
      if (a.kind !== "failed") return;
      assert.equal(a.summary, `AtlasSchema shop/shop: ApplyingSchema: ${SQL}`);
      assert.equal(
        a.fix,
        `Fix the schema in ${REPO} ${PATH} and push; \`pulumi up\` waits for the new commit.`,
      );
      assert.ok(
        a.detail.some((l) => l.startsWith("Argo CD: health Degraded, sync OutOfSync at 9b1e7d4c2a0f")),
      );
    });

    it("asks for a new commit in targetRevision when a pinned commit's schema fails", () => {
      const t = target({ source: { repoURL: REPO, path: PATH, targetRevision: SHA_B } });
      const a = judge({ targetRevision: SHA_B, health: "Degraded" }, atlas(failedSchema), t);
      assert.match(a.kind === "failed" ? a.fix : "", /then set targetRevision to the new commit/);
    });

    it("says the operator has stopped retrying when it has", () => {
      const a = judge({ health: "Degraded" }, atlas({ ...failedSchema, backoffLimit: 3, failed: 4 }));
      assert.match(a.kind === "failed" ? a.fix : "", /^The operator has stopped retrying\. Fix the schema/);
    });

    it("does not fail on the previous commit's failure while Argo CD has not applied this commit's schema", () => {
      const a = judge(
        { sync: "OutOfSync", health: "Degraded", schema: { status: "OutOfSync" } },
        atlas(failedSchema),
      );
      assert.equal(a.kind, "transient");
    });

    it("does not fail while the operator has not looked at the new generation", () => {
      const stale = atlas({ ...failedSchema, generation: 5, observedGeneration: 4 });
      assert.equal(judge({ sync: "Synced", health: "Progressing" }, stale).kind, "waiting");
    });

    it("waits within the grace period on a connection error, and says which object and why", () => {
      const a = judge(
        { health: "Degraded", schema: { health: "Degraded" } },
        atlas({ reason: "ApplyingSchema", message: "dial tcp 10.96.0.12:3306: connect: connection refused" }),
      );
      assert.equal(a.kind, "transient");
      assert.equal(
        a.kind === "transient" ? a.summary : "",
        "Degraded — AtlasSchema shop/shop: ApplyingSchema",
      );
    });

    it("shows progress as the health and the operator's reason", () => {
      const a = judge(
        { health: "Progressing", operation: { phase: "Running", revision: SHA_B } },
        atlas({ reason: "Reconciling" }),
      );
      assert.equal(
        a.kind === "waiting" ? a.summary : "",
        "Progressing, syncing — AtlasSchema shop/shop: Reconciling",
      );
    });

    it("waits for a person on ApprovalPending", () => {
      const pending = atlas({ reason: "ApprovalPending", message: "Schema plan is waiting for approval" });
      assert.equal(judge({ health: "Suspended" }, pending).kind, "waiting");
      assert.equal(waitsForApproval(application({ health: "Suspended" }), pending), true);
    });
  });
});

describe("clean", () => {
  it("cuts the password out of a connection URL in a message", () => {
    assert.equal(
      clean("Error: mysql://root:s3cr3t@mysql:3306/shop: connection refused"),
      "Error: mysql://root:***@mysql:3306/shop: connection refused",
    );
    assert.equal(
      clean("postgres://app:p%40ss@db/x?sslmode=disable"),
      "postgres://app:***@db/x?sslmode=disable",
    );
  });

  it("keeps a message short enough to read", () => {
    assert.ok(clean("x".repeat(5000)).length <= 1501);
  });

  it("leaves an Application without status waiting, not failing", () => {
    const app: ArgoApplication = application({ noStatus: true });
    assert.equal(assess(app, new Map(), target(), undefined).kind, "waiting");
  });
});
