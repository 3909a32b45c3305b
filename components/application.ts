/**
 * The documents of one application in Argo CD: its Application, the AppProject that fences it in, and the data of
 * the repository Secret for a private manifests repository. Pure functions; HostedApp registers them.
 */
import type * as pulumi from "@pulumi/pulumi";
// Typed with the models generated from Argo CD's CRDs, so a misspelt or misplaced field fails the type-check.
import type { IApplication } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import type { IAppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import type { AppConfig, RepoCredentials } from "../stacks/types";
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
  /**
   * The cluster it deploys to, as Argo CD names it by server URL. Defaults to the cluster Argo CD runs in; a
   * spoke's is its clusterServer. Elsewhere than in-cluster the namespace is the spoke stack's own, and Argo CD
   * (which watches only the application namespaces there) is not asked to create it.
   */
  readonly server?: string;
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

/**
 * An entry of AppProject spec.clusterResourceWhitelist as Argo CD v3.4 takes it: the typed model (generated from
 * an older CRD) lacks `name`, which v3.4.4's ClusterResourceRestrictionItem has (a glob; unset matches every name).
 */
export interface ClusterResourceRestrictionItem {
  readonly group: string;
  readonly kind: string;
  readonly name?: string;
}

/** IAppProject with the v3.4 whitelist entry. */
export interface AppProjectV34 extends IAppProject {
  spec: NonNullable<IAppProject["spec"]> & { clusterResourceWhitelist?: ClusterResourceRestrictionItem[] };
}

/**
 * The AppProject: this stack's repoURL only, its namespace only, and no cluster-scoped object but that
 * namespace. Argo CD before v3.4 has no `name` in the whitelist and drops it (the API server prunes fields its CRD
 * does not know): there the entry allows every Namespace.
 */
export function appProjectManifest(s: ApplicationSettings): AppProjectV34 {
  return {
    apiVersion: ARGOCD_API_VERSION,
    kind: "AppProject",
    metadata: { name: s.name, namespace: s.argocdNamespace },
    spec: {
      description: projectDescription(s),
      sourceRepos: [s.source.repoURL],
      destinations: [{ server: s.server ?? IN_CLUSTER_SERVER, namespace: s.namespace }],
      // Its own Namespace only, so that CreateNamespace=true works; the manifests may create or relabel no other
      // namespace (kube-system's, another application's) and nothing else cluster-wide.
      clusterResourceWhitelist: [{ group: "", kind: "Namespace", name: s.namespace }],
    },
  };
}

/** Argo CD 3's retry strategy: @kubernetes-models/argo-cd 2.7.2 models Argo CD 2's, which lacks `refresh`. */
type RetryStrategy = NonNullable<NonNullable<IApplication["spec"]["syncPolicy"]>["retry"]> & {
  refresh?: boolean;
};

/**
 * Five retries with backoff. `refresh`: each retry syncs the revision the source names by then, so a fix pushed
 * after a failed sync goes out with the next retry, not after the broken commit's last one (Argo CD
 * controller/appcontroller.go processRequestedAppOperation; the e2e suite showed the wait without it).
 */
const SYNC_RETRY: RetryStrategy = {
  limit: 5,
  backoff: { duration: "5s", factor: 2, maxDuration: "3m" },
  refresh: true,
};

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
      destination: { server: s.server ?? IN_CLUSTER_SERVER, namespace: s.namespace },
      syncPolicy: {
        ...(automated ? { automated: { prune: s.prune ?? true, selfHeal: s.selfHeal ?? true } } : {}),
        retry: SYNC_RETRY,
        // On a spoke Argo CD may read nothing cluster-scoped (its cluster Secret lists namespaces), so it could
        // not even look the namespace up; the spoke stack creates it.
        ...((s.server ?? IN_CLUSTER_SERVER) === IN_CLUSTER_SERVER
          ? { syncOptions: ["CreateNamespace=true"] }
          : {}),
      },
    },
  };
}

/** The keys of an Argo CD repository or credential template Secret that hold the credentials. */
function credentialData(credentials: RepoCredentials): Record<string, pulumi.Input<string>> {
  return credentials.kind === "https"
    ? { username: credentials.username, password: credentials.token }
    : { sshPrivateKey: credentials.sshPrivateKey };
}

/**
 * The data of an Argo CD repository Secret for one repoURL, usable only by the application's AppProject. With
 * the stack's credential template it holds no credentials: Argo CD then takes the template's (argo-cd v3.4.4
 * util/db/repository.go enrichCredsToRepo), so the token is stored once.
 */
export function repositorySecretData(
  repoURL: string,
  project: string,
  access: Exclude<AppConfig["repoAccess"], { from: "none" }>,
): Record<string, pulumi.Input<string>> {
  const common = { type: "git", url: repoURL, project };
  return access.from === "own" ? { ...common, ...credentialData(access.credentials) } : common;
}

/** The label value of an Argo CD credential template Secret (argo-cd common.LabelValueSecretTypeRepoCreds). */
export const CREDENTIAL_TEMPLATE_LABEL_VALUE = "repo-creds";

/**
 * The data of an Argo CD credential template: Argo CD gives its credentials to every repository whose URL starts
 * with `urlPrefix` (both normalized; the longest matching prefix wins) and that has none of its own.
 */
export function credentialTemplateData(
  urlPrefix: string,
  credentials: RepoCredentials,
): Record<string, pulumi.Input<string>> {
  return { type: "git", url: urlPrefix, ...credentialData(credentials) };
}
