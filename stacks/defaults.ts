/**
 * Every config key of the project, its default and an example for error messages. Pulumi.yaml declares the same
 * keys and defaults for the CLI; a test keeps the two in step.
 */
export const PROJECT = "atlas-gitops";

/** The argo-cd chart this project is tested against: argo-cd 10.1.1 ships Argo CD v3.4.4 (argoproj/argo-helm). */
export const ARGOCD_CHART_VERSION = "10.1.1";
/** The atlas-operator chart this project is tested against (ariga/atlas-operator, charts/atlas-operator). */
export const ATLAS_OPERATOR_CHART_VERSION = "0.7.37";
/** Where argo-helm publishes the argo-cd chart (a classic Helm repository with an index.yaml). */
export const ARGOCD_CHART_REPOSITORY = "https://argoproj.github.io/argo-helm";
/** Where ariga publishes the atlas-operator chart (an OCI registry; the chart is `<repository>/atlas-operator`). */
export const ATLAS_OPERATOR_CHART_REPOSITORY = "oci://ghcr.io/ariga/charts";
/**
 * How long `pulumi up` waits for an Application by default: long enough for a first install to pull the database
 * image, start it, plan and apply the schema with a dev database, and roll out the application.
 */
export const WAIT_TIMEOUT_SECONDS = 1200;

/** Argo CD's own poll interval (argo-cd v3.4.4, cmd/argocd-application-controller: defaultAppResyncPeriod). */
export const DEFAULT_POLL_INTERVAL = "120s";

/** Where the stack's Argo CD runs: `install` it here, one `existing` here, or the `hub`'s (stacks/fleet.ts). */
export const ARGOCD_LOCATIONS = ["install", "existing", "hub"] as const;

/** The keys of a stack whose Argo CD is not its own install (stacks/fleet.ts reads them; docs/fleet.md). */
export const FLEET_KEYS = {
  argocdLocation: { default: "install", example: "hub" },
  hubKubeconfig: { example: "-- < ~/.kube/hub.yaml", secret: true },
  hubContext: { default: "", example: "hub" },
  clusterName: { example: "dev", derived: "the stack name" },
  clusterServer: { example: "https://dev.k8s.example.com:6443", derived: "the spoke kubeconfig's server" },
  clusterTokenRotation: { default: "0", example: "1" },
} as const;

export type FleetKey = keyof typeof FLEET_KEYS;

/** The keys for operating the platform (stacks/operations.ts reads them). Secrets have no default (see Pulumi.yaml). */
export const OPERATIONS_KEYS = {
  alertWebhookUrl: { example: "https://hooks.slack.com/services/T000/B000/XXXX", secret: true },
  alertWebhookFormat: { default: "slack", example: "json" },
  gitWebhookGitHubSecret: { example: "<random string>", secret: true },
  gitWebhookGitLabSecret: { example: "<random string>", secret: true },
  gitWebhookBitbucketUuid: { example: "<webhook UUID>", secret: true },
  gitWebhookBitbucketServerSecret: { example: "<random string>", secret: true },
  argocdPollInterval: { default: DEFAULT_POLL_INTERVAL, example: "5m" },
  argocdIngressHost: { default: "", example: "argocd.example.com" },
  argocdIngressClassName: { default: "", example: "nginx" },
  argocdIngressTlsSecret: { default: "", example: "argocd-example-com-tls" },
  metricsEnabled: { default: "false", example: "true" },
  metricsSelectorLabels: { default: "", example: "release=kube-prometheus-stack" },
  metricsDegradedFor: { default: "15m", example: "30m" },
} as const;

export type OperationsKey = keyof typeof OPERATIONS_KEYS;

interface KeySpec {
  /**
   * The default as the CLI hands it to the program (config values are strings). Undefined for repoURL, which
   * is required, and for the optional secrets, which Pulumi.yaml must not declare (see Pulumi.yaml).
   */
  readonly default?: string;
  /** A valid value, shown in the "Set it with" hint of an error message. */
  readonly example: string;
  readonly secret?: boolean;
  /**
   * How the program derives the value when the stack leaves the key unset. Such a key has no default in
   * Pulumi.yaml (and so is not declared there: the CLI would require it), since a default would hide "unset".
   */
  readonly derived?: string;
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
  waitForSync: { default: "true", example: "false" },
  waitTimeout: { default: String(WAIT_TIMEOUT_SECONDS), example: "1800" },
  cascadeDelete: { default: "true", example: "false" },
  protectResources: { default: "false", example: "true" },
  argocdNamespace: { default: "argocd", example: "argocd" },
  ...FLEET_KEYS,
  argocdChartVersion: { default: ARGOCD_CHART_VERSION, example: ARGOCD_CHART_VERSION },
  argocdChartRepository: { default: ARGOCD_CHART_REPOSITORY, example: "https://charts.example.com/argo" },
  argocdAdminEnabled: { default: "true", example: "false" },
  atlasOperatorNamespace: { default: "atlas-operator", example: "atlas-operator" },
  atlasOperatorChartVersion: { default: ATLAS_OPERATOR_CHART_VERSION, example: ATLAS_OPERATOR_CHART_VERSION },
  atlasOperatorChartRepository: {
    default: ATLAS_OPERATOR_CHART_REPOSITORY,
    example: "oci://registry.example.com/charts",
  },
  atlasPrewarmDevDB: { default: "true", example: "false" },
  atlasOperatorClusterWide: { default: "false", example: "true" },
  atlasToken: { example: "<token>", secret: true },
  dbEngine: { default: "mysql", example: "postgres" },
  dbHost: { example: "mysql", derived: "by dbEngine: mysql, or postgres" },
  dbPort: { example: "3306", derived: "by dbEngine: 3306 for mysql, 5432 for postgres" },
  dbName: { default: "example", example: "example" },
  dbUser: { default: "root", example: "root" },
  dbSecretName: { default: "db-credentials", example: "db-credentials" },
  dbPasswordRotation: { default: "0", example: "1" },
  repoUsername: { default: "", example: "git" },
  repoToken: { example: "<token>", secret: true },
  repoSshPrivateKey: { example: "-- < ~/.ssh/deploy_key", secret: true },
  applications: { default: "[]", example: "myapp" },
  argocdValues: { default: "{}", example: "{}" },
  atlasOperatorValues: { default: "{}", example: "{}" },
  ...OPERATIONS_KEYS,
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof KEYS;

export const CONFIG_KEYS = Object.keys(KEYS) as ConfigKey[];

export const KEY_SPECS: Readonly<Record<ConfigKey, KeySpec>> = KEYS;

export const SECRET_KEYS = CONFIG_KEYS.filter((k) => KEY_SPECS[k].secret === true);

/** Keys whose value, when unset, the program derives from others (see KeySpec.derived). */
export const DERIVED_KEYS = CONFIG_KEYS.filter((k) => KEY_SPECS[k].derived !== undefined);

/** Defaults as the CLI hands them to the program, exactly as Pulumi.yaml declares them. */
export const DEFAULTS = Object.fromEntries(
  CONFIG_KEYS.filter((k) => KEY_SPECS[k].default !== undefined).map((k) => [k, KEY_SPECS[k].default]),
) as Readonly<Partial<Record<ConfigKey, string>>>;

/**
 * The keys of one `applications` item. `inherits` names the stack key whose value (set, or its default) is the
 * item's default: every stack key an item can take is inherited, the same way. An item's name has no default; its
 * namespace defaults to its name; dbHost and dbPort, when neither the item nor the stack sets them, to its engine's.
 * The credentials are not inherited: the stack's go to a credential template (see stacks/credentials.ts).
 */
interface ItemKeySpec {
  readonly inherits?: ConfigKey;
  readonly example: string;
  /** Set with `--path --secret`; its value is never shown. */
  readonly secret?: boolean;
}

export const ITEM_KEYS = {
  name: { example: "billing" },
  namespace: { example: "billing" },
  repoURL: { inherits: "repoURL", example: "https://github.com/org/manifests" },
  targetRevision: { inherits: "targetRevision", example: "main" },
  path: { inherits: "path", example: "billing/overlays/dev" },
  syncAutomated: { inherits: "syncAutomated", example: "true" },
  syncPrune: { inherits: "syncPrune", example: "true" },
  syncSelfHeal: { inherits: "syncSelfHeal", example: "true" },
  cascadeDelete: { inherits: "cascadeDelete", example: "false" },
  waitForSync: { inherits: "waitForSync", example: "true" },
  waitTimeout: { inherits: "waitTimeout", example: "1800" },
  dbEngine: { inherits: "dbEngine", example: "postgres" },
  dbHost: { inherits: "dbHost", example: "postgres" },
  dbPort: { inherits: "dbPort", example: "5432" },
  dbName: { inherits: "dbName", example: "billing" },
  dbUser: { inherits: "dbUser", example: "billing" },
  dbSecretName: { inherits: "dbSecretName", example: "db-credentials" },
  dbPasswordRotation: { inherits: "dbPasswordRotation", example: "1" },
  repoUsername: { example: "git" },
  repoToken: { example: "<token>", secret: true },
  repoSshPrivateKey: { example: "-- < ~/.ssh/deploy_key", secret: true },
} satisfies Record<string, ItemKeySpec>;

export type ItemKey = keyof typeof ITEM_KEYS;
export const ITEM_KEY_NAMES = Object.keys(ITEM_KEYS) as ItemKey[];
export const ITEM_KEY_SPECS: Readonly<Record<ItemKey, ItemKeySpec>> = ITEM_KEYS;

/** The default host and port of an item's database, by engine: the names the example manifests give them. */
export const ENGINE_DEFAULTS = {
  mysql: { host: "mysql", port: "3306" },
  postgres: { host: "postgres", port: "5432" },
} as const;
