/**
 * The documents of one application in Argo CD: its Application, the AppProject that fences it in, and the data of
 * the repository Secret for a private manifests repository. Pure functions; HostedApp registers them.
 */
import type * as pulumi from "@pulumi/pulumi";
// Typed with the models generated from Argo CD's CRDs, so a misspelt or misplaced field fails the type-check.
import type { IApplication } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import type { IAppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import type { RepoCredentials } from "../stacks/types";
import { IN_CLUSTER_SERVER } from "./common";

export const ARGOCD_API_VERSION = "argoproj.io/v1alpha1";
/** Makes deleting the Application delete what it deployed (Argo CD's cascade-deletion finalizer). */
export const CASCADE_FINALIZER = "resources-finalizer.argocd.argoproj.io";
export const REPOSITORY_SECRET_LABEL = "argocd.argoproj.io/secret-type";

export interface ApplicationSource {
  readonly repoURL: string;
  readonly targetRevision: string;
  readonly path: string;
}

export interface ApplicationSettings {
  /** Name of the Application and of its AppProject. */
  readonly name: string;
  /** Argo CD's namespace, where both live. */
  readonly argocdNamespace: string;
  /** The one namespace the Application may deploy into. */
  readonly namespace: string;
  readonly source: ApplicationSource;
  /** Sync on every change in git. Defaults to true. */
  readonly automated?: boolean;
  /** With automated sync: delete what was removed from git. Defaults to true. */
  readonly prune?: boolean;
  /** With automated sync: revert changes made in the cluster by hand. Defaults to true. */
  readonly selfHeal?: boolean;
  /** Deleting the Application deletes what it deployed. Defaults to true; prod turns it off. */
  readonly cascadeDelete?: boolean;
  /** Annotations on the Application, such as the wait and notification subscriptions. Defaults to none. */
  readonly annotations?: Record<string, string>;
}

/**
 * AppProject spec.description's cap (argo-cd v3.4.4 pkg/apis/application/v1alpha1/types.go AppProjectSpec
 * Description, +kubebuilder:validation:MaxLength=255): the API server refuses a longer one.
 */
export const PROJECT_DESCRIPTION_MAX = 255;

/** "Deploys <repoURL> into namespace <ns>", with the repoURL shortened when the whole would pass the cap. */
function projectDescription(s: ApplicationSettings): string {
  const tail = ` into namespace ${s.namespace}`;
  const full = `Deploys ${s.source.repoURL}${tail}`;
  if (full.length <= PROJECT_DESCRIPTION_MAX) return full;
  const room = PROJECT_DESCRIPTION_MAX - "Deploys ".length - tail.length - "...".length;
  return `Deploys ${s.source.repoURL.slice(0, room)}...${tail}`;
}

/** The AppProject: this stack's repoURL only, its namespace only, and no cluster-scoped kind but Namespace. */
export function appProjectManifest(s: ApplicationSettings): IAppProject {
  return {
    apiVersion: ARGOCD_API_VERSION,
    kind: "AppProject",
    metadata: { name: s.name, namespace: s.argocdNamespace },
    spec: {
      description: projectDescription(s),
      sourceRepos: [s.source.repoURL],
      destinations: [{ server: IN_CLUSTER_SERVER, namespace: s.namespace }],
      // Namespace only, so that CreateNamespace=true works; the manifests may create nothing else cluster-wide.
      clusterResourceWhitelist: [{ group: "", kind: "Namespace" }],
    },
  };
}

/** The Application: tracks the configured source, syncs into the stack's namespace, retries with backoff. */
export function applicationManifest(s: ApplicationSettings): IApplication {
  const automated = s.automated ?? true;
  return {
    apiVersion: ARGOCD_API_VERSION,
    kind: "Application",
    metadata: {
      name: s.name,
      namespace: s.argocdNamespace,
      // Without cascade deletion the field is left out, not sent empty: the API server drops an empty list, and the
      // provider would then report a change (and wait for the Application) on every update
      // (pulumi/pulumi-kubernetes#3538). Server-side apply removes a finalizer this program set before.
      ...((s.cascadeDelete ?? true) ? { finalizers: [CASCADE_FINALIZER] } : {}),
      ...(s.annotations !== undefined && Object.keys(s.annotations).length > 0
        ? { annotations: s.annotations }
        : {}),
    },
    spec: {
      project: s.name,
      source: { repoURL: s.source.repoURL, targetRevision: s.source.targetRevision, path: s.source.path },
      destination: { server: IN_CLUSTER_SERVER, namespace: s.namespace },
      syncPolicy: {
        ...(automated ? { automated: { prune: s.prune ?? true, selfHeal: s.selfHeal ?? true } } : {}),
        retry: { limit: 5, backoff: { duration: "5s", factor: 2, maxDuration: "3m" } },
        syncOptions: ["CreateNamespace=true"],
      },
    },
  };
}

/** The data of an Argo CD repository Secret for one repoURL, usable only by the stack's AppProject. */
export function repositorySecretData(
  repoURL: string,
  project: string,
  credentials: RepoCredentials,
): Record<string, pulumi.Input<string>> {
  const common = { type: "git", url: repoURL, project };
  return credentials.kind === "https"
    ? { ...common, username: credentials.username, password: credentials.token }
    : { ...common, sshPrivateKey: credentials.sshPrivateKey };
}
