/**
 * A model of what the Pulumi CLI checks, and what it hands to a Node.js program, before `pulumi preview`, `up` or
 * `destroy` starts the program. Written from pulumi/pulumi at the release MODELLED_CLI_VERSION names (below);
 * every function below names the upstream function it follows. Not modelled: ESC environments (the stack has
 * none), `--config-file`, the exact zxcvbn score of `pulumi config set`'s `looksLikeSecret` (bounded instead), and
 * real encryption (a reversible stand-in marks values set with `--secret`).
 *
 * The flow, as `pulumi up` runs it (pkg/cmd/pulumi/operations/up.go):
 *   LoadProject (Pulumi.yaml) -> LoadProjectStack (Pulumi.<stack>.yaml) -> GetStackConfiguration
 *   -> ValidateStackConfigAndApplyProjectConfig = mergeConfig(validate=true), called ONCE; it applies project
 *      defaults onto the stack config and only then validates every declared key of the merged map, so an applied
 *      default is checked like a value found on the stack (pulumi/pulumi#21865, a regression since v3.202.0)
 *   -> evalSource.Iterate: Map.Decrypt -> RunRequest.config, Map.SecureKeys -> RunRequest.configSecretKeys
 *   -> pulumi-language-nodejs constructConfig / constructConfigSecretKeys -> PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS
 *   -> @pulumi/pulumi runtime/config.ts parseConfig/cleanKey -> runtime.getConfig("<project>:<key>").
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/**
 * The pulumi/pulumi release this model was read from (tag commit, as re-read:
 * 31997188e2caf0b75a4e50d77574215fd42d7f8c), the CLI every workflow installs (`pulumi-version` of pulumi/actions)
 * and the one toolchain/pulumi builds for the end-to-end tests. Renovate bumps all three in one pull request;
 * test/pins.test.ts then flags the files that record facts read at this version until they are read again, and
 * test/e2e/cli-config.e2e.ts runs the built CLI on the cases this model answers.
 */
export const MODELLED_CLI_VERSION = "3.252.0";

/** An error the CLI prints (after `error: `); the message is the CLI's own text. */
export class PulumiCliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PulumiCliError";
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Values. sdk/go/common/resource/config/object.go `object` and value.go `Value`.

/** A Go value decoded into `any` by yaml.v3 or encoding/json: bigint is a Go int, number a float64. */
export type GoAny = string | bigint | number | boolean | null | GoAny[] | { [key: string]: GoAny };

/** An int64/uint64 of `object`, kept as its decimal text so no digit is lost. */
export class GoInt {
  constructor(readonly text: string) {}
}
/** `CiphertextSecret`: a secure string inside a config value. */
export class Ciphertext {
  constructor(readonly text: string) {}
}
/** The value field of `object`: number is a float64. */
export type Obj = null | boolean | string | number | GoInt | Ciphertext | Obj[] | Map<string, Obj>;

/**
 * A config value as `Value` holds it once read back from a stack file (`Value.UnmarshalYAML` via
 * `object.MarshalString`): a plain string, a secure string, or JSON object text (kept here as its tree).
 */
export type ConfigValue =
  | { readonly kind: "plain"; readonly text: string }
  | { readonly kind: "secure"; readonly ciphertext: string }
  | { readonly kind: "object"; readonly tree: Obj };

/** `config.Map` of one stack, keyed `<namespace>:<name>`, plus the project name that bare keys belong to. */
export interface StackConfig {
  readonly project: string;
  readonly values: ReadonlyMap<string, ConfigValue>;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const plain = (text: string): ConfigValue => ({ kind: "plain", text });

function cloneObj(o: Obj): Obj {
  if (Array.isArray(o)) return o.map(cloneObj);
  if (o instanceof Map) return new Map([...o].map(([k, v]) => [k, cloneObj(v)]));
  return o;
}

/** A float64 as encoding/json writes it (strconv 'f' or 'e' at the same cut-offs as JavaScript). */
const goFloat = (n: number) => String(n);

/**
 * `object.MarshalString` followed by reading the saved file back (`unmarshalObject` on JSON with UseNumber):
 * scalars become plain strings, a `CiphertextSecret` a secure value, everything else object text in which whole
 * float64s within int64 come back as ints.
 */
export function valueFromObj(o: Obj): ConfigValue {
  if (typeof o === "boolean") return plain(String(o));
  if (typeof o === "number") return plain(goFloat(o));
  if (typeof o === "string") return plain(o);
  if (o instanceof GoInt) return plain(o.text);
  if (o instanceof Ciphertext) return { kind: "secure", ciphertext: o.text };
  const reread = (x: Obj): Obj => {
    if (Array.isArray(x)) return x.map(reread);
    if (x instanceof Map) return new Map([...x].map(([k, v]) => [k, reread(v)]));
    // json.Number.Int64 fails past int64, so a uint64 comes back as a float64.
    if (x instanceof GoInt && BigInt(x.text) > INT64_MAX) return Number(x.text);
    if (typeof x === "number" && /^-?\d+$/.test(goFloat(x))) {
      const i = BigInt(goFloat(x));
      if (i >= INT64_MIN && i <= INT64_MAX) return new GoInt(i.toString());
    }
    return x;
  };
  return { kind: "object", tree: reread(o) };
}

/** `Value.unmarshalObject` for a value without a `--type`. */
function valueToObj(v: ConfigValue): Obj {
  if (v.kind === "plain") return v.text;
  if (v.kind === "secure") return new Ciphertext(v.ciphertext);
  return cloneObj(v.tree);
}

function containsSecret(o: Obj): boolean {
  if (o instanceof Ciphertext) return true;
  if (Array.isArray(o)) return o.some(containsSecret);
  if (o instanceof Map) return [...o.values()].some(containsSecret);
  return false;
}

/** `Value.Secure`: a secure string, or object text holding one (`object.Secure`). */
export const isSecure = (v: ConfigValue) =>
  v.kind === "secure" || (v.kind === "object" && containsSecret(v.tree));

/** `unmarshalObject` (object.go) on what yaml.v3 decodes; a map of the single string key "secure" is a secret. */
function objFromYaml(v: unknown): Obj {
  if (typeof v === "bigint") return new GoInt(v.toString());
  if (v === null || v === undefined) return null;
  if (typeof v === "string" || typeof v === "boolean" || typeof v === "number") return v;
  if (Array.isArray(v)) return v.map(objFromYaml);
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 1 && entries[0][0] === "secure" && typeof entries[0][1] === "string") {
    return new Ciphertext(entries[0][1]);
  }
  return new Map(entries.map(([k, x]) => [k, objFromYaml(x)]));
}

/** `coerce` (object.go): "true"/"false" and decimal integers without a leading zero, else not coerced. */
function coerce(v: string): Obj | undefined {
  if (v === "true" || v === "false") return v === "true";
  if (v.length > 1 && v[0] === "0") return undefined;
  if (/^[+-]?\d+$/.test(v)) {
    const i = BigInt(v); // strconv.ParseInt accepts a sign; ParseUint (the fallback) does not.
    if (i >= INT64_MIN && i <= INT64_MAX) return new GoInt(i.toString());
    if (/^\d+$/.test(v) && i <= UINT64_MAX) return new GoInt(i.toString());
  }
  return undefined;
}

/** What `pulumi config set --type` stores: `NewTypedValue`, read by `Value.unmarshalObject`'s typed branch. */
type SetType = "" | "string" | "int" | "bool" | "float";

function typedObj(text: string, typ: Exclude<SetType, "">): Obj {
  switch (typ) {
    case "string":
      return text;
    case "int":
      if (!/^[+-]?\d+$/.test(text) || BigInt(text) < INT64_MIN || BigInt(text) > INT64_MAX) {
        throw new PulumiCliError(`strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
      }
      return new GoInt(BigInt(text).toString());
    case "bool":
      // strconv.ParseBool; an unparsable value is logged and stored as false.
      return ["1", "t", "T", "TRUE", "true", "True"].includes(text);
    case "float": {
      const f = Number(text);
      if (text.trim() === "" || Number.isNaN(f)) {
        throw new PulumiCliError(`strconv.ParseFloat: parsing ${JSON.stringify(text)}: invalid syntax`);
      }
      return f;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Keys and paths. config/key.go `ParseKey`, config/map.go `parseKeyPath`, resource/properties_path.go
// `parsePropertyPath` (strict) and `PropertyPath.String`.

type PathElem = string | number;

/** `config.ParseKey`: `<namespace>:<name>`, or the old `<namespace>:config:<name>`. */
export function parseKey(s: string): { namespace: string; name: string } {
  const parts = s.split(":");
  if (parts.length === 2) return { namespace: parts[0], name: parts[1] };
  if (parts.length === 3 && parts[1] === "config" && parts[0] !== "" && parts[2] !== "") {
    return { namespace: parts[0], name: parts[2] };
  }
  throw new PulumiCliError(
    `could not parse ${s} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`,
  );
}

function parsePropertyPath(p: string): PathElem[] {
  const out: PathElem[] = [];
  if (p.startsWith(".")) throw new Error("expected property path to start with a name or index");
  while (p.length > 0) {
    if (p[0] === ".") {
      p = p.slice(1);
      if (p.length === 0) throw new Error("expected property path to end with a name or index");
      if (p[0] === "[") throw new Error("expected property name after '.'");
    } else if (p[0] === "[") {
      if (p.length > 1 && p[1] === '"') {
        let key = "";
        let i = 2;
        for (;;) {
          if (i >= p.length) throw new Error("missing closing quote in property name");
          if (p[i] === '"') {
            i++;
            break;
          }
          if (p[i] === "\\" && p[i + 1] === '"') {
            key += '"';
            i += 2;
          } else key += p[i++];
        }
        if (p[i] !== "]") throw new Error("missing closing bracket in property access");
        out.push(key);
        p = p.slice(i + 1);
      } else {
        const close = p.indexOf("]");
        if (close === -1) throw new Error("missing closing bracket in array index");
        const segment = p.slice(1, close);
        if (segment === "*") out.push("*");
        else if (!/^[+-]?\d+$/.test(segment)) {
          throw new Error(
            `invalid array index: strconv.ParseInt: parsing ${JSON.stringify(segment)}: invalid syntax`,
          );
        } else if (BigInt(segment) < INT64_MIN || BigInt(segment) > INT64_MAX) {
          throw new Error(
            `invalid array index: strconv.ParseInt: parsing ${JSON.stringify(segment)}: value out of range`,
          );
        } else out.push(Number(segment));
        p = p.slice(close + 1);
      }
    } else {
      const end = p.search(/[.[]/);
      out.push(end === -1 ? p : p.slice(0, end));
      p = end === -1 ? "" : p.slice(end);
    }
  }
  return out;
}

/** `PropertyPath.String`, as error messages print a path. */
function formatPath(p: PathElem[]): string {
  return p
    .map((k, i) => {
      if (typeof k === "number") return `[${k}]`;
      if (/^[A-Za-z0-9_]*$/.test(k)) return i === 0 ? k : `.${k}`;
      return `["${k.replace(/"/g, '\\"')}"]`;
    })
    .join("");
}

/** `parseKeyPath` (map.go): the key's name as a path, and the key of its first segment. */
function parseKeyPath(key: string): { p: PathElem[]; root: string } {
  const { namespace, name } = parseKey(key);
  let p: PathElem[];
  try {
    p = parsePropertyPath(name);
  } catch (e) {
    throw new PulumiCliError(`invalid config key path: ${(e as Error).message}`);
  }
  if (p.length === 0) throw new PulumiCliError("empty config key path");
  if (typeof p[0] !== "string")
    throw new PulumiCliError("first path segement of config key must be a string");
  if (p[0] === "") throw new PulumiCliError("config key is empty");
  return { p, root: `${namespace}:${p[0]}` };
}

/** `object.Get`. */
function objGet(o: Obj, p: PathElem[]): { found: boolean; value: Obj } {
  if (p.length === 0) return { found: true, value: o };
  if (Array.isArray(o)) {
    const i = p[0];
    return typeof i === "number" && i >= 0 && i < o.length
      ? objGet(o[i], p.slice(1))
      : { found: false, value: null };
  }
  if (o instanceof Map && typeof p[0] === "string" && o.has(p[0]))
    return objGet(o.get(p[0]) ?? null, p.slice(1));
  return { found: false, value: null };
}

/** `config.Map.Get` with path=true, as mergeConfig and validateStackConfigValues call it. */
function mapGetPath(values: ReadonlyMap<string, ConfigValue>, key: string): ConfigValue | undefined {
  const { p, root } = parseKeyPath(key);
  const rootValue = values.get(root);
  if (p.length === 1) return rootValue;
  const { found, value } = objGet(valueToObj(rootValue ?? plain("")), p.slice(1));
  return found ? valueFromObj(value) : undefined;
}

/** `newContainer` (object.go): an index makes a list long enough to hold it, a name a map. */
const newContainer = (accessor: PathElem): Obj =>
  typeof accessor === "number" ? new Array<Obj>(Math.max(accessor + 1, 0)).fill(null) : new Map();

/** `object.Set`: prefix is the path to `c`; returns the new value of `c`. */
function objSet(c: Obj, prefix: PathElem[], p: PathElem[], nv: Obj): Obj {
  if (p.length === 0) return nv;
  let container = c;
  if (!Array.isArray(c) && !(c instanceof Map)) {
    // COMPAT upstream: a scalar at the first level is replaced by a container, deeper it is a type error.
    if (c !== null && prefix.length !== 1) {
      throw new PulumiCliError(
        `${formatPath(prefix)}: expected ${typeof p[0] === "number" ? "an array" : "a map"}`,
      );
    }
    container = newContainer(p[0]);
  }
  const here = [...prefix, p[0]];
  if (Array.isArray(container)) {
    const i = p[0];
    if (typeof i !== "number")
      throw new PulumiCliError(`${formatPath(here)}: key for an array must be an int`);
    if (i < 0 || i > container.length)
      throw new PulumiCliError(`${formatPath(here)}: array index out of range`);
    if (i === container.length) container.push(null);
    container[i] = objSet(container[i], here, p.slice(1), nv);
    return container;
  }
  const map = container as Map<string, Obj>;
  const k = p[0];
  if (typeof k !== "string") throw new PulumiCliError(`${formatPath(here)}: key for a map must be a string`);
  if (p.length === 1 && map.size === 0 && k === "secure" && typeof nv === "string") {
    throw new PulumiCliError('maps with the single key "secure" are reserved');
  }
  map.set(k, objSet(map.get(k) ?? null, here, p.slice(1), nv));
  return map;
}

/**
 * `config.Map.Set`, then the save and re-read of the stack file. With a path of more than one segment (or a
 * `--type`) the new value is coerced (`Value.coerceObject`): "true"/"false" become booleans, integers numbers.
 */
function mapSet(
  values: Map<string, ConfigValue>,
  key: string,
  v: ConfigValue,
  typ: SetType,
  usePath: boolean,
) {
  const stored = (o: Obj) => valueFromObj(o);
  const typedOrAsIs = () => (typ === "" ? v : stored(typedObj(v.kind === "plain" ? v.text : "", typ)));
  if (!usePath) {
    values.set(key, typedOrAsIs());
    return;
  }
  const { p, root } = parseKeyPath(key);
  let nv: Obj = null;
  if (p.length > 1 || typ !== "") {
    if (typ !== "" && v.kind === "plain") nv = typedObj(v.text, typ);
    else nv = v.kind === "plain" ? (coerce(v.text) ?? v.text) : valueToObj(v);
  }
  if (p.length === 1) {
    values.set(root, typedOrAsIs());
    return;
  }
  const rootValue = values.get(root);
  const obj = rootValue === undefined ? newContainer(p[1]) : valueToObj(rootValue);
  values.set(root, stored(objSet(obj, p.slice(0, 1), p.slice(1), nv)));
}

// ---------------------------------------------------------------------------------------------------------------
// Secrets. A reversible stand-in for the stack's secrets provider, so tests can read back what the program gets.

const MODEL_CIPHERTEXT = "model-ciphertext:";

export function encrypt(plaintext: string): string {
  return MODEL_CIPHERTEXT + Buffer.from(plaintext, "utf8").toString("base64");
}

/** Whether a ciphertext is this model's stand-in, which it can decrypt, rather than a real provider's. */
export const isModelCiphertext = (ciphertext: string) => ciphertext.startsWith(MODEL_CIPHERTEXT);

function decrypt(ciphertext: string): string {
  if (!ciphertext.startsWith(MODEL_CIPHERTEXT)) {
    throw new PulumiCliError(
      "failed to decrypt config: this model decrypts only values set with configSet(..., { secret: true }); " +
        "a stack file's real ciphertext needs its secrets provider",
    );
  }
  return Buffer.from(ciphertext.slice(MODEL_CIPHERTEXT.length), "base64").toString("utf8");
}

/** What `json.Unmarshal` gives `validateStackConfigValue` for decrypted object text: numbers are float64. */
function toGoAny(o: Obj): GoAny {
  if (o instanceof GoInt) return Number(o.text);
  if (o instanceof Ciphertext) return decrypt(o.text);
  if (Array.isArray(o)) return o.map(toGoAny);
  if (o instanceof Map) return Object.fromEntries([...o].map(([k, v]) => [k, toGoAny(v)]));
  return o;
}

/** encoding/json `Marshal`: map keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped. */
function goJsonString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** `Plaintext.marshalText` of a decrypted object (`Map.Decrypt`): the JSON text the program receives. */
function goJson(o: Obj): string {
  if (o === null) return "null";
  if (typeof o === "boolean") return String(o);
  if (typeof o === "number") return goFloat(o);
  if (typeof o === "string") return goJsonString(o);
  if (o instanceof GoInt) return o.text;
  if (o instanceof Ciphertext) return goJsonString(decrypt(o.text));
  if (Array.isArray(o)) return `[${o.map(goJson).join(",")}]`;
  const keys = [...o.keys()].sort();
  return `{${keys.map((k) => `${goJsonString(k)}:${goJson(o.get(k) ?? null)}`).join(",")}}`;
}

// ---------------------------------------------------------------------------------------------------------------
// The project. sdk/go/common/workspace/loaders.go `LoadProjectBytes`: `ValidateProject` (project.json schema),
// `RewriteShorthandConfigValues`, then `Project.Validate`.

export interface ProjectConfigItemsType {
  readonly type: string;
  readonly items?: ProjectConfigItemsType;
}

/** `ProjectConfigType` (project.go). A `default` or `value` of null is Go's nil: absent. */
export interface ProjectConfigType {
  readonly type?: string;
  readonly items?: ProjectConfigItemsType;
  readonly description?: string;
  readonly default?: GoAny;
  readonly value?: GoAny;
  readonly secret?: boolean;
}

export interface Project {
  readonly name: string;
  readonly config: Readonly<Record<string, ProjectConfigType>>;
}

const SIMPLE_TYPES = ["string", "integer", "boolean", "array", "object"];
const DECLARATION_ATTRIBUTES = ["type", "items", "description", "secret", "default", "value"];

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const hasValue = (v: GoAny | undefined) => v !== undefined && v !== null;

/** `InferFullTypeName` (project.go). */
export function inferFullTypeName(typeName: string, items?: ProjectConfigItemsType): string {
  return items ? `array<${inferFullTypeName(items.type, items.items)}>` : typeName;
}

/** Go's strconv.Atoi on a 64-bit build. */
const atoi = (s: string) => /^[+-]?\d+$/.test(s) && BigInt(s) >= INT64_MIN && BigInt(s) <= INT64_MAX;

/** `ValidateConfigValue` (project.go): used for project defaults and for stack values. */
export function validateConfigValue(
  typeName: string,
  items: ProjectConfigItemsType | undefined,
  v: GoAny,
): boolean {
  switch (typeName) {
    case "string":
      return typeof v === "string";
    case "integer":
      return (
        typeof v === "bigint" ||
        (typeof v === "number" && Number.isInteger(v)) ||
        (typeof v === "string" && atoi(v))
      );
    case "boolean":
      return v === "true" || v === "false" || typeof v === "boolean";
    case "object":
      return isMapping(v);
  }
  return (
    Array.isArray(v) &&
    items !== undefined &&
    v.every((item) => validateConfigValue(items.type, items.items, item))
  );
}

/** The part of project.json's `configTypeDeclaration` / `configItemsType` the CLI enforces before loading. */
function schemaProblem(key: string, decl: unknown): string | undefined {
  const at = `#/config/${key}`;
  const shorthand =
    typeof decl === "string" || typeof decl === "bigint" || typeof decl === "boolean" || Array.isArray(decl);
  if (shorthand) return undefined;
  if (!isMapping(decl)) return `${at}: expected string, integer, boolean, array or a config type declaration`;
  const extra = Object.keys(decl).filter((a) => !DECLARATION_ATTRIBUTES.includes(a));
  if (extra.length > 0)
    return `${at}: additional properties ${extra.map((a) => `'${a}'`).join(", ")} not allowed`;
  if (decl.type !== undefined && !SIMPLE_TYPES.includes(decl.type as string)) {
    return `${at}/type: value must be one of ${SIMPLE_TYPES.map((t) => `"${t}"`).join(", ")}`;
  }
  if (decl.secret !== undefined && typeof decl.secret !== "boolean") return `${at}/secret: expected boolean`;
  if (decl.description !== undefined && typeof decl.description !== "string") {
    return `${at}/description: expected string`;
  }
  for (let items = decl.items, where = `${at}/items`; items !== undefined; where += "/items") {
    if (!isMapping(items) || items.type === undefined) return `${where}: missing properties: 'type'`;
    if (!SIMPLE_TYPES.includes(items.type as string))
      return `${where}/type: value must be one of the simple types`;
    if (items.type === "array" && items.items === undefined) return `${where}: missing properties: 'items'`;
    items = items.items;
  }
  return undefined;
}

/**
 * `LoadProjectBytes`: Pulumi.yaml as the CLI reads it. The schema messages (`could not validate`) follow the
 * shape of the JSON-schema library's; the `could not unmarshal` messages of `Project.Validate` are verbatim.
 */
export function parseProject(text: string, file = "Pulumi.yaml"): Project {
  const raw: unknown = parse(text, { intAsBigInt: true });
  if (!isMapping(raw)) throw new PulumiCliError(`expected project to be an object`);
  // ValidateProject
  if (!("name" in raw))
    throw new PulumiCliError(`could not validate '${file}': project is missing a 'name' attribute`);
  if (typeof raw.name !== "string" || raw.name === "") {
    throw new PulumiCliError(
      `could not validate '${file}': project is missing a non-empty string 'name' attribute`,
    );
  }
  const name = raw.name;
  // A string `config:` is the deprecated stack config directory (RewriteConfigPathIntoStackConfigDir).
  const declared = isMapping(raw.config) ? raw.config : {};
  for (const [key, decl] of Object.entries(declared)) {
    const problem = schemaProblem(key, decl);
    if (problem) throw new PulumiCliError(`could not validate '${file}': ${problem}`);
  }
  const namespacedByProject = (key: string) => !key.includes(":") || key.startsWith(`${name}:`);
  const config: Record<string, ProjectConfigType> = {};
  for (const [key, decl] of Object.entries(declared)) {
    // RewriteShorthandConfigValues: `key: value` is a default for the project's keys, a value for others.
    const shorthand = !isMapping(decl);
    config[key] = shorthand
      ? { [namespacedByProject(key) ? "default" : "value"]: decl as GoAny }
      : (decl as ProjectConfigType);
  }
  // Project.Validate
  const invalid = (message: string) => new PulumiCliError(`could not unmarshal '${file}': ${message}`);
  for (const key of Object.keys(config).sort()) {
    const t = config[key];
    if (hasValue(t.default) && hasValue(t.value)) {
      throw invalid(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
    }
    if (namespacedByProject(key)) {
      if (t.type === "array" && t.items === undefined) {
        throw invalid(
          `The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`,
        );
      }
      if (
        t.type !== undefined &&
        hasValue(t.default) &&
        !validateConfigValue(t.type, t.items, t.default as GoAny)
      ) {
        throw invalid(
          `The default value specified for configuration key '${key}' is not of the expected type '${inferFullTypeName(t.type, t.items)}'`,
        );
      }
    } else if (t.type !== undefined) {
      throw invalid(
        `Configuration key '${key}' is not namespaced by the project and should not define a type`,
      );
    } else if (hasValue(t.default)) {
      throw invalid(
        `Configuration key '${key}' is not namespaced by the project and should not define a default value. ` +
          "Did you mean to use the 'value' attribute instead of 'default'?",
      );
    } else if (!hasValue(t.value)) {
      throw invalid(`Configuration key '${key}' is namespaced and must provide an attribute 'value'`);
    }
  }
  return { name, config };
}

/** The committed Pulumi.yaml. */
export function loadProject(): Project {
  return parseProject(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8"));
}

// ---------------------------------------------------------------------------------------------------------------
// Stack files. loaders.go `LoadProjectStackBytes` + `stackConfigNamespacedWithProject`, config.Map.UnmarshalYAML.

/** Pulumi.<stack>.yaml as the CLI reads it: bare keys join the project's namespace, `secure:` values are secrets. */
export function parseStackFile(text: string, projectName: string): StackConfig {
  const raw: unknown = parse(text, { intAsBigInt: true });
  const config = isMapping(raw) && isMapping(raw.config) ? raw.config : {};
  const values = new Map<string, ConfigValue>();
  for (const [rawKey, v] of Object.entries(config)) {
    const { namespace, name } = parseKey(rawKey.includes(":") ? rawKey : `${projectName}:${rawKey}`);
    // yaml.v3 skips the unmarshaler for a null node: the zero Value, an empty string (checkForEmptyConfig warns).
    values.set(`${namespace}:${name}`, v === null ? plain("") : valueFromObj(objFromYaml(v)));
  }
  return { project: projectName, values };
}

/** The committed Pulumi.<stack>.yaml. */
export function stackFile(stack: string, project: Project = loadProject()): StackConfig {
  return parseStackFile(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8"), project.name);
}

// ---------------------------------------------------------------------------------------------------------------
// pulumi config set. pkg/cmd/pulumi/config/config.go `configSetCmd.Run`, io.go `ParseConfigKey`.

export interface ConfigSetOptions {
  readonly secret?: boolean;
  readonly plaintext?: boolean;
  /** `--path`: the key is a path into a list or map. */
  readonly path?: boolean;
  /** `--type string|int|bool|float`. */
  readonly type?: string;
  /** The value came on standard input (`-- < file`): one trailing newline is dropped unless `raw`. */
  readonly stdin?: boolean;
  readonly raw?: boolean;
}

/** `ParseConfigKey` (io.go): a bare key joins the project; with --path only the first segment is a key. */
function parseConfigKey(project: string, key: string, usePath: boolean): string {
  const cut = key.search(/[[.]/);
  if (usePath && cut > 0) {
    const top = parseConfigKey(project, key.slice(0, cut), false);
    return top + key.slice(cut);
  }
  const { namespace, name } = parseKey(key.includes(":") ? key : `${project}:${key}`);
  return `${namespace}:${name}`;
}

/** `keyPattern` (config.go): the key names whose plaintext values `pulumi config set` inspects. */
const SECRET_KEY_PATTERN = /passwd|pass|password|pwd|secret|token/i;

/**
 * `looksLikeSecret` (config.go), bounded: it refuses a plaintext value when the key name matches keyPattern and
 * zxcvbn rates the value's first 16 bytes at 80 bits or more, or at 40 or more with 3 per byte. zxcvbn's rating is
 * at most the brute-force one (length times log2 of the character classes' size, zxcvbn-go
 * `CalcBruteForceCardinality`), so below 40 bits the CLI never refuses; at or above, this model refuses, since the
 * real rating (dictionary words, sequences) may not drop below the threshold. Exact for the values a command can
 * never have refused; on the safe side elsewhere: use --plaintext (or --secret) for such a key.
 */
function mayLookLikeSecret(name: string, value: string): boolean {
  if (!SECRET_KEY_PATTERN.test(name)) return false;
  const v = Buffer.from(value, "utf8").subarray(0, 16).toString("latin1");
  if (v.length === 0) return false;
  // Outside ASCII, Go's unicode classes may count any of the four: assume all of them.
  const classes: [RegExp, number][] = /[^\x00-\x7f]/.test(v)
    ? [[/./s, 95]]
    : [
        [/[a-z]/, 26],
        [/[A-Z]/, 26],
        [/[0-9]/, 10],
        [/[^a-zA-Z0-9]/, 33],
      ];
  const cardinality = classes.reduce((n, [re, size]) => (re.test(v) ? n + size : n), 0);
  return v.length * Math.log2(cardinality) >= 40;
}

/** `pulumi config set <key> <value>` on a stack: returns the stack config as the next command reads it back. */
export function configSet(
  stack: StackConfig,
  key: string,
  value: string,
  opts: ConfigSetOptions = {},
): StackConfig {
  const exclusive = (["secret", "plaintext", "type"] as const).filter(
    (f) => opts[f] !== undefined && opts[f] !== false,
  );
  if (exclusive.length > 1) {
    throw new PulumiCliError(
      `if any flags in the group [secret plaintext type] are set none of the others can be; [${exclusive.join(" ")}] were all set`,
    );
  }
  let fullKey: string;
  try {
    fullKey = parseConfigKey(stack.project, key, opts.path === true);
  } catch (e) {
    throw new PulumiCliError(`invalid configuration key: ${(e as Error).message}`);
  }
  const text = opts.stdin && !opts.raw ? value.replace(/\n$/, "") : value; // cmdutil.RemoveTrailingNewline
  const typ = (opts.type ?? "") as SetType;
  if (!["", "string", "int", "bool", "float"].includes(typ)) {
    throw new PulumiCliError(
      `invalid type ${JSON.stringify(typ)}; must be one of string, int, bool, or float`,
    );
  }
  if (!opts.secret && !opts.plaintext && mayLookLikeSecret(fullKey.slice(fullKey.indexOf(":") + 1), text)) {
    throw new PulumiCliError(
      `config value for '${fullKey}' looks like a secret; rerun with --secret to encrypt it, or --plaintext if you meant to store in plaintext`,
    );
  }
  const v: ConfigValue = opts.secret ? { kind: "secure", ciphertext: encrypt(text) } : plain(text);
  const values = new Map(stack.values);
  try {
    mapSet(values, fullKey, v, opts.secret ? "" : typ, opts.path === true);
  } catch (e) {
    if (!opts.path) throw e; // A bad --type fails when the stack file is saved, not in Map.Set.
    throw new PulumiCliError(`could not set config: ${(e as Error).message}`);
  }
  return { project: stack.project, values };
}

// ---------------------------------------------------------------------------------------------------------------
// pulumi preview / up / destroy. sdk/go/common/workspace/config.go (later releases move it, unchanged, to
// pkg/workspace/config.go) `mergeConfig`, `validateStackConfigValues`, `validateStackConfigValue`,
// `createConfigValue`, `missingStackConfigurationKeysError`, `formatMissingKeys`.

/** What the program starts with. */
export interface ProgramRun {
  /** `runtime.getConfig` keys (`<namespace>:<name>`) to values: strings, object values as JSON text. */
  readonly config: Readonly<Record<string, string>>;
  /** `Map.SecureKeys`, sorted: keys whose value is or holds a secret (`runtime.isConfigSecret`). */
  readonly secretKeys: readonly string[];
  /** The variables pulumi-language-nodejs sets (`constructConfig` writes keys as `<namespace>:config:<name>`). */
  readonly env: { readonly PULUMI_CONFIG: string; readonly PULUMI_CONFIG_SECRET_KEYS: string };
}

/** `createConfigValue`: string, int and bool defaults become plain strings, anything else object JSON. */
function createConfigValue(raw: GoAny): ConfigValue {
  if (typeof raw === "string" || typeof raw === "bigint" || typeof raw === "boolean")
    return plain(String(raw));
  return valueFromObj(objFromGoAny(raw));
}

function objFromGoAny(v: GoAny): Obj {
  if (typeof v === "bigint") return new GoInt(v.toString());
  if (Array.isArray(v)) return v.map(objFromGoAny);
  if (isMapping(v)) {
    const entries = Object.entries(v);
    if (entries.length === 1 && entries[0][0] === "secure" && typeof entries[0][1] === "string") {
      return new Ciphertext(entries[0][1]);
    }
    return new Map(entries.map(([k, x]) => [k, objFromGoAny(x)]));
  }
  return v;
}

function formatMissingKeys(keys: string[]): string {
  if (keys.length === 1) return `'${keys[0]}'`;
  const sorted = [...keys].sort();
  return sorted
    .map((k, i) =>
      i === sorted.length - 1 ? `and '${k}'` : i === sorted.length - 2 ? `'${k}' ` : `'${k}', `,
    )
    .join("");
}

/**
 * mergeConfig as `pulumi preview`/`up`/`destroy` call it (ValidateStackConfigAndApplyProjectConfig; with
 * `skipConfigValidation`, ApplyProjectConfig), then what the engine hands to the Node.js program. Throws the
 * CLI's messages; the CLI prefixes them with `validating stack config: `.
 */
export function prepareRun(
  project: Project,
  stack: StackConfig,
  stackName: string,
  opts: { readonly skipConfigValidation?: boolean } = {},
): ProgramRun {
  const values = new Map(stack.values);
  const keys = Object.keys(project.config).sort();
  const namespaced = (k: string) => parseKey(k.includes(":") ? k : `${project.name}:${k}`);
  const missing: string[] = [];
  for (const projectKey of keys) {
    const t = project.config[projectKey];
    const key = namespaced(projectKey);
    const fullKey = `${key.namespace}:${key.name}`;
    const foundOnStack = mapGetPath(values, fullKey) !== undefined;
    if (!foundOnStack && !hasValue(t.value) && !hasValue(t.default) && key.namespace === project.name) {
      missing.push(projectKey);
    } else if (!foundOnStack && (hasValue(t.value) || hasValue(t.default))) {
      const applied = createConfigValue((hasValue(t.default) ? t.default : t.value) as GoAny);
      mapSet(values, fullKey, applied, "", true);
    }
  }
  if (!opts.skipConfigValidation) {
    if (missing.length > 0) {
      const noun = missing.length > 1 ? "values" : "value";
      throw new PulumiCliError(
        `Stack '${stackName}' is missing configuration ${noun} ${formatMissingKeys(missing)}`,
      );
    }
    // validateStackConfigValues: decrypts the whole map first, then checks every declared, typed key of the
    // MERGED map, defaults included.
    for (const v of values.values()) goJson(valueToObj(v));
    for (const projectKey of keys) {
      const t = project.config[projectKey];
      if (t.type === undefined) continue;
      const key = namespaced(projectKey);
      const stackValue = mapGetPath(values, `${key.namespace}:${key.name}`) ?? plain("");
      if (t.secret === true && !isSecure(stackValue)) {
        throw new PulumiCliError(
          `Stack '${stackName}' with configuration key '${projectKey}' must be encrypted as it's secret`,
        );
      }
      const content: GoAny =
        stackValue.kind === "object"
          ? toGoAny(stackValue.tree)
          : stackValue.kind === "secure"
            ? decrypt(stackValue.ciphertext)
            : stackValue.text;
      if (!validateConfigValue(t.type, t.items, content)) {
        throw new PulumiCliError(
          `Stack '${stackName}' with configuration key '${projectKey}' must be of type '${inferFullTypeName(t.type, t.items)}'`,
        );
      }
    }
  }
  // evalSource.Iterate: Map.Decrypt and Map.SecureKeys.
  const config: Record<string, string> = {};
  for (const [k, v] of [...values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    config[k] =
      v.kind === "plain" ? v.text : v.kind === "secure" ? decrypt(v.ciphertext) : goJson(valueToObj(v));
  }
  const secretKeys = [...values]
    .filter(([, v]) => isSecure(v))
    .map(([k]) => k)
    .sort();
  const hostConfig = new Map<string, Obj>(
    Object.entries(config).map(([k, v]) => {
      const { namespace, name } = parseKey(k);
      return [`${namespace}:config:${name}`, v];
    }),
  );
  return {
    config,
    secretKeys,
    env: { PULUMI_CONFIG: goJson(hostConfig), PULUMI_CONFIG_SECRET_KEYS: goJson(secretKeys) },
  };
}
