import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments, stringify } from "yaml";
import { find, isSecret, resolve, TYPES } from "./support/mocks";
import {
  ALERT_SERVICE,
  ALERTS,
  alertSubscriptions,
  AlertEvent,
  Notifications,
  NOTIFICATIONS_SECRET_NAME,
  notificationsValues,
  TRIGGER_CONDITIONS,
  WEBHOOK_URL_KEY,
} from "../components/notifications";
import { atlasHealthChecks, HEALTH_CHECK_KEY_PREFIX } from "../components/health-checks";
import type { AlertFormat } from "../stacks/operations";
import { runHealthScript } from "./support/lua-sandbox";
import { ExprError, run as runExpr } from "./support/expr-lang";
import { render, TemplateError } from "./support/go-template";
import {
  Delivery,
  isSyncStatusRefreshed,
  NOTIFIED,
  NotificationsConfig,
  processApplication,
  subscriptions,
} from "./support/notifications-engine";

type Json = Record<string, unknown>;

const URL = "https://hooks.slack.com/services/T000/B000/abcdefSECRET";
const SECRET = { [WEBHOOK_URL_KEY]: URL };
const REVISION = "a9dd05e4c5b1f0e2d3c4b5a69788796a5b4c3d2e";

/**
 * argocd-notifications-cm as the chart renders it from the values (argo-helm charts/argo-cd/templates/
 * argocd-configs/argocd-notifications-cm.yaml at argo-cd-10.1.1): `context` holds argocdUrl (default
 * https://<global.domain>) followed by notifications.context; notifiers, templates and triggers are copied.
 */
function chartNotificationsCm(values: Json): Record<string, string> {
  const n = values.notifications as Json;
  const argocdUrl = (n.argocdUrl as string | undefined) || "https://argocd.example.com";
  return {
    context: `argocdUrl: ${argocdUrl}\n${stringify(n.context)}`,
    ...(n.notifiers as Record<string, string>),
    ...(n.templates as Record<string, string>),
    ...(n.triggers as Record<string, string>),
  };
}

function config(format: AlertFormat, uiUrl?: string): NotificationsConfig {
  return new NotificationsConfig(
    chartNotificationsCm(notificationsValues({ stack: "prod", format, uiUrl })),
    SECRET,
  );
}

/** An AtlasSchema/AtlasMigration fixture by reason, and the health our Lua check gives it (as Argo CD persists it). */
function atlasHealth(kind: "AtlasSchema" | "AtlasMigration", file: string, reason?: string) {
  const text = fs.readFileSync(
    path.join(__dirname, "fixtures", "atlas-health", kind, `${file}.yaml`),
    "utf8",
  );
  const objects = parseAllDocuments(text).map((d) => d.toJS() as Json);
  const obj = objects.find(
    (o) => reason === undefined || JSON.stringify(o).includes(`"reason":"${reason}"`),
  )!;
  const script = atlasHealthChecks()[`${HEALTH_CHECK_KEY_PREFIX}db.atlasgo.io_${kind}`];
  const health = runHealthScript(script, obj);
  const metadata = obj.metadata as Json;
  return {
    group: "db.atlasgo.io",
    version: "v1alpha1",
    kind,
    namespace: "shop",
    name: metadata.name as string,
    health,
  };
}

const healthy = (kind: "AtlasSchema" | "AtlasMigration") => atlasHealth(kind, "applied");

/** An Application as the controller writes it with controller.resource.health.persist=true (Argo CD v3.4.4 types). */
function application(opts: {
  health: string;
  atlas?: ReturnType<typeof atlasHealth>[];
  phase?: string;
  sync?: string;
  failedResult?: Json;
  operationMessage?: string;
  annotations?: Record<string, string>;
}): Json {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: {
      name: "shop",
      namespace: "argocd",
      annotations: { ...alertSubscriptions(true), ...opts.annotations },
    },
    spec: {
      project: "shop",
      source: { repoURL: "https://github.com/org/manifests", targetRevision: REVISION, path: "shop" },
      destination: { server: "https://kubernetes.default.svc", namespace: "shop" },
    },
    status: {
      sync: { status: opts.sync ?? "Synced", revision: REVISION },
      health: { status: opts.health, lastTransitionTime: "2026-03-08T07:30:05Z" },
      resources: [
        {
          version: "v1",
          kind: "Service",
          namespace: "shop",
          name: "mysql",
          status: "Synced",
          health: { status: "Healthy" },
        },
        ...(opts.atlas ?? [healthy("AtlasSchema")]).map((r) => ({ ...r, status: "Synced" })),
        {
          group: "apps",
          version: "v1",
          kind: "Deployment",
          namespace: "shop",
          name: "shop",
          status: "Synced",
          health: { status: "Healthy" },
        },
      ],
      operationState: {
        phase: opts.phase ?? "Succeeded",
        message: opts.operationMessage ?? "successfully synced (all tasks run)",
        startedAt: "2026-03-08T07:29:00Z",
        finishedAt: "2026-03-08T07:30:00Z",
        syncResult: {
          revision: REVISION,
          resources: opts.failedResult === undefined ? [] : [opts.failedResult],
        },
      },
      reconciledAt: "2026-03-08T07:30:05Z",
    },
  };
}

/** Runs the controller pass by pass, carrying the state annotation from one pass into the next. */
function timeline(format: AlertFormat, steps: Json[]): Delivery[][] {
  const cfg = config(format);
  let notified: string | undefined;
  return steps.map((step) => {
    const meta = step.metadata as Json;
    const annotations = { ...(meta.annotations as Record<string, string>) };
    if (notified !== undefined) annotations[NOTIFIED] = notified;
    const result = processApplication(cfg, { ...step, metadata: { ...meta, annotations } }, SECRET);
    assert.deepEqual(result.errors, []);
    notified = ((result.app.metadata as Json).annotations as Record<string, string>)[NOTIFIED];
    return result.deliveries;
  });
}

const triggersOf = (passes: Delivery[][]) => passes.map((p) => p.map((d) => d.trigger));

const lint = () => atlasHealth("AtlasSchema", "failures", "LintPolicyError");
const DEGRADED = () =>
  application({
    health: "Degraded",
    atlas: [lint()],
    phase: "Failed",
    operationMessage: "one or more synchronization tasks completed unsuccessfully",
  });
const HEALTHY = () => application({ health: "Healthy" });

/**
 * The same Application as the notifications controller sees it right after its operation completed, before the
 * application controller's refresh: operationState.finishedAt is later than reconciledAt (and observedAt).
 */
function stale(app: Json): Json {
  const status = app.status as Json;
  const op = status.operationState as Json;
  return { ...app, status: { ...status, operationState: { ...op, finishedAt: "2026-03-08T07:31:00Z" } } };
}

describe("notifications", () => {
  describe("notificationsValues", () => {
    it("configures no service, template or trigger without an alert webhook, but keeps the Secret the program's", () => {
      const n = notificationsValues({ stack: "dev" }).notifications as Json;
      assert.deepEqual(n, { secret: { create: false }, context: { stack: "dev", uiUrl: "" } });
    });

    it("configures one webhook service, four templates and four triggers, naming the stack in the context", () => {
      const n = notificationsValues({ stack: "prod", format: "slack", uiUrl: "https://argocd.example.org" })
        .notifications as Json;
      assert.deepEqual(Object.keys(n.notifiers as Json), [`service.webhook.${ALERT_SERVICE}`]);
      assert.deepEqual(
        Object.keys(n.templates as Json).sort(),
        Object.values(ALERTS)
          .map((a) => `template.${a.template}`)
          .sort(),
      );
      assert.deepEqual(
        Object.keys(n.triggers as Json).sort(),
        Object.values(ALERTS)
          .map((a) => `trigger.${a.trigger}`)
          .sort(),
      );
      assert.deepEqual(n.context, { stack: "prod", uiUrl: "https://argocd.example.org" });
      assert.equal(n.argocdUrl, "https://argocd.example.org");
    });

    it("refers to the webhook URL by a $key the controller resolves from argocd-notifications-secret", () => {
      const values = notificationsValues({ stack: "prod", format: "json" });
      assert.ok(!JSON.stringify(values).includes("hooks.slack.com"));
      assert.equal(config("json").services.get(ALERT_SERVICE)?.url, URL);
      // Without the key in the Secret, ParseConfig leaves the reference as is: nothing leaks, nothing is reached.
      const cm = chartNotificationsCm(values);
      assert.equal(new NotificationsConfig(cm, {}).services.get(ALERT_SERVICE)?.url, `$${WEBHOOK_URL_KEY}`);
    });

    it("reads every trigger from the cm without oncePer (the recovery logic relies on forgetting)", () => {
      const cfg = config("slack");
      for (const { trigger, template } of Object.values(ALERTS)) {
        assert.deepEqual(
          cfg.triggers.get(trigger)?.map((c) => c.send),
          [[template]],
        );
      }
    });
  });

  describe("alertSubscriptions", () => {
    it("subscribes an Application to every configured trigger through the webhook service", () => {
      const subs = subscriptions(alertSubscriptions(true));
      assert.deepEqual(
        subs.map((s) => s.trigger).sort(),
        Object.values(ALERTS)
          .map((a) => a.trigger)
          .sort(),
      );
      assert.ok(subs.every((s) => s.service === ALERT_SERVICE));
      assert.ok(Object.values(alertSubscriptions(true)).every((v) => v === ""));
    });

    it("adds no annotation when alerts are off, so nothing is evaluated or sent", () => {
      assert.deepEqual(alertSubscriptions(false), {});
      const app = {
        ...DEGRADED(),
        metadata: { name: "shop", namespace: "argocd", annotations: alertSubscriptions(false) },
      };
      const result = processApplication(config("slack"), app, SECRET);
      assert.deepEqual([result.deliveries, result.errors], [[], []]);
    });
  });

  describe("health messages the templates show", () => {
    it("reads the operator's reason and message from the health our check persists", () => {
      assert.deepEqual(lint().health, {
        status: "Degraded",
        message: 'LintPolicyError: destructive changes detected:\n- DROP COLUMN "note" on table "orders"\n',
      });
    });

    it("carries the plan link in the Suspended message of both kinds", () => {
      assert.match(
        atlasHealth("AtlasSchema", "approval-pending").health.message!,
        /https:\/\/shop\.atlasgo\.cloud\/schemas\/412\/plans\/9001$/,
      );
      assert.match(
        atlasHealth("AtlasMigration", "approval-pending").health.message!,
        /https:\/\/shop\.atlasgo\.cloud\/deployments\/78$/,
      );
    });
  });

  describe("an application degraded by a lint policy", () => {
    for (const format of ["slack", "json"] as const) {
      it(`posts one ${format} message naming the stack, application, revision, object, reason and message`, () => {
        const [[delivery]] = timeline(format, [DEGRADED()]);
        assert.equal(delivery.trigger, ALERTS.degraded.trigger);
        assert.equal(delivery.method, "POST");
        assert.equal(delivery.url, URL);
        const body = JSON.parse(delivery.body) as Json;
        const text = body.text as string;
        assert.match(
          text,
          /^\[prod\] shop is Degraded \(revision a9dd05e4c5b1f0e2d3c4b5a69788796a5b4c3d2e\)\n/,
        );
        assert.ok(
          text.includes(
            'AtlasSchema shop/orders is Degraded: LintPolicyError: destructive changes detected:\n- DROP COLUMN "note"',
          ),
        );
        if (format === "slack") assert.deepEqual(Object.keys(body), ["text"]);
        else {
          assert.deepEqual(
            { ...body, text: undefined },
            {
              event: "degraded",
              stack: "prod",
              application: "shop",
              project: "shop",
              revision: REVISION,
              health: "Degraded",
              sync: "Synced",
              url: "",
              text: undefined,
              atlas: [
                {
                  kind: "AtlasSchema",
                  namespace: "shop",
                  name: "orders",
                  health: "Degraded",
                  message: lint().health.message,
                },
              ],
            },
          );
        }
      });
    }

    it("escapes quotes, newlines and HTML characters in operator messages the way Go's json.Marshal does", () => {
      const odd = {
        ...lint(),
        health: { status: "Degraded" as const, message: 'ApplyingSchema: near "<&>"\n' },
      };
      const [[delivery]] = timeline("json", [application({ health: "Degraded", atlas: [odd] })]);
      assert.ok(delivery.body.includes('near \\"\\u003c\\u0026\\u003e\\"\\n'));
      assert.equal(
        ((JSON.parse(delivery.body) as Json).atlas as Json[])[0].message,
        'ApplyingSchema: near "<&>"\n',
      );
    });

    it("names destructive changes on the first run too", () => {
      const first = atlasHealth("AtlasSchema", "failures", "FirstRunDestructive");
      const [[delivery]] = timeline("slack", [application({ health: "Degraded", atlas: [first] })]);
      assert.ok(
        (JSON.parse(delivery.body) as Json as { text: string }).text.includes(
          "is Degraded: FirstRunDestructive: destructive changes detected",
        ),
      );
    });

    it("links the application in Argo CD's UI when an Ingress host is known", () => {
      const cfg = config("slack", "https://argocd.example.org");
      const [delivery] = processApplication(cfg, DEGRADED(), SECRET).deliveries;
      assert.match(
        (JSON.parse(delivery.body) as { text: string }).text,
        /\nhttps:\/\/argocd\.example\.org\/applications\/argocd\/shop$/,
      );
    });
  });

  describe("once per failure, and recovery once", () => {
    it("alerts once while the operator retries, then sends one recovery when Healthy, Synced and Succeeded", () => {
      const retrying = application({
        health: "Progressing",
        atlas: [atlasHealth("AtlasSchema", "reconciling")],
        phase: "Failed",
      });
      const passes = timeline("slack", [
        DEGRADED(),
        DEGRADED(),
        retrying,
        DEGRADED(),
        HEALTHY(),
        HEALTHY(),
        HEALTHY(),
      ]);
      assert.deepEqual(triggersOf(passes), [
        [ALERTS.degraded.trigger],
        [],
        [],
        [],
        [ALERTS.recovered.trigger],
        [],
        [],
      ]);
      const recovery = JSON.parse(passes[4][0].body) as { text: string };
      assert.equal(recovery.text, `[prod] shop has recovered: Healthy and Synced (revision ${REVISION})`);
    });

    it("does not call Healthy a recovery while the last sync is still running or failed", () => {
      const running = application({ health: "Healthy", phase: "Running", sync: "OutOfSync" });
      const failedButHealthy = application({ health: "Healthy", phase: "Failed" });
      const passes = timeline("slack", [DEGRADED(), running, failedButHealthy, HEALTHY()]);
      assert.deepEqual(triggersOf(passes).slice(1), [[], [], [ALERTS.recovered.trigger]]);
    });

    it("recovers after Degraded → Progressing → Healthy, the usual path of a fix pushed to git", () => {
      const progressing = application({
        health: "Progressing",
        atlas: [atlasHealth("AtlasSchema", "reconciling")],
        phase: "Running",
        sync: "OutOfSync",
      });
      const passes = timeline("json", [DEGRADED(), progressing, HEALTHY()]);
      assert.deepEqual(triggersOf(passes)[2], [ALERTS.recovered.trigger]);
      assert.equal((JSON.parse(passes[2][0].body) as Json).event, "recovered");
    });

    it("sends nothing on ordinary syncs of a healthy application", () => {
      const syncing = application({ health: "Progressing", phase: "Running", sync: "OutOfSync" });
      const passes = timeline("slack", [HEALTHY(), syncing, HEALTHY(), syncing, HEALTHY()]);
      assert.deepEqual(triggersOf(passes), [[], [], [], [], []]);
    });

    it("alerts again on a new failure after a recovery", () => {
      const passes = timeline("slack", [DEGRADED(), HEALTHY(), HEALTHY(), DEGRADED()]);
      assert.deepEqual(triggersOf(passes)[3], [ALERTS.degraded.trigger]);
    });

    it("evaluates every condition without error on an Application that has no status yet", () => {
      const fresh = { ...HEALTHY(), status: undefined };
      const result = processApplication(config("slack"), fresh, SECRET);
      assert.deepEqual([result.deliveries, result.errors], [[], []]);
    });
  });

  describe("a plan waiting for approval", () => {
    it("sends the AtlasSchema plan link, even when another resource keeps the application Progressing", () => {
      const pending = atlasHealth("AtlasSchema", "approval-pending");
      const app = application({
        health: "Progressing",
        atlas: [pending],
        phase: "Running",
        sync: "OutOfSync",
      });
      const [[delivery]] = timeline("json", [app]);
      assert.equal(delivery.trigger, ALERTS["approval-pending"].trigger);
      const body = JSON.parse(delivery.body) as Json;
      assert.equal(body.planLink, "https://shop.atlasgo.cloud/schemas/412/plans/9001");
      assert.match(body.text as string, /^\[prod\] shop waits for a schema plan approval/);
      assert.ok(
        (body.text as string).includes(
          "\nReview and approve the plan: https://shop.atlasgo.cloud/schemas/412/plans/9001",
        ),
      );
    });

    it("sends the AtlasMigration deployment link from the operator's message", () => {
      const pending = atlasHealth("AtlasMigration", "approval-pending");
      const [[delivery]] = timeline("slack", [
        application({ health: "Suspended", atlas: [pending], phase: "Running" }),
      ]);
      assert.ok(
        (JSON.parse(delivery.body) as { text: string }).text.endsWith(
          "Review and approve the plan: https://shop.atlasgo.cloud/deployments/78",
        ),
      );
    });

    it("sends a recovery once the approved plan is applied", () => {
      const pending = application({
        health: "Suspended",
        atlas: [atlasHealth("AtlasSchema", "approval-pending")],
        phase: "Running",
      });
      assert.deepEqual(triggersOf(timeline("slack", [pending, pending, HEALTHY(), HEALTHY()])), [
        [ALERTS["approval-pending"].trigger],
        [],
        [ALERTS.recovered.trigger],
        [],
      ]);
    });
  });

  describe("a failed sync", () => {
    it("names the resource that failed to apply and the operation's message", () => {
      const failed = application({
        health: "Healthy",
        phase: "Failed",
        operationMessage: 'one or more objects failed to apply, reason: Deployment.apps "shop" is invalid',
        failedResult: {
          group: "apps",
          version: "v1",
          kind: "Deployment",
          namespace: "shop",
          name: "shop",
          status: "SyncFailed",
          message: 'Deployment.apps "shop" is invalid: spec.replicas: Invalid value: -1',
        },
      });
      const [[delivery]] = timeline("json", [failed]);
      assert.equal(delivery.trigger, ALERTS["sync-failed"].trigger);
      const body = JSON.parse(delivery.body) as Json;
      assert.deepEqual(body.failedResources, [
        {
          kind: "Deployment",
          namespace: "shop",
          name: "shop",
          message: 'Deployment.apps "shop" is invalid: spec.replicas: Invalid value: -1',
        },
      ]);
      assert.equal(
        body.operationMessage,
        'one or more objects failed to apply, reason: Deployment.apps "shop" is invalid',
      );
      assert.match(body.text as string, /^\[prod\] shop failed to sync \(revision a9dd05e4/);
    });
  });

  describe("a failed sync and a Degraded application at once", () => {
    it("sends the degraded alert only, then one recovery, for one incident", () => {
      const healthyButFailed = application({ health: "Healthy", phase: "Failed" });
      const passes = timeline("slack", [DEGRADED(), healthyButFailed, HEALTHY()]);
      assert.deepEqual(triggersOf(passes), [[ALERTS.degraded.trigger], [], [ALERTS.recovered.trigger]]);
    });
  });

  describe("passes the controller skips until Argo CD has refreshed the sync status", () => {
    it("skips an Application whose last operation finished after its last reconcile, and changes nothing", () => {
      const app = stale(DEGRADED());
      const result = processApplication(config("slack"), app, SECRET);
      assert.equal(result.skipped, "sync status out of date");
      assert.deepEqual([result.deliveries, result.app], [[], app]);
      assert.equal(processApplication(config("slack"), DEGRADED(), SECRET).skipped, undefined);
    });

    it("keeps one alert per failure and one recovery when a skipped pass precedes every step", () => {
      const retrying = application({
        health: "Progressing",
        atlas: [atlasHealth("AtlasSchema", "reconciling")],
        phase: "Failed",
      });
      const steps = [DEGRADED(), DEGRADED(), retrying, DEGRADED(), HEALTHY(), HEALTHY()];
      const passes = timeline(
        "slack",
        steps.flatMap((s) => [stale(s), s]),
      );
      assert.deepEqual(triggersOf(passes), [
        [],
        [ALERTS.degraded.trigger],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        [ALERTS.recovered.trigger],
        [],
        [],
      ]);
    });

    it("alerts on a failed sync once the status is refreshed, and on a plan approval while the sync runs", () => {
      const failed = application({ health: "Healthy", phase: "Failed" });
      assert.deepEqual(triggersOf(timeline("json", [stale(failed), failed])), [
        [],
        [ALERTS["sync-failed"].trigger],
      ]);
      // A Running operation is never skipped: the approval alert does not wait for the sync to end.
      const pending = stale(
        application({
          health: "Suspended",
          atlas: [atlasHealth("AtlasSchema", "approval-pending")],
          phase: "Running",
        }),
      );
      assert.deepEqual(triggersOf(timeline("json", [pending])), [[ALERTS["approval-pending"].trigger]]);
    });

    it("counts a reconcile or observation at the very time the operation finished as a refresh", () => {
      const at = (status: Json) => ({ status: { operationState: { phase: "Succeeded", ...status } } });
      const t = "2026-03-08T07:31:00Z";
      assert.equal(
        isSyncStatusRefreshed({ status: { ...at({ finishedAt: t }).status, reconciledAt: t } }),
        true,
      );
      assert.equal(
        isSyncStatusRefreshed({ status: { ...at({ finishedAt: t }).status, observedAt: t } }),
        true,
      );
      assert.equal(isSyncStatusRefreshed(at({ finishedAt: t })), false, "never reconciled");
      assert.equal(isSyncStatusRefreshed(at({})), false, "a completed operation without finishedAt");
      assert.equal(isSyncStatusRefreshed({ status: { operationState: { phase: "Running" } } }), true);
      assert.equal(isSyncStatusRefreshed({}), true, "no operation yet");
    });

    it("skips an Application outside the controller's namespace", () => {
      const app = HEALTHY();
      const elsewhere = { ...app, metadata: { ...(app.metadata as Json), namespace: "shop" } };
      assert.match(processApplication(config("slack"), elsewhere, SECRET).skipped ?? "", /namespace/);
    });
  });

  describe("trigger conditions", () => {
    const when = (event: AlertEvent, app: Json) => runExpr(TRIGGER_CONDITIONS[event], { app });

    it("are plain booleans on each realistic Application", () => {
      for (const app of [DEGRADED(), HEALTHY(), application({ health: "Suspended" }), { metadata: {} }]) {
        for (const event of Object.keys(TRIGGER_CONDITIONS) as AlertEvent[]) {
          assert.equal(typeof when(event, app), "boolean");
        }
      }
    });

    it("look for a failure on record by the trigger's name in the controller's state keys", () => {
      const state = `{"${ALERTS.degraded.trigger}:[0].abc:${ALERT_SERVICE}:":1}`;
      const app = { ...HEALTHY(), metadata: { name: "shop", annotations: { [NOTIFIED]: state } } };
      assert.equal(when("recovered", app), true);
      assert.equal(when("degraded", app), false);
    });
  });

  describe("Notifications component", () => {
    before(() => {
      new Notifications("alerts", { namespace: "argocd", webhookUrl: URL });
      new Notifications("quiet", { namespace: "argocd" });
    });

    it("owns argocd-notifications-secret, the name the controller reads, with the URL under its $key", async () => {
      const secret = await find(TYPES.secret, "alerts-secret");
      assert.equal(secret.inputs.metadata.name, NOTIFICATIONS_SECRET_NAME);
      assert.equal(secret.inputs.metadata.namespace, "argocd");
      assert.deepEqual(secret.inputs.stringData, { [WEBHOOK_URL_KEY]: URL });
    });

    it("creates the Secret empty without a webhook, so switching alerts on later changes no owner", async () => {
      const secret = await find(TYPES.secret, "quiet-secret");
      assert.equal(secret.inputs.metadata.name, NOTIFICATIONS_SECRET_NAME);
      // No stringData key at all: an empty map would show as a change on every update.
      assert.ok(!("stringData" in secret.inputs));
    });

    it("exposes the URL only as a secret output (the SDK also marks every Secret's stringData)", async () => {
      const component = new Notifications("marked", { namespace: "argocd", webhookUrl: URL });
      assert.equal(await resolve(component.secretName), NOTIFICATIONS_SECRET_NAME);
      assert.equal(await isSecret(component.secret.stringData), true);
    });
  });

  describe("the Go template model", () => {
    const data = {
      app: { metadata: { name: "shop" }, list: ["a", "b"], empty: [] },
      context: { stack: "dev" },
    };

    it("renders fields, a missing key as <no value>, and trims around {{- -}}", () => {
      assert.equal(render("x {{- .app.metadata.name -}} y {{ .app.nope }}", data), "xshopy <no value>");
      assert.equal(render("{{ .app.nope.deeper }}", data), "<no value>");
    });

    it("chains else if, ranges with else, and assigns outer variables inside range", () => {
      const src = '{{ $s := "" }}{{ range .app.list }}{{ $s = printf "%s%s" $s . }}{{ end }}{{ $s }}';
      assert.equal(render(src, data), "ab");
      assert.equal(render("{{ range .app.empty }}x{{ else }}none{{ end }}", data), "none");
      assert.equal(render("{{ range .app.missing }}x{{ else }}none{{ end }}", data), "none");
      const chain =
        '{{ if eq .context.stack "prod" }}p{{ else if eq .context.stack "dev" }}d{{ else }}o{{ end }}';
      assert.equal(render(chain, data), "d");
    });

    it("passes a missing value to an interface{} parameter as nil, so default applies", () => {
      assert.equal(render('{{ .app.nope | default "fallback" }}', data), "fallback");
      assert.equal(render("{{ and .app.metadata .app.nope | not }}", data), "true");
    });

    it("writes JSON with sorted keys and Go's HTML-safe escapes", () => {
      assert.equal(
        render('{{ dict "b" "<x>" "a" (list "q\\"") | toJson }}', data),
        '{"a":["q\\""],"b":"\\u003cx\\u003e"}',
      );
    });

    for (const [what, src] of [
      ["with", "{{ with .app }}x{{ end }}"],
      ["a function outside the subset", "{{ upper .context.stack }}"],
      ["a number", '{{ printf "%d" 3 }}'],
      ["a printf verb other than %s", '{{ printf "%v" .context.stack }}'],
      ["eq on a missing value", '{{ eq .app.nope "x" }}'],
      ["printing a list", "{{ .app.list }}"],
      ["a field of a parenthesized pipeline", "{{ (.app).metadata }}"],
      ["a regular expression outside the RE2/JS subset", '{{ regexFind "a{2}" .context.stack }}'],
    ] as const) {
      it(`rejects ${what}`, () => {
        assert.throws(() => render(src, data), TemplateError);
      });
    }

    it("fails like Go on a string parameter that is missing and on a field of a string", () => {
      assert.throws(() => render('{{ regexFind "a" .app.nope }}', data), /invalid value; expected string/);
      assert.throws(() => render("{{ .context.stack.x }}", data), /can't evaluate field x/);
    });
  });

  describe("the expr-lang model", () => {
    it("binds not tighter than == and ?? tighter than contains", () => {
      assert.throws(() => runExpr("not a == b", { a: "x", b: "y" }), ExprError); // (not "x") is not a bool
      assert.equal(runExpr("a ?? 'xy' contains 'y'", { a: null }), true);
    });

    it("short-circuits a whole chain at an optional step on nil, and fails on a plain step", () => {
      assert.equal(runExpr("app.status?.health.status", { app: {} }), null);
      assert.throws(() => runExpr("app.status.health", { app: {} }), /cannot fetch health from <nil>/);
    });

    it("treats nil in contains as false and fails any over nil", () => {
      assert.equal(runExpr("app.x contains 'a'", { app: {} }), false);
      assert.throws(() => runExpr("any(app.x, {.a == 'b'})", { app: {} }), /cannot iterate/);
    });

    for (const src of ["a matches 'x'", "a[0]", "a > 1", "len(a)", "a not in ['x']", "a.b()", "#.a"]) {
      it(`rejects ${src}`, () => {
        assert.throws(() => runExpr(src, { a: ["x"] }), ExprError);
      });
    }
  });
});

// ---- Resource health persistence: what the program's chart values make the controller write -----------------
// (Imports here rather than above, so the tests before this block stay exactly as they were.)
import { mark, registeredSince, useMocks } from "./support/mocks";
import { configSet } from "./support/pulumi-cli";
import { stackRun } from "./support/stack-files";
import { renderArgoCd } from "./support/argo-cd-chart";
import { ManagedResource, persistResourceHealth, setApplicationHealth } from "./support/argo-cd-health";
import { parseStackConfig } from "../stacks/config";
import { AtlasGitOps } from "../components/platform";
import { mergeValues } from "../components/common";
import { PERSIST_RESOURCE_HEALTH } from "../components/argocd";

describe("resource health in the alerts, as the program's chart values make Argo CD persist it", () => {
  const CONTROLLER = "StatefulSet/argocd-application-controller";
  const PERSIST_ENV = "ARGOCD_APPLICATION_CONTROLLER_PERSIST_RESOURCE_HEALTH";
  let values: Json;
  let subscribed: { name: string; namespace: string; annotations: Record<string, string> };

  // The whole program for prod with JSON alerts, under the shared mocks (as test/argo-cd-chart.test.ts runs it).
  before(async () => {
    const run = stackRun("prod", (f) =>
      configSet(configSet(f, "alertWebhookUrl", URL, { secret: true }), "alertWebhookFormat", "json", {}),
    );
    useMocks("prod", run.config, run.secretKeys);
    const start = mark();
    const platform = new AtlasGitOps(
      "atlas-gitops",
      parseStackConfig(run.config, "prod", new Set(run.secretKeys)),
    );
    await resolve(platform.urn);
    const since = await registeredSince(start);
    const releases = since.filter((r) => r.type === TYPES.release && r.name === "argocd-release");
    assert.equal(releases.length, 1);
    values = releases[0].inputs.values as Json;
    const apps = since.filter((r) => r.type === TYPES.application);
    assert.ok(apps.length > 0, "prod registers an Application");
    subscribed = apps[0].inputs.metadata as typeof subscribed;
  });

  /** What the chart makes of the values: the controller's persist setting and the parsed notifications config. */
  function argoCd(v: Json) {
    const rendered = renderArgoCd(v);
    const cm = rendered.notifications.cm;
    assert.ok(cm, "the chart renders argocd-notifications-cm");
    return {
      persist: persistResourceHealth(rendered.env(CONTROLLER, PERSIST_ENV)),
      config: new NotificationsConfig({ ...cm.data, context: stringify(cm.context) }, SECRET),
    };
  }

  /** The prod Application after a refresh, its status written by setApplicationHealth for these resources. */
  function refreshed(resources: ManagedResource[], persist: boolean, phase: string): Json {
    return {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { ...subscribed },
      spec: { project: subscribed.name },
      status: {
        sync: { status: "Synced", revision: REVISION },
        ...setApplicationHealth(resources, persist),
        operationState: {
          phase,
          startedAt: "2026-03-08T07:29:00Z",
          finishedAt: "2026-03-08T07:30:00Z",
          syncResult: { revision: REVISION, resources: [] },
        },
        reconciledAt: "2026-03-08T07:30:05Z",
      },
    };
  }

  /** Managed resources: a Healthy Deployment and one Atlas object whose health our Lua check gives it. */
  function managed(atlas: ReturnType<typeof atlasHealth>): ManagedResource[] {
    const { health, ...ref } = atlas;
    return [
      {
        group: "apps",
        version: "v1",
        kind: "Deployment",
        namespace: "shop",
        name: "shop",
        status: "Synced",
        live: { status: "Healthy" },
      },
      { ...ref, status: "Synced", live: health },
    ];
  }

  /** Three controller passes over the same Application, the state annotation carried from pass to pass. */
  function passes(cfg: NotificationsConfig, app: Json): Delivery[] {
    const sent: Delivery[] = [];
    let current = app;
    for (let i = 0; i < 3; i++) {
      const result = processApplication(cfg, current, SECRET, subscribed.namespace);
      assert.deepEqual([result.errors, result.skipped], [[], undefined]);
      sent.push(...result.deliveries);
      current = result.app;
    }
    return sent;
  }

  const pending = () => atlasHealth("AtlasSchema", "approval-pending");
  const planLink = "https://shop.atlasgo.cloud/schemas/412/plans/9001";
  const persistOff = (v: Json) =>
    mergeValues(v, { configs: { params: { [PERSIST_RESOURCE_HEALTH]: false } } });

  describe("with the program's values", () => {
    it("runs the controller with persistence on, so each resource's health sits inline in the Application", () => {
      const { persist } = argoCd(values);
      assert.equal(persist, true);
      const status = refreshed(managed(lint()), persist, "Failed").status as Json;
      assert.equal(status.resourceHealthSource, undefined);
      assert.deepEqual((status.resources as Json[])[1].health, lint().health);
      assert.deepEqual(status.health, { status: "Degraded" });
    });

    it("sends one approval-pending alert carrying the operator's message and the plan link", () => {
      const { persist, config: cfg } = argoCd(values);
      const sent = passes(cfg, refreshed(managed(pending()), persist, "Running"));
      assert.deepEqual(
        sent.map((d) => d.trigger),
        [ALERTS["approval-pending"].trigger],
      );
      const body = JSON.parse(sent[0].body) as Json;
      assert.equal(body.planLink, planLink);
      assert.deepEqual(body.atlas, [
        {
          kind: "AtlasSchema",
          namespace: "shop",
          name: pending().name,
          health: "Suspended",
          message: pending().health.message,
        },
      ]);
    });

    it("sends one Degraded alert naming the AtlasSchema with the operator's reason and message", () => {
      const { persist, config: cfg } = argoCd(values);
      const sent = passes(cfg, refreshed(managed(lint()), persist, "Failed"));
      assert.deepEqual(
        sent.map((d) => d.trigger),
        [ALERTS.degraded.trigger],
      );
      const body = JSON.parse(sent[0].body) as Json;
      assert.deepEqual(
        (body.atlas as Json[]).map((a) => a.message),
        [lint().health.message],
      );
      assert.ok(
        (body.text as string).includes(`AtlasSchema shop/orders is Degraded: ${lint().health.message}`),
      );
    });
  });

  for (const [how, edit] of [
    ["set to false", persistOff],
    // The key removed: the controller falls back to its flag's default, false (Argo CD v3's default).
    [
      "left out",
      (v: Json) => {
        const copy = structuredClone(v);
        delete ((copy.configs as Json).params as Json)[PERSIST_RESOURCE_HEALTH];
        return copy;
      },
    ],
  ] as const) {
    describe(`with controller.resource.health.persist ${how} (values edited)`, () => {
      it("runs the controller without persistence: health moves to the app tree, out of status.resources[]", () => {
        const { persist } = argoCd(edit(values));
        assert.equal(persist, false);
        const status = refreshed(managed(pending()), persist, "Running").status as Json;
        assert.equal(status.resourceHealthSource, "appTree");
        assert.ok((status.resources as Json[]).every((r) => !("health" in r)));
        assert.deepEqual(
          status.health,
          { status: "Suspended" },
          "the application's own health is still computed",
        );
      });

      it("never sends the approval-pending alert, though the application is Suspended on that plan", () => {
        const { persist, config: cfg } = argoCd(edit(values));
        assert.deepEqual(passes(cfg, refreshed(managed(pending()), persist, "Running")), []);
      });

      it("still sends the Degraded alert, but without the Atlas object, its reason or the operator's message", () => {
        const { persist, config: cfg } = argoCd(edit(values));
        const sent = passes(cfg, refreshed(managed(lint()), persist, "Failed"));
        assert.deepEqual(
          sent.map((d) => d.trigger),
          [ALERTS.degraded.trigger],
        );
        const body = JSON.parse(sent[0].body) as Json;
        assert.deepEqual(body.atlas, []);
        assert.ok(!(body.text as string).includes("AtlasSchema"));
        assert.ok(!(body.text as string).includes("LintPolicyError"));
      });
    });
  }

  describe("the persistence model's own rules", () => {
    it("reads the environment like ParseBoolFromEnv: true/false in any case, anything else the default false", () => {
      assert.deepEqual(["true", "TRUE", "false", "yes", "1", "", undefined].map(persistResourceHealth), [
        true,
        true,
        false,
        false,
        false,
        false,
        false,
      ]);
    });

    it("counts the worst live health, ignores a resource with no live object, and is Missing when none is live", () => {
      const ref = { version: "v1", kind: "ConfigMap", namespace: "shop", status: "Synced" };
      const live = (name: string, status: string) => ({
        ...ref,
        name,
        live: { status } as ManagedResource["live"],
      });
      assert.deepEqual(
        setApplicationHealth([live("a", "Healthy"), { ...ref, name: "gone" }, live("b", "Progressing")], true)
          .health,
        { status: "Progressing" },
      );
      assert.deepEqual((setApplicationHealth([{ ...ref, name: "gone" }], true).resources[0] as Json).health, {
        status: "Missing",
      });
      assert.deepEqual(setApplicationHealth([{ ...ref, name: "gone" }], true).health, { status: "Missing" });
      assert.deepEqual(setApplicationHealth([live("a", "Suspended"), live("b", "Degraded")], false).health, {
        status: "Degraded",
      });
    });
  });
});
