/**
 * The wait itself: poll the Application and its Atlas objects until ./sync-wait.ts judges them done or failed.
 *
 * Why in the program, as an Output of HostedApp, and not a provider await: a commit pushed to a branch does not
 * change the Application's spec, so the provider has no update to run and nothing to wait in; and
 * pulumi-kubernetes' `pulumi.com/waitFor` can only wait for a condition until its deadline, never fail early.
 * The program runs on every `pulumi up`, and an Output that HostedApp registers holds the update open until it
 * resolves, or fails it with the RunError it rejects with. No terminal needed: progress goes to pulumi.log.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AtlasObject } from "./atlas-status";
import { endlessRun, type PulumiRun } from "./pulumi-run";
import {
  assess,
  argoDetail,
  type ArgoApplication,
  atlasKey,
  atlasResources,
  clean,
  POLL_INTERVAL_SECONDS,
  resolvedRevision,
  revisionKind,
  TRANSIENT_GRACE_SECONDS,
  waitsForApproval,
  type Assessment,
  type WaitTarget,
} from "./sync-wait";

export { POLL_INTERVAL_SECONDS, TRANSIENT_GRACE_SECONDS } from "./sync-wait";

/** The Kubernetes reads and the one write the wait needs; ./cluster-client.ts is the real one. */
export interface ApplicationClient {
  getApplication(namespace: string, name: string): Promise<ArgoApplication>;
  /** Merge-patches the Application's `argocd.argoproj.io/refresh` annotation to `normal`. */
  requestRefresh(namespace: string, name: string): Promise<void>;
  /** An AtlasSchema or AtlasMigration; undefined when it does not exist. */
  getAtlasObject(kind: string, namespace: string, name: string): Promise<AtlasObject | undefined>;
}

export interface Clock {
  /** Milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
};

export interface ApplicationWaiter {
  /** Resolves once the target is Synced and Healthy; rejects with a pulumi.RunError that says what failed. */
  wait(target: WaitTarget, report?: (message: string) => void): Promise<void>;
}

/** `run`: the `pulumi up` the wait belongs to (./pulumi-run.ts); the wait stops once it has ended. */
export function applicationWaiter(
  client: ApplicationClient,
  clock: Clock = systemClock,
  run: PulumiRun = endlessRun,
): ApplicationWaiter {
  return { wait: (target, report) => waitForApplication(client, target, clock, report, run) };
}

const errorText = (e: unknown) => clean(e instanceof Error ? e.message : String(e));

/** The longest pause between two reads while the API server cannot be reached or is overloaded. */
export const MAX_BACKOFF_SECONDS = 30;

/**
 * A read error that says the API server is away or overloaded, not that the request is wrong: a refused, reset
 * or timed-out connection, 429 Too Many Requests, or a 5xx. The wait rides these out within waitTimeout, backing
 * off, without the grace period: an API server restarted for a minute is not a failure of the application.
 */
export function isOutage(e: unknown): boolean {
  const text =
    e instanceof Error ? `${e.message} ${String((e as { code?: unknown }).code ?? "")}` : String(e);
  return (
    /answered (429|5\d\d)\b/.test(text) ||
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|socket hang up|fetch failed/i.test(
      text,
    )
  );
}

/** What of the operation shows progress: a Running operation whose fingerprint does not change is not moving. */
const progressOf = (app: ArgoApplication | undefined) =>
  JSON.stringify([
    app?.operation ?? null,
    app?.status?.operationState ?? null,
    app?.status?.resources ?? null,
  ]);

/** Reads one snapshot: the Application, and each Atlas object it lists. */
async function snapshot(client: ApplicationClient, t: WaitTarget) {
  const app = await client.getApplication(t.namespace, t.name);
  const atlas = new Map<string, AtlasObject | undefined>();
  for (const r of atlasResources(app)) {
    atlas.set(
      atlasKey(r),
      await client.getAtlasObject(r.kind, r.namespace ?? t.destination.namespace, r.name),
    );
  }
  return { app, atlas };
}

/** The command that raises the timeout, for a top-level key or a list item's. */
export function raiseTimeoutCommand(t: WaitTarget): string {
  const seconds = Math.min(86400, Math.max(1800, t.timeoutSeconds * 2));
  return t.timeoutKey.includes("[")
    ? `pulumi config set --stack ${t.stack} --path '${t.timeoutKey}' ${seconds}`
    : `pulumi config set --stack ${t.stack} ${t.timeoutKey} ${seconds}`;
}

function message(t: WaitTarget, revision: string | undefined, headline: string, a: Assessment, fix: string) {
  const from = revisionKind(t.source.targetRevision) === "commit" ? "" : ` (from ${t.source.targetRevision})`;
  const at = revision ? `commit ${revision}${from}` : `${t.source.targetRevision} (not resolved yet)`;
  const detail = a.kind === "done" ? [] : a.detail;
  return [
    `Application ${t.namespace}/${t.name} at ${at}: ${headline}: ${a.summary}`,
    ...detail.map((l) => `  ${l}`),
    fix,
  ].join("\n");
}

export async function waitForApplication(
  client: ApplicationClient,
  t: WaitTarget,
  clock: Clock = systemClock,
  report: (message: string) => void = () => undefined,
  run: PulumiRun = endlessRun,
): Promise<void> {
  const start = clock.now();
  const isRef = revisionKind(t.source.targetRevision) === "ref";
  let refreshed = !isRef;
  let revision = isRef ? undefined : t.source.targetRevision;
  let troubleSince: number | undefined;
  let lastReport = "";
  let last: Assessment | undefined;
  let approval = false;
  let outages = 0;
  let seen: ArgoApplication | undefined;
  let progress = "";
  let progressSince = start;
  for (;;) {
    if (await run.ended()) {
      // Nobody reads this but the host of an inline program: the CLI has exited (Ctrl-C) and saved the state.
      throw new pulumi.RunError(
        `Application ${t.namespace}/${t.name}: pulumi up ended (interrupted) while it waited; stopped waiting. ` +
          `Run pulumi up --stack ${t.stack} again to wait for it.`,
      );
    }
    let a: Assessment;
    let outage = false;
    try {
      if (!refreshed) {
        await client.requestRefresh(t.namespace, t.name);
        refreshed = true;
      }
      const { app, atlas } = await snapshot(client, t);
      // For a branch, the commit Argo CD resolved after the refresh; if the branch moves on while we wait, the
      // newer commit is what "now" means, so it is followed.
      const resolved = isRef && refreshed ? resolvedRevision(app, t).revision : undefined;
      if (resolved !== undefined && resolved !== revision) {
        if (revision !== undefined) report(`${t.name}: ${t.source.targetRevision} moved on to ${resolved}`);
        revision = resolved;
      }
      a = assess(app, atlas, t, revision);
      approval = waitsForApproval(app, atlas);
      seen = app;
      const now = progressOf(app);
      if (now !== progress) [progress, progressSince] = [now, clock.now()];
    } catch (e) {
      outage = isOutage(e);
      a = {
        kind: outage ? "waiting" : "transient",
        summary: `cannot read Application ${t.namespace}/${t.name} or its Atlas objects: ${errorText(e)}`,
        detail: outage
          ? [`the Kubernetes API is away or overloaded; retrying with backoff until ${t.timeoutKey} runs out`]
          : [],
      };
    }
    outages = outage ? outages + 1 : 0;
    if (a.kind === "done") {
      report(`${t.name}: ${a.summary}`);
      return;
    }
    if (a.kind === "failed") throw new pulumi.RunError(message(t, revision, "failed", a, a.fix));
    const now = clock.now();
    const line = `waiting for ${t.name}: ${a.summary}`;
    if (line !== lastReport) report(line);
    lastReport = line;
    last = a;
    troubleSince = a.kind === "transient" ? (troubleSince ?? now) : undefined;
    if (troubleSince !== undefined && now - troubleSince >= TRANSIENT_GRACE_SECONDS * 1000) {
      const fix =
        `This lasted ${TRANSIENT_GRACE_SECONDS} s (the grace period for failures that may pass). See: ` +
        `kubectl -n ${t.namespace} get application ${t.name} -o yaml; once the cause is fixed, run \`pulumi up\` again.`;
      throw new pulumi.RunError(message(t, revision, "still failing", a, fix));
    }
    if (now - start >= t.timeoutSeconds * 1000) {
      const stuck = stuckRunning(t, seen, now - progressSince);
      if (stuck !== undefined)
        throw new pulumi.RunError(message(t, revision, stuck.headline, stuck.a, stuck.fix));
      const person = approval
        ? "A plan waits for approval in Atlas Cloud (the link is in the message above); approve it, then run `pulumi up` again. "
        : "";
      const fix = `${person}If it needs more time, raise ${t.timeoutKey} with: ${raiseTimeoutCommand(t)}`;
      throw new pulumi.RunError(
        message(
          t,
          revision,
          `not Synced and Healthy after ${t.timeoutSeconds} s, still waiting for`,
          last,
          fix,
        ),
      );
    }
    // Every poll interval; during an outage twice as long after each failed read, up to MAX_BACKOFF_SECONDS,
    // and never past waitTimeout by more than one interval.
    const pause =
      outages === 0
        ? POLL_INTERVAL_SECONDS
        : Math.min(POLL_INTERVAL_SECONDS * 2 ** (outages - 1), MAX_BACKOFF_SECONDS);
    const left = start + t.timeoutSeconds * 1000 - now;
    await clock.sleep(Math.max(POLL_INTERVAL_SECONDS * 1000, Math.min(pause * 1000, left)));
  }
}

/**
 * At waitTimeout: an operation still Running that has not moved for at least the last STUCK_SECONDS is one no
 * controller is finishing (Argo CD sets no sync timeout by default, so it would stay Running for ever).
 */
export const STUCK_SECONDS = 120;

function stuckRunning(
  t: WaitTarget,
  app: ArgoApplication | undefined,
  stillMs: number,
): { headline: string; a: Assessment; fix: string } | undefined {
  const op = app?.status?.operationState;
  if (app === undefined || op?.phase !== "Running" || stillMs < STUCK_SECONDS * 1000) return undefined;
  const still = Math.round(stillMs / 1000);
  return {
    headline: `not Synced and Healthy after ${t.timeoutSeconds} s`,
    a: {
      kind: "waiting",
      summary:
        `Argo CD's operation${op.startedAt ? ` (started ${op.startedAt})` : ""} is still Running and has not ` +
        `changed for ${still} s${op.message ? `: ${clean(op.message)}` : ""}`,
      detail: argoDetail(app),
    },
    fix:
      `No application controller is finishing it. See whether one runs: kubectl -n ${t.namespace} get pods -l ` +
      `app.kubernetes.io/name=argocd-application-controller, and its log: kubectl -n ${t.namespace} logs ` +
      `statefulset/argocd-application-controller. Once it runs again it resumes the operation; if it runs and the ` +
      `operation still does not move, end it with: argocd app terminate-op ${t.name} (or, as that command does, kubectl -n ${t.namespace} ` +
      `patch application ${t.name} --type merge -p '{"status":{"operationState":{"phase":"Terminating"}}}'), then run \`pulumi up\` again.`,
  };
}
