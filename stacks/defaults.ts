/**
 * Every config key of the project, its default and an example for error messages. Pulumi.yaml declares the same
 * keys and defaults for the CLI; a test keeps the two in step.
 */
export const PROJECT = "atlas-gitops";

/** The argo-cd chart this project is tested against: argo-cd 10.1.1 ships Argo CD v3.4.4 (argoproj/argo-helm). */
export const ARGOCD_CHART_VERSION = "10.1.1";
/** The atlas-operator chart this project is tested against (ariga/atlas-operator, charts/atlas-operator). */
export const ATLAS_OPERATOR_CHART_VERSION = "0.7.37";

interface KeySpec {
  /** The default as the CLI hands it to the program (config values are strings); undefined means required. */
  readonly default?: string;
  /** A valid value, shown in the "Set it with" hint of an error message. */
  readonly example: string;
  readonly secret?: boolean;
}

const KEYS = {
  repoURL: { example: "https://github.com/org/manifests" },
  targetRevision: { default: "HEAD", example: "main" },
  path: { default: "manifests", example: "manifests" },
  appName: { default: "myapp", example: "myapp" },
  appNamespace: { default: "myapp", example: "myapp" },
  syncAutomated: { default: "true", example: "true" },
  syncPrune: { default: "true", example: "true" },
  syncSelfHeal: { default: "true", example: "true" },
  cascadeDelete: { default: "true", example: "false" },
  protectResources: { default: "false", example: "true" },
  argocdNamespace: { default: "argocd", example: "argocd" },
  argocdChartVersion: { default: ARGOCD_CHART_VERSION, example: ARGOCD_CHART_VERSION },
  argocdAdminEnabled: { default: "true", example: "false" },
  atlasOperatorNamespace: { default: "atlas-operator", example: "atlas-operator" },
  atlasOperatorChartVersion: { default: ATLAS_OPERATOR_CHART_VERSION, example: ATLAS_OPERATOR_CHART_VERSION },
  atlasPrewarmDevDB: { default: "true", example: "false" },
  atlasToken: { default: "", example: "<token>", secret: true },
  dbEngine: { default: "mysql", example: "postgres" },
  dbHost: { default: "mysql", example: "mysql" },
  dbPort: { default: "3306", example: "3306" },
  dbName: { default: "example", example: "example" },
  dbUser: { default: "root", example: "root" },
  dbSecretName: { default: "db-credentials", example: "db-credentials" },
  dbPasswordRotation: { default: "0", example: "1" },
  repoUsername: { default: "", example: "git" },
  repoToken: { default: "", example: "<token>", secret: true },
  repoSshPrivateKey: { default: "", example: "-- < ~/.ssh/deploy_key", secret: true },
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof KEYS;

export const CONFIG_KEYS = Object.keys(KEYS) as ConfigKey[];

export const KEY_SPECS: Readonly<Record<ConfigKey, KeySpec>> = KEYS;

/** Defaults as plain strings, exactly as Pulumi.yaml declares them. */
export const DEFAULTS = Object.fromEntries(
  CONFIG_KEYS.filter((k) => KEY_SPECS[k].default !== undefined).map((k) => [k, KEY_SPECS[k].default]),
) as Readonly<Record<Exclude<ConfigKey, "repoURL">, string>>;

export const SECRET_KEYS = CONFIG_KEYS.filter((k) => KEY_SPECS[k].secret === true);
