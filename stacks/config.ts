/**
 * The typed stack config: the one place that reads `pulumi.Config`. Everything is validated here, before any
 * resource is registered, so bad input fails with one message that names every problem and how to fix it.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseApplications } from "./applications";
import { parseChartValues } from "./chart-values";
import { parseLocation } from "./fleet";
import type { KubeconfigServer } from "./kubeconfig";
import { CONFIG_KEYS, ConfigKey, KEY_SPECS, PROJECT } from "./defaults";
import { parseOperations } from "./operations";
import * as check from "./validate";
import type { StackConfig } from "./types";

export type {
  AppConfig,
  ArgoCdLocation,
  DatabaseEngine,
  RepoCredentialTemplate,
  RepoCredentials,
  StackConfig,
} from "./types";

/**
 * Raw values as the Pulumi engine hands them over: strings (a structured key as JSON text), or undefined. Keys of
 * the project's namespace that the program does not know may be present too; they are reported.
 */
export type RawConfig = Partial<Record<ConfigKey, string>> & Readonly<Record<string, string | undefined>>;

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

/**
 * Which keys the CLI decrypted for this run. The Node SDK keeps them in PULUMI_CONFIG_SECRET_KEYS and answers
 * through `runtime.isConfigSecret` (sdk/nodejs/runtime/config.ts), which is exported at run time but left out of
 * the typings; a test holds that contract for the pinned SDK.
 */
export function isEncrypted(key: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  if (typeof runtime.isConfigSecret !== "function") {
    throw new Error("@pulumi/pulumi no longer exports runtime.isConfigSecret; see stacks/config.ts");
  }
  return runtime.isConfigSecret(`${PROJECT}:${key}`);
}

/**
 * Reads every key of this project's namespace from the running stack's config, known or not: the CLI checks only
 * the keys Pulumi.yaml declares, so a misspelt key reaches the program and must be reported here.
 */
export function readRawConfig(): RawConfig {
  const raw: Record<string, string> = {};
  // runtime.allConfig rather than Config.get: it reads secret keys without the "use getSecret" warning. Secret
  // values are wrapped in pulumi.secret() in parseStackConfig and never printed.
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (fullKey.startsWith(`${PROJECT}:`)) raw[fullKey.slice(PROJECT.length + 1)] = value;
  }
  return raw;
}

/**
 * Reads and validates the running stack's config, and prints its warnings. Call it before creating any resource.
 * `spokeServer` reads this cluster's API server from the kubernetes provider's kubeconfig (stacks/cluster.ts),
 * for a spoke that leaves clusterServer unset.
 */
export function loadStackConfig(spokeServer?: () => KubeconfigServer): StackConfig {
  const encrypted = new Set(CONFIG_KEYS.filter(isEncrypted));
  const config = parseStackConfig(readRawConfig(), pulumi.getStack(), encrypted, spokeServer);
  for (const warning of config.warnings) void pulumi.log.warn(warning);
  return config;
}

/**
 * Validates raw config, applies defaults and returns a plain object; throws StackConfigError on bad input.
 * `encrypted` names the keys the stack holds encrypted (set with --secret); `spokeServer` gives this cluster's API
 * server when a spoke leaves clusterServer unset (defaults to none: clusterServer is then required).
 */
export function parseStackConfig(
  raw: RawConfig,
  stack: string,
  encrypted: ReadonlySet<string> = new Set(),
  spokeServer: () => KubeconfigServer = () => ({ problem: "no kubeconfig was read" }),
): StackConfig {
  const problems = new check.Problems(stack);
  const field = (key: ConfigKey): check.Field => {
    const spec = KEY_SPECS[key];
    const value = raw[key];
    return {
      key,
      value: value ?? spec.default ?? "",
      isSet: value !== undefined,
      example: spec.example,
      secret: "secret" in spec && spec.secret,
    };
  };

  const secret = (key: ConfigKey): pulumi.Output<string> | undefined => {
    const value = raw[key];
    if (value === undefined || value === "") return undefined;
    if (!encrypted.has(key)) {
      problems.add(
        `Config '${PROJECT}:${key}' is set in plaintext — a credential must be encrypted, since ` +
          `Pulumi.${stack}.yaml is usually committed (treat it as leaked and rotate it if it was). Remove it ` +
          `with: pulumi config rm --stack ${stack} ${key}; set it with: ${problems.command(field(key))}`,
      );
    }
    return pulumi.secret(value);
  };

  for (const key of Object.keys(raw).filter((k) => !(CONFIG_KEYS as string[]).includes(k))) {
    const near = CONFIG_KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
    problems.add(
      `Config '${PROJECT}:${key}' is set — expected one of this project's keys (Pulumi.yaml lists them)` +
        `${near === undefined ? "" : `; did you mean '${near}'?`} Remove it with: pulumi config rm --stack ${stack} ${key}`,
    );
  }

  const argocdNamespace = check.dnsLabel(problems, field("argocdNamespace"));
  const atlasNamespace = check.dnsLabel(problems, field("atlasOperatorNamespace"));
  const { applications, template } = parseApplications(problems, {
    field,
    encrypted: encrypted.has("applications"),
    platformNamespaces: [field("argocdNamespace"), field("atlasOperatorNamespace")],
    credentials: {
      username: field("repoUsername"),
      token: field("repoToken"),
      sshPrivateKey: field("repoSshPrivateKey"),
      tokenValue: secret("repoToken"),
      sshPrivateKeyValue: secret("repoSshPrivateKey"),
    },
  });

  const location = parseLocation(problems, {
    raw,
    field,
    secret,
    appNames: applications.map((a) => a.name),
    spokeServer,
  });

  const config: StackConfig = {
    stack,
    location,
    argocd: {
      namespace: argocdNamespace,
      chartVersion: check.chartVersion(problems, field("argocdChartVersion")),
      chartRepository: check.chartRepository(problems, field("argocdChartRepository")),
      adminEnabled: check.boolean(problems, field("argocdAdminEnabled")),
      values: parseChartValues(problems, "argocdValues", raw.argocdValues, encrypted.has("argocdValues")),
    },
    atlas: {
      namespace: atlasNamespace,
      chartVersion: check.chartVersion(problems, field("atlasOperatorChartVersion")),
      chartRepository: check.chartRepository(problems, field("atlasOperatorChartRepository")),
      prewarmDevDB: check.boolean(problems, field("atlasPrewarmDevDB")),
      clusterWide: check.boolean(problems, field("atlasOperatorClusterWide")),
      token: secret("atlasToken"),
      values: parseChartValues(
        problems,
        "atlasOperatorValues",
        raw.atlasOperatorValues,
        encrypted.has("atlasOperatorValues"),
      ),
    },
    applications,
    repoCredentialTemplate: template,
    protectResources: check.boolean(problems, field("protectResources")),
    operations: parseOperations(problems, field, secret),
    warnings: problems.warnings,
  };
  if (problems.list.length > 0) throw new StackConfigError([...problems.list]);
  return config;
}
