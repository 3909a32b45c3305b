/**
 * Alerts from Argo CD's notifications controller: when an application turns Degraded (a failed AtlasSchema or
 * AtlasMigration), waits for a plan approval, or fails to sync, and once when it has recovered.
 *
 * What the chart does with these values: argo-helm charts/argo-cd templates/argocd-configs/
 * argocd-notifications-cm.yaml (tag argo-cd-10.1.1) writes `notifiers`, `templates` and `triggers` as they are
 * into argocd-notifications-cm and `context` under its `context` key. What the controller does with them:
 * argoproj/notifications-engine pkg/api/config.go ParseConfig (at 1dbe3de712f8, the version argo-cd v3.4.4 pins).
 * Every document below is JSON, which YAML reads as is, so no YAML library is needed at run time.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AlertFormat } from "../stacks/operations";

/**
 * The one notification service: `service.webhook.<name>` names a service of type webhook (ParseConfig). The name
 * goes into subscription annotation keys, which are split on "." (pkg/subscriptions/annotations.go), so no dot.
 */
export const ALERT_SERVICE = "atlas-gitops";
/** The Secret the notifications controller reads `$key` references from: argo-cd v3.4.4 cmd/argocd-notification
 * (--secret-name default) and the chart's notifications.secret.name. */
export const NOTIFICATIONS_SECRET_NAME = "argocd-notifications-secret";
/** The key of that Secret holding the webhook URL; `$alert-webhook-url` matches ParseConfig's `[$][\w-]+`. */
export const WEBHOOK_URL_KEY = "alert-webhook-url";
/** The annotation the controller keeps its sent-notification state in (subscriptions.NotifiedAnnotationKey). */
export const NOTIFIED_ANNOTATION = "notified.notifications.argoproj.io";
const SUBSCRIBE_PREFIX = "notifications.argoproj.io/subscribe.";

export type AlertEvent = "degraded" | "approval-pending" | "sync-failed" | "recovered";

/** Trigger and template name per event. Not Argo CD's catalog names, so a catalog added later cannot clash. */
export const ALERTS: Record<AlertEvent, { readonly trigger: string; readonly template: string }> = {
  degraded: { trigger: "on-app-degraded", template: "app-degraded" },
  "approval-pending": { trigger: "on-plan-approval-pending", template: "plan-approval-pending" },
  "sync-failed": { trigger: "on-app-sync-failed", template: "app-sync-failed" },
  recovered: { trigger: "on-app-recovered", template: "app-recovered" },
};
const FAILURES: AlertEvent[] = ["degraded", "approval-pending", "sync-failed"];

// ---- Trigger conditions (expr-lang v1.17.8, evaluated on the Application as `app`) -------------------------
// `?.` keeps a missing field from failing the condition (expr's Fetch panics on nil, vm/runtime/runtime.go).

/** The application is back: Healthy, Synced, and its last sync succeeded. */
const RECOVERED =
  "app.status?.health?.status == 'Healthy' and app.status?.sync?.status == 'Synced' and " +
  "app.status?.operationState?.phase == 'Succeeded'";

/**
 * Whether the controller has recorded this trigger as sent. Its state keys read `<trigger>:[<i>].<hash>:<service>:
 * <recipient>` (pkg/controller/state.go StateItemKey, no oncePer) inside a JSON object, hence the leading quote.
 */
const notified = (event: AlertEvent) =>
  `${'app.metadata.annotations?.["' + NOTIFIED_ANNOTATION + '"]'} contains '"${ALERTS[event].trigger}:'`;

/**
 * Why the conditions look back at the controller's own state (pkg/controller/controller.go processResourceWithAPI,
 * state.go SetAlreadyNotified): without oncePer a condition sends when it turns true and forgets when it turns
 * false, so it would re-alert on every operator retry (Degraded → Progressing → Degraded) and a plain "Healthy"
 * trigger would announce a recovery after every ordinary sync. With oncePer, the key is never forgotten (a false
 * condition computes no oncePer value, so its key is not found), so nothing could be sent twice for the same
 * value. Instead each failure stays true, once sent, until the application has recovered; the recovery trigger
 * is true only while a failure is still on record. In the pass that sees the recovery the failure turns false
 * (its record is dropped) while the recovery, which reads the state as it was at the start of the pass, is sent;
 * in the next pass no failure is on record, so the recovery turns false and is forgotten too: one message.
 */
export const TRIGGER_CONDITIONS: Record<AlertEvent, string> = {
  degraded: `app.status?.health?.status == 'Degraded' or (${notified("degraded")} and not (${RECOVERED}))`,
  "approval-pending":
    "any(app.status?.resources ?? [], {.group == 'db.atlasgo.io' and .health?.status == 'Suspended'}) or " +
    `(${notified("approval-pending")} and not (${RECOVERED}))`,
  // A sync that fails while the application is Degraded, or until it recovers from that, is the same incident
  // the degraded alert already told.
  "sync-failed":
    "(app.status?.operationState?.phase in ['Error', 'Failed'] and app.status?.health?.status != 'Degraded' and " +
    `not (${notified("degraded")})) or ` +
    `(${notified("sync-failed")} and not (${RECOVERED}))`,
  recovered: `(${RECOVERED}) and (${FAILURES.map((e) => notified(e)).join(" or ")})`,
};

const DESCRIPTIONS: Record<AlertEvent, string> = {
  degraded: "The application turned Degraded, e.g. an AtlasSchema or AtlasMigration failed",
  "approval-pending": "An AtlasSchema or AtlasMigration waits for a plan to be approved",
  "sync-failed": "The last sync of the application failed",
  recovered: "The application is Healthy and Synced again after an alert",
};

// ---- Templates (Go text/template with sprig, pkg/templates/service.go) -------------------------------------

const HEADLINES: Record<AlertEvent, string> = {
  degraded: "is Degraded",
  "approval-pending": "waits for a schema plan approval",
  "sync-failed": "failed to sync",
  recovered: "has recovered: Healthy and Synced",
};

/**
 * The body of one event's webhook request. Every optional field goes through `default` or `if`, so a missing one
 * renders nothing rather than "<no value>". Strings reach the payload only through `toJson` (sprig: Go's
 * json.Marshal), so quotes and newlines in an operator message cannot break the JSON.
 */
export function alertBody(event: AlertEvent, format: AlertFormat): string {
  const lines = [
    `{{- $revision := .app.status.sync.revision | default "unknown" -}}`,
    ...(event === "sync-failed"
      ? [`{{- $revision = .app.status.operationState.syncResult.revision | default $revision -}}`]
      : []),
    `{{- $lines := list (printf "[%s] %s ${HEADLINES[event]} (revision %s)" .context.stack .app.metadata.name $revision) -}}`,
    // The health the application controller persists per resource (controller.resource.health.persist), with
    // the message our health checks write: "<Reason>: <operator message>" (components/health-checks).
    `{{- $atlas := list -}}{{- $plan := "" -}}`,
    `{{- range .app.status.resources -}}`,
    `{{- if and (eq (.group | default "") "db.atlasgo.io") .health -}}{{- if ne .health.status "Healthy" -}}`,
    `{{- $message := .health.message | default "" -}}`,
    `{{- $atlas = append $atlas (dict "kind" .kind "namespace" (.namespace | default "") "name" .name "health" .health.status "message" $message) -}}`,
    `{{- $lines = append $lines (printf "%s %s/%s is %s: %s" .kind (.namespace | default "") .name .health.status $message) -}}`,
    `{{- if eq .health.status "Suspended" -}}{{- $plan = regexFind "https://[^ ;]+" $message -}}{{- end -}}`,
    `{{- end -}}{{- end -}}`,
    `{{- end -}}`,
    ...(event === "approval-pending"
      ? [
          `{{- if $plan -}}{{- $lines = append $lines (printf "Review and approve the plan: %s" $plan) -}}{{- end -}}`,
        ]
      : []),
    ...(event === "sync-failed"
      ? [
          `{{- $failed := list -}}`,
          `{{- range .app.status.operationState.syncResult.resources -}}`,
          `{{- if eq (.status | default "") "SyncFailed" -}}`,
          `{{- $failed = append $failed (dict "kind" .kind "namespace" (.namespace | default "") "name" .name "message" (.message | default "")) -}}`,
          `{{- $lines = append $lines (printf "%s %s/%s failed to apply: %s" .kind (.namespace | default "") .name (.message | default "")) -}}`,
          `{{- end -}}`,
          `{{- end -}}`,
          `{{- $operation := .app.status.operationState.message | default "" -}}`,
          `{{- if $operation -}}{{- $lines = append $lines (printf "Sync: %s" $operation) -}}{{- end -}}`,
        ]
      : []),
    `{{- $url := "" -}}`,
    `{{- if .context.uiUrl -}}{{- $url = printf "%s/applications/%s/%s" .context.uiUrl .app.metadata.namespace .app.metadata.name -}}{{- $lines = append $lines $url -}}{{- end -}}`,
  ];
  const payload =
    format === "slack"
      ? `dict "text" (join "\\n" $lines)`
      : [
          `dict "event" "${event}" "stack" .context.stack "application" .app.metadata.name`,
          `"project" (.app.spec.project | default "") "revision" $revision`,
          `"health" (.app.status.health.status | default "") "sync" (.app.status.sync.status | default "")`,
          `"atlas" $atlas "url" $url "text" (join "\\n" $lines)`,
          ...(event === "approval-pending" ? [`"planLink" $plan`] : []),
          ...(event === "sync-failed" ? [`"failedResources" $failed "operationMessage" $operation`] : []),
        ].join(" ");
  return [...lines, `{{- ${payload} | toJson -}}`].join("\n");
}

/** One argocd-notifications-cm template: a POST to the service with the event's body (pkg/services/webhook.go). */
export function alertTemplate(event: AlertEvent, format: AlertFormat): string {
  return JSON.stringify({ webhook: { [ALERT_SERVICE]: { method: "POST", body: alertBody(event, format) } } });
}

/** The webhook service: the URL is a `$key` reference into argocd-notifications-secret, never the value. */
export function alertService(): string {
  return JSON.stringify({
    url: `$${WEBHOOK_URL_KEY}`,
    headers: [{ name: "Content-Type", value: "application/json" }],
  });
}

export interface NotificationsValuesInput {
  /** The Pulumi stack; every message names it. */
  readonly stack: string;
  /** The alert payload; undefined configures nothing (no service, no trigger, no template). */
  readonly format?: AlertFormat;
  /** https://<host> of argocd-server, for a link in each message. Defaults to no link. */
  readonly uiUrl?: string;
}

/** The argo-cd chart values for notifications: merge into argoCdValues (components/argocd.ts). */
export function notificationsValues(input: NotificationsValuesInput): Record<string, unknown> {
  const format = input.format;
  const events = Object.keys(ALERTS) as AlertEvent[];
  return {
    notifications: {
      // The program owns the Secret, so the webhook URL never enters the release's values (see Notifications).
      secret: { create: false },
      context: { stack: input.stack, uiUrl: input.uiUrl ?? "" },
      ...(input.uiUrl !== undefined ? { argocdUrl: input.uiUrl } : {}),
      ...(format === undefined
        ? {}
        : {
            notifiers: { [`service.webhook.${ALERT_SERVICE}`]: alertService() },
            templates: Object.fromEntries(
              events.map((e) => [`template.${ALERTS[e].template}`, alertTemplate(e, format)]),
            ),
            triggers: Object.fromEntries(
              events.map((e) => [
                `trigger.${ALERTS[e].trigger}`,
                JSON.stringify([
                  { description: DESCRIPTIONS[e], send: [ALERTS[e].template], when: TRIGGER_CONDITIONS[e] },
                ]),
              ]),
            ),
          }),
    },
  };
}

/**
 * The annotations that subscribe one Application to every alert; none when alerts are off, since a subscription
 * to a trigger that is not configured logs an error on every pass (notifications-engine triggers/service.go Run).
 * The value is the recipient list, empty for a webhook.
 */
export function alertSubscriptions(enabled: boolean): Record<string, string> {
  if (!enabled) return {};
  return Object.fromEntries(
    Object.values(ALERTS).map(({ trigger }) => [`${SUBSCRIBE_PREFIX}${trigger}.${ALERT_SERVICE}`, ""]),
  );
}

export interface NotificationsArgs {
  /** Argo CD's namespace. */
  readonly namespace: pulumi.Input<string>;
  /** The alert webhook URL. Defaults to none: the Secret is created empty and nothing is sent. */
  readonly webhookUrl?: pulumi.Input<string>;
}

/**
 * argocd-notifications-secret, owned by the program (the chart's `notifications.secret.create: false`), so the
 * webhook URL lives only in this Secret, marked secret in state. It exists even without alerts: then switching
 * alerts on or off never hands the same object between Helm and Pulumi. Create it after the argo-cd release
 * (dependsOn): on an existing install the chart owned a Secret of this name and deletes it on that upgrade.
 */
export class Notifications extends pulumi.ComponentResource {
  public readonly secret: k8s.core.v1.Secret;
  public readonly secretName: pulumi.Output<string>;

  constructor(name: string, args: NotificationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:notifications:Notifications", name, {}, opts);
    this.secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: {
          name: NOTIFICATIONS_SECRET_NAME,
          namespace: args.namespace,
          labels: { "app.kubernetes.io/part-of": "argocd" },
        },
        type: "Opaque",
        // No stringData at all without alerts: an empty map stays in the inputs and shows as a change every time.
        ...(args.webhookUrl === undefined
          ? {}
          : { stringData: { [WEBHOOK_URL_KEY]: pulumi.secret(args.webhookUrl) } }),
      },
      { parent: this },
    );
    this.secretName = this.secret.metadata.name;
    this.registerOutputs({ secretName: this.secretName });
  }
}
