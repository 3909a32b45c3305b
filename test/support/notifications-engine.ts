/**
 * A model of one pass of Argo CD's notifications controller over one Application, written from
 * argoproj/notifications-engine at 1dbe3de712f8 (the version argo-cd v3.4.4's go.mod pins):
 * - pkg/api/config.go ParseConfig: `service.<type>.<name>`, `template.<name>`, `trigger.<name>` keys, and
 *   replaceStringSecret (`$key` → the Secret's value, `[$][\w-]+`, a missing key left as is);
 * - pkg/subscriptions/annotations.go: `notifications.argoproj.io/subscribe.<trigger>.<service>: <recipients>`;
 * - pkg/triggers/service.go Run: condition key `[<i>].<base64url(sha1(when))>`, Triggered only for a bool true,
 *   an evaluation error counts as false; oncePer is not used here and the model refuses it;
 * - pkg/controller/controller.go processResourceWithAPI + state.go (StateItemKey, SetAlreadyNotified, Persist):
 *   every condition is evaluated on the object as it was at the start of the pass; a false condition forgets
 *   its key, a true one sends unless its key is recorded; the state is written back as JSON in the
 *   `notified.notifications.argoproj.io` annotation;
 * - pkg/services/webhook.go: the template's `webhook.<service>` gives method and body, sent to the service URL;
 * - pkg/controller/controller.go processQueueItem: a pass first asks the `skipProcessing` option, and a skipped
 *   object is left as it is (nothing evaluated, sent or patched);
 * and argo-cd v3.4.4 util/notification/settings/settings.go initGetVars (the variables: app, context with
 * notificationType, secrets), expression/expr.go Spawn, and notification_controller/controller/controller.go
 * NewController, whose skipProcessing skips an Application outside the controller's namespace
 * (checkAppNotInAdditionalNamespaces; no `application.namespaces` here) or whose sync status is older than its last
 * operation (isAppSyncStatusRefreshed).
 */
import { createHash } from "crypto";
import { parse as parseYaml } from "yaml";
import { run } from "./expr-lang";
import { render } from "./go-template";

type Json = Record<string, unknown>;

export interface Delivery {
  readonly trigger: string;
  readonly service: string;
  readonly url: string;
  readonly method: string;
  readonly body: string;
}

interface Condition {
  readonly when?: string;
  readonly send?: string[];
  readonly oncePer?: string;
}

export const NOTIFIED = "notified.notifications.argoproj.io";
const SUBSCRIBE = "notifications.argoproj.io/subscribe.";

/** triggers/service.go hash: base64.RawURLEncoding of the SHA-1 of the condition. */
const hash = (when: string) => createHash("sha1").update(when).digest("base64url");

/** api/config.go replaceStringSecret. */
export function replaceSecrets(value: string, secret: Record<string, string>): string {
  return value.replace(/[$][\w-]+/g, (ref) => secret[ref.slice(1)] ?? ref);
}

/** The notifications config as the controller parses argocd-notifications-cm and its Secret. */
export class NotificationsConfig {
  readonly services = new Map<string, { type: string; url: string }>();
  readonly templates = new Map<string, Json>();
  readonly triggers = new Map<string, Condition[]>();
  readonly context: Record<string, string>;

  constructor(cmData: Record<string, string>, secret: Record<string, string>) {
    this.context = (parseYaml(cmData.context ?? "") as Record<string, string> | null) ?? {};
    for (const [key, value] of Object.entries(cmData)) {
      const parts = key.split(".");
      if (key.startsWith("template.")) this.templates.set(parts.slice(1).join("."), parseYaml(value) as Json);
      else if (key.startsWith("trigger."))
        this.triggers.set(parts.slice(1).join("."), parseYaml(value) as Condition[]);
      else if (key.startsWith("service.")) {
        if (parts.length !== 3 && parts.length !== 2) throw new Error(`invalid service key ${key}`);
        const [type, name] = parts.length === 3 ? [parts[1], parts[2]] : [parts[1], parts[1]];
        const options = parseYaml(value) as { url: string };
        this.services.set(name, { type, url: replaceSecrets(options.url, secret) });
      }
    }
    for (const conditions of this.triggers.values()) {
      if (conditions.some((c) => c.oncePer !== undefined)) throw new Error("oncePer is not modelled");
    }
  }
}

/** The (trigger, service) pairs an object subscribes to through its annotations; recipients are unused here. */
export function subscriptions(annotations: Record<string, string>): { trigger: string; service: string }[] {
  return Object.keys(annotations)
    .filter((k) => k.startsWith(SUBSCRIBE))
    .map((k) => {
      const parts = k.slice(SUBSCRIBE.length).split(".");
      return parts.length >= 2
        ? { trigger: parts[0], service: parts[1] }
        : { trigger: "", service: parts[0] };
    });
}

/** Go's time.Parse(time.RFC3339, s) accepts this shape (fractional seconds optional, Z or an offset). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** A timestamp of the status as Go reads it there: unparsable or missing is the zero time, before everything. */
function goTime(value: unknown): number | undefined {
  return typeof value === "string" && RFC3339.test(value) ? Date.parse(value) : undefined;
}

/**
 * argo-cd v3.4.4 notification_controller/controller/controller.go isAppSyncStatusRefreshed: after an operation
 * has completed (phase Succeeded, Failed or Error), the Application counts as refreshed only once reconciledAt
 * or observedAt is not before operationState.finishedAt; a completed operation without a parsable finishedAt
 * never is. Without an operationState or phase, or during any other phase, it is.
 */
export function isSyncStatusRefreshed(app: Json): boolean {
  const status = (app.status ?? {}) as Json;
  const op = status.operationState as Json | undefined;
  if (op === undefined || typeof op.phase !== "string") return true;
  if (!["Failed", "Error", "Succeeded"].includes(op.phase)) return true;
  const finishedAt = goTime(op.finishedAt);
  if (finishedAt === undefined) return false;
  const reconciledAt = goTime(status.reconciledAt) ?? -Infinity;
  const observedAt = goTime(status.observedAt) ?? -Infinity;
  return !(finishedAt > reconciledAt && finishedAt > observedAt);
}

/**
 * Why the controller would skip this Application without looking at it (controller.go NewController's
 * skipProcessing, the reasons as it logs them), or undefined when it processes it.
 */
export function skipReason(app: Json, controllerNamespace: string): string | undefined {
  if ((app.metadata as Json).namespace !== controllerNamespace) {
    return "app is not in one of the application-namespaces, nor the notification controller namespace";
  }
  return isSyncStatusRefreshed(app) ? undefined : "sync status out of date";
}

/**
 * One pass over an Application: returns what was sent and the Application with its state annotation updated,
 * as the controller patches it, or `skipped` with the Application untouched. The recipient is "" (a webhook
 * subscription with an empty value).
 */
export function processApplication(
  config: NotificationsConfig,
  app: Json,
  secret: Record<string, string>,
  controllerNamespace = "argocd",
): { deliveries: Delivery[]; app: Json; errors: string[]; skipped?: string } {
  const skipped = skipReason(app, controllerNamespace);
  if (skipped !== undefined) return { deliveries: [], app, errors: [], skipped };
  const metadata = app.metadata as Json;
  const annotations = (metadata.annotations ?? {}) as Record<string, string>;
  const state = JSON.parse(annotations[NOTIFIED] ?? "{}") as Record<string, number>;
  const deliveries: Delivery[] = [];
  const errors: string[] = [];
  const snapshot = structuredClone(app); // un.Object, converted once before the loop

  for (const { trigger, service } of subscriptions(annotations)) {
    const conditions = config.triggers.get(trigger);
    if (conditions === undefined) {
      errors.push(`trigger '${trigger}' is not configured`);
      continue;
    }
    conditions.forEach((condition, i) => {
      const when = condition.when ?? "";
      let triggered = false;
      try {
        triggered = run(when === "" ? "false" : when, { app: snapshot }) === true;
      } catch (e) {
        errors.push(`failed to execute when condition: ${(e as Error).message}`);
      }
      const key = `${trigger}:[${i}].${hash(when)}:${service}:`;
      if (!triggered) {
        delete state[key];
        return;
      }
      if (key in state) return; // already notified
      state[key] = Object.keys(state).length + 1;
      for (const name of condition.send ?? [])
        deliveries.push(send(config, snapshot, name, trigger, service, secret));
    });
  }

  const newAnnotations = { ...annotations };
  if (Object.keys(state).length === 0) delete newAnnotations[NOTIFIED];
  else newAnnotations[NOTIFIED] = goMarshal(state);
  return { deliveries, app: { ...app, metadata: { ...metadata, annotations: newAnnotations } }, errors };
}

/** encoding/json of a map[string]int64: keys sorted, no spaces. */
const goMarshal = (state: Record<string, number>) =>
  `{${Object.keys(state)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${state[k]}`)
    .join(",")}}`;

function send(
  config: NotificationsConfig,
  app: Json,
  templateName: string,
  trigger: string,
  service: string,
  secret: Record<string, string>,
): Delivery {
  const template = config.templates.get(templateName);
  if (template === undefined) throw new Error(`template '${templateName}' is not supported`);
  const target = config.services.get(service);
  if (target === undefined) throw new Error(`service '${service}' is not configured`);
  if (target.type !== "webhook") throw new Error(`service type ${target.type} is not modelled`);
  const vars = {
    app,
    context: { notificationType: service, ...config.context },
    secrets: secret,
    serviceType: service,
  };
  // webhook.go: without a `webhook.<service>` entry the request would be a GET of the plain message.
  const webhook = (template.webhook as Record<string, { method?: string; body: string }> | undefined)?.[
    service
  ];
  if (webhook === undefined) return { trigger, service, url: target.url, method: "GET", body: "" };
  return {
    trigger,
    service,
    url: target.url,
    method: webhook.method || "GET",
    body: render(webhook.body, vars),
  };
}
