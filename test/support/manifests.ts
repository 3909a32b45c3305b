/**
 * Helpers for the tests of examples/manifests: where the files are, what the Atlas CRDs require, YAML parsing,
 * credential scanning, Atlas's atlas.sum algorithm, and `kubectl kustomize` builds.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { DEFAULTS } from "../../stacks/defaults";
import { effectiveStackConfig, REPO_ROOT } from "./stack-files";

export const EXAMPLES_DIR = path.join(REPO_ROOT, "examples");
export const MANIFESTS_DIR = path.join(EXAMPLES_DIR, "manifests");
export const MIGRATIONS_DIR = path.join(MANIFESTS_DIR, "versioned", "migrations");

export const WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave";
export const COMPONENT_LABEL = "app.kubernetes.io/component";

/** The wave of each role, exactly; the migration directory's ConfigMap must exist before the migration runs. */
export const WAVE_BY_COMPONENT: Readonly<Record<string, number>> = {
  database: 0,
  migrations: 0,
  schema: 1,
  application: 2,
};

/** What each buildable directory must turn into. base is built only through the others. */
export const VARIANTS = {
  "overlays/dev": { schemaKind: "AtlasSchema", destructiveError: false },
  "overlays/prod": { schemaKind: "AtlasSchema", destructiveError: true },
  versioned: { schemaKind: "AtlasMigration", destructiveError: undefined },
} as const;
export type Variant = keyof typeof VARIANTS;
export const VARIANT_NAMES = Object.keys(VARIANTS) as Variant[];

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
        if (CREDENTIAL_KEY.test(key) && (typeof value === "string" || typeof value === "number")) {
          findings.push(`${where}.${key}: literal credential`);
        }
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
 * atlas.sum as Atlas writes it (ariga/atlas, sql/migrate/dir.go: NewHashFile, HashFile.Sum, MarshalText):
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

export function migrationFilesOnDisk(): MigrationFile[] {
  return fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((name) => name.endsWith(".sql"))
    .map((name) => ({ name, data: fs.readFileSync(path.join(MIGRATIONS_DIR, name)) }));
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

/** The config the program runs with: its built-in defaults and each committed stack. */
export function stackConfigs(): [string, Record<string, string>][] {
  const stacks = fs
    .readdirSync(REPO_ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
  assert.deepStrictEqual(
    ["dev", "prod"].filter((s) => !stacks.includes(s)),
    [],
    "the committed stacks dev and prod must be checked",
  );
  return [
    ["program defaults", { ...DEFAULTS }],
    ...stacks.map((s): [string, Record<string, string>] => [s, effectiveStackConfig(s)]),
  ];
}
