/**
 * A spoke as the hub's Argo CD knows it: one cluster Secret in the hub's Argo CD namespace (argo-cd
 * docs/operator-manual/declarative-setup.md, "Clusters"). One per spoke: Argo CD keys clusters by server URL, and
 * two Secrets for one server make applications pick either (argo-cd#9606).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SpokeCluster } from "../stacks/types";

export const SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type";

export interface ClusterSecretInput {
  readonly cluster: SpokeCluster;
  /** The hub's Argo CD namespace; Argo CD ignores cluster Secrets anywhere else (argo-cd#15601). */
  readonly argocdNamespace: string;
  /** The application namespaces: Argo CD watches only these and no cluster-scoped kind. */
  readonly namespaces: readonly string[];
}

/** The cluster Secret's name in the hub. */
export function clusterSecretName(clusterName: string): string {
  return `cluster-${clusterName}`;
}

/** Argo CD's cluster `config`: the bearer token and the CA to verify the spoke's API server with. */
export function clusterConfig(bearerToken: string, caData: string): string {
  return JSON.stringify({ bearerToken, tlsClientConfig: { insecure: false, caData } });
}

/**
 * The cluster Secret's metadata and plain data: `name`, `server`, `namespaces`, and labels naming the cluster
 * and its environment, as GitOps Bridge labels them, so ApplicationSets on the hub can select spokes.
 */
export function clusterSecretManifest(input: ClusterSecretInput): {
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  stringData: Record<string, string>;
} {
  return {
    metadata: {
      name: clusterSecretName(input.cluster.name),
      namespace: input.argocdNamespace,
      labels: {
        [SECRET_TYPE_LABEL]: "cluster",
        "app.kubernetes.io/managed-by": "atlas-gitops",
        cluster_name: input.cluster.name,
        environment: input.cluster.environment,
      },
    },
    stringData: {
      name: input.cluster.name,
      server: input.cluster.server,
      namespaces: [...input.namespaces].sort().join(","),
    },
  };
}

export interface ClusterRegistrationArgs extends ClusterSecretInput {
  /** The spoke's token and CA (components/spoke-access.ts); secret outputs. */
  readonly bearerToken: pulumi.Output<string>;
  readonly caData: pulumi.Output<string>;
}

/** Registered with the hub's provider: the whole component lives in the hub. */
export class ClusterRegistration extends pulumi.ComponentResource {
  public readonly secret: k8s.core.v1.Secret;

  constructor(name: string, args: ClusterRegistrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:cluster-registration:ClusterRegistration", name, {}, opts);
    const manifest = clusterSecretManifest(args);
    this.secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: manifest.metadata,
        type: "Opaque",
        stringData: {
          ...manifest.stringData,
          // The whole config is secret in the state and the plan: it holds the token.
          config: pulumi.secret(
            pulumi.all([args.bearerToken, args.caData]).apply(([t, ca]) => clusterConfig(t, ca)),
          ),
        },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
