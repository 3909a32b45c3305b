/**
 * Metrics for clusters that run the Prometheus operator: ServiceMonitors for Argo CD (through the chart) and for
 * the Atlas operator (a Service and ServiceMonitor of our own: its chart ships none), and alert rules.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export const MONITORING_API_VERSION = "monitoring.coreos.com/v1";
/** The CRDs this component needs, as kube-prometheus-stack and prometheus-operator-crds install them. */
export const REQUIRED_CRDS = [
  "servicemonitors.monitoring.coreos.com",
  "prometheusrules.monitoring.coreos.com",
];

/** The argo-cd chart components with a `metrics.serviceMonitor` (values.yaml at argo-cd-10.1.1). */
export const ARGOCD_METRICS_COMPONENTS = [
  "controller",
  "server",
  "repoServer",
  "applicationSet",
  "notifications",
];

/**
 * Where the Atlas operator serves metrics: controller-runtime's default `--metrics-bind-address=:8080`, plain
 * HTTP without authentication (`--metrics-secure` defaults to false), since chart 0.7.37 passes neither flag
 * (ariga/atlas-operator v0.7.37 cmd/main.go, charts/atlas-operator/templates/deployment.yaml).
 */
export const ATLAS_METRICS_PORT = 8080;

/** The argo-cd chart values that turn on metrics and ServiceMonitors: merge into argoCdValues. */
export function argoCdMetricsValues(selectorLabels: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(
    ARGOCD_METRICS_COMPONENTS.map((component) => [
      component,
      {
        metrics: {
          enabled: true,
          serviceMonitor: { enabled: true, additionalLabels: { ...selectorLabels } },
        },
      },
    ]),
  );
}

/**
 * The operator pod's labels: `control-plane: controller-manager` plus the chart's selector labels
 * (templates/_helpers.tpl atlas-operator.selectorLabels: name = the chart name, instance = the release name).
 */
export function atlasOperatorPodSelector(releaseName: string): Record<string, string> {
  return {
    "control-plane": "controller-manager",
    "app.kubernetes.io/name": "atlas-operator",
    "app.kubernetes.io/instance": releaseName,
  };
}

export function atlasMetricsServiceSpec(releaseName: string): k8s.types.input.core.v1.ServiceSpec {
  return {
    selector: atlasOperatorPodSelector(releaseName),
    ports: [
      { name: "http-metrics", port: ATLAS_METRICS_PORT, targetPort: ATLAS_METRICS_PORT, protocol: "TCP" },
    ],
  };
}

export function atlasServiceMonitorSpec(serviceLabels: Record<string, string>): Record<string, unknown> {
  return {
    selector: { matchLabels: serviceLabels },
    endpoints: [{ port: "http-metrics", path: "/metrics", scheme: "http", interval: "30s" }],
  };
}

/**
 * The alert rules. The Atlas operator exports only controller-runtime's metrics: a failed AtlasSchema or
 * AtlasMigration is recorded in its status and returns no reconcile error (internal/controller/common.go
 * result), so no operator metric tells a Stalled object. Every Stalled one makes its Application Degraded
 * (components/health-checks), which argocd_app_info reports (argo-cd v3.4.4 controller/metrics/metrics.go:
 * labels namespace, name, project, …, health_status).
 */
export function prometheusRuleSpec(input: {
  degradedFor: string;
  /** The Atlas operator's scrape job; none without an operator, and with it no AtlasOperatorDown rule. */
  atlasJob?: string;
}): Record<string, unknown> {
  return {
    groups: [
      {
        name: "atlas-gitops",
        rules: [
          {
            alert: "ArgoCdApplicationDegraded",
            expr: 'max by (name, project) (argocd_app_info{health_status="Degraded"}) == 1',
            for: input.degradedFor,
            labels: { severity: "critical" },
            annotations: {
              summary: "Argo CD application {{ $labels.name }} is Degraded",
              description:
                "{{ $labels.name }} has been Degraded for " +
                input.degradedFor +
                ", usually a failed AtlasSchema or AtlasMigration (Stalled). See: kubectl get application " +
                "-n <argocd namespace> {{ $labels.name }} -o jsonpath='{.status.resources}'",
            },
          },
          ...(input.atlasJob === undefined
            ? []
            : [
                {
                  alert: "AtlasOperatorDown",
                  expr: `up{job="${input.atlasJob}"} == 0 or absent(up{job="${input.atlasJob}"})`,
                  for: "10m",
                  labels: { severity: "warning" },
                  annotations: {
                    summary: "The Atlas operator's metrics endpoint is not scraped",
                    description: "No AtlasSchema or AtlasMigration is applied while the operator is down.",
                  },
                },
              ]),
        ],
      },
    ],
  };
}

export interface MonitoringArgs {
  /**
   * The Atlas operator's namespace, where its metrics Service and ServiceMonitor go, and its Helm release name.
   * None in a stack with no applications, which installs no operator: then only Argo CD's rule is made.
   */
  readonly atlas?: { readonly namespace: pulumi.Input<string>; readonly releaseName: string };
  /** Argo CD's namespace, where the PrometheusRule goes. */
  readonly argocdNamespace: pulumi.Input<string>;
  /** Labels the cluster's Prometheus selects ServiceMonitors and rules by. Defaults to none. */
  readonly selectorLabels?: Record<string, string>;
  /** How long an application stays Degraded before the alert fires. Defaults to 15m. */
  readonly degradedFor?: string;
}

export class Monitoring extends pulumi.ComponentResource {
  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:monitoring:Monitoring", name, {}, opts);
    // Left out when empty: an empty labels map is dropped by the API server and would show as a change every time.
    const labels =
      Object.keys(args.selectorLabels ?? {}).length > 0 ? { labels: { ...args.selectorLabels } } : {};

    // Read the CRDs first: without the Prometheus operator the update stops here, on resources named after what
    // is missing ("resource 'servicemonitors.monitoring.coreos.com' does not exist", pulumi/pulumi
    // pkg/resource/deploy/step.go ReadStep), in preview too, rather than on a ServiceMonitor's "no matches for kind".
    const crds = REQUIRED_CRDS.map((crd) =>
      k8s.apiextensions.v1.CustomResourceDefinition.get(`${name}-requires-${crd.split(".")[0]}-crd`, crd, {
        parent: this,
      }),
    );

    if (args.atlas) {
      const serviceLabels = { "app.kubernetes.io/name": "atlas-operator-metrics" };
      const service = new k8s.core.v1.Service(
        `${name}-atlas-metrics`,
        {
          metadata: {
            name: "atlas-operator-metrics",
            namespace: args.atlas.namespace,
            labels: serviceLabels,
          },
          spec: atlasMetricsServiceSpec(args.atlas.releaseName),
        },
        { parent: this },
      );

      new k8s.apiextensions.CustomResource(
        `${name}-atlas-servicemonitor`,
        {
          apiVersion: MONITORING_API_VERSION,
          kind: "ServiceMonitor",
          metadata: { name: "atlas-operator", namespace: args.atlas.namespace, ...labels },
          spec: atlasServiceMonitorSpec(serviceLabels),
        },
        { parent: this, dependsOn: [...crds, service] },
      );
    }

    new k8s.apiextensions.CustomResource(
      `${name}-rules`,
      {
        apiVersion: MONITORING_API_VERSION,
        kind: "PrometheusRule",
        metadata: { name: "atlas-gitops", namespace: args.argocdNamespace, ...labels },
        // The Prometheus operator names the job after the Service.
        spec: prometheusRuleSpec({
          degradedFor: args.degradedFor ?? "15m",
          atlasJob: args.atlas && "atlas-operator-metrics",
        }),
      },
      { parent: this, dependsOn: crds },
    );

    this.registerOutputs({});
  }
}
