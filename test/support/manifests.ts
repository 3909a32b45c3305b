/**
 * Helpers for the tests of examples/manifests: where the files are, what each application and database engine
 * looks like, what the Atlas CRDs require, YAML parsing, credential scanning, Atlas's atlas.sum algorithm,
 * `kubectl kustomize` builds, a small JSON-schema validator for the vendored CRD schemas, the manifests
 * repository's own CI workflow, and the onboarding stack config in examples/stack-config.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { DEFAULTS, ITEM_KEY_NAMES } from "../../stacks/defaults";
import { effectiveStackConfig, REPO_ROOT, TEMPLATE_STACKS } from "./stack-files";

export const EXAMPLES_DIR = path.join(REPO_ROOT, "examples");
export const MANIFESTS_DIR = path.join(EXAMPLES_DIR, "manifests");
/** The `applications` lists that onboard both example applications, one file per stack. */
export const STACK_CONFIG_DIR = path.join(EXAMPLES_DIR, "stack-config");
/** The manifests repository's own CI; its paths are relative to examples/manifests, the copied repo's root. */
export const WORKFLOW_FILE = path.join(MANIFESTS_DIR, ".github", "workflows", "validate.yml");
export const SCHEMAS_DIR = path.join(MANIFESTS_DIR, "schemas");

export const WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave";
export const COMPONENT_LABEL = "app.kubernetes.io/component";

/** The wave of each role, exactly; the migration directory's ConfigMap must exist before the migration runs. */
export const WAVE_BY_COMPONENT: Readonly<Record<string, number>> = {
  database: 0,
  migrations: 0,
  schema: 1,
  application: 2,
};

export type Engine = "mysql" | "postgres";

/**
 * How each database image takes its user, password and database from the credentials Secret: the environment
 * variable and the Secret key it must read. MySQL's image sets only root's password this way (a user of its own
 * would need MYSQL_USER too), so the mysql application's dbUser must be root; PostgreSQL's image creates
 * POSTGRES_USER with POSTGRES_PASSWORD as the owner of POSTGRES_DB, so any dbUser works.
 */
export const ENGINES: Readonly<
  Record<Engine, { image: string; env: Readonly<Record<string, string>>; fixedUser?: string }>
> = {
  mysql: {
    image: "mysql:",
    env: { MYSQL_ROOT_PASSWORD: "password", MYSQL_DATABASE: "database" },
    fixedUser: "root",
  },
  postgres: {
    image: "postgres:",
    env: { POSTGRES_USER: "username", POSTGRES_PASSWORD: "password", POSTGRES_DB: "database" },
  },
};

/** The applications side by side in examples/manifests, each in its own directory. */
export const APPS = {
  shop: {
    engine: "mysql",
    /** Migration directories (with atlas.sum), relative to examples/manifests. */
    migrations: ["shop/versioned/migrations"],
    /** Files that hold an AtlasSchema. */
    schemaFiles: ["shop/base/schema.yaml"],
  },
  billing: {
    engine: "postgres",
    migrations: ["billing/base/migrations"],
    schemaFiles: [],
  },
} as const satisfies Record<string, { engine: Engine; migrations: string[]; schemaFiles: string[] }>;
export type AppName = keyof typeof APPS;

/** What each buildable directory must turn into. The bases are built only through the others. */
export const VARIANTS = {
  "shop/overlays/dev": { app: "shop", schemaKind: "AtlasSchema", destructiveError: false, replicas: 1 },
  "shop/overlays/prod": { app: "shop", schemaKind: "AtlasSchema", destructiveError: true, replicas: 3 },
  "shop/versioned": { app: "shop", schemaKind: "AtlasMigration", destructiveError: undefined, replicas: 1 },
  "billing/overlays/dev": {
    app: "billing",
    schemaKind: "AtlasMigration",
    destructiveError: undefined,
    replicas: 1,
  },
  "billing/overlays/prod": {
    app: "billing",
    schemaKind: "AtlasMigration",
    destructiveError: undefined,
    replicas: 3,
  },
} as const satisfies Record<
  string,
  { app: AppName; schemaKind: string; destructiveError: boolean | undefined; replicas: number }
>;
export type Variant = keyof typeof VARIANTS;
export const VARIANT_NAMES = Object.keys(VARIANTS) as Variant[];
export const BASES = ["shop/base", "billing/base"];
export const ALL_MIGRATION_DIRS: string[] = Object.values(APPS).flatMap((a) => [...a.migrations]);

/**
 * Kinds that live in a namespace. The AppProject admits no cluster-scoped kind but Namespace, and the manifests
 * need none; a kind missing here fails the test until someone checks its scope and adds it.
 */
export const NAMESPACED_KINDS = new Set([
  "ConfigMap",
  "Deployment",
  "Service",
  "PersistentVolumeClaim",
  "ServiceAccount",
  "StatefulSet",
  "PodDisruptionBudget",
  "HorizontalPodAutoscaler",
  "NetworkPolicy",
  "Ingress",
  "Job",
  "AtlasSchema",
  "AtlasMigration",
]);

/**
 * Facts from the atlas-operator 0.7.37 CRDs (config/crd/bases/db.atlasgo.io_atlas{schemas,migrations}.yaml),
 * written down because the tests cannot read the upstream files.
 */
export const ATLAS = {
  apiVersion: "db.atlasgo.io/v1alpha1",
  /** spec properties of AtlasSchema; none is required by the schema, but the operator needs a target and a source. */
  schemaSpecFields: [
    "backoffLimit",
    "cloud",
    "config",
    "configFrom",
    "credentials",
    "devDB",
    "devURL",
    "devURLFrom",
    "envName",
    "exclude",
    "policy",
    "schema",
    "schemas",
    "txMode",
    "url",
    "urlFrom",
    "vars",
  ],
  /** spec.schema: where the desired schema comes from, one of these. */
  schemaSources: ["configMapKeyRef", "hcl", "sql", "url"],
  /** spec.policy.lint properties; spec.policy.lint.destructive has `error` (boolean) only. */
  lintFields: ["destructive", "review"],
  /** spec properties of AtlasMigration; `dir` is required. */
  migrationSpecFields: [
    "backoffLimit",
    "baseline",
    "cloud",
    "config",
    "configFrom",
    "credentials",
    "devDB",
    "devURL",
    "devURLFrom",
    "dir",
    "envName",
    "execOrder",
    "protectedFlows",
    "revisionsSchema",
    "url",
    "urlFrom",
    "vars",
  ],
  /** spec.dir: where the migration directory comes from, one of these. */
  dirSources: ["configMapRef", "local", "remote"],
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Helpers

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at a dotted path, or undefined when any step is missing. */
export function at(value: unknown, dotted: string): unknown {
  let current = value;
  for (const step of dotted.split(".")) {
    if (!isObject(current)) return undefined;
    current = current[step];
  }
  return current;
}

/** Calls visit(node, where) for every object inside value, depth first. */
export function walk(value: unknown, where: string, visit: (node: JsonObject, where: string) => void): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, `${where}[${i}]`, visit));
  } else if (isObject(value)) {
    visit(value, where);
    for (const [key, child] of Object.entries(value)) walk(child, `${where}.${key}`, visit);
  }
}

export function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? filesUnder(full) : [full];
    })
    .sort();
}

export const relative = (file: string) => path.relative(REPO_ROOT, file);

/** Parses a multi-document YAML text; throws with the file name on the first syntax error. */
export function parseDocuments(text: string, source: string): unknown[] {
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${source}, document ${i + 1}: ${doc.errors[0].message}`);
    return doc.toJS() as unknown;
  });
}

export const yamlFiles = () => filesUnder(EXAMPLES_DIR).filter((f) => /\.ya?ml$/.test(f));

// ---------------------------------------------------------------------------------------------------------------
// Credentials

/** scheme://user:password@ — a connection string with its password spelled out. */
export const URL_WITH_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s/@]+@/i;
/** Mapping keys whose scalar value would be a credential. */
export const CREDENTIAL_KEY = /passw(or)?d|token/i;
/** Environment variable names whose literal `value:` would be a credential. */
export const CREDENTIAL_ENV = /PASSWORD|PASSWD|TOKEN|SECRET|(^|_)URL$|DSN/i;

/** A value that names a GitHub Actions secret instead of holding one: `${{ secrets.NAME }}`. */
export const SECRET_REFERENCE = /^\$\{\{\s*secrets\.[A-Za-z0-9_]+\s*\}\}$/;
/** A key that switches a password off (MYSQL_ALLOW_EMPTY_PASSWORD: "yes") rather than holding one. */
export const EMPTY_PASSWORD_FLAG = /ALLOW_EMPTY_PASSWORD$/;

function holdsCredential(key: string, value: unknown): boolean {
  if (typeof value !== "string" && typeof value !== "number") return false;
  if (!CREDENTIAL_KEY.test(key)) return false;
  if (typeof value === "string" && SECRET_REFERENCE.test(value)) return false;
  return !(EMPTY_PASSWORD_FLAG.test(key) && /^(yes|true|1)$/i.test(String(value)));
}

/** Every place in a file's text and YAML documents that holds, or looks like it holds, a credential. */
export function credentialFindings(text: string, documents: unknown[], source: string): string[] {
  const findings: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (URL_WITH_PASSWORD.test(line)) findings.push(`${source}:${i + 1}: URL with a password`);
  });
  documents.forEach((doc, d) => {
    if (at(doc, "kind") === "Secret") findings.push(`${source}, document ${d + 1}: a Secret`);
    walk(doc, `${source}#${d + 1}`, (node, where) => {
      for (const [key, value] of Object.entries(node)) {
        if (holdsCredential(key, value)) findings.push(`${where}.${key}: literal credential`);
      }
      if (typeof node.name === "string" && CREDENTIAL_ENV.test(node.name) && "value" in node) {
        findings.push(`${where}: ${node.name} has a literal value`);
      }
    });
  });
  return findings;
}

// ---------------------------------------------------------------------------------------------------------------
// atlas.sum

export interface MigrationFile {
  readonly name: string;
  readonly data: Buffer;
}

/**
 * atlas.sum as Atlas writes it (ariga/atlas v1.2.3, sql/migrate/dir.go: LocalDir.Files, NewHashFile,
 * HashFile.Sum, HashFile.MarshalText; the operator reads a ConfigMap directory through MemDir.Files, which also
 * keeps only `.sql` names, sorted):
 * the migration files are the `*.sql` files sorted by name; one SHA-256 runs over name and content of each in
 * turn, and each file's line carries the base64 digest of everything hashed up to and including that file. The
 * first line is `h1:` plus the base64 SHA-256 over every file name followed by its (base64) hash.
 */
export function atlasSum(files: readonly MigrationFile[]): string {
  const sorted = files
    .filter((f) => f.name.endsWith(".sql"))
    .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const running = crypto.createHash("sha256");
  const lines: [string, string][] = [];
  for (const file of sorted) {
    // Atlas skips the content of a file whose first line says `atlas:sum ignore`; this checker does not model
    // that, so refuse such a file rather than compute a wrong sum.
    if (/atlas:sum/.test(/^[ -~]*/.exec(file.data.toString("latin1"))![0])) {
      throw new Error(`${file.name}: atlas:sum directives are not supported by this check`);
    }
    running.update(file.name).update(file.data);
    lines.push([file.name, running.copy().digest("base64")]);
  }
  const total = crypto.createHash("sha256");
  for (const [name, hash] of lines) total.update(name).update(hash);
  return `h1:${total.digest("base64")}\n` + lines.map(([name, hash]) => `${name} h1:${hash}\n`).join("");
}

/** The .sql files of a migration directory (relative to examples/manifests), as Atlas reads them. */
export function migrationFilesOnDisk(dir: string): MigrationFile[] {
  const full = path.join(MANIFESTS_DIR, dir);
  return fs
    .readdirSync(full)
    .filter((name) => name.endsWith(".sql"))
    .map((name) => ({ name, data: fs.readFileSync(path.join(full, name)) }));
}

// ---------------------------------------------------------------------------------------------------------------
// Builds

export interface K8sObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

export function kubectlAvailable(): boolean {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export const HAS_KUBECTL = kubectlAvailable();
const builds = new Map<Variant, { text: string; objects: K8sObject[] }>();

/** `kubectl kustomize` of one variant, as text and parsed; skips the calling test when kubectl is missing. */
export function buildOutput(ctx: Mocha.Context, variant: Variant): { text: string; objects: K8sObject[] } {
  if (!HAS_KUBECTL) {
    ctx.skip(); // reported as pending; the reason is printed once by the describe block below
  }
  let output = builds.get(variant);
  if (output === undefined) {
    const dir = path.join(MANIFESTS_DIR, variant);
    const text = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
    const objects = parseDocuments(text, `kubectl kustomize ${relative(dir)}`).filter((o) => o !== null);
    output = { text, objects: objects as K8sObject[] };
    builds.set(variant, output);
  }
  return output;
}

export const build = (ctx: Mocha.Context, variant: Variant) => buildOutput(ctx, variant).objects;

/** The Kubernetes objects as written in the files, before kustomize: every document that is not kustomize's own. */
export function committedObjects(): K8sObject[] {
  return yamlFiles()
    .filter((f) => f.startsWith(MANIFESTS_DIR + path.sep))
    .flatMap((f) => parseDocuments(fs.readFileSync(f, "utf8"), relative(f)))
    .filter(
      (doc) =>
        isObject(doc) &&
        typeof doc.kind === "string" &&
        !String(doc.apiVersion).startsWith("kustomize.config"),
    )
    .map((doc) => doc as K8sObject);
}

export const label = (o: K8sObject, name: string) => o.metadata.labels?.[name];
export const id = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;

export function wave(o: K8sObject): number {
  const value = o.metadata.annotations?.[WAVE_ANNOTATION];
  assert.ok(value !== undefined, `${id(o)} has no ${WAVE_ANNOTATION} annotation`);
  assert.match(value, /^-?\d+$/, `${id(o)}: ${WAVE_ANNOTATION} '${value}' is not an integer`);
  return Number(value);
}

export function only(objects: K8sObject[], kind: string, variant: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  assert.strictEqual(found.length, 1, `${variant}: expected exactly one ${kind}, found ${found.length}`);
  return found[0];
}

export interface Container extends JsonObject {
  name: string;
  image: string;
}

export function containers(o: K8sObject): Container[] {
  const list = at(o, "spec.template.spec.containers");
  return Array.isArray(list) ? (list as Container[]) : [];
}

/** Every reference to a Secret: env secretKeyRef, Atlas urlFrom.secretKeyRef, envFrom secretRef, volumes. */
export function secretReferences(objects: K8sObject[]): { where: string; name: unknown; key?: unknown }[] {
  const refs: { where: string; name: unknown; key?: unknown }[] = [];
  for (const o of objects) {
    walk(o, id(o), (node, where) => {
      if (isObject(node.secretKeyRef)) {
        refs.push({ where, name: node.secretKeyRef.name, key: node.secretKeyRef.key });
      }
      if (isObject(node.secretRef)) refs.push({ where, name: node.secretRef.name });
      if (isObject(node.secret) && "secretName" in node.secret)
        refs.push({ where, name: node.secret.secretName });
    });
  }
  return refs;
}

/**
 * The config the program runs with: its built-in defaults and each of the template's stacks, which point at
 * the examples' shop. (The committed stack files are the user's and may point at other manifests.)
 */
export function stackConfigs(): [string, Record<string, string>][] {
  assert.deepStrictEqual(
    TEMPLATE_STACKS,
    ["dev", "prod"],
    "the template's stacks dev and prod must be checked",
  );
  return [
    ["program defaults", { ...DEFAULTS }],
    ...TEMPLATE_STACKS.map((s): [string, Record<string, string>] => [s, effectiveStackConfig(s)]),
  ];
}

/** The database Deployment of a build: the one whose container runs the engine's image. */
export function databaseDeployment(objects: K8sObject[], engine: Engine): K8sObject | undefined {
  return objects.find(
    (o) => o.kind === "Deployment" && containers(o).some((c) => c.image.startsWith(ENGINES[engine].image)),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Vendored JSON schemas of the custom resources

/**
 * Where kubeconform looks for a kind's schema with the workflow's
 * `-schema-location 'schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'`
 * (yannh/kubeconform v0.7.0, pkg/registry/registry.go, schemaPath: Group is apiVersion before the slash,
 * ResourceKind the lower-cased kind, ResourceAPIVersion the part after the slash).
 */
export const SCHEMA_LOCATION = "schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json";

export function schemaFileFor(apiVersion: string, kind: string): string {
  const parts = apiVersion.split("/");
  return SCHEMA_LOCATION.replace("{{ .Group }}", parts[0])
    .replace("{{ .ResourceKind }}", kind.toLowerCase())
    .replace("{{ .ResourceAPIVersion }}", parts[parts.length - 1]);
}

export function readSchema(apiVersion: string, kind: string): JsonObject {
  return JSON.parse(fs.readFileSync(path.join(MANIFESTS_DIR, schemaFileFor(apiVersion, kind)), "utf8"));
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/**
 * The keywords the CRD-derived schemas use (type, enum, properties, required, additionalProperties, items,
 * anyOf/oneOf/allOf, length, pattern and range bounds), checked the JSON Schema way. Keywords it does not know
 * (format, x-kubernetes-*) are ignored, as kubeconform ignores them. Returns one message per violation.
 */
export function schemaErrors(schema: unknown, value: unknown, where = "$"): string[] {
  if (!isObject(schema)) return [];
  const errors: string[] = [];
  const actual = typeOf(value);
  if (schema.type !== undefined) {
    const allowed = (Array.isArray(schema.type) ? schema.type : [schema.type]) as string[];
    const ok = allowed.includes(actual) || (actual === "integer" && allowed.includes("number"));
    if (!ok) return [`${where}: is ${actual}, expected ${allowed.join(" or ")}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push(`${where}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (typeof value === "string") {
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength)
      errors.push(`${where}: longer than ${schema.maxLength}`);
    if (typeof schema.minLength === "number" && value.length < schema.minLength)
      errors.push(`${where}: shorter than ${schema.minLength}`);
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value))
      errors.push(`${where}: does not match ${schema.pattern}`);
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) errors.push(`${where}: below minimum`);
    if (typeof schema.maximum === "number" && value > schema.maximum) errors.push(`${where}: above maximum`);
  }
  if (isObject(value)) {
    const properties = isObject(schema.properties) ? schema.properties : {};
    for (const key of (Array.isArray(schema.required) ? schema.required : []) as string[]) {
      if (!(key in value)) errors.push(`${where}: required field '${key}' is missing`);
    }
    for (const [key, child] of Object.entries(value)) {
      if (key in properties) errors.push(...schemaErrors(properties[key], child, `${where}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${where}: field '${key}' is not allowed`);
      else errors.push(...schemaErrors(schema.additionalProperties, child, `${where}.${key}`));
    }
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => errors.push(...schemaErrors(schema.items, item, `${where}[${i}]`)));
  }
  if (Array.isArray(schema.allOf))
    for (const s of schema.allOf) errors.push(...schemaErrors(s, value, where));
  for (const [keyword, wanted] of [
    ["anyOf", (n: number) => n >= 1],
    ["oneOf", (n: number) => n === 1],
  ] as const) {
    const options = schema[keyword];
    if (
      Array.isArray(options) &&
      !wanted(options.filter((s) => schemaErrors(s, value, where).length === 0).length)
    ) {
      errors.push(
        `${where}: does not match ${keyword === "anyOf" ? "any" : "exactly one"} of the ${keyword} schemas`,
      );
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------------------------
// The manifests repository's workflow

export function readWorkflow(): { text: string; workflow: JsonObject } {
  const text = fs.readFileSync(WORKFLOW_FILE, "utf8");
  const [workflow] = parseDocuments(text, relative(WORKFLOW_FILE));
  assert.ok(isObject(workflow), "the workflow is not a mapping");
  return { text, workflow };
}

/** A workflow env list ("a b c") as words. */
export const words = (value: unknown) =>
  String(value ?? "")
    .split(/\s+/)
    .filter((w) => w !== "");

/**
 * Inputs of the ariga/atlas-action actions at v1.16.4 (commit dcd225ef6abb76c79bd3044146084bffb4ed2321), read
 * in each action.yml; `dir-name` is the one required input of migrate/lint, and its Go code
 * (atlasaction/action.go, Actions.MigrateLint) refuses to run without it and sends the report to Atlas Cloud.
 */
const COMMON_ATLAS_ACTION_INPUTS = ["working-directory", "config", "env", "vars"];
export const ATLAS_ACTION = {
  commit: "dcd225ef6abb76c79bd3044146084bffb4ed2321",
  inputs: {
    "migrate/lint": [
      "dir",
      "dir-name",
      "git-base",
      "git-dir",
      "revisions-schema",
      "tag",
      "dev-url",
      ...COMMON_ATLAS_ACTION_INPUTS,
    ],
    "migrate/push": [
      "dir",
      "dir-name",
      "latest",
      "revisions-schema",
      "tag",
      "dev-url",
      ...COMMON_ATLAS_ACTION_INPUTS,
    ],
    "schema/lint": ["schema", "url", "dev-url", ...COMMON_ATLAS_ACTION_INPUTS],
  } as Record<string, string[]>,
  required: { "migrate/lint": ["dir-name"], "migrate/push": ["dir-name"] } as Record<string, string[]>,
};

/** ariga/setup-atlas v0.3 (2f3c785c89a15e1c0d07bcae3900fb5feb969eea), action.yml: its inputs. */
export const SETUP_ATLAS = {
  commit: "2f3c785c89a15e1c0d07bcae3900fb5feb969eea",
  inputs: ["version", "flavor", "cloud-token"],
};

// ---------------------------------------------------------------------------------------------------------------
// Onboarding stack config

/** The keys an item of the `applications` config list may carry, as the program declares them. */
export const APPLICATION_KEYS: readonly string[] = ITEM_KEY_NAMES;

export type ApplicationItem = Record<string, string | number | boolean>;

export const ONBOARDING_STACKS = ["dev", "prod"];

/** The `applications` list of examples/stack-config/<stack>.yaml. */
export function onboardingItems(stack: string): ApplicationItem[] {
  const file = path.join(STACK_CONFIG_DIR, `${stack}.yaml`);
  const [doc] = parseDocuments(fs.readFileSync(file, "utf8"), relative(file));
  const list = at(doc, "config.atlas-gitops:applications");
  assert.ok(Array.isArray(list), `${relative(file)}: config 'atlas-gitops:applications' is not a list`);
  return list as ApplicationItem[];
}

/** A shell word: bare when it is safe, else in single quotes. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `pulumi config set --path` commands that write a stack's `applications` list, item by item, in order (an
 * index one past the end appends; pulumi/pulumi's config --path handling). Under --path the CLI stores `5432` as
 * a number and `true`/`false` as booleans, as the fixture holds them; a string that would read as one gets
 * `--type string`.
 */
export function onboardingCommands(stack: string, items: ApplicationItem[]): string[] {
  return items.flatMap((item, i) =>
    Object.entries(item).map(([key, value]) => {
      const text = String(value);
      const looksTyped = typeof value === "string" && /^(true|false|-?[1-9]\d*|0)$/.test(text);
      const type = looksTyped ? " --type string" : "";
      return `pulumi config set --stack ${stack} --path 'applications[${i}].${key}' ${shellWord(text)}${type}`;
    }),
  );
}
