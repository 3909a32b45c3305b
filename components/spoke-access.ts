/**
 * What the hub's Argo CD logs in to a spoke with, made in the spoke: a ServiceAccount, its long-lived token
 * Secret, and (per application, from HostedApp) a Role and RoleBinding in that application's namespace only. The
 * way `argocd cluster add --namespace` does it (argo-cd util/clusterauth/clusterauth.go), with no ClusterRole: the
 * hub's cluster Secret lists the namespaces, so Argo CD watches only those and needs nothing cluster-wide.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Where the ServiceAccount lives: beside the cluster's own, as `argocd cluster add` puts argocd-manager. */
export const SPOKE_ACCESS_NAMESPACE = "kube-system";
export const SPOKE_SERVICE_ACCOUNT = "atlas-gitops-argocd";
/** The Role and RoleBinding's name in each application namespace. */
export const SPOKE_ROLE = "atlas-gitops-argocd";

/**
 * Argo CD applies, prunes, watches and heals whatever an application's manifests hold, in that namespace. The
 * rule is everything, in one namespace: a narrower list would break the first manifest of a kind not listed.
 */
export function spokeRoleRules(): k8s.types.input.rbac.v1.PolicyRule[] {
  return [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }];
}

/** The token Secret's name: a new name per rotation, so a new rotation replaces the Secret and so the token. */
export function tokenSecretName(rotation: number): string {
  return `${SPOKE_SERVICE_ACCOUNT}-token-${rotation}`;
}

export interface SpokeAccessArgs {
  /** clusterTokenRotation: a change issues a new token (the old Secret, and so its token, is deleted). */
  readonly tokenRotation: number;
}

export class SpokeAccess extends pulumi.ComponentResource {
  public readonly serviceAccount: { readonly namespace: string; readonly name: string };
  /** The ServiceAccount's token, decoded; a secret output. */
  public readonly bearerToken: pulumi.Output<string>;
  /** The cluster's CA certificate, base64-encoded PEM as Argo CD's `caData` takes it; a secret output. */
  public readonly caData: pulumi.Output<string>;

  constructor(name: string, args: SpokeAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:spoke-access:SpokeAccess", name, {}, opts);
    const account = new k8s.core.v1.ServiceAccount(
      `${name}-service-account`,
      { metadata: { name: SPOKE_SERVICE_ACCOUNT, namespace: SPOKE_ACCESS_NAMESPACE } },
      { parent: this },
    );
    // The token controller fills data.token and data.ca.crt; the provider waits until it has
    // (pulumi-kubernetes await/awaiters.go, untilCoreV1SecretInitialized), so both are outputs of this Secret.
    const token = new k8s.core.v1.Secret(
      `${name}-token`,
      {
        metadata: {
          name: tokenSecretName(args.tokenRotation),
          namespace: SPOKE_ACCESS_NAMESPACE,
          annotations: { "kubernetes.io/service-account.name": SPOKE_SERVICE_ACCOUNT },
        },
        type: "kubernetes.io/service-account-token",
      },
      { parent: this, dependsOn: [account], deleteBeforeReplace: false },
    );
    this.serviceAccount = { namespace: SPOKE_ACCESS_NAMESPACE, name: SPOKE_SERVICE_ACCOUNT };
    this.bearerToken = pulumi.secret(
      token.data.apply((d) => Buffer.from(d?.token ?? "", "base64").toString()),
    );
    this.caData = pulumi.secret(token.data.apply((d) => d?.["ca.crt"] ?? ""));
    this.registerOutputs({});
  }
}

export interface SpokeNamespaceAccessArgs {
  /** The application namespace the Role is in. */
  readonly namespace: string;
  readonly serviceAccount: { readonly namespace: string; readonly name: string };
}

/** The hub's Argo CD's Role and RoleBinding in one application namespace of the spoke. */
export class SpokeNamespaceAccess extends pulumi.ComponentResource {
  constructor(name: string, args: SpokeNamespaceAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:spoke-access:SpokeNamespaceAccess", name, {}, opts);
    const role = new k8s.rbac.v1.Role(
      `${name}-role`,
      { metadata: { name: SPOKE_ROLE, namespace: args.namespace }, rules: spokeRoleRules() },
      { parent: this },
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}-binding`,
      {
        metadata: { name: SPOKE_ROLE, namespace: args.namespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: SPOKE_ROLE },
        subjects: [{ kind: "ServiceAccount", ...args.serviceAccount }],
      },
      { parent: this, dependsOn: [role] },
    );
    this.registerOutputs({});
  }
}
