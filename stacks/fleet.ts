/**
 * Where the stack's Argo CD runs (docs/fleet.md): `install` (the chart, in this cluster; the default), `existing`
 * (an Argo CD someone else installed in this cluster) or `hub` (another cluster's Argo CD; this cluster is a
 * spoke of it). Checks the fleet keys, and refuses the keys that only mean something for the Argo CD this stack
 * installs, each with its reason.
 */
import type * as pulumi from "@pulumi/pulumi";
import { ARGOCD_LOCATIONS, type ConfigKey, type FleetKey, KEY_SPECS, PROJECT } from "./defaults";
import { kubeconfigServer, kubeconfigText, type KubeconfigServer } from "./kubeconfig";
import type { ArgoCdLocation } from "./types";
import * as check from "./validate";

/** Argo CD's name for the cluster it runs in: as a spoke's server it would be the hub itself. */
const IN_CLUSTER = "https://kubernetes.default.svc";
/** The longest Kubernetes label value, and so the longest Application name prefix plus app name. */
const MAX_NAME = 63;

/**
 * The keys that configure the argo-cd chart (or the objects it owns), with why: with `existing` or `hub` this
 * stack installs no chart, so each would silently do nothing.
 */
export const CHART_KEYS: Readonly<Partial<Record<ConfigKey, string>>> = {
  argocdChartVersion: "it picks the argo-cd chart version to install",
  argocdChartRepository: "it picks where the argo-cd chart is pulled from",
  argocdAdminEnabled: "it sets admin.enabled in the chart's argocd-cm",
  argocdValues: "its values go to the argo-cd chart",
  argocdIngressHost: "it makes the chart's Ingress for argocd-server (the UI, API and SSO callbacks)",
  argocdIngressClassName: "it configures the chart's Ingress for argocd-server",
  argocdIngressTlsSecret: "it configures the chart's Ingress for argocd-server",
  argocdPollInterval: "it sets timeout.reconciliation in the chart's argocd-cm",
  gitWebhookGitHubSecret: "it goes into the chart's argocd-secret for argocd-server's webhook endpoint",
  gitWebhookGitLabSecret: "it goes into the chart's argocd-secret for argocd-server's webhook endpoint",
  gitWebhookBitbucketUuid: "it goes into the chart's argocd-secret for argocd-server's webhook endpoint",
  gitWebhookBitbucketServerSecret:
    "it goes into the chart's argocd-secret for argocd-server's webhook endpoint",
  alertWebhookUrl: "it configures the chart's notifications controller",
  alertWebhookFormat: "it configures the chart's notifications controller",
  metricsEnabled: "it turns on the chart's metrics Services and ServiceMonitors",
  metricsSelectorLabels: "it labels the chart's ServiceMonitors",
  metricsDegradedFor: "it configures alert rules on the chart's metrics",
};

/** The keys only a spoke (`hub`) reads. */
export const SPOKE_KEYS: readonly FleetKey[] = [
  "hubKubeconfig",
  "hubContext",
  "clusterName",
  "clusterServer",
  "clusterTokenRotation",
];

export interface FleetInput {
  readonly raw: Readonly<Record<string, string | undefined>>;
  readonly field: (key: ConfigKey) => check.Field;
  /** The stack config's secret accessor: the secret-marked Output, and a problem when set in plain text. */
  readonly secret: (key: ConfigKey) => pulumi.Output<string> | undefined;
  /** The application names, for the length of `<clusterName>-<app>`. */
  readonly appNames: readonly string[];
  /** The spoke's own server from its kubeconfig, read only when clusterServer is unset. */
  readonly spokeServer: () => KubeconfigServer;
}

/** Whether a key is set to something other than its default (the CLI hands Pulumi.yaml's defaults over as set). */
function differsFromDefault(raw: FleetInput["raw"], key: ConfigKey): boolean {
  const value = raw[key];
  return value !== undefined && value !== (KEY_SPECS[key].default ?? "");
}

function httpsServer(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.host !== "" && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}

export function parseLocation(p: check.Problems, input: FleetInput): ArgoCdLocation {
  const { raw, field } = input;
  const location = check.oneOf(ARGOCD_LOCATIONS)(p, field("argocdLocation"));
  if (!(ARGOCD_LOCATIONS as readonly string[]).includes(location)) return { kind: "install" };
  const rm = (key: string) => `pulumi config rm --stack ${p.stack} ${key}`;

  if (location !== "install") {
    const where =
      location === "hub"
        ? "the hub's Argo CD"
        : `the Argo CD already in namespace '${field("argocdNamespace").value}'`;
    for (const [key, why] of Object.entries(CHART_KEYS) as [ConfigKey, string][]) {
      if (!differsFromDefault(raw, key)) continue;
      p.add(
        `Config '${PROJECT}:${key}' is set — argocdLocation is '${location}', so this stack installs no Argo CD ` +
          `and ${why}: it would do nothing. Configure that on ${where}, where it is installed. Remove it with: ${rm(key)}`,
      );
    }
  }
  // Read in every case, so that one set in plain text is refused whatever the location.
  const kubeconfig = input.secret("hubKubeconfig");
  if (location !== "hub") {
    for (const key of SPOKE_KEYS) {
      if (!differsFromDefault(raw, key)) continue;
      const f = field(key);
      const is = f.secret ? "is set" : `is '${f.value}'`;
      p.add(
        `Config '${PROJECT}:${key}' ${is} — only a spoke stack (argocdLocation hub) uses it, and argocdLocation ` +
          `is '${location}'. Remove it with: ${rm(key)}; or make this stack a spoke with: ` +
          `pulumi config set --stack ${p.stack} argocdLocation hub`,
      );
    }
    return { kind: location };
  }

  if (input.appNames.length === 0) {
    p.add(
      `Config '${PROJECT}:appName' is '' with no applications — a spoke stack (argocdLocation hub) exists to ` +
        `deploy its applications through the hub, and this one has none. Add one with: pulumi config set --stack ` +
        `${p.stack} --path 'applications[0].name' myapp; or make it the hub's own stack with: ` +
        `pulumi config set --stack ${p.stack} argocdLocation install`,
    );
  }
  const kubeconfigField = field("hubKubeconfig");
  const contextField = field("hubContext");
  const context = contextField.value === "" ? undefined : contextField.value;
  if (kubeconfig === undefined) {
    p.missing(kubeconfigField, "a spoke stack (argocdLocation hub) reaches the hub's Argo CD with it");
  } else {
    const found = kubeconfigServer(kubeconfigText(raw.hubKubeconfig ?? ""), context);
    if ("problem" in found) {
      // The problem names a context at most; the kubeconfig itself is never shown.
      const target =
        found.problem.includes("context '") && context !== undefined ? contextField : kubeconfigField;
      p.fail(target, found.problem, target === kubeconfigField ? null : target.value);
    }
  }

  const nameField = field("clusterName");
  const name = check.dnsLabel(p, nameField.isSet ? nameField : { ...nameField, value: p.stack });
  const longest = [...input.appNames].sort((a, b) => b.length - a.length)[0];
  if (longest !== undefined && name.length + 1 + longest.length > MAX_NAME) {
    p.fail(
      { ...nameField, value: name },
      `expected a name short enough that the Application '${name}-${longest}' stays within ${MAX_NAME} characters`,
    );
  }

  const serverField = field("clusterServer");
  let server = serverField.value;
  if (!serverField.isSet) {
    const own = input.spokeServer();
    if ("problem" in own) {
      p.missing(
        serverField,
        `the hub's Argo CD needs this cluster's API server URL, and the spoke's kubeconfig (kubernetes:kubeconfig) ` +
          `gives none: ${own.problem}`,
      );
    } else {
      server = own.server;
    }
  }
  if (server !== "" && (!httpsServer(server) || server.replace(/\/+$/, "") === IN_CLUSTER)) {
    p.fail(
      { ...serverField, value: server },
      `expected the https:// URL the hub reaches this cluster's API server at (not ${IN_CLUSTER}, which is the ` +
        `hub itself)` +
        (serverField.isSet ? "" : "; the spoke's kubeconfig names it, so set the address the hub can reach"),
    );
  }

  return {
    kind: "hub",
    hub: { kubeconfig: kubeconfig!, ...(context === undefined ? {} : { context }) },
    cluster: {
      name,
      server,
      environment: p.stack,
      tokenRotation: check.counter(p, field("clusterTokenRotation")),
    },
  };
}
