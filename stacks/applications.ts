/**
 * The applications a stack hosts: the `applications` list, or, when a stack leaves it empty, the one application
 * that appName and appNamespace name, or none when appName is set to "" (a hub that serves only other stacks).
 * Either way the result is a list, and every item is read the same way: each stack key an item can take is checked
 * once, at the top level, and is the default of every item that does not set it (the single application is the
 * item that sets nothing but its name and namespace).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  ConfigKey,
  ENGINE_DEFAULTS,
  ITEM_KEY_NAMES,
  ITEM_KEY_SPECS,
  ItemKey,
  KEY_SPECS,
  PROJECT,
} from "./defaults";
import {
  checkTemplateUsed,
  credentialTemplate,
  CredentialFields,
  credentialsFor,
  repoAccess,
} from "./credentials";
import { repoURLParts } from "./repo-url";
import * as check from "./validate";
import type { AppConfig, DatabaseEngine, RepoCredentialTemplate, RepoCredentials } from "./types";

export interface ApplicationsInput {
  /** A top-level key as a check.Field, with its default applied. */
  readonly field: (key: ConfigKey) => check.Field;
  /**
   * Whether the runtime reports `applications` as a secret: the CLI does so when any value in the list was set
   * with --secret (pulumi/pulumi sdk/go/common/resource/config Value.Secure), not for which one.
   */
  readonly encrypted: boolean;
  /** The keys of the namespaces an application must not share (Argo CD's, the operator's). */
  readonly platformNamespaces: readonly check.Field[];
  /** The stack's repoUsername, repoToken and repoSshPrivateKey: its credential template, if set. */
  readonly credentials: CredentialFields;
}

const ENGINES = ["mysql", "postgres"] as const;

/** The item keys a stack key gives a default to, and the check of each. */
const INHERITED = {
  repoURL: check.repoURL,
  targetRevision: check.revision,
  path: check.repoPath,
  syncAutomated: check.boolean,
  syncPrune: check.boolean,
  syncSelfHeal: check.boolean,
  cascadeDelete: check.boolean,
  waitForSync: check.boolean,
  waitTimeout: check.timeoutSeconds,
  dbEngine: check.oneOf(ENGINES),
  dbHost: check.hostname,
  dbPort: check.port,
  dbName: check.identifier,
  dbUser: check.identifier,
  dbSecretName: check.dnsSubdomain,
  dbPasswordRotation: check.counter,
};
type Inherited = keyof typeof INHERITED;
type Value<K extends Inherited> = ReturnType<(typeof INHERITED)[K]>;

/**
 * Reads the applications and the stack's credential template, reporting every problem of every item into
 * `problems`.
 */
export function parseApplications(
  problems: check.Problems,
  input: ApplicationsInput,
): { applications: AppConfig[]; template?: RepoCredentialTemplate } {
  const items = readList(problems, input);
  const stack = stackDefaults(problems, input.field);
  const template = credentialTemplate(problems, input.credentials, stack.value("repoURL")!);
  const appName = input.field("appName");
  const appNamespace = input.field("appNamespace");
  // `appName ""` and no list: a stack that hosts no application of its own (a hub whose Argo CD serves spokes).
  const none = items.length === 0 && appName.isSet && appName.value === "";
  // Checked whether or not the list is set: a bad value is reported even where it has no effect.
  const name = none ? "" : check.dnsLabel(problems, appName);
  const namespace = check.dnsLabel(problems, appNamespace);
  const apps = none
    ? []
    : items.length === 0
      ? [
          parseApp(problems, template, stack, {
            fields: () => undefined,
            name: appName,
            namespace: appNamespace,
          }),
        ]
      : items.map((item, i) => listItem(problems, input, template, stack, item, `applications[${i}]`, name));
  if (items.length > 0) checkSingleAppKeys(problems, apps, name, namespace);
  checkDistinct(problems, apps, input.platformNamespaces);
  const applications = apps.map((a) => a.config);
  checkTemplateUsed(problems, input.credentials, template, applications);
  return { applications, template };
}

interface Parsed {
  readonly config: AppConfig;
  /** Where the name and namespace came from, for messages about collisions. */
  readonly nameField: check.Field;
  readonly namespaceField: check.Field;
  /** The namespace is the name, by default. */
  readonly derived: boolean;
  /** Whether the item sets its namespace (the single application's is appNamespace). */
  readonly setsNamespace: boolean;
}

/** The stack keys items inherit, each checked once; dbHost and dbPort only when set (else: by engine). */
function stackDefaults(problems: check.Problems, field: (key: ConfigKey) => check.Field) {
  const values = new Map<Inherited, unknown>();
  for (const key of Object.keys(INHERITED) as Inherited[]) {
    const f = field(key);
    const derivedWhenUnset = KEY_SPECS[key].derived !== undefined && !f.isSet;
    values.set(key, derivedWhenUnset ? undefined : (INHERITED[key] as Check)(problems, f));
  }
  return {
    field,
    value: <K extends Inherited>(key: K) => values.get(key) as Value<K> | undefined,
  };
}
type Check = (p: check.Problems, f: check.Field) => unknown;
type StackDefaults = ReturnType<typeof stackDefaults>;

/** The list as JSON, each item an object of single values; anything else is reported and left out. */
function readList(
  problems: check.Problems,
  input: ApplicationsInput,
): (Record<string, unknown> | undefined)[] {
  const listField = input.field("applications");
  const first = { ...listField, key: "applications[0].name", path: true, example: "myapp" };
  let list: unknown;
  try {
    list = JSON.parse(listField.value);
  } catch {
    list = undefined;
  }
  // A secret list's values are never shown: one of them is a credential.
  const shown = (v: unknown) => (input.encrypted ? "set" : v === null ? "empty" : `'${JSON.stringify(v)}'`);
  if (!Array.isArray(list)) {
    // `pulumi config set applications '[...]'` without --path stores a string; the CLI rejects it for a key
    // declared as an array, but say how to set it right in case the program runs without that check.
    problems.add(
      `Config '${PROJECT}:applications' is ${input.encrypted ? "set" : `'${listField.value}'`} — expected a list ` +
        `of applications, set item by item with --path. Remove it with: pulumi config rm --stack ` +
        `${problems.stack} applications; set it with: ${problems.command(first)}`,
    );
    return [];
  }
  const secretKeys = ITEM_KEY_NAMES.filter((k) => ITEM_KEY_SPECS[k].secret === true);
  const holdsSecret = list.some(
    (item) => typeof item === "object" && item !== null && secretKeys.some((k) => k in item),
  );
  if (input.encrypted && !holdsSecret) {
    problems.add(
      `Config '${PROJECT}:applications' holds a value set with --secret — only an item's ` +
        `${secretKeys.join(" and ")} are credentials, and anything else in the list must stay readable. Set ` +
        `the list again without --secret: pulumi config rm --stack ${problems.stack} applications; then ` +
        `${problems.command(first)}`,
    );
    return [];
  }
  return list.map((item, i) => {
    if (typeof item === "object" && item !== null && !Array.isArray(item))
      return item as Record<string, unknown>;
    const at = { key: `applications[${i}].name`, value: "", isSet: false, example: "myapp", path: true };
    problems.add(
      `Config '${PROJECT}:applications[${i}]' is ${shown(item)} — expected an application with at least a ` +
        `name. Set it with: ${problems.command(at)}`,
    );
    return undefined;
  });
}

/** One item: its own fields, what it leaves to the stack's keys. */
interface ItemSource {
  /** The item's own field for a key, or undefined where it sets none. */
  readonly fields: (key: ItemKey) => check.Field | undefined;
  readonly name: check.Field;
  readonly namespace: check.Field;
  readonly at?: string;
}

function listItem(
  problems: check.Problems,
  input: ApplicationsInput,
  template: RepoCredentialTemplate | undefined,
  stack: StackDefaults,
  item: Record<string, unknown> | undefined,
  at: string,
  v01Name: string,
): Parsed {
  const values = item ?? {};
  for (const key of Object.keys(values)) {
    if (!(ITEM_KEY_NAMES as string[]).includes(key)) {
      problems.add(
        `Config '${PROJECT}:${at}.${key}' is set — expected one of the item keys ${ITEM_KEY_NAMES.join(", ")}. ` +
          `Remove it with: pulumi config rm --stack ${problems.stack} --path '${at}.${key}'`,
      );
    }
  }
  const fields = (key: ItemKey): check.Field | undefined => {
    const spec = ITEM_KEY_SPECS[key];
    const raw = values[key];
    if (raw === undefined || raw === null) return undefined;
    const value = typeof raw === "object" ? JSON.stringify(raw) : String(raw);
    return {
      key: `${at}.${key}`,
      value,
      isSet: true,
      example: spec.example,
      path: true,
      secret: spec.secret,
    };
  };
  const unset = (key: ItemKey) => ({
    key: `${at}.${key}`,
    value: "",
    isSet: false,
    example: ITEM_KEY_SPECS[key].example,
    path: true,
  });
  const nameField = fields("name") ?? unset("name");
  const namespaceField = fields("namespace") ?? { ...unset("namespace"), value: nameField.value };
  const itemSource = { fields, name: nameField, namespace: namespaceField, at };
  const own = ownCredentials(
    problems,
    input.encrypted,
    itemSource,
    fields("repoURL")?.value ?? stack.value("repoURL")!,
  );
  const app = parseApp(problems, template, stack, itemSource, own);
  if (item !== undefined && !nameField.isSet) {
    problems.missing(nameField, "every application needs a name, which names its Application and AppProject");
  }
  return { ...app, config: { ...app.config, keepsV01Urns: app.config.name === v01Name } };
}

/** One application from its own fields and the stack's defaults. */
function parseApp(
  problems: check.Problems,
  template: RepoCredentialTemplate | undefined,
  stack: StackDefaults,
  item: ItemSource,
  own?: RepoCredentials,
): Parsed {
  const single = item.at === undefined;
  // The field a value comes from: the item's own, else the stack key it inherits.
  const fieldOf = (key: Inherited): check.Field => item.fields(key) ?? stack.field(key);
  const value = <K extends Inherited>(key: K): Value<K> | undefined => {
    const own = item.fields(key);
    return own !== undefined ? (INHERITED[key](problems, own) as Value<K>) : stack.value(key);
  };

  // The single application's name and namespace are appName and appNamespace, checked by parseApplications;
  // an item without a name is reported once, as missing, by listItem.
  const name = single || !item.name.isSet ? item.name.value : check.dnsLabel(problems, item.name);
  if (name === "default") {
    // Argo CD creates and owns the AppProject `default` (server/server.go initializeDefaultProject).
    problems.fail(item.name, "expected a name other than 'default', the AppProject Argo CD creates and owns");
  }
  // A namespace that defaults to the name is checked through the name; only a clash of its own is new.
  const setsNamespace = single || item.namespace.isSet;
  const namespace =
    single || !setsNamespace ? item.namespace.value : check.dnsLabel(problems, item.namespace);
  if (check.RESERVED_NAMESPACES.includes(namespace)) {
    const blamed = setsNamespace ? item.namespace : item.name;
    problems.fail(blamed, "expected a namespace of the application's own, not one the cluster owns");
  }

  const engine = (value("dbEngine") ?? "mysql") as DatabaseEngine;
  const byEngine = ENGINE_DEFAULTS[engine] ?? ENGINE_DEFAULTS.mysql;
  const port = value("dbPort") ?? Number(byEngine.port);
  checkEnginePort(problems, item, fieldOf("dbPort"), engine, port);

  const automated = value("syncAutomated")!;
  const source = {
    repoURL: value("repoURL")!,
    targetRevision: value("targetRevision")!,
    path: value("path")!,
  };
  const config: AppConfig = {
    name,
    namespace,
    source,
    sync: { automated, prune: value("syncPrune")!, selfHeal: value("syncSelfHeal")! },
    cascadeDelete: value("cascadeDelete")!,
    database: {
      engine,
      host: value("dbHost") ?? byEngine.host,
      port,
      name: value("dbName")!,
      user: value("dbUser")!,
      secretName: value("dbSecretName")!,
      passwordRotation: value("dbPasswordRotation")!,
    },
    wait: {
      // With manual sync Argo CD syncs nothing until a person does, so a wait could only time out.
      enabled: automated && value("waitForSync")!,
      timeoutSeconds: value("waitTimeout")!,
    },
    keepsV01Urns: single,
    repoAccess: repoAccess(problems, fieldOf("repoURL"), source.repoURL, own, template),
  };
  return {
    config,
    nameField: item.name,
    namespaceField: item.namespace,
    derived: !setsNamespace,
    setsNamespace,
  };
}

/** The other engine's usual port is a port left over from a switch of engine, not a choice. */
function checkEnginePort(
  problems: check.Problems,
  item: ItemSource,
  portField: check.Field,
  engine: DatabaseEngine,
  port: number,
): void {
  const other = engine === "postgres" ? ENGINE_DEFAULTS.mysql : ENGINE_DEFAULTS.postgres;
  if (!(engine in ENGINE_DEFAULTS) || String(port) !== other.port) return;
  const label = engine === "postgres" ? "PostgreSQL" : "MySQL";
  const own = ENGINE_DEFAULTS[engine].port;
  // Fixed where it applies: on the item, even when the port is the stack's default for every item.
  const fix = item.at === undefined ? portField : { ...portField, key: `${item.at}.dbPort`, path: true };
  const from = portField.key === fix.key ? "" : ` (from '${PROJECT}:${portField.key}')`;
  problems.fail(
    fix,
    `expected ${label}'s port (usually ${own}) with dbEngine ${engine}${from}; ${other.port} is the other ` +
      `engine's. Leave dbPort unset to take the engine's`,
    String(port),
    own,
  );
}

/** An item's own repository credentials; a credential in a list without any secret is in plain text. */
function ownCredentials(
  problems: check.Problems,
  encrypted: boolean,
  item: ItemSource,
  repoURL: string,
): RepoCredentials | undefined {
  const field = (key: "repoUsername" | "repoToken" | "repoSshPrivateKey"): check.Field =>
    item.fields(key) ?? {
      key: `${item.at}.${key}`,
      value: "",
      isSet: false,
      example: ITEM_KEY_SPECS[key].example,
      path: true,
      secret: ITEM_KEY_SPECS[key].secret,
    };
  const secret = (f: check.Field): pulumi.Output<string> | undefined => {
    if (!f.isSet || f.value === "") return undefined;
    if (!encrypted) {
      problems.add(
        `Config '${PROJECT}:${f.key}' is set in plaintext — a credential must be encrypted, since ` +
          `Pulumi.${problems.stack}.yaml is usually committed (treat it as leaked and rotate it). Remove it with: ` +
          `pulumi config rm --stack ${problems.stack} --path '${f.key}'; set it with: ${problems.command(f)}`,
      );
    }
    return pulumi.secret(f.value);
  };
  const token = field("repoToken");
  const sshPrivateKey = field("repoSshPrivateKey");
  return credentialsFor(
    problems,
    {
      username: field("repoUsername"),
      token,
      sshPrivateKey,
      tokenValue: secret(token),
      sshPrivateKeyValue: secret(sshPrivateKey),
    },
    repoURLParts(repoURL),
  );
}

/**
 * With `applications` set, appName and appNamespace describe no application of their own. appName still names
 * the item that keeps the v0.1 URNs; a value other than the default that names no item, and an appNamespace other
 * than its default and than that item's namespace, could have no effect, and are refused.
 */
function checkSingleAppKeys(
  problems: check.Problems,
  apps: readonly Parsed[],
  name: string,
  namespace: string,
): void {
  const rm = (key: string) => `pulumi config rm --stack ${problems.stack} ${key}`;
  const index = apps.findIndex((a) => a.config.name === name);
  if (name !== KEY_SPECS.appName.default && index < 0) {
    const at = { key: `applications[${apps.length}].name`, example: name, path: true };
    problems.add(
      `Config '${PROJECT}:appName' is '${name}' — with applications set it only names the item that keeps the ` +
        `resources the single-application keys created, and no item is named '${name}'. Add it to keep them: ` +
        `${problems.command(at)}; or remove the key (its application is then deleted): ${rm("appName")}`,
    );
  }
  const app = apps[index];
  // At its default, or agreeing with the item appName names (as after moving that application into the list).
  if (namespace === KEY_SPECS.appNamespace.default || app?.config.namespace === namespace) return;
  const keep =
    app !== undefined && !app.setsNamespace && app.config.namespace !== namespace
      ? `To keep '${name}' in namespace '${namespace}': ${problems.command({
          key: `applications[${index}].namespace`,
          example: namespace,
          path: true,
        })}; then remove the key: `
      : "Remove it with: ";
  problems.add(
    `Config '${PROJECT}:appNamespace' is '${namespace}' — it has no effect with applications set: an item's ` +
      `namespace is its own namespace key, or its name. ${keep}${rm("appNamespace")}`,
  );
}

/** Names and namespaces must be unique: each application owns its namespace, AppProject and Application. */
function checkDistinct(
  problems: check.Problems,
  apps: readonly Parsed[],
  platformNamespaces: readonly check.Field[],
): void {
  const named = apps.filter((a) => a.config.name !== "");
  const taken = new Set([
    ...platformNamespaces.map((f) => f.value),
    ...named.flatMap((a) => [a.config.name, a.config.namespace]),
  ]);
  /** A name not used by any application or platform namespace, for the fix of a clash. */
  const free = (base: string): string => {
    for (let n = 2; ; n++) {
      const candidate = `${base.slice(0, 62 - String(n).length)}-${n}`;
      if (!taken.has(candidate)) return candidate;
    }
  };
  const keyOf = (f: check.Field) => `'${PROJECT}:${f.key}'`;

  const names = new Map<string, Parsed>();
  for (const app of named) {
    const first = names.get(app.config.name);
    if (first === undefined) {
      names.set(app.config.name, app);
    } else {
      problems.fail(
        app.nameField,
        `expected a name of its own, but ${keyOf(first.nameField)} uses it too`,
        app.config.name,
        free(app.config.name),
      );
    }
  }

  // Platform namespaces first, so that a clash is reported on the application, where it is fixed. Each
  // application owning its namespace also keeps two credentials Secrets of the same name apart.
  type Owner = { readonly by: string; readonly app?: Parsed };
  const namespaces = new Map<string, Owner>();
  for (const f of platformNamespaces) {
    const first = namespaces.get(f.value);
    if (first === undefined) namespaces.set(f.value, { by: keyOf(f) });
    else problems.fail(f, `expected a namespace of its own, but ${first.by} uses it too`);
  }
  for (const app of named) {
    const ns = app.config.namespace;
    const first = namespaces.get(ns);
    if (first === undefined) {
      const by = app.derived
        ? `${keyOf(app.nameField)} (its name, as its namespace)`
        : keyOf(app.namespaceField);
      namespaces.set(ns, { by, app });
      continue;
    }
    // Two namespaces that both default to their names clash only when the names do, which is reported.
    if (app.derived && first.app?.derived) continue;
    const fix = { ...app.namespaceField, value: ns, path: app.namespaceField.path };
    if (app.derived) {
      problems.fail(
        app.nameField,
        `its namespace defaults to its name, which ${first.by} uses as a namespace too: expected a namespace ` +
          `of its own (set one with: ${problems.command(fix, free(ns))}) or another name`,
        app.config.name,
        free(app.config.name),
      );
    } else {
      // Its own name, unless another application or the platform has that namespace.
      const usedElsewhere =
        platformNamespaces.some((f) => f.value === app.config.name) ||
        named.some((o) => o !== app && [o.config.name, o.config.namespace].includes(app.config.name));
      const own = usedElsewhere ? free(ns) : app.config.name;
      problems.fail(fix, `expected a namespace of its own, but ${first.by} uses it too`, ns, own);
    }
  }
}
