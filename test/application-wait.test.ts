/**
 * The wait loop against a fake cluster and a fake clock: what Argo CD and the operator show changes with the
 * clock, the loop polls every POLL_INTERVAL_SECONDS, and each test checks when and how it ends.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { AtlasObject } from "../components/atlas-status";
import {
  applicationWaiter,
  isOutage,
  MAX_BACKOFF_SECONDS,
  raiseTimeoutCommand,
  STUCK_SECONDS,
  type ApplicationClient,
  type Clock,
} from "../components/application-wait";
import {
  POLL_INTERVAL_SECONDS,
  REFRESH_ANNOTATION,
  TRANSIENT_GRACE_SECONDS,
  type ArgoApplication,
  type WaitTarget,
} from "../components/sync-wait";
import {
  application,
  atlasObject,
  PATH,
  REPO,
  SHA_A,
  SHA_B,
  target,
  type AppState,
  type AtlasState,
} from "./support/wait-fixtures";

/** What the cluster shows at a second of the fake clock, given when the refresh was asked for (if it was). */
type Script = (seconds: number, refreshedAt: number | undefined) => { app: AppState; schema?: AtlasState };

class FakeCluster implements ApplicationClient, Clock {
  ms = 0;
  refreshes: number[] = [];
  reads = 0;
  /** Seconds at which reading fails, as an unreachable API server would. */
  failReadsUntil = -1;
  /** The error reads fail with until then. */
  failWith = "connect ECONNREFUSED 127.0.0.1:6443";
  /** Seconds of the fake clock at which the Application was read. */
  readAt: number[] = [];
  constructor(private readonly script: Script) {}
  now() {
    return this.ms;
  }
  async sleep(ms: number) {
    this.ms += ms;
  }
  private state() {
    return this.script(this.ms / 1000, this.refreshes.at(-1));
  }
  async getApplication(namespace: string, name: string): Promise<ArgoApplication> {
    assert.deepEqual([namespace, name], ["argocd", "shop"]);
    this.reads++;
    this.readAt.push(this.ms / 1000);
    if (this.ms / 1000 < this.failReadsUntil) throw new Error(this.failWith);
    return application(this.state().app);
  }
  async requestRefresh(namespace: string, name: string) {
    assert.deepEqual([namespace, name], ["argocd", "shop"]);
    this.refreshes.push(this.ms / 1000);
  }
  async getAtlasObject(kind: string, namespace: string, name: string): Promise<AtlasObject | undefined> {
    assert.deepEqual([kind, namespace, name], ["AtlasSchema", "shop", "shop"]);
    const schema = this.state().schema;
    return schema === undefined ? undefined : atlasObject(schema);
  }
}

/** Runs a wait to its end; returns when (in seconds of the fake clock), the error if any, and what it reported. */
async function run(
  script: Script,
  t: WaitTarget = target(),
  setup: (c: FakeCluster) => void = () => undefined,
) {
  const cluster = new FakeCluster(script);
  setup(cluster);
  const reports: string[] = [];
  let error: Error | undefined;
  try {
    await applicationWaiter(cluster, cluster).wait(t, (m) => reports.push(m));
  } catch (e) {
    error = e as Error;
  }
  return { at: cluster.ms / 1000, error, reports, cluster };
}

const APPLIED: AtlasState = { reason: "Applied", message: "The schema has been applied successfully." };
const SQL =
  'executing statement "CREAT TABLE users (id int)": Error 1064 (42000): You have an error in your SQL syntax ' +
  "near 'CREAT TABLE users (id int)' at line 1 (mysql://root:hunter2@mysql:3306/shop)";

/**
 * A branch `main` that pointed to SHA_A and now points to SHA_B: Argo CD refreshes 4 s after the request,
 * syncs, and the operator applies the schema at `appliedAt`; `schemaAfter` is what it shows from then on.
 */
const pushed =
  (
    appliedAt: number,
    schemaAfter: AtlasState = APPLIED,
    healthAfter: AppState["health"] = "Healthy",
  ): Script =>
  (s, refreshedAt) => {
    const requested = refreshedAt !== undefined;
    if (!requested || s < refreshedAt + 4) {
      // Synced and Healthy, but at the previous commit: an early return would be wrong.
      return { app: { revision: SHA_A, refreshRequested: requested }, schema: APPLIED };
    }
    if (s < appliedAt) {
      return {
        app: {
          revision: SHA_B,
          sync: "OutOfSync",
          health: "Progressing",
          schema: { status: "Synced", health: "Progressing" },
          operation: {
            phase: "Running",
            revision: SHA_B,
            message: "waiting for healthy state of AtlasSchema/shop",
          },
        },
        schema: { reason: "Reconciling", message: "Reconciling", generation: 4 },
      };
    }
    const ok = healthAfter === "Healthy";
    return {
      app: {
        revision: SHA_B,
        sync: ok ? "Synced" : "OutOfSync",
        health: healthAfter,
        schema: { status: "Synced", health: ok ? "Healthy" : "Degraded" },
        operation: ok
          ? { phase: "Succeeded", revision: SHA_B, message: "successfully synced (all tasks run)" }
          : { phase: "Running", revision: SHA_B, message: "waiting for healthy state of AtlasSchema/shop" },
      },
      schema: { ...schemaAfter, generation: 4 },
    };
  };

describe("the wait loop", () => {
  it("asks Argo CD to refresh a branch and returns only once the commit it points to now is Synced and Healthy", async () => {
    const r = await run(pushed(30));
    assert.equal(r.error, undefined);
    assert.deepEqual(r.cluster.refreshes, [0], "one refresh, at the start");
    assert.ok(r.at >= 30 && r.at <= 30 + POLL_INTERVAL_SECONDS, `returned at ${r.at} s`);
    assert.equal(r.reports.at(-1), `shop: Synced and Healthy at ${SHA_B.slice(0, 12)}`);
  });

  it("reports progress on change only, as pulumi.log lines CI can read", async () => {
    const r = await run(pushed(30));
    assert.deepEqual(r.reports, [
      "waiting for shop: Argo CD has not refreshed it yet (to resolve main)",
      "waiting for shop: Progressing, OutOfSync, syncing — AtlasSchema shop/shop: Reconciling",
      `shop: Synced and Healthy at ${SHA_B.slice(0, 12)}`,
    ]);
    assert.ok(r.cluster.reads > r.reports.length, "polled more often than it reported");
  });

  it("waits for a pinned commit without a refresh, past the stale status of the previous one", async () => {
    const t = target({ source: { repoURL: REPO, path: PATH, targetRevision: SHA_B } });
    const r = await run(
      (s) =>
        s < 6
          ? { app: { targetRevision: SHA_B, compared: SHA_A, revision: SHA_A }, schema: APPLIED }
          : { app: { targetRevision: SHA_B, revision: SHA_B }, schema: APPLIED },
      t,
    );
    assert.equal(r.error, undefined);
    assert.deepEqual(r.cluster.refreshes, []);
    assert.ok(r.at >= 6 && r.at <= 8, `returned at ${r.at} s`);
  });

  it("fails within one poll of a final schema failure, naming the application, commit, object, reason, SQL and fix", async () => {
    const r = await run(pushed(40, { reason: "ApplyingSchema", message: SQL }, "Degraded"));
    assert.ok(r.error instanceof pulumi.RunError, String(r.error));
    assert.ok(r.at >= 40 && r.at <= 40 + POLL_INTERVAL_SECONDS, `failed at ${r.at} s`);
    const text = r.error!.message;
    assert.match(text, new RegExp(`^Application argocd/shop at commit ${SHA_B} \\(from main\\): failed: `));
    assert.match(
      text,
      /AtlasSchema shop\/shop: ApplyingSchema: executing statement "CREAT TABLE users \(id int\)"/,
    );
    assert.match(text, /Argo CD: health Degraded, sync OutOfSync at 9b1e7d4c2a0f/);
    assert.match(
      text,
      /last sync \(of 9b1e7d4c2a0f\): Running: waiting for healthy state of AtlasSchema\/shop/,
    );
    assert.ok(
      text.endsWith(`Fix the schema in ${REPO} ${PATH} and push; \`pulumi up\` waits for the new commit.`),
    );
    assert.ok(!text.includes("hunter2"), "no password in the message");
    assert.ok(!/\n\s+at /.test(text), "no stack trace");
  });

  it("fails within one poll of a sync that Failed for the commit, with Argo CD's message and where to look", async () => {
    const r = await run((s, refreshedAt) =>
      refreshedAt === undefined || s < 10
        ? { app: { revision: SHA_A, refreshRequested: true }, schema: APPLIED }
        : {
            app: {
              revision: SHA_B,
              sync: "OutOfSync",
              health: "Healthy",
              operation: {
                phase: "Failed",
                revision: SHA_B,
                message:
                  'one or more objects failed to apply, reason: Deployment "web" is invalid (retried 5 times).',
                retryCount: 5,
              },
            },
            schema: APPLIED,
          },
    );
    assert.ok(r.error instanceof pulumi.RunError);
    assert.ok(r.at >= 10 && r.at <= 12, `failed at ${r.at} s`);
    assert.match(
      r.error!.message,
      /Argo CD's sync of 9b1e7d4c2a0f ended Failed: one or more objects failed to apply/,
    );
    assert.match(r.error!.message, /kubectl -n argocd get application shop -o yaml/);
  });

  it("does not fail on a connection error that recovers within the grace period", async () => {
    const unreachable: AtlasState = {
      reason: "ApplyingSchema",
      message: "dial tcp 10.96.0.12:3306: connect: connection refused",
    };
    const r = await run((s, refreshedAt) =>
      s < 120 ? pushed(10, unreachable, "Degraded")(s, refreshedAt) : pushed(10)(s, refreshedAt),
    );
    assert.equal(r.error, undefined);
    assert.ok(r.at >= 120 && r.at <= 122, `returned at ${r.at} s`);
    assert.ok(
      r.reports.includes(
        "waiting for shop: Degraded, OutOfSync, syncing — AtlasSchema shop/shop: ApplyingSchema",
      ),
    );
  });

  it("does not fail while the API server cannot be reached for a while", async () => {
    const r = await run(pushed(20), target(), (c) => (c.failReadsUntil = 60));
    assert.equal(r.error, undefined);
    assert.ok(
      r.reports[0].includes("cannot read Application argocd/shop or its Atlas objects: connect ECONNREFUSED"),
    );
  });

  it("fails a failure that may pass once it has lasted the grace period, with the same detail", async () => {
    const unreachable: AtlasState = {
      reason: "ApplyingSchema",
      message: "dial tcp 10.96.0.12:3306: connect: connection refused",
    };
    const r = await run(pushed(10, unreachable, "Degraded"));
    assert.ok(r.error instanceof pulumi.RunError);
    // Trouble starts at the first poll at or after 10 s; it fails at the first poll TRANSIENT_GRACE_SECONDS later.
    assert.ok(
      r.at >= 10 + TRANSIENT_GRACE_SECONDS && r.at <= 12 + TRANSIENT_GRACE_SECONDS,
      `failed at ${r.at} s`,
    );
    assert.match(
      r.error!.message,
      /still failing: Degraded, OutOfSync, syncing — AtlasSchema shop\/shop: ApplyingSchema/,
    );
    assert.match(
      r.error!.message,
      /AtlasSchema shop\/shop: ApplyingSchema: dial tcp 10\.96\.0\.12:3306: connect: connection refused/,
    );
    assert.match(r.error!.message, /This lasted 300 s \(the grace period for failures that may pass\)/);
  });

  it("gives up at waitTimeout, saying what it was still waiting for and how to raise it", async () => {
    const r = await run(pushed(1e9), target({ timeoutSeconds: 120 }));
    assert.ok(r.error instanceof pulumi.RunError);
    assert.ok(r.at >= 120 && r.at <= 122, `gave up at ${r.at} s`);
    const text = r.error!.message;
    assert.match(
      text,
      /not Synced and Healthy after 120 s, still waiting for: Progressing, OutOfSync, syncing — AtlasSchema shop\/shop: Reconciling/,
    );
    assert.match(text, /waiting for healthy state of AtlasSchema\/shop/);
    assert.ok(
      text.endsWith(
        "If it needs more time, raise waitTimeout with: pulumi config set --stack dev waitTimeout 1800",
      ),
    );
  });

  it("says a plan waits for approval when it times out on one", async () => {
    const pending: AtlasState = {
      reason: "ApprovalPending",
      message: "plan approval pending, review here: https://org.atlasgo.cloud/plans/7",
    };
    const r = await run(pushed(5, pending, "Suspended"), target({ timeoutSeconds: 60 }));
    assert.match(r.error!.message, /A plan waits for approval in Atlas Cloud/);
    assert.match(r.error!.message, /review here: https:\/\/org\.atlasgo\.cloud\/plans\/7/);
  });

  it("follows the branch when it moves on while waiting", async () => {
    const r = await run((s, refreshedAt) => {
      if (s < 20) return pushed(1e9)(s, refreshedAt);
      return { app: { revision: "c".repeat(40) }, schema: APPLIED };
    });
    assert.equal(r.error, undefined);
    assert.ok(r.reports.includes(`shop: main moved on to ${"c".repeat(40)}`));
  });

  it("asks for the refresh again when the first request fails", async () => {
    let calls = 0;
    const r = await run(pushed(10), target(), (c) => {
      const request = c.requestRefresh.bind(c);
      c.requestRefresh = async (ns, name) => {
        if (calls++ === 0) throw new Error("the Kubernetes API answered 503: etcdserver: leader changed");
        await request(ns, name);
      };
    });
    assert.equal(r.error, undefined);
    assert.equal(calls, 2);
    assert.equal(r.cluster.refreshes.length, 1);
  });
});

describe("the wait through outages and stuck operations", () => {
  for (const failWith of [
    "request to https://127.0.0.1:6443/apis failed, reason: connect ECONNREFUSED 127.0.0.1:6443",
    "the Kubernetes API answered 503: etcdserver: request timed out",
    "the Kubernetes API answered 429: too many requests",
    "socket hang up",
  ]) {
    it(`rides out an API server away longer than the grace period, within waitTimeout: ${failWith.slice(0, 40)}…`, async () => {
      const away = TRANSIENT_GRACE_SECONDS + 100;
      const r = await run(pushed(20), target(), (c) => {
        c.failReadsUntil = away;
        c.failWith = failWith;
      });
      assert.equal(r.error, undefined, String(r.error));
      assert.ok(r.at >= away && r.at <= away + MAX_BACKOFF_SECONDS, `returned at ${r.at} s`);
    });
  }

  it("backs off while the API server is away: twice as long after each failed read, at most 30 s", async () => {
    const r = await run(pushed(20), target(), (c) => (c.failReadsUntil = 200));
    const gaps = r.cluster.readAt.slice(1, 9).map((at, i) => at - r.cluster.readAt[i]);
    assert.deepEqual(gaps, [2, 4, 8, 16, 30, 30, 30, 30]);
  });

  it("polls every interval again once the API server answers", async () => {
    const r = await run(pushed(1e9), target({ timeoutSeconds: 200 }), (c) => (c.failReadsUntil = 10));
    const after = r.cluster.readAt.filter((at) => at > 20);
    assert.ok(after.slice(1).every((at, i) => at - after[i] === POLL_INTERVAL_SECONDS));
  });

  it("still gives up on a refusal that is not an outage (403) after the grace period", async () => {
    const r = await run(pushed(20), target(), (c) => {
      c.failReadsUntil = 1e9;
      c.failWith = 'the Kubernetes API answered 403: applications.argoproj.io "shop" is forbidden';
    });
    assert.ok(r.error instanceof pulumi.RunError);
    assert.ok(r.at <= TRANSIENT_GRACE_SECONDS + POLL_INTERVAL_SECONDS, `failed at ${r.at} s`);
    assert.match(r.error!.message, /still failing: cannot read Application argocd\/shop .*answered 403/);
  });

  it("says at waitTimeout that the API server was still away, and how to raise the timeout", async () => {
    const r = await run(pushed(20), target({ timeoutSeconds: 120 }), (c) => (c.failReadsUntil = 1e9));
    assert.ok(r.error instanceof pulumi.RunError);
    assert.ok(r.at >= 120 && r.at <= 122, `gave up at ${r.at} s`);
    assert.match(r.error!.message, /still waiting for: cannot read Application argocd\/shop .*ECONNREFUSED/);
    assert.match(r.error!.message, /the Kubernetes API is away or overloaded; retrying with backoff/);
    assert.match(r.error!.message, /pulumi config set --stack dev waitTimeout 1800$/);
  });

  it("names an operation left Running with no progress at waitTimeout, and how to get it going", async () => {
    const frozen: Script = (s, refreshedAt) => pushed(1e9)(Math.min(s, 30), refreshedAt);
    const r = await run(frozen, target({ timeoutSeconds: 600 }));
    assert.ok(r.error instanceof pulumi.RunError);
    assert.ok(r.at >= 600 && r.at <= 602, `gave up at ${r.at} s`);
    const text = r.error!.message;
    assert.match(
      text,
      /not Synced and Healthy after 600 s: Argo CD's operation \(started 2026-03-02T10:00:06Z\) is still Running and has not changed for 5\d\d s: waiting for healthy state of AtlasSchema\/shop/,
    );
    assert.match(
      text,
      /kubectl -n argocd get pods -l app\.kubernetes\.io\/name=argocd-application-controller/,
    );
    assert.match(text, /argocd app terminate-op shop/);
    assert.ok(!text.includes("raise waitTimeout"), "a stuck operation is not helped by more time");
  });

  it("does not call an operation stuck when it changed within the last STUCK_SECONDS", async () => {
    const late: Script = (s, refreshedAt) => pushed(1e9)(Math.min(s, 600 - STUCK_SECONDS + 10), refreshedAt);
    // The status stops changing only after 10 s before the end minus STUCK_SECONDS: too recent to call it stuck.
    const r = await run(
      (s, refreshedAt) => {
        const state = late(s, refreshedAt);
        return s < 600 - STUCK_SECONDS + 10
          ? {
              ...state,
              app: { ...state.app, operation: { ...state.app.operation!, message: `step ${Math.floor(s)}` } },
            }
          : state;
      },
      target({ timeoutSeconds: 600 }),
    );
    assert.match(r.error!.message, /raise waitTimeout/);
  });

  it("fails within one poll of a sync left Succeeded with no result (argo-cd#29636), with the command that clears it", async () => {
    const r = await run((s, refreshedAt) =>
      s < 10
        ? pushed(1e9)(s, refreshedAt)
        : {
            app: {
              revision: SHA_B,
              sync: "OutOfSync",
              health: "Healthy",
              operation: { phase: "Succeeded", revision: SHA_A, noResult: true },
            },
            schema: APPLIED,
          },
    );
    assert.ok(r.error instanceof pulumi.RunError);
    assert.ok(r.at >= 10 && r.at <= 12, `failed at ${r.at} s`);
    assert.match(
      r.error!.message,
      /failed: Argo CD's last operation reads Succeeded with no result and no end time/,
    );
    assert.match(r.error!.message, /argo-cd#29636/);
    assert.ok(
      r.error!.message.endsWith(
        `kubectl -n argocd patch application shop --type json -p '[{"op":"remove","path":"/status/operationState"}]'`,
      ),
    );
  });

  it("returns when such an Application is Synced and Healthy at the commit anyway", async () => {
    const r = await run((s, refreshedAt) =>
      s < 10
        ? pushed(1e9)(s, refreshedAt)
        : {
            app: { revision: SHA_B, operation: { phase: "Succeeded", revision: SHA_B, noResult: true } },
            schema: APPLIED,
          },
    );
    assert.equal(r.error, undefined);
  });
});

describe("isOutage", () => {
  const cases: [string, boolean][] = [
    ["connect ECONNREFUSED 127.0.0.1:6443", true],
    ["read ECONNRESET", true],
    ["the Kubernetes API answered 500: internal error", true],
    ["the Kubernetes API answered 504: gateway timeout", true],
    ["the Kubernetes API answered 429: too many requests", true],
    ["the Kubernetes API answered 403: forbidden", false],
    ["the Kubernetes API answered 404: not found", false],
    ["Unexpected token < in JSON", false],
  ];
  for (const [text, outage] of cases) {
    it(`${outage ? "rides out" : "does not ride out"} ${text}`, () =>
      assert.equal(isOutage(new Error(text)), outage));
  }
});

describe("the wait when its pulumi up ends", () => {
  it("stops within one poll of the run's end (Ctrl-C), naming the Application and how to wait again", async () => {
    const cluster = new FakeCluster(pushed(1e9));
    const run = { ended: async () => cluster.ms >= 10_000 };
    await assert.rejects(applicationWaiter(cluster, cluster, run).wait(target()), (e: Error) => {
      assert.ok(e instanceof pulumi.RunError);
      assert.match(e.message, /^Application argocd\/shop: pulumi up ended \(interrupted\) while it waited/);
      assert.match(e.message, /Run pulumi up --stack dev again to wait for it\.$/);
      return true;
    });
    assert.ok(cluster.ms <= 10_000 + POLL_INTERVAL_SECONDS * 1000, `stopped at ${cluster.ms / 1000} s`);
    assert.ok(
      cluster.readAt.every((s) => s < 10),
      `read at ${cluster.readAt.join(", ")} s`,
    );
  });

  it("asks before every read while the run goes on, and ends as before", async () => {
    const cluster = new FakeCluster(pushed(30));
    let asked = 0;
    const run = { ended: async () => (asked++, false) };
    await applicationWaiter(cluster, cluster, run).wait(target());
    assert.ok(
      cluster.reads > 1 && asked === cluster.reads,
      `asked ${asked} times for ${cluster.reads} reads`,
    );
  });
});

describe("raiseTimeoutCommand", () => {
  it("names the stack key, or the item's path with --path", () => {
    assert.equal(raiseTimeoutCommand(target()), "pulumi config set --stack dev waitTimeout 2400");
    assert.equal(
      raiseTimeoutCommand(
        target({ stack: "prod", timeoutKey: "applications[1].waitTimeout", timeoutSeconds: 600 }),
      ),
      "pulumi config set --stack prod --path 'applications[1].waitTimeout' 1800",
    );
  });
});

it("asks for the refresh with the annotation Argo CD removes when it has refreshed", () => {
  assert.equal(REFRESH_ANNOTATION, "argocd.argoproj.io/refresh");
});
