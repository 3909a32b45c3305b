/**
 * The Atlas health checks added to an Argo CD this stack did not install (argocdLocation `existing`): a
 * server-side apply patch of its argocd-cm that owns our two keys and nothing else.
 *
 * Split keys (`resource.customizations.health.<group>_<Kind>`), not the single `resource.customizations` key:
 * Argo CD 3 reads both, and a split key is a field of its own, so the keys other owners set stay theirs (argo-cd
 * util/settings/settings.go, GetResourceOverrides). A fixed field manager, so every `pulumi up` is the same
 * owner and `pulumi destroy` gives up exactly these fields; no forced conflicts, so a key another manager
 * already owns stops the update with the name of that manager instead of being taken over.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Argo CD's settings ConfigMap; its name is fixed (argo-cd common.ArgoCDConfigMapName). */
export const ARGOCD_CM = "argocd-cm";
/** The field manager of the patch (pulumi-kubernetes reads it from this annotation; random without it). */
export const PATCH_FIELD_MANAGER_ANNOTATION = "pulumi.com/patchFieldManager";
export const HEALTH_CHECKS_FIELD_MANAGER = "atlas-gitops-health-checks";

export interface ArgoCdHealthChecksArgs {
  /** The namespace of the Argo CD that is already there. */
  readonly namespace: string;
  /** The argocd-cm keys to own: components/health-checks.ts atlasHealthChecks(). */
  readonly entries: Record<string, string>;
}

/** The ConfigMapPatch's inputs: argocd-cm by name, our keys, our field manager, nothing forced. */
export function healthChecksPatch(args: ArgoCdHealthChecksArgs): k8s.core.v1.ConfigMapPatchArgs {
  return {
    metadata: {
      name: ARGOCD_CM,
      namespace: args.namespace,
      annotations: { [PATCH_FIELD_MANAGER_ANNOTATION]: HEALTH_CHECKS_FIELD_MANAGER },
    },
    data: { ...args.entries },
  };
}

export class ArgoCdHealthChecks extends pulumi.ComponentResource {
  public readonly patch: k8s.core.v1.ConfigMapPatch;

  constructor(name: string, args: ArgoCdHealthChecksArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:argocd-health-patch:ArgoCdHealthChecks", name, {}, opts);
    // Server-side apply creates what is not there: without this read, a namespace with no Argo CD would get an
    // argocd-cm of ours that nothing reads. Reading it fails the preview and the update when it is missing.
    const existing = k8s.core.v1.ConfigMap.get(`${name}-existing`, `${args.namespace}/${ARGOCD_CM}`, {
      parent: this,
    });
    this.patch = new k8s.core.v1.ConfigMapPatch(`${name}-patch`, healthChecksPatch(args), {
      parent: this,
      dependsOn: [existing],
    });
    this.registerOutputs({});
  }
}
