/** Argo CD from the argo-cd Helm chart, with the Atlas health checks in argocd-cm and a managed admin password. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ARGOCD_CHART_REPOSITORY, ARGOCD_CHART_VERSION } from "../stacks/defaults";
import { releaseValues } from "./chart-values";
import { nameAfterRecovery, type ReleaseRecovery } from "./helm-recovery";
import { chartSource, componentNamespace, guardRailOptions, mergeValues, RELEASE_SETTINGS } from "./common";

export const ARGOCD_CHART = "argo-cd";
/** The Helm release name; the chart derives argocd-server, argocd-cm and the other object names from it. */
export const ARGOCD_RELEASE_NAME = "argocd";
/**
 * The admin password's modification time, pinned. The chart's default is the render time, which would restamp
 * the password on every helm upgrade and log every admin session out on each `pulumi up` that changes a value.
 */
export const ADMIN_PASSWORD_MTIME = "2024-01-01T00:00:00Z";
/** argocd-cmd-params-cm key for the application controller's --persist-resource-health (false by default in v3). */
export const PERSIST_RESOURCE_HEALTH = "controller.resource.health.persist";

export interface ArgoCdArgs {
  /** Namespace for Argo CD; created by this component. */
  readonly namespace: string;
  /** argo-cd chart version. Defaults to 10.1.1 (Argo CD v3.4.4), the version this project is tested against. */
  readonly chartVersion?: string;
  /** The Helm repository to pull the chart from. Defaults to argo-helm's (https://argoproj.github.io/argo-helm). */
  readonly chartRepository?: string;
  /** Extra argocd-cm entries, such as the Atlas health checks. Defaults to none. */
  readonly cmEntries?: Record<string, string>;
  /** Whether the local admin user may log in. Defaults to true; switch it off once SSO is configured. */
  readonly adminEnabled?: boolean;
  /** Protect the namespace and release from `pulumi destroy`. Defaults to false. */
  readonly protect?: boolean;
  /** Values for alerts, git webhooks, polling, the Ingress and metrics, merged over the base values. */
  readonly operationsValues?: Record<string, unknown>;
  /**
   * What recovers the release in `pulumi up` (never in a preview) when an interrupted run left it pending, before
   * its install or upgrade. Defaults to none: nothing checks.
   */
  readonly recovery?: ReleaseRecovery;
  /** Chart values merged last, over everything this component sets. Defaults to none. */
  readonly values?: Record<string, unknown>;
  /** Whether `values` hold a secret: the release's values are then a secret Output. Defaults to false. */
  readonly valuesSecret?: boolean;
}

export interface ArgoCdValuesInput {
  readonly cmEntries: Record<string, string>;
  readonly adminEnabled: boolean;
  readonly adminPasswordHash: pulumi.Input<string>;
}

/** The argo-cd chart values this project sets. */
export function argoCdValues(input: ArgoCdValuesInput): Record<string, unknown> {
  return {
    // Keep the Application and AppProject CRDs when the chart is uninstalled: deleting a CRD deletes every
    // Application, and with them (through the cascade finalizer) the workloads they deployed.
    crds: { keep: true },
    configs: {
      // argocd-cm belongs to the chart; our entries go in through its values, never a second ConfigMap.
      cm: { "admin.enabled": input.adminEnabled, ...input.cmEntries },
      // Argo CD v3 keeps each resource's health out of the Application unless told to persist it; the
      // notifications and `kubectl get application -o yaml` need it there to show the operator's message.
      params: { [PERSIST_RESOURCE_HEALTH]: true },
      secret: {
        argocdServerAdminPassword: pulumi.secret(input.adminPasswordHash),
        argocdServerAdminPasswordMtime: ADMIN_PASSWORD_MTIME,
      },
    },
  };
}

export class ArgoCd extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly release: k8s.helm.v3.Release;
  /** The generated admin password; a secret output. */
  public readonly adminPassword: pulumi.Output<string>;

  constructor(name: string, args: ArgoCdArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:argocd:ArgoCd", name, {}, opts);
    const guarded = { parent: this, ...guardRailOptions(args.protect ?? false) };

    const namespace = componentNamespace(name, args.namespace, guarded);

    // Generated once and kept in state (encrypted); it changes only if this resource is replaced.
    const password = new random.RandomPassword(
      `${name}-admin-password`,
      { length: 32, special: false },
      {
        parent: this,
      },
    );

    const values = argoCdValues({
      cmEntries: args.cmEntries ?? {},
      adminEnabled: args.adminEnabled ?? true,
      adminPasswordHash: password.bcryptHash,
    });

    // Release, not helm.v4.Chart: the chart creates its redis secret with a Helm hook, which Chart does not run.
    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: nameAfterRecovery(
          args.recovery,
          {
            namespace: args.namespace,
            releaseName: ARGOCD_RELEASE_NAME,
            chart: ARGOCD_CHART,
            stack: pulumi.getStack(),
          },
          this,
        ),
        ...chartSource(args.chartRepository ?? ARGOCD_CHART_REPOSITORY, ARGOCD_CHART),
        version: args.chartVersion ?? ARGOCD_CHART_VERSION,
        namespace: namespace.metadata.name,
        ...RELEASE_SETTINGS,
        values: releaseValues(mergeValues(values, args.operationsValues), args.values, args.valuesSecret),
      },
      { ...guarded, dependsOn: [namespace] },
    );

    // The Namespace's own name, not the release's status: that is unknown in a preview of any change to the
    // release, and a namespace unknown there reads as a replacement of everything placed in it.
    this.namespace = namespace.metadata.name;
    this.adminPassword = pulumi.secret(password.result);
    this.registerOutputs({ namespace: this.namespace, adminPassword: this.adminPassword });
  }
}
