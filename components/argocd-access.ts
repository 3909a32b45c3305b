/**
 * How changes reach Argo CD: git webhooks (a push is synced in seconds), the poll interval otherwise, and an
 * optional Ingress so the git host can reach argocd-server's `/api/webhook`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GitProvider } from "../stacks/operations";

/** The Secret holding the git webhook secrets; argocd-secret refers to it, so no secret enters Helm values. */
export const GIT_WEBHOOK_SECRET_NAME = "atlas-gitops-git-webhooks";
/**
 * Argo CD resolves `$<secret>:<key>` only from Secrets with this label in its namespace (argo-cd v3.4.4
 * util/settings/settings.go: partOfArgoCDSelector, getSecrets, ReplaceStringSecret).
 */
export const PART_OF_ARGOCD = { "app.kubernetes.io/part-of": "argocd" } as const;

/**
 * The argo-cd chart value for each provider (templates/argocd-configs/argocd-secret.yaml at argo-cd-10.1.1),
 * which the chart writes to argocd-secret as webhook.github.secret, webhook.gitlab.secret, webhook.bitbucket.uuid
 * and webhook.bitbucketserver.secret, the keys util/settings reads (settingsWebhookGitHubSecretKey …).
 */
export const WEBHOOK_CHART_KEYS: Record<GitProvider, string> = {
  github: "githubSecret",
  gitlab: "gitlabSecret",
  bitbucket: "bitbucketUUID",
  bitbucketserver: "bitbucketServerSecret",
};

/** The path argocd-server serves git webhooks on (argo-cd v3.4.4 server/server.go: mux.HandleFunc). */
export const WEBHOOK_PATH = "/api/webhook";

export interface AccessValuesInput {
  /** argocd-cm timeout.reconciliation, e.g. 120s. */
  readonly pollInterval: string;
  /** The providers with a webhook secret configured. */
  readonly gitWebhooks: readonly GitProvider[];
  readonly ingress?: { readonly host: string; readonly className?: string; readonly tlsSecretName?: string };
}

/** The argo-cd chart values for webhooks, polling and the Ingress: merge into argoCdValues (components/argocd.ts). */
export function argoCdAccessValues(input: AccessValuesInput): Record<string, unknown> {
  const secret = Object.fromEntries(
    input.gitWebhooks.map((p) => [WEBHOOK_CHART_KEYS[p], `$${GIT_WEBHOOK_SECRET_NAME}:${p}`]),
  );
  const ingress = input.ingress;
  return {
    configs: {
      // Read by the application controller (ARGOCD_RECONCILIATION_TIMEOUT) and the repo server's revision cache;
      // the chart restarts both when argocd-cm changes (checksum/cm).
      // `url` only with a host: the chart presets it to https://<global.domain>, whose default is the placeholder
      // argocd.example.com (templates/_helpers.tpl argo-cd.config.cm.presets); an empty value replaces the preset
      // and the chart then drops the key, so Argo CD answers for whatever host it is reached at.
      cm: { "timeout.reconciliation": input.pollInterval, ...(ingress ? {} : { url: "" }) },
      ...(Object.keys(secret).length > 0 ? { secret } : {}),
      // Behind an Ingress that terminates TLS argocd-server must speak plain HTTP, or it redirects every request to
      // https (a loop); the chart then points the Ingress at the http port (templates/argocd-server/ingress.yaml).
      ...(ingress ? { params: { "server.insecure": true } } : {}),
    },
    ...(ingress
      ? {
          // global.domain also sets argocd-cm `url` and the notifications' argocdUrl (templates/_helpers.tpl).
          global: { domain: ingress.host },
          server: {
            ingress: {
              enabled: true,
              hostname: ingress.host,
              ...(ingress.className ? { ingressClassName: ingress.className } : {}),
              // `tls: true` would name the chart's fixed secret argocd-server-tls; extraTls takes an existing one.
              ...(ingress.tlsSecretName
                ? { extraTls: [{ hosts: [ingress.host], secretName: ingress.tlsSecretName }] }
                : {}),
            },
          },
        }
      : {}),
  };
}

/** The URL to register with the git host, when an Ingress host is configured. */
export function webhookUrl(host: string): string {
  return `https://${host}${WEBHOOK_PATH}`;
}

export interface GitWebhooksArgs {
  /** Argo CD's namespace. */
  readonly namespace: pulumi.Input<string>;
  /** The webhook secret per provider; at least one. */
  readonly secrets: Partial<Record<GitProvider, pulumi.Input<string>>>;
}

/**
 * The Secret with the git webhook secrets, one key per provider, which argocd-secret points at. argocd-server
 * reloads its settings when the Secret appears or changes (settings.go tryNotify on the secrets informer), so
 * it may be created after the argo-cd release.
 */
export class GitWebhooks extends pulumi.ComponentResource {
  public readonly secret: k8s.core.v1.Secret;

  constructor(name: string, args: GitWebhooksArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:argocd-access:GitWebhooks", name, {}, opts);
    const stringData = Object.fromEntries(
      Object.entries(args.secrets).map(([provider, value]) => [provider, pulumi.secret(value!)]),
    );
    this.secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: { name: GIT_WEBHOOK_SECRET_NAME, namespace: args.namespace, labels: { ...PART_OF_ARGOCD } },
        type: "Opaque",
        stringData,
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
