/**
 * The shapes of the typed stack config. Plain data only, so components import them without pulling in the
 * config reader, and the reader and its checks import them without importing each other.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { OperationsConfig } from "./operations";

export type DatabaseEngine = "mysql" | "postgres";

/** Mirrors Application.spec.source. */
export interface SourceConfig {
  readonly repoURL: string;
  readonly targetRevision: string;
  readonly path: string;
}

export interface DatabaseConfig {
  readonly engine: DatabaseEngine;
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly user: string;
  readonly secretName: string;
  readonly passwordRotation: number;
}

/** One application the platform hosts: its namespace, database credentials, AppProject and Application. */
export interface AppConfig {
  readonly name: string;
  readonly namespace: string;
  readonly source: SourceConfig;
  readonly sync: { readonly automated: boolean; readonly prune: boolean; readonly selfHeal: boolean };
  readonly cascadeDelete: boolean;
  readonly database: DatabaseConfig;
  /** Wait in `pulumi up` for Argo CD to report the asked-for revision Synced and Healthy. */
  readonly wait: { readonly enabled: boolean; readonly timeoutSeconds: number };
  /**
   * The application that the single-application keys of v0.1 described (its name is the stack's `appName`):
   * its resources carry aliases to their v0.1 URNs, so moving a stack to `applications` replaces nothing.
   */
  readonly keepsV01Urns: boolean;
  /**
   * How Argo CD logs in to the application's repository: not at all (a public repository), with the stack's
   * credential template (the repoURL is under its prefix), or with credentials of the application's own.
   */
  readonly repoAccess:
    | { readonly from: "none" }
    | { readonly from: "template" }
    | { readonly from: "own"; readonly credentials: RepoCredentials };
}

export type RepoCredentials =
  | { readonly kind: "https"; readonly username: string; readonly token: pulumi.Output<string> }
  | { readonly kind: "ssh"; readonly sshPrivateKey: pulumi.Output<string> };

/** The stack's repoToken or repoSshPrivateKey, for every repository whose URL starts with `urlPrefix`. */
export interface RepoCredentialTemplate {
  /** The stack repoURL's host and owner (stacks/repo-url.ts credentialPrefix), such as https://github.com/org/. */
  readonly urlPrefix: string;
  readonly credentials: RepoCredentials;
}

/** Chart values a stack sets (argocdValues, atlasOperatorValues), merged last over the program's. */
export interface ChartValues {
  readonly values: Readonly<Record<string, unknown>>;
  /** The stack holds them encrypted (a value was set with --secret): the release's values must stay secret. */
  readonly secret: boolean;
}

/** A spoke's way to the hub: the hub's kubeconfig (path or contents, a secret) and its context. */
export interface HubAccess {
  readonly kubeconfig: pulumi.Output<string>;
  /** Defaults to the kubeconfig's current context. */
  readonly context?: string;
}

/** How the hub's Argo CD knows this stack's cluster: its cluster Secret's name and server, and its token. */
export interface SpokeCluster {
  /** clusterName: the cluster Secret's `name`, and the prefix of this stack's Application and AppProject names. */
  readonly name: string;
  /** clusterServer: the API server URL the hub's Argo CD reaches this cluster at. */
  readonly server: string;
  /** The stack name, as the cluster Secret's `environment` label. */
  readonly environment: string;
  /** clusterTokenRotation: a change issues a new token. */
  readonly tokenRotation: number;
}

/** Where the stack's Argo CD runs (argocdLocation). */
export type ArgoCdLocation =
  | { readonly kind: "install" }
  | { readonly kind: "existing" }
  | { readonly kind: "hub"; readonly hub: HubAccess; readonly cluster: SpokeCluster };

export interface StackConfig {
  readonly stack: string;
  /** Defaults to install: the stack installs Argo CD from the chart, as before argocdLocation existed. */
  readonly location: ArgoCdLocation;
  readonly argocd: {
    readonly namespace: string;
    readonly chartVersion: string;
    /** The Helm repository (https://, oci://, or http:// on a loopback host) the chart is pulled from. */
    readonly chartRepository: string;
    readonly adminEnabled: boolean;
    /** argocdValues; defaults to none. */
    readonly values: ChartValues;
  };
  readonly atlas: {
    readonly namespace: string;
    readonly chartVersion: string;
    /** The Helm repository (https://, oci://, or http:// on a loopback host) the chart is pulled from. */
    readonly chartRepository: string;
    readonly prewarmDevDB: boolean;
    /** Watch every namespace with the chart's ClusterRole; false: only the applications' namespaces, by Roles. */
    readonly clusterWide: boolean;
    readonly token?: pulumi.Output<string>;
    /** atlasOperatorValues; defaults to none. */
    readonly values: ChartValues;
  };
  /** At least one; the single-application keys make a list of one. */
  readonly applications: readonly AppConfig[];
  /** Defaults to none: no stack-wide repository credentials. */
  readonly repoCredentialTemplate?: RepoCredentialTemplate;
  readonly protectResources: boolean;
  /** Alerts, git webhooks and polling, an Ingress for argocd-server, metrics. */
  readonly operations: OperationsConfig;
  /** What works but deserves a word (such as an http:// repository); `pulumi up` prints each. */
  readonly warnings: readonly string[];
}
