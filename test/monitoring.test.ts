import { strict as assert } from "assert";
import { find, optionsRecorder, registered } from "./support/mocks";
import {
  ARGOCD_METRICS_COMPONENTS,
  argoCdMetricsValues,
  ATLAS_METRICS_PORT,
  atlasOperatorPodSelector,
  Monitoring,
  prometheusRuleSpec,
  REQUIRED_CRDS,
} from "../components/monitoring";
import {
  argoCdAccessValues,
  GIT_WEBHOOK_SECRET_NAME,
  GitWebhooks,
  webhookUrl,
} from "../components/argocd-access";
import { mergeValues } from "../components/common";
import * as pulumi from "@pulumi/pulumi";
import {
  durationSeconds,
  isDnsName,
  isDuration,
  isHttpsUrl,
  parseLabels,
  parseOperations,
  WHY,
} from "../stacks/operations";
import { OPERATIONS_KEYS, OperationsKey } from "../stacks/defaults";
import { Field, Problems } from "../stacks/validate";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";

describe("monitoring", () => {
  describe("argoCdMetricsValues", () => {
    it("turns on metrics and a labelled ServiceMonitor for each Argo CD component the chart can monitor", () => {
      const values = argoCdMetricsValues({ release: "kube-prometheus-stack" }) as Json;
      assert.deepEqual(Object.keys(values), [
        "controller",
        "server",
        "repoServer",
        "applicationSet",
        "notifications",
      ]);
      for (const component of ARGOCD_METRICS_COMPONENTS) {
        assert.deepEqual(values[component].metrics, {
          enabled: true,
          serviceMonitor: { enabled: true, additionalLabels: { release: "kube-prometheus-stack" } },
        });
      }
    });

    it("merges with the chart values the notifications set, keeping both", () => {
      const merged = mergeValues(
        { notifications: { secret: { create: false } } },
        argoCdMetricsValues({}),
      ) as Json;
      assert.deepEqual(merged.notifications.secret, { create: false });
      assert.equal(merged.notifications.metrics.enabled, true);
    });
  });

  describe("atlasOperatorPodSelector", () => {
    it("selects the operator's pod by the labels the 0.7.37 chart gives it", () => {
      assert.deepEqual(atlasOperatorPodSelector("atlas-operator"), {
        "control-plane": "controller-manager",
        "app.kubernetes.io/name": "atlas-operator",
        "app.kubernetes.io/instance": "atlas-operator",
      });
    });
  });

  describe("prometheusRuleSpec", () => {
    const rules = (prometheusRuleSpec({ degradedFor: "20m", atlasJob: "atlas-operator-metrics" }) as Json)
      .groups[0].rules as Json[];

    it("alerts on an application Degraded for the configured time, from argocd_app_info's health_status", () => {
      const degraded = rules.find((r) => r.alert === "ArgoCdApplicationDegraded")!;
      assert.equal(degraded.expr, 'max by (name, project) (argocd_app_info{health_status="Degraded"}) == 1');
      assert.equal(degraded.for, "20m");
      assert.match(degraded.annotations.description, /20m/);
    });

    it("alerts when the Atlas operator's metrics job is down or gone", () => {
      const down = rules.find((r) => r.alert === "AtlasOperatorDown")!;
      assert.equal(
        down.expr,
        'up{job="atlas-operator-metrics"} == 0 or absent(up{job="atlas-operator-metrics"})',
      );
    });
  });

  describe("Monitoring component", () => {
    const recorder = optionsRecorder();
    before(() => {
      new Monitoring(
        "mon",
        {
          atlas: { namespace: "atlas-operator", releaseName: "atlas-operator" },
          argocdNamespace: "argocd",
          selectorLabels: { release: "prom" },
        },
        { transformations: [recorder.transformation] },
      );
    });

    it("reads both Prometheus operator CRDs by name, so their absence fails naming them", async () => {
      const reads = (await registered()).filter((r) => r.type === CRD && r.name.startsWith("mon-"));
      assert.deepEqual(reads.map((r) => r.name).sort(), [
        "mon-requires-prometheusrules-crd",
        "mon-requires-servicemonitors-crd",
      ]);
      assert.deepEqual(REQUIRED_CRDS, [
        "servicemonitors.monitoring.coreos.com",
        "prometheusrules.monitoring.coreos.com",
      ]);
    });

    it("adds a Service on the operator's metrics port, selecting its pod", async () => {
      const service = await find("kubernetes:core/v1:Service", "mon-atlas-metrics");
      assert.equal(service.inputs.metadata.namespace, "atlas-operator");
      assert.deepEqual(service.inputs.spec.selector, atlasOperatorPodSelector("atlas-operator"));
      assert.deepEqual(service.inputs.spec.ports, [
        { name: "http-metrics", port: ATLAS_METRICS_PORT, targetPort: ATLAS_METRICS_PORT, protocol: "TCP" },
      ]);
    });

    it("scrapes that Service over plain HTTP with a ServiceMonitor carrying the selector labels", async () => {
      const monitor = await find(SERVICE_MONITOR, "mon-atlas-servicemonitor");
      const service = await find("kubernetes:core/v1:Service", "mon-atlas-metrics");
      assert.deepEqual(monitor.inputs.metadata.labels, { release: "prom" });
      assert.deepEqual(monitor.inputs.spec.selector.matchLabels, service.inputs.metadata.labels);
      assert.deepEqual(monitor.inputs.spec.endpoints, [
        { port: "http-metrics", path: "/metrics", scheme: "http", interval: "30s" },
      ]);
    });

    it("puts the rules in Argo CD's namespace with the default 15m", async () => {
      const rule = await find(PROMETHEUS_RULE, "mon-rules");
      assert.equal(rule.inputs.metadata.namespace, "argocd");
      assert.equal(rule.inputs.spec.groups[0].rules[0].for, "15m");
    });

    it("creates the custom resources only after the CRD reads", () => {
      for (const child of ["mon-atlas-servicemonitor", "mon-rules"]) {
        const deps = recorder.options.get(child)?.dependsOn as { urn: unknown }[];
        assert.ok(Array.isArray(deps) && deps.length >= 2, child);
      }
    });
  });
});

describe("argocd access", () => {
  describe("argoCdAccessValues", () => {
    it("sets the poll interval and drops the chart's placeholder url when there is no webhook and no Ingress", () => {
      assert.deepEqual(argoCdAccessValues({ pollInterval: "5m", gitWebhooks: [] }), {
        configs: { cm: { "timeout.reconciliation": "5m", url: "" } },
      });
    });

    it("points argocd-secret's webhook keys at the program's Secret instead of carrying the secrets", () => {
      const values = argoCdAccessValues({
        pollInterval: "120s",
        gitWebhooks: ["github", "bitbucket"],
      }) as Json;
      assert.deepEqual(values.configs.secret, {
        githubSecret: `$${GIT_WEBHOOK_SECRET_NAME}:github`,
        bitbucketUUID: `$${GIT_WEBHOOK_SECRET_NAME}:bitbucket`,
      });
    });

    it("exposes argocd-server through an Ingress of the host, class and existing TLS secret, serving plain HTTP behind it", () => {
      const values = argoCdAccessValues({
        pollInterval: "120s",
        gitWebhooks: [],
        ingress: { host: "argocd.example.org", className: "nginx", tlsSecretName: "wildcard-tls" },
      }) as Json;
      assert.deepEqual(values.server.ingress, {
        enabled: true,
        hostname: "argocd.example.org",
        ingressClassName: "nginx",
        extraTls: [{ hosts: ["argocd.example.org"], secretName: "wildcard-tls" }],
      });
      assert.equal(values.configs.params["server.insecure"], true);
      assert.deepEqual(values.global, { domain: "argocd.example.org" });
      assert.equal(webhookUrl("argocd.example.org"), "https://argocd.example.org/api/webhook");
    });

    it("leaves class and TLS to the cluster's defaults when not given", () => {
      const values = argoCdAccessValues({
        pollInterval: "120s",
        gitWebhooks: [],
        ingress: { host: "a.example.org" },
      }) as Json;
      assert.deepEqual(values.server.ingress, { enabled: true, hostname: "a.example.org" });
    });
  });

  describe("GitWebhooks component", () => {
    it("stores each provider's secret under its name in a Secret Argo CD resolves references from", async () => {
      new GitWebhooks("hooks", {
        namespace: "argocd",
        secrets: { github: "gh-secret", gitlab: "gl-secret" },
      });
      const secret = await find("kubernetes:core/v1:Secret", "hooks-secret");
      assert.deepEqual(secret.inputs.metadata, {
        name: GIT_WEBHOOK_SECRET_NAME,
        namespace: "argocd",
        labels: { "app.kubernetes.io/part-of": "argocd" },
      });
      assert.deepEqual(secret.inputs.stringData, { github: "gh-secret", gitlab: "gl-secret" });
    });
  });
});

describe("operations config", () => {
  const parse = (raw: Record<string, string>) => {
    const problems = new Problems("dev");
    const field = (key: OperationsKey): Field => {
      const spec = OPERATIONS_KEYS[key] as { default?: string; example: string; secret?: boolean };
      return {
        key,
        value: raw[key] ?? spec.default ?? "",
        isSet: key in raw,
        example: spec.example,
        secret: spec.secret,
      };
    };
    const secret = (key: OperationsKey) => (raw[key] ? pulumi.secret(raw[key]) : undefined);
    return { config: parseOperations(problems, field, secret), problems: problems.list };
  };

  it("accepts https URLs, DNS names and Go durations, and rejects the rest", () => {
    assert.deepEqual(
      [
        "https://hooks.slack.com/services/T/B/x",
        "http://example.com",
        "https://user:pw@x.org",
        "ftp://x",
      ].map(isHttpsUrl),
      [true, false, false, false],
    );
    assert.deepEqual(
      ["argocd.example.com", "argocd", "10.0.0.1", "Argo.example.com", "*.example.com"].map(isDnsName),
      [true, false, false, false, false],
    );
    assert.deepEqual(["120s", "3m", "1h30m", "0s", "90", "1.5m", "3m1h", ""].map(isDuration), [
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
    assert.equal(durationSeconds("1h30m"), 5400);
    assert.deepEqual(parseLabels("release=prom,team/x=a"), { release: "prom", "team/x": "a" });
    assert.equal(parseLabels("release"), undefined);
  });

  it("configures nothing optional by default and keeps Argo CD's 120s poll", () => {
    const { config, problems } = parse({});
    assert.deepEqual(problems, []);
    assert.deepEqual(
      { ...config, gitWebhookSecrets: Object.keys(config.gitWebhookSecrets) },
      {
        alerts: undefined,
        gitWebhookSecrets: [],
        pollInterval: "120s",
        ingress: undefined,
        metrics: undefined,
      },
    );
  });

  it("reports every bad value at once, in the project's wording, never showing a secret", () => {
    const { problems } = parse({
      alertWebhookUrl: "http://hooks.example.com/secret-path",
      argocdIngressHost: "Argo_CD",
      argocdPollInterval: "2 minutes",
      metricsSelectorLabels: "release",
    });
    assert.deepEqual(problems, [
      `Config 'atlas-gitops:alertWebhookUrl' is set — ${WHY.httpsUrl}. Set it with: pulumi config set --secret --stack dev alertWebhookUrl https://hooks.slack.com/services/T000/B000/XXXX`,
      `Config 'atlas-gitops:argocdPollInterval' is '2 minutes' — ${WHY.duration}. Set it with: pulumi config set --stack dev argocdPollInterval 5m`,
      `Config 'atlas-gitops:argocdIngressHost' is 'Argo_CD' — ${WHY.dnsName}. Set it with: pulumi config set --stack dev argocdIngressHost argocd.example.com`,
      `Config 'atlas-gitops:metricsSelectorLabels' is 'release' — ${WHY.labels}. Set it with: pulumi config set --stack dev metricsSelectorLabels release=kube-prometheus-stack`,
    ]);
    assert.ok(!problems.join("\n").includes("secret-path"));
  });

  it("allows turning polling off only with a git webhook", () => {
    assert.match(parse({ argocdPollInterval: "0s" }).problems[0], /0s turns polling off/);
    assert.deepEqual(parse({ argocdPollInterval: "0s", gitWebhookGitHubSecret: "s3cret" }).problems, []);
  });

  it("returns the alert webhook and git secrets as secret Outputs", async () => {
    const { config } = parse({
      alertWebhookUrl: "https://example.com/hook",
      alertWebhookFormat: "json",
      gitWebhookGitHubSecret: "s",
    });
    assert.equal(config.alerts?.format, "json");
    assert.equal(await pulumi.isSecret(config.alerts!.webhookUrl), true);
    assert.equal(await pulumi.isSecret(config.gitWebhookSecrets.github!), true);
  });

  it("rejects an Ingress class or TLS secret without a host", () => {
    assert.match(
      parse({ argocdIngressTlsSecret: "tls" }).problems[0],
      /expected argocdIngressHost to be set too/,
    );
  });
});
