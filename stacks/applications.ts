/**
 * The applications a stack hosts: the `applications` list, or, when a stack leaves it empty, the one application
 * that the single-application keys (appName, appNamespace, path, db*) describe. Either way the result is a list,
 * so the platform has one code path.
 */
import { ConfigKey, ENGINE_DEFAULTS, ITEM_KEY_NAMES, ITEM_KEY_SPECS, ItemKey, PROJECT } from "./defaults";
import * as check from "./validate";
import type { AppConfig, DatabaseEngine } from "./types";

/** The stack keys an item inherits when it does not set them, already checked. */
export interface StackWide {
  readonly repoURL: string;
  readonly targetRevision: string;
  readonly syncAutomated: boolean;
  readonly syncPrune: boolean;
  readonly syncSelfHeal: boolean;
  readonly cascadeDelete: boolean;
  readonly waitForSync: boolean;
  readonly waitTimeout: number;
}

export interface ApplicationsInput {
  /** A top-level key as a check.Field, with its default applied. */
  readonly field: (key: ConfigKey) => check.Field;
  readonly stackWide: StackWide;
  /** Whether the stack holds `applications` encrypted. */
  readonly encrypted: boolean;
  /** The keys of the namespaces an application must not share (Argo CD's, the operator's). */
  readonly platformNamespaces: readonly check.Field[];
}

/** The single-application key behind each item key, where the names differ. */
const SINGLE_APP_KEY: Partial<Record<ItemKey, ConfigKey>> = { name: "appName", namespace: "appNamespace" };

const ENGINES = ["mysql", "postgres"] as const;

/** Reads the applications, reporting every problem of every item into `problems`. */
export function parseApplications(problems: check.Problems, input: ApplicationsInput): AppConfig[] {
  const listField = input.field("applications");
  const items = readList(problems, listField, input.encrypted);
  const v01Name = input.field("appName").value;
  const apps =
    items.length === 0
      ? [singleApplication(problems, input)]
      : items.map((item, i) => listItem(problems, input, item, `applications[${i}]`, v01Name));
  checkDistinct(problems, apps, input.platformNamespaces);
  return apps.map((a) => a.config);
}

interface Parsed {
  readonly config: AppConfig;
  /** Where the name and namespace came from, for messages about collisions. */
  readonly nameField: check.Field;
  readonly namespaceField: check.Field;
  /** The namespace is the name, by default. */
  readonly derived: boolean;
}

/** The list as JSON, each item an object of single values; anything else is reported and left out. */
function readList(
  problems: check.Problems,
  listField: check.Field,
  encrypted: boolean,
): (Record<string, unknown> | undefined)[] {
  const first = { ...listField, key: "applications[0].name", path: true, example: "myapp" };
  if (encrypted) {
    problems.add(
      `Config '${PROJECT}:applications' is set as a secret — it holds no credential, and a secret list would ` +
        `turn every name in it into a secret. Remove it with: pulumi config rm --stack ${problems.stack} ` +
        `applications; set it with: ${problems.command(first)}`,
    );
    return [];
  }
  let list: unknown;
  try {
    list = JSON.parse(listField.value);
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list)) {
    // `pulumi config set applications '[...]'` without --path stores a string; the CLI rejects it for a key
    // declared as an array, but say how to set it right in case the program runs without that check.
    problems.add(
      `Config '${PROJECT}:applications' is '${listField.value}' — expected a list of applications, set item by ` +
        `item with --path. Remove it with: pulumi config rm --stack ${problems.stack} applications; set it ` +
        `with: ${problems.command(first)}`,
    );
    return [];
  }
  return list.map((item, i) => {
    if (typeof item === "object" && item !== null && !Array.isArray(item))
      return item as Record<string, unknown>;
    const at = { key: `applications[${i}].name`, value: "", isSet: false, example: "myapp", path: true };
    problems.add(
      `Config '${PROJECT}:applications[${i}]' is ${item === null ? "empty" : `'${JSON.stringify(item)}'`} — ` +
        `expected an application with at least a name. Set it with: ${problems.command(at)}`,
    );
    return undefined;
  });
}

/** The one application of a stack that sets no `applications`: today's keys, today's messages. */
function singleApplication(problems: check.Problems, input: ApplicationsInput): Parsed {
  const keyOf = (key: ItemKey): ConfigKey => SINGLE_APP_KEY[key] ?? (key as ConfigKey);
  return parseApp(problems, (key) => input.field(keyOf(key)), input.stackWide, true);
}

function listItem(
  problems: check.Problems,
  input: ApplicationsInput,
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
  const fieldOf = (key: ItemKey): check.Field => {
    const spec = ITEM_KEY_SPECS[key];
    const raw = values[key];
    const base = { key: `${at}.${key}`, example: spec.example, path: true };
    if (raw === undefined || raw === null) {
      const inherited = spec.inherits === undefined ? undefined : input.field(spec.inherits).value;
      return { ...base, value: inherited ?? spec.default ?? "", isSet: false };
    }
    return { ...base, value: typeof raw === "object" ? JSON.stringify(raw) : String(raw), isSet: true };
  };
  const app = parseApp(problems, fieldOf, input.stackWide, false);
  if (item !== undefined && !fieldOf("name").isSet) {
    problems.missing(
      fieldOf("name"),
      "every application needs a name, which names its Application and AppProject",
    );
  }
  return { ...app, config: { ...app.config, keepsV01Urns: app.config.name === v01Name } };
}

/**
 * One application from its fields. Keys an item leaves unset and that the stack sets stack-wide were checked once
 * at the top level; they are taken from there rather than reported again for every item.
 */
function parseApp(
  problems: check.Problems,
  fieldOf: (key: ItemKey) => check.Field,
  stackWide: StackWide,
  single: boolean,
): Parsed {
  // A stack-wide key: an item's own value when it sets one, else the stack's, already checked at the top level.
  const own = <T>(key: ItemKey, parse: (p: check.Problems, f: check.Field) => T, inherited: T): T =>
    !single && fieldOf(key).isSet ? parse(problems, fieldOf(key)) : inherited;

  const nameField = fieldOf("name");
  // An item without a name is reported once, as missing, by listItem.
  const name = single || nameField.isSet ? check.dnsLabel(problems, nameField) : "";
  if (name === "default") {
    // Argo CD creates and owns the AppProject `default` (server/server.go initializeDefaultProject).
    problems.fail(nameField, "expected a name other than 'default', the AppProject Argo CD creates and owns");
  }
  // A namespace that defaults to the name is checked through the name; only a clash of its own is new.
  const derived = !single && !fieldOf("namespace").isSet;
  const namespaceField = derived ? { ...fieldOf("namespace"), value: name } : fieldOf("namespace");
  const namespace = derived ? name : check.dnsLabel(problems, namespaceField);
  if (check.RESERVED_NAMESPACES.includes(namespace)) {
    problems.fail(namespaceField, "expected a namespace of the application's own, not one the cluster owns");
  }

  const engine = check.oneOf(ENGINES)(problems, fieldOf("dbEngine"));
  const engineDefaults = ENGINE_DEFAULTS[engine] ?? ENGINE_DEFAULTS.mysql;
  const withEngineDefault = (key: ItemKey, value: string): check.Field =>
    single || fieldOf(key).isSet ? fieldOf(key) : { ...fieldOf(key), value };
  const portField = withEngineDefault("dbPort", engineDefaults.port);
  const port = check.port(problems, portField);
  // MySQL's port with postgres is a port the stack forgot to set (the single-application default is MySQL's).
  if (engine === "postgres" && port === 3306) {
    problems.fail(
      portField,
      "expected PostgreSQL's port (usually 5432) with dbEngine postgres",
      "3306",
      "5432",
    );
  }

  const automated = own("syncAutomated", check.boolean, stackWide.syncAutomated);
  const config: AppConfig = {
    name,
    namespace,
    source: {
      repoURL: own("repoURL", check.repoURL, stackWide.repoURL),
      targetRevision: own("targetRevision", check.revision, stackWide.targetRevision),
      path: check.repoPath(problems, fieldOf("path")),
    },
    sync: {
      automated,
      prune: own("syncPrune", check.boolean, stackWide.syncPrune),
      selfHeal: own("syncSelfHeal", check.boolean, stackWide.syncSelfHeal),
    },
    cascadeDelete: own("cascadeDelete", check.boolean, stackWide.cascadeDelete),
    database: {
      engine: engine as DatabaseEngine,
      host: check.hostname(problems, withEngineDefault("dbHost", engineDefaults.host)),
      port,
      name: check.identifier(problems, fieldOf("dbName")),
      user: check.identifier(problems, fieldOf("dbUser")),
      secretName: check.dnsSubdomain(problems, fieldOf("dbSecretName")),
      passwordRotation: check.counter(problems, fieldOf("dbPasswordRotation")),
    },
    wait: {
      // With manual sync Argo CD syncs nothing until a person does, so a wait could only time out.
      enabled: automated && own("waitForSync", check.boolean, stackWide.waitForSync),
      timeoutSeconds: own("waitTimeout", check.timeoutSeconds, stackWide.waitTimeout),
    },
    keepsV01Urns: single,
  };
  return { config, nameField, namespaceField, derived };
}

/** Names and namespaces must be unique: each application owns its namespace, AppProject and Application. */
function checkDistinct(
  problems: check.Problems,
  apps: readonly Parsed[],
  platformNamespaces: readonly check.Field[],
): void {
  type Entry = { field: check.Field; value: string; derived?: boolean };
  const unique = (what: string, entries: Entry[]) => {
    const seen = new Map<string, Entry>();
    for (const entry of entries) {
      const first = seen.get(entry.value);
      if (first === undefined) {
        seen.set(entry.value, entry);
      } else if (!(entry.derived && first.derived)) {
        // Two namespaces that both default to their names clash only when the names do, which is reported.
        problems.fail(
          entry.field,
          `expected a ${what} of its own, but '${PROJECT}:${first.field.key}' uses it too`,
          entry.value,
        );
      }
    }
  };
  const named = apps.filter((a) => a.config.name !== "");
  unique(
    "name",
    named.map((a) => ({ field: a.nameField, value: a.config.name })),
  );
  // Platform namespaces first, so that a clash is reported on the application, where it is fixed. Each
  // application owning its namespace also keeps two credentials Secrets of the same name apart.
  unique("namespace", [
    ...platformNamespaces.map((field) => ({ field, value: field.value })),
    ...named.map((a) => ({ field: a.namespaceField, value: a.config.namespace, derived: a.derived })),
  ]);
}
