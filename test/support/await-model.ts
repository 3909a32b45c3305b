/**
 * A model of how pulumi-kubernetes waits for a resource that carries `pulumi.com/waitFor`, so tests can put
 * the annotation this project renders against Application objects and see what the provider would decide.
 * Read in pulumi/pulumi-kubernetes at v4.32.0 (a03ff6ba) and master 94977969 (these files are unchanged
 * between them; 4.34.2, which the project pins, is newer than the mirror):
 *
 * - provider/pkg/metadata/overrides.go: `ReadyCondition` (skipAwait, the annotation as one string or a JSON
 *   array of strings, the "jsonpath="/"condition=" prefixes, all entries ANDed), `TimeoutDuration`.
 * - provider/pkg/metadata/annotations.go: `IsAnnotationTrue` (exactly "true").
 * - provider/pkg/jsonpath/jsonpath.go: `Parse` (the "=" split, the brace extraction, "$" prepended) and
 *   `(*Parsed).Matches` (first selected node; objects and arrays match only without a value; fmt.Sprint).
 * - provider/pkg/await/condition/jsonpath.go: `(*JSONPath).Satisfied` (waits while status.observedGeneration
 *   is behind metadata.generation).
 * - provider/pkg/await/condition/custom.go `NewCustom` and kubectl.go `checkCondition`
 *   (condition=Type[=Status]).
 * - provider/pkg/await/condition/all.go `(*All).Satisfied` (in order, stops at the first unmet one);
 *   observer.go `(*ObjectObserver).Observe` (ignores an event whose generation is older than what it holds).
 * - provider/pkg/await/internal/awaiter.go `(*Awaiter).Await`: checks after every event, ignores errors until
 *   the deadline, then checks once more and returns that error or "timed out waiting for the condition".
 *
 * The provider evaluates paths with github.com/theory/jsonpath v0.9.0; this model uses jsonpath-rfc9535. Both
 * implement RFC 9535 and run the JSONPath compliance test suite, so they accept and select the same things.
 * One difference the model cannot show: Go visits object members in random order, so a path that selects
 * several nodes of an object has no stable "first" node in the provider. `selectNodes` is exported so tests
 * can check that a path selects at most one node.
 *
 * Not modelled: PULUMI_K8S_AWAIT_ALL (a generic readiness heuristic used when there is no waitFor), and the
 * built-in await logic of kinds such as Deployment (an Application has none).
 */
import { query } from "jsonpath-rfc9535";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** What the provider returns from ReadyCondition as an error: the create or update fails at once. */
export class WaitForError extends Error {
  override name = "WaitForError";
}

export interface JsonPathCondition {
  readonly kind: "jsonpath";
  /** As the user wrote the path, braces included; the provider shows it in its messages. */
  readonly path: string;
  /** The RFC 9535 query that is evaluated. */
  readonly query: string;
  /** Empty: the path must select something. Otherwise the first node, printed, must equal it. */
  readonly value: string;
}

export interface CustomCondition {
  readonly kind: "condition";
  readonly type: string;
  readonly status: string;
}

export type WaitCondition = JsonPathCondition | CustomCondition;

const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** jsonpath.Parse: one `jsonpath=...` expression. */
export function parseJsonPath(raw: string): JsonPathCondition {
  if (raw === "") throw new WaitForError("expected a non-empty JSONPath expression");
  if (!raw.startsWith("jsonpath=")) {
    throw new WaitForError("JSONPath expression must begin with a 'jsonpath=' prefix");
  }
  const rest = raw.slice("jsonpath=".length);
  // "==" survives; every other "=" separates the path from the value, and only one may.
  const placeholder = "\uFFFD";
  const parts = rest.split("==").join(placeholder).split("=");
  const restore = (s: string) => s.split(placeholder).join("==");
  const path = restore(parts[0]);
  if (parts.length > 2) throw new WaitForError(`format should be {.path}=value or {.path}, got "${rest}"`);
  const value = parts.length === 2 ? restore(parts[1]) : "";
  if (parts.length === 2 && value === "") throw new WaitForError(`${path}= requires a value`);
  if (path.startsWith("'") && path.endsWith("'")) throw new WaitForError(`${path} should omit shell quotes`);
  // Go's `\{\s*(.*?)\s*\}`: the first "{" up to the first "}" after it, anywhere in the path.
  const braces = /\{\s*(.*?)\s*\}/.exec(path);
  if (braces === null) throw new WaitForError(`${path} should be wrapped in brackets { ... }`);
  const inner = braces[1];
  const q = inner.startsWith("$") ? inner : `$${inner}`;
  try {
    query({}, q);
  } catch (e) {
    throw new WaitForError(`parsing "${path}": ${(e as Error).message}`);
  }
  return { kind: "jsonpath", path, query: q, value };
}

/** condition.NewCustom: the text after "condition=", split at its first "="; the status defaults to True. */
export function parseCustom(expr: string): CustomCondition {
  const body = expr.startsWith("condition=") ? expr.slice("condition=".length) : expr;
  const at = body.indexOf("=");
  return at === -1
    ? { kind: "condition", type: body, status: "True" }
    : { kind: "condition", type: body.slice(0, at), status: body.slice(at + 1) };
}

/**
 * The annotation's entries, as ReadyCondition reads them with encoding/json: a JSON array of strings is a
 * list, JSON null or [] is an empty list (an error), anything else is one entry. A non-string element decodes
 * as "" (null) or leaves "" behind with a type error, and "" has neither prefix, so such an array is an error
 * too.
 */
export function waitForEntries(annotation: string): string[] {
  let decoded: unknown;
  try {
    decoded = JSON.parse(annotation);
  } catch {
    return [annotation];
  }
  if (decoded === null) return [];
  if (!Array.isArray(decoded)) return [annotation];
  return decoded.map((e) => (typeof e === "string" ? e : ""));
}

/** ReadyCondition's parsing: the conditions, or the error that fails the operation before any waiting. */
export function parseWaitFor(annotation: string): WaitCondition[] {
  const entries = waitForEntries(annotation);
  if (entries.length === 0) throw new WaitForError("at least one condition must be specified");
  return entries.map((expr) => {
    if (expr.startsWith("jsonpath=")) return parseJsonPath(expr);
    if (expr.startsWith("condition=")) return parseCustom(expr);
    throw new WaitForError(`expected a "jsonpath=" or "condition=" prefix, got ${JSON.stringify(expr)}`);
  });
}

/** Every node the path selects, in jsonpath-rfc9535's order. */
export function selectNodes(c: JsonPathCondition, obj: JsonObject): Json[] {
  return query(obj, c.query) as Json[];
}

/**
 * Go's fmt.Sprint of a decoded JSON scalar. Kubernetes decodes whole numbers as int64 and others as float64,
 * which %v prints in %g style with the shortest digits and an exponent below 1e-4 or from 1e+06 (strconv
 * `FormatFloat(v, 'g', -1, 64)`).
 */
export function goSprint(v: string | number | boolean | null): string {
  if (v === null) return "<nil>";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 63) return BigInt(v).toString();
  const [mantissa, exp] = v.toExponential().split("e");
  const e = Number(exp);
  if (e < -4 || e >= 6) {
    return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  return String(v);
}

export interface Check {
  readonly satisfied: boolean;
  /** What the provider shows while it waits. */
  readonly message: string;
  /** An error the provider reports at the deadline (not earlier; see `awaitEvents`). */
  readonly error?: string;
}

const int64 = (v: Json | undefined): number | undefined =>
  typeof v === "number" && Number.isInteger(v) ? v : undefined;

function generationBehind(obj: JsonObject, observed: number | undefined): boolean {
  const generation = isObject(obj.metadata) ? int64(obj.metadata.generation) : undefined;
  return generation !== undefined && observed !== undefined && observed < generation;
}

/** (*JSONPath).Satisfied with (*Parsed).Matches. */
export function checkJsonPath(c: JsonPathCondition, obj: JsonObject): Check {
  const waiting = `Waiting for ${c.path}${c.value === "" ? "" : `=${c.value}`}`;
  const status = isObject(obj.status) ? obj.status : undefined;
  if (generationBehind(obj, int64(status?.observedGeneration))) return { satisfied: false, message: waiting };
  const nodes = selectNodes(c, obj);
  if (nodes.length === 0) return { satisfied: false, message: `${c.path} selected nothing` };
  const first = nodes[0];
  if (typeof first === "object" && first !== null) {
    if (c.value === "") return { satisfied: true, message: `Found ${c.path}` };
    return { satisfied: false, message: waiting, error: `"${c.path}" has a non-primitive value` };
  }
  const found = goSprint(first);
  if (c.value === "" || c.value === found) return { satisfied: true, message: `Found ${c.path}` };
  return { satisfied: false, message: `${waiting} (found ${JSON.stringify(found)})` };
}

// strings.EqualFold, close enough for the ASCII condition types and statuses Kubernetes uses.
const equalFold = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** checkCondition: the first status.conditions entry of that type decides. */
export function checkCustom(c: CustomCondition, obj: JsonObject): Check {
  const waiting = `Waiting for condition ${c.type}=${c.status}`;
  const status = isObject(obj.status) ? obj.status : undefined;
  const conditions = status?.conditions;
  if (conditions === undefined) return { satisfied: false, message: "Has no .status.conditions" };
  if (!Array.isArray(conditions)) {
    return { satisfied: false, message: waiting, error: ".status.conditions is not a list" };
  }
  for (const entry of conditions) {
    if (!isObject(entry)) throw new Error("the provider would panic on a condition that is not an object");
    if (typeof entry.type !== "string" || !equalFold(entry.type, c.type)) continue;
    if (typeof entry.status !== "string") continue;
    const observed = int64(entry.observedGeneration) ?? int64(status?.observedGeneration);
    if (generationBehind(obj, observed)) return { satisfied: false, message: waiting };
    return equalFold(entry.status, c.status)
      ? { satisfied: true, message: `Found condition ${c.type}=${c.status}` }
      : { satisfied: false, message: `Resource has condition ${c.type}=${entry.status} (want ${c.status})` };
  }
  return { satisfied: false, message: waiting };
}

/** (*All).Satisfied: every condition on the same object, in order; the first unmet one speaks. */
export function checkAll(conditions: readonly WaitCondition[], obj: JsonObject): Check {
  for (const c of conditions) {
    const check = c.kind === "jsonpath" ? checkJsonPath(c, obj) : checkCustom(c, obj);
    if (!check.satisfied || check.error !== undefined) return { ...check, satisfied: false };
  }
  return { satisfied: true, message: "all conditions met" };
}

export type Readiness =
  | { readonly mode: "skip" }
  | { readonly mode: "none" }
  | { readonly mode: "wait"; readonly conditions: WaitCondition[] };

/** ReadyCondition: skipAwait first, then waitFor; without either a CustomResource is ready at once. */
export function readyCondition(annotations: Readonly<Record<string, string>>): Readiness {
  if (annotations["pulumi.com/skipAwait"] === "true") return { mode: "skip" };
  const waitFor = annotations["pulumi.com/waitFor"] ?? "";
  if (waitFor === "") return { mode: "none" };
  return { mode: "wait", conditions: parseWaitFor(waitFor) };
}

export type AwaitOutcome =
  | { readonly outcome: "ready"; readonly event: number }
  | { readonly outcome: "timeout" | "error"; readonly message: string };

const generationOf = (obj: JsonObject) =>
  isObject(obj.metadata) ? (int64(obj.metadata.generation) ?? 0) : 0;

/**
 * (*Awaiter).Await over the watch events the informer delivers (the first is the object as it is when the
 * wait starts), ending at the deadline. `initial` is the object the create or update call returned. "ready"
 * names the event after which the provider stops waiting.
 */
export function awaitEvents(
  annotations: Readonly<Record<string, string>>,
  initial: JsonObject,
  events: readonly JsonObject[],
): AwaitOutcome {
  const readiness = readyCondition(annotations);
  if (readiness.mode !== "wait") return { outcome: "ready", event: -1 };
  let current = initial;
  for (const [i, event] of events.entries()) {
    if (generationOf(event) >= generationOf(current)) current = event;
    if (checkAll(readiness.conditions, current).satisfied) return { outcome: "ready", event: i };
  }
  const last = checkAll(readiness.conditions, current);
  if (last.satisfied) return { outcome: "ready", event: events.length - 1 };
  return last.error !== undefined
    ? { outcome: "error", message: last.error }
    : { outcome: "timeout", message: `timed out waiting for the condition; ${last.message}` };
}

/**
 * TimeoutDuration with the ten-minute fallback of Creation, Update and Deletion
 * (provider/pkg/await/await.go): customTimeouts (seconds, fraction dropped) when set, else the annotation if
 * strconv.Atoi reads it, else 600.
 */
export function timeoutSeconds(customTimeoutSeconds: number, annotations: Readonly<Record<string, string>>) {
  if (customTimeoutSeconds !== 0) return Math.trunc(customTimeoutSeconds);
  const text = annotations["pulumi.com/timeoutSeconds"] ?? "";
  if (/^[+-]?\d+$/.test(text) && BigInt(text) >= -(2n ** 63n) && BigInt(text) < 2n ** 63n)
    return Number(text);
  return 600;
}
