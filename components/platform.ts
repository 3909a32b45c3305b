/**
 * The whole platform for one stack: Argo CD (installed, already there, or a hub's) and the Atlas operator side by
 * side, then every hosted application.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../stacks/types";
import type { ApplicationWaiter } from "./application-wait";
import { argoCdAccessValues, GitWebhooks } from "./argocd-access";
import { ArgoCd } from "./argocd";
import { ArgoCdHealthChecks } from "./argocd-health-patch";
import { ClusterRegistration } from "./cluster-registration";
import { SpokeAccess } from "./spoke-access";
import { mergeValues } from "./common";
import { argoCdMetricsValues, Monitoring } from "./monitoring";
import { alertSubscriptions, notificationsValues, Notifications } from "./notifications";
import { ATLAS_OPERATOR_RELEASE_NAME, AtlasOperator } from "./atlas-operator";
import { atlasHealthChecks } from "./health-checks";
import { HostedApp } from "./hosted-app";
import type { PasswordGuard } from "./password-guard";
import type { ReleaseRecovery } from "./helm-recovery";
import { RepositoryCredentials } from "./repository-credentials";

/** The stack's config, and what waits for the Applications. */
export interface AtlasGitOpsArgs extends StackConfig {
  /** Defaults to none: `pulumi up` does not wait for Argo CD (index.ts gives the real one, outside a preview). */
  readonly waiter?: ApplicationWaiter;
  /** Defaults to none: nothing checks the passwords in `pulumi up` (index.ts gives the real one, outside a preview). */
  readonly passwordGuard?: PasswordGuard;
  /** Defaults to none: nothing recovers a pending Helm release (index.ts gives the real one, outside a preview). */
  readonly releaseRecovery?: ReleaseRecovery;
}

export class AtlasGitOps extends pulumi.ComponentResource {
  /** The Argo CD this stack installs; undefined with argocdLocation existing or hub. */
  public readonly argocd?: ArgoCd;
  /** Argo CD's namespace: of this cluster, or (argocdLocation hub) of the hub. */
  public readonly argocdNamespace: pulumi.Output<string>;
  /** With argocdLocation existing: the Atlas health checks patched into its argocd-cm. */
  public readonly healthChecks?: ArgoCdHealthChecks;
  /** With argocdLocation hub: the hub's provider, this cluster's access for it, and its cluster Secret there. */
  public readonly hubProvider?: k8s.Provider;
  public readonly spokeAccess?: SpokeAccess;
  public readonly clusterRegistration?: ClusterRegistration;
  /** None in a stack with no applications. */
  public readonly atlasOperator?: AtlasOperator;
  /** One per application, in the order the stack lists them. */
  public readonly apps: HostedApp[];
  public readonly notifications?: Notifications;
  public readonly gitWebhooks?: GitWebhooks;
  public readonly monitoring?: Monitoring;
  public readonly repositoryCredentials?: RepositoryCredentials;

  constructor(name: string, config: AtlasGitOpsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:platform:AtlasGitOps", name, {}, opts);
    const protect = config.protectResources;
    const ops = config.operations;

    const location = config.location;
    // Argo CD and the operator need nothing from each other, so both Helm installs run at once: the first
    // `pulumi up` waits for one install, not two in a row.
    if (location.kind === "install") {
      this.argocd = new ArgoCd(
        "argocd",
        {
          namespace: config.argocd.namespace,
          chartVersion: config.argocd.chartVersion,
          chartRepository: config.argocd.chartRepository,
          cmEntries: atlasHealthChecks(),
          adminEnabled: config.argocd.adminEnabled,
          values: config.argocd.values.values,
          valuesSecret: config.argocd.values.secret,
          recovery: config.releaseRecovery,
          operationsValues: [
            notificationsValues({
              stack: config.stack,
              format: ops.alerts?.format,
              uiUrl: ops.ingress ? `https://${ops.ingress.host}` : undefined,
            }),
            argoCdAccessValues({
              pollInterval: ops.pollInterval,
              gitWebhooks: Object.keys(ops.gitWebhookSecrets) as (keyof typeof ops.gitWebhookSecrets)[],
              ingress: ops.ingress,
            }),
            ...(ops.metrics ? [argoCdMetricsValues(ops.metrics.selectorLabels)] : []),
          ].reduce((all, values) => mergeValues(all, values), {}),
          protect,
        },
        { parent: this },
      );

      // After the release: on an upgrade from a version whose chart owned a Secret of the same name, Helm deletes
      // that one first. Secrets only, so nothing waits for them.
      this.notifications = new Notifications(
        "notifications",
        { namespace: this.argocd.namespace, webhookUrl: ops.alerts?.webhookUrl },
        { parent: this, dependsOn: [this.argocd] },
      );
      if (Object.keys(ops.gitWebhookSecrets).length > 0) {
        this.gitWebhooks = new GitWebhooks(
          "git-webhooks",
          { namespace: this.argocd.namespace, secrets: ops.gitWebhookSecrets },
          { parent: this, dependsOn: [this.argocd] },
        );
      }
    } else if (location.kind === "existing") {
      this.healthChecks = new ArgoCdHealthChecks(
        "argocd-health-checks",
        { namespace: config.argocd.namespace, entries: atlasHealthChecks() },
        { parent: this },
      );
    } else {
      this.hubProvider = new k8s.Provider(
        "hub",
        {
          kubeconfig: location.hub.kubeconfig,
          ...(location.hub.context === undefined ? {} : { context: location.hub.context }),
        },
        { parent: this },
      );
      this.spokeAccess = new SpokeAccess(
        "spoke-access",
        { tokenRotation: location.cluster.tokenRotation },
        { parent: this },
      );
      this.clusterRegistration = new ClusterRegistration(
        "cluster-registration",
        {
          cluster: location.cluster,
          argocdNamespace: config.argocd.namespace,
          namespaces: config.applications.map((a) => a.namespace),
          bearerToken: this.spokeAccess.bearerToken,
          caData: this.spokeAccess.caData,
        },
        { parent: this, providers: [this.hubProvider] },
      );
    }
    this.argocdNamespace = this.argocd?.namespace ?? pulumi.output(config.argocd.namespace);
    // What an Application needs of Argo CD before its first sync: the install, the health checks in argocd-cm,
    // or (on a spoke) the cluster Secret; the Applications depend on it, so a destroy deletes them first.
    const argocdReady: pulumi.Resource[] = [
      ...(this.argocd ? [this.argocd] : []),
      ...(this.healthChecks ? [this.healthChecks] : []),
      ...(this.clusterRegistration ? [this.clusterRegistration] : []),
    ];
    const inArgoCd = this.hubProvider ? { providers: [this.hubProvider] } : {};

    // A stack with no applications (a hub for other stacks) has no schema to apply: its spokes run the operator.
    const atlasOperator =
      config.applications.length === 0
        ? undefined
        : new AtlasOperator(
            "atlas-operator",
            {
              namespace: config.atlas.namespace,
              chartVersion: config.atlas.chartVersion,
              chartRepository: config.atlas.chartRepository,
              prewarmDevDB: config.atlas.prewarmDevDB,
              atlasToken: config.atlas.token,
              watchNamespaces: config.applications.map((a) => a.namespace),
              clusterWide: config.atlas.clusterWide,
              values: config.atlas.values.values,
              valuesSecret: config.atlas.values.secret,
              recovery: config.releaseRecovery,
              protect,
            },
            { parent: this },
          );
    this.atlasOperator = atlasOperator;
    const operatorAccess =
      config.atlas.clusterWide || atlasOperator === undefined
        ? undefined
        : { namespace: config.atlas.namespace, serviceAccount: atlasOperator.serviceAccountName };

    if (config.repoCredentialTemplate !== undefined) {
      this.repositoryCredentials = new RepositoryCredentials(
        "repository-credentials",
        { template: config.repoCredentialTemplate, argocdNamespace: this.argocdNamespace },
        { parent: this, dependsOn: argocdReady, ...inArgoCd },
      );
    }

    // No dependsOn on the component: it would hold back its namespace and credentials too. Inside, only the
    // AppProject, the repository Secret and the Application wait for the platform: Argo CD's first sync of an
    // Application needs the Atlas health checks in argocd-cm (or AtlasSchema turns Healthy before it is applied),
    // the operator's CRDs (or the AtlasSchema cannot be applied) and its Role in the namespace, and the
    // credentials Secret.
    this.apps = config.applications.map(
      (app, i) =>
        new HostedApp(
          app.name,
          {
            app,
            argocdNamespace: config.argocd.namespace,
            credentialTemplate: this.repositoryCredentials,
            platform: [...argocdReady, ...(atlasOperator ? [atlasOperator] : [])],
            operatorAccess,
            annotations: alertSubscriptions(ops.alerts !== undefined),
            waiter: config.waiter,
            // The application of the single-application keys is the one that keeps v0.1's URNs; the others are
            // items of `applications`, in this order.
            waitTimeoutKey: app.keepsV01Urns ? "waitTimeout" : `applications[${i}].waitTimeout`,
            rotationKey: app.keepsV01Urns ? "dbPasswordRotation" : `applications[${i}].dbPasswordRotation`,
            passwordGuard: config.passwordGuard,
            protect,
            ...(location.kind === "hub"
              ? {
                  spoke: {
                    hubProvider: this.hubProvider!,
                    clusterName: location.cluster.name,
                    server: location.cluster.server,
                    serviceAccount: this.spokeAccess!.serviceAccount,
                  },
                }
              : {}),
          },
          { parent: this },
        ),
    );

    if (ops.metrics) {
      this.monitoring = new Monitoring(
        "monitoring",
        {
          atlas: atlasOperator && {
            namespace: atlasOperator.namespace,
            releaseName: ATLAS_OPERATOR_RELEASE_NAME,
          },
          argocdNamespace: this.argocdNamespace,
          selectorLabels: ops.metrics.selectorLabels,
          degradedFor: ops.metrics.degradedFor,
        },
        { parent: this, dependsOn: atlasOperator ? [atlasOperator] : [] },
      );
    }

    this.registerOutputs({});
  }
}
