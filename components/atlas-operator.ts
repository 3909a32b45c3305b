/** The Atlas Kubernetes Operator from its OCI Helm chart, with an optional Atlas Cloud token. */
import * as k8s from "@pulumi/kubernetes";
import * as kx from "@pulumi/kubernetesx";
import * as pulumi from "@pulumi/pulumi";
import { ATLAS_OPERATOR_CHART_REPOSITORY, ATLAS_OPERATOR_CHART_VERSION } from "../stacks/defaults";
import { atlasOperatorRbacValues, chartServiceAccountName } from "./atlas-operator-rbac";
import { nameAfterRecovery, type ReleaseRecovery } from "./helm-recovery";
import { chartSource, componentNamespace, guardRailOptions, mergeValues, RELEASE_SETTINGS } from "./common";

export const ATLAS_OPERATOR_CHART = "atlas-operator";
export const ATLAS_OPERATOR_RELEASE_NAME = "atlas-operator";
/** The Secret that holds the token, and its key; the operator reads it as the ATLAS_TOKEN variable. */
export const ATLAS_TOKEN_SECRET_NAME = "atlas-token";
export const ATLAS_TOKEN_KEY = "ATLAS_TOKEN";

export interface AtlasOperatorArgs {
  /** Namespace for the operator; created by this component. */
  readonly namespace: string;
  /** atlas-operator chart version. Defaults to 0.7.37, the version this project is tested against. */
  readonly chartVersion?: string;
  /** The Helm repository to pull the chart from. Defaults to ariga's OCI registry (oci://ghcr.io/ariga/charts). */
  readonly chartRepository?: string;
  /**
   * The namespaces the operator serves: it watches only these, and HostedApp grants it Roles there. Required
   * (at least one) unless clusterWide.
   */
  readonly watchNamespaces: readonly string[];
  /** Watch and act in every namespace through the chart's own ClusterRole. Defaults to false. */
  readonly clusterWide?: boolean;
  /** Keep dev-database pods around between runs (faster plans, more pods). Defaults to true, as the chart does. */
  readonly prewarmDevDB?: boolean;
  /** Atlas Cloud token. Defaults to none: the operator then runs without Atlas Cloud features. */
  readonly atlasToken?: pulumi.Input<string>;
  /** Protect the namespace and release from `pulumi destroy`. Defaults to false. */
  readonly protect?: boolean;
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

/** The atlas-operator chart values this project sets. */
export function atlasOperatorValues(input: {
  readonly prewarmDevDB: boolean;
  readonly tokenRef?: pulumi.Input<k8s.types.input.core.v1.EnvVarSource>;
}): Record<string, unknown> {
  return {
    prewarmDevDB: input.prewarmDevDB,
    // The token reaches the pod by reference; its value never enters the release's values or its history.
    extraEnvs: input.tokenRef === undefined ? [] : [{ name: ATLAS_TOKEN_KEY, valueFrom: input.tokenRef }],
  };
}

export class AtlasOperator extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly release: k8s.helm.v3.Release;
  /** The Secret holding ATLAS_TOKEN; undefined when no token is configured. */
  public readonly tokenSecret?: kx.Secret;
  /** The chart's ServiceAccount for the operator, in `namespace`; namespaced Roles bind it. */
  public readonly serviceAccountName: string;

  constructor(name: string, args: AtlasOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:atlas-operator:AtlasOperator", name, {}, opts);
    const guarded = { parent: this, ...guardRailOptions(args.protect ?? false) };

    const namespace = componentNamespace(name, args.namespace, guarded);

    if (args.atlasToken !== undefined) {
      this.tokenSecret = new kx.Secret(
        `${name}-token`,
        {
          metadata: { name: ATLAS_TOKEN_SECRET_NAME, namespace: namespace.metadata.name },
          stringData: { [ATLAS_TOKEN_KEY]: pulumi.secret(args.atlasToken) },
        },
        { parent: this, dependsOn: [namespace] },
      );
    }

    const values = mergeValues(
      mergeValues(
        atlasOperatorValues({
          prewarmDevDB: args.prewarmDevDB ?? true,
          tokenRef: this.tokenSecret?.asEnvValue(ATLAS_TOKEN_KEY),
        }),
        atlasOperatorRbacValues({
          mode: args.clusterWide ? "cluster" : "namespaced",
          namespaces: args.watchNamespaces,
        }),
      ),
      args.values,
    );
    this.serviceAccountName = chartServiceAccountName(ATLAS_OPERATOR_RELEASE_NAME, values);

    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: nameAfterRecovery(
          args.recovery,
          {
            namespace: args.namespace,
            releaseName: ATLAS_OPERATOR_RELEASE_NAME,
            chart: ATLAS_OPERATOR_CHART,
            stack: pulumi.getStack(),
          },
          this,
        ),
        ...chartSource(args.chartRepository ?? ATLAS_OPERATOR_CHART_REPOSITORY, ATLAS_OPERATOR_CHART),
        version: args.chartVersion ?? ATLAS_OPERATOR_CHART_VERSION,
        namespace: namespace.metadata.name,
        ...RELEASE_SETTINGS,
        values: args.valuesSecret ? pulumi.secret(values) : values,
      },
      { ...guarded, dependsOn: this.tokenSecret ? [namespace, this.tokenSecret] : [namespace] },
    );

    this.namespace = namespace.metadata.name;
    this.registerOutputs({ namespace: this.namespace });
  }
}
