/**
 * Config for operating the platform: alerts, git webhooks and the poll interval, an Ingress for argocd-server,
 * metrics. The checks and the parser the stack config calls (the keys live with all others in stacks/defaults.ts);
 * all pure, so a bad value fails before any resource is registered, and a secret's value is never shown.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { OperationsKey } from "./defaults";
import * as check from "./validate";

/** The formats of an alert: Slack's incoming-webhook payload, or a JSON document for any HTTP endpoint. */
export const ALERT_FORMATS = ["slack", "json"] as const;
export type AlertFormat = (typeof ALERT_FORMATS)[number];

export type GitProvider = "github" | "gitlab" | "bitbucket" | "bitbucketserver";

/** What the stack config hands to the components of this file. */
export interface OperationsConfig {
  /** Alerts; undefined when no webhook is configured (nothing is sent, nothing subscribed). */
  readonly alerts?: { readonly webhookUrl: pulumi.Output<string>; readonly format: AlertFormat };
  /** The git webhook secrets, per provider; empty when none is configured. */
  readonly gitWebhookSecrets: Partial<Record<GitProvider, pulumi.Output<string>>>;
  /** argocd-cm `timeout.reconciliation`, a Go duration such as 120s. */
  readonly pollInterval: string;
  readonly ingress?: { readonly host: string; readonly className?: string; readonly tlsSecretName?: string };
  readonly metrics?: { readonly selectorLabels: Record<string, string>; readonly degradedFor: string };
}

// An RFC 1123 subdomain of at least two labels, as an Ingress host must be (no IP address, no wildcard).
const DNS_NAME_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// The subset of Go's time.ParseDuration (and of Prometheus durations) this project accepts: whole numbers of
// hours, minutes and seconds, largest unit first, e.g. 90s, 3m, 1h30m.
const DURATION = /^(?:(\d{1,4})h)?(?:(\d{1,5})m)?(?:(\d{1,6})s)?$/;
// Kubernetes label keys (optional DNS prefix + name) and values, as the API server checks them.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** An https:// URL with a host, no whitespace and no user:password part. */
export function isHttpsUrl(value: string): boolean {
  if (/\s/.test(value) || !value.startsWith("https://")) return false;
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.hostname !== "" && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}

/** A lowercase DNS name of two or more labels, such as argocd.example.com; not an IP address. */
export function isDnsName(value: string): boolean {
  const labels = value.split(".");
  return (
    value.length <= 253 &&
    labels.length >= 2 &&
    labels.every((label) => DNS_NAME_LABEL.test(label)) &&
    !/^\d+$/.test(labels[labels.length - 1])
  );
}

/** Seconds in a duration this project accepts (see DURATION), or undefined when it is not one. */
export function durationSeconds(value: string): number | undefined {
  const match = DURATION.exec(value);
  if (match === null || value === "") return undefined;
  const [, h, m, s] = match;
  return Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
}

export const isDuration = (value: string): boolean => durationSeconds(value) !== undefined;

/** `key=value` pairs separated by commas, e.g. `release=kube-prometheus-stack`; undefined when malformed. */
export function parseLabels(value: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  if (value.trim() === "") return labels;
  for (const pair of value.split(",")) {
    const [key, label, ...rest] = pair.split("=");
    const [prefix, name, ...more] = key.includes("/") ? key.split("/") : ["", key];
    const goodPrefix =
      prefix === "" || (prefix.length <= 253 && prefix.split(".").every((l) => DNS_NAME_LABEL.test(l)));
    if (
      rest.length > 0 ||
      more.length > 0 ||
      label === undefined ||
      !goodPrefix ||
      !LABEL_NAME.test(name ?? "")
    ) {
      return undefined;
    }
    if (!LABEL_VALUE.test(label) || key in labels) return undefined;
    labels[key] = label;
  }
  return labels;
}

/** The reasons the checks give, in the project's `expected …` wording (see stacks/validate.ts Problems.fail). */
export const WHY = {
  httpsUrl: "expected an https:// URL (a Slack incoming webhook or any HTTPS endpoint)",
  dnsName: "expected a DNS name such as argocd.example.com (lowercase, two or more labels, no IP address)",
  duration: "expected a duration of whole hours, minutes and seconds, such as 90s, 5m or 1h30m",
  pollOff: "expected a duration above 0s: 0s turns polling off, which needs a git webhook secret configured",
  noIngress: "expected argocdIngressHost to be set too: it only configures the Ingress of that host",
  labels: "expected comma-separated label pairs such as release=kube-prometheus-stack",
  webhookSecret:
    "expected a secret without leading or trailing whitespace (Argo CD trims the value it reads)",
} as const;

/**
 * Validates the keys of this file and returns what the components need. `field` and `secret` are the stack
 * config's own accessors (stacks/config.ts): a Field with the raw value (for checks only; a secret Field is never
 * shown) and the secret-marked Output of a secret key, undefined when it is unset or empty.
 */
export function parseOperations(
  problems: check.Problems,
  field: (key: OperationsKey) => check.Field,
  secret: (key: OperationsKey) => pulumi.Output<string> | undefined,
): OperationsConfig {
  const set = (key: OperationsKey) => field(key).value !== "";

  const format = check.oneOf(ALERT_FORMATS)(problems, field("alertWebhookFormat"));
  const url = field("alertWebhookUrl");
  if (set("alertWebhookUrl") && !isHttpsUrl(url.value)) problems.fail(url, WHY.httpsUrl, null);
  const webhookUrl = secret("alertWebhookUrl");
  const alerts = webhookUrl && { webhookUrl, format };

  const providers: [GitProvider, OperationsKey][] = [
    ["github", "gitWebhookGitHubSecret"],
    ["gitlab", "gitWebhookGitLabSecret"],
    ["bitbucket", "gitWebhookBitbucketUuid"],
    ["bitbucketserver", "gitWebhookBitbucketServerSecret"],
  ];
  const gitWebhookSecrets: Partial<Record<GitProvider, pulumi.Output<string>>> = {};
  for (const [provider, key] of providers) {
    const f = field(key);
    if (set(key) && f.value.trim() !== f.value) problems.fail(f, WHY.webhookSecret, null);
    const value = secret(key);
    if (value !== undefined) gitWebhookSecrets[provider] = value;
  }

  const poll = field("argocdPollInterval");
  const pollSeconds = durationSeconds(poll.value);
  if (pollSeconds === undefined) problems.fail(poll, WHY.duration);
  else if (pollSeconds === 0 && Object.keys(gitWebhookSecrets).length === 0) problems.fail(poll, WHY.pollOff);

  const host = field("argocdIngressHost");
  if (set("argocdIngressHost") && !isDnsName(host.value)) problems.fail(host, WHY.dnsName);
  for (const key of ["argocdIngressClassName", "argocdIngressTlsSecret"] as const) {
    const f = field(key);
    if (!set(key)) continue;
    // A bad name is reported once, as a bad name; only a good one without a host is reported for the host.
    const reported = problems.list.length;
    check.dnsSubdomain(problems, f);
    if (problems.list.length === reported && !set("argocdIngressHost")) problems.fail(f, WHY.noIngress);
  }
  const optional = (key: OperationsKey) => (set(key) ? field(key).value : undefined);
  const ingress = set("argocdIngressHost")
    ? {
        host: host.value,
        className: optional("argocdIngressClassName"),
        tlsSecretName: optional("argocdIngressTlsSecret"),
      }
    : undefined;

  const enabled = check.boolean(problems, field("metricsEnabled"));
  const labelsField = field("metricsSelectorLabels");
  const selectorLabels = parseLabels(labelsField.value);
  if (selectorLabels === undefined) problems.fail(labelsField, WHY.labels);
  const degradedFor = field("metricsDegradedFor");
  if (!durationSeconds(degradedFor.value)) problems.fail(degradedFor, WHY.duration);
  const metrics = enabled
    ? { selectorLabels: selectorLabels ?? {}, degradedFor: degradedFor.value }
    : undefined;

  return { alerts, gitWebhookSecrets, pollInterval: poll.value, ingress, metrics };
}
