/**
 * The typed stack config: the one place that reads `pulumi.Config`. Everything is validated here, before any
 * resource is registered, so bad input fails with one message that names every problem and how to fix it.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, ConfigKey, PROJECT } from "./defaults";
import * as check from "./validate";

export type DatabaseEngine = "mysql" | "postgres";

export interface StackConfig {
  readonly stack: string;
  /** Mirrors Application.spec.source. */
  readonly source: { readonly repoURL: string; readonly targetRevision: string; readonly path: string };
  readonly app: {
    readonly name: string;
    readonly namespace: string;
    readonly automated: boolean;
    readonly prune: boolean;
    readonly selfHeal: boolean;
    readonly cascadeDelete: boolean;
  };
  readonly argocd: {
    readonly namespace: string;
    readonly chartVersion: string;
    readonly adminEnabled: boolean;
  };
  readonly atlas: {
    readonly namespace: string;
    readonly chartVersion: string;
    readonly prewarmDevDB: boolean;
    readonly token?: pulumi.Output<string>;
  };
  readonly database: {
    readonly engine: DatabaseEngine;
    readonly host: string;
    readonly port: number;
    readonly name: string;
    readonly user: string;
    readonly secretName: string;
    readonly passwordRotation: number;
  };
  readonly repoCredentials?: RepoCredentials;
  readonly protectResources: boolean;
}

export type RepoCredentials =
  | { readonly kind: "https"; readonly username: string; readonly token: pulumi.Output<string> }
  | { readonly kind: "ssh"; readonly sshPrivateKey: pulumi.Output<string> };

/** Raw values as the Pulumi engine hands them over: strings, or undefined when unset. */
export type RawConfig = Partial<Record<ConfigKey, string>>;

/** Thrown for bad stack config. A RunError, so Pulumi prints the message without a stack trace. */
export class StackConfigError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(
      `Stack config has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "StackConfigError";
  }
}

/** Reads every key of this project from the running stack's config. */
export function readRawConfig(): RawConfig {
  const raw: RawConfig = {};
  for (const key of CONFIG_KEYS) {
    // runtime.getConfig rather than Config.get: it reads secret keys without the "use getSecret" warning.
    // The value is wrapped in pulumi.secret() in parseStackConfig and never printed.
    const value = pulumi.runtime.getConfig(`${PROJECT}:${key}`);
    if (value !== undefined) raw[key] = value;
  }
  return raw;
}

/** Reads and validates the running stack's config. Call it before creating any resource. */
export function loadStackConfig(): StackConfig {
  return parseStackConfig(readRawConfig(), pulumi.getStack());
}

/** Validates raw config, applies defaults and returns a plain object; throws StackConfigError on bad input. */
export function parseStackConfig(raw: RawConfig, stack: string): StackConfig {
  const problems: string[] = [];
  const v = check.validator(raw, stack, problems);

  const repoURL = v.repoURL("repoURL");
  const appNamespace = v.dnsLabel("appNamespace");
  const argocdNamespace = v.dnsLabel("argocdNamespace");
  const atlasNamespace = v.dnsLabel("atlasOperatorNamespace");
  v.distinctNamespaces({ appNamespace, argocdNamespace, atlasOperatorNamespace: atlasNamespace });

  const secret = (key: ConfigKey) => {
    const value = raw[key];
    return value === undefined || value === "" ? undefined : pulumi.secret(value);
  };
  const repoCredentials = v.repoCredentials(repoURL, secret("repoToken"), secret("repoSshPrivateKey"));

  const config: StackConfig = {
    stack,
    source: { repoURL, targetRevision: v.revision("targetRevision"), path: v.repoPath("path") },
    app: {
      name: v.dnsLabel("appName"),
      namespace: appNamespace,
      automated: v.boolean("syncAutomated"),
      prune: v.boolean("syncPrune"),
      selfHeal: v.boolean("syncSelfHeal"),
      cascadeDelete: v.boolean("cascadeDelete"),
    },
    argocd: {
      namespace: argocdNamespace,
      chartVersion: v.chartVersion("argocdChartVersion"),
      adminEnabled: v.boolean("argocdAdminEnabled"),
    },
    atlas: {
      namespace: atlasNamespace,
      chartVersion: v.chartVersion("atlasOperatorChartVersion"),
      prewarmDevDB: v.boolean("atlasPrewarmDevDB"),
      token: secret("atlasToken"),
    },
    database: {
      engine: v.oneOf("dbEngine", ["mysql", "postgres"] as const),
      host: v.hostname("dbHost"),
      port: v.port("dbPort"),
      name: v.identifier("dbName"),
      user: v.identifier("dbUser"),
      secretName: v.dnsSubdomain("dbSecretName"),
      passwordRotation: v.counter("dbPasswordRotation"),
    },
    repoCredentials,
    protectResources: v.boolean("protectResources"),
  };
  v.portFitsEngine(config.database.engine, config.database.port);
  if (problems.length > 0) throw new StackConfigError(problems);
  return config;
}
