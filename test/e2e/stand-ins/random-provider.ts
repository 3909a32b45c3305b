/**
 * Stand-in for `pulumi-resource-random`, the provider behind `@pulumi/random`, for the end-to-end test: the
 * module that builds the real provider (github.com/pulumi/pulumi-random/provider/v4) is not served here.
 *
 * What the real provider does (pulumi-random 4.x bridges terraform-provider-random; see its
 * internal/provider/resource_password.go and internal/random/string.go), and this one does too, for
 * `random:index/randomPassword:RandomPassword`, the only random resource the program creates:
 * - inputs `length` (required, at least 1 and at least the sum of the minimums), `special`, `upper`, `lower`,
 *   `numeric` (default true each; `number` is the deprecated alias of `numeric` and always mirrors it),
 *   `minUpper`, `minLower`, `minNumeric`, `minSpecial` (default 0), `overrideSpecial` (replaces the special
 *   set `!@#$%&*()-_=+[]{}<>:?` when non-empty) and `keepers`; at least one character class must be on;
 * - the minimums are drawn from their class's set whether or not that class is on, the rest of the length
 *   from the union of the enabled sets, with a cryptographic generator, and the result shuffled;
 * - outputs are every input with its default plus `result` and `bcryptHash` (bcrypt, cost 10, of `result`);
 *   the id is "none"; a change of any input replaces the password; an update never happens.
 *
 * What the real one does and this one does not: the other resource types (RandomString, RandomId, RandomPet,
 * RandomUuid, …), import (`pulumi import` of an existing password), state upgrades from older schema
 * versions, a schema (`getSchema`), and the bridge's exact diff details (keepers going from unset to
 * empty does not replace there; any difference does here). `result` and `bcryptHash` are made secret by the
 * SDK (`additionalSecretOutputs` in @pulumi/random), not by the provider, so this one needs no secret logic.
 *
 * Served with `@pulumi/pulumi/provider`'s main() when run as a program (bin/pulumi-resource-random); imported,
 * it only exports the provider object, which test/random-provider-stand-in.test.ts calls directly.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as bcrypt from "bcryptjs";
import * as provider from "@pulumi/pulumi/provider";

export const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";

/** The version the SDK asks the engine for (its package.json), so the engine does not warn of a mismatch. */
export const VERSION: string = (
  JSON.parse(
    fs.readFileSync(
      path.join(__dirname, "..", "..", "..", "node_modules", "@pulumi", "random", "package.json"),
      "utf8",
    ),
  ) as { version: string }
).version.replace(/^v/, "");

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const NUMERIC = "0123456789";
const DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?";
const BCRYPT_COST = 10;

/** The engine's marker for a secret value inside a Struct, and for a value not known during preview. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const BOOLEAN_INPUTS = ["special", "upper", "lower", "numeric", "number"] as const;
const MIN_INPUTS = ["minUpper", "minLower", "minNumeric", "minSpecial"] as const;
/** Every input of RandomPassword: the only properties diff compares. */
export const INPUTS = ["length", ...BOOLEAN_INPUTS, ...MIN_INPUTS, "overrideSpecial", "keepers"] as const;

export interface PasswordParams {
  length: number;
  special: boolean;
  upper: boolean;
  lower: boolean;
  numeric: boolean;
  minUpper: number;
  minLower: number;
  minNumeric: number;
  minSpecial: number;
  overrideSpecial?: string;
}

/** Removes the engine's secret wrappers, at any depth. */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(unwrapSecrets);
  }
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (record[SIG_KEY] === SECRET_SIG) {
      return unwrapSecrets(record.value);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

const isKnown = (value: unknown) => value !== UNKNOWN;

/** The inputs with the real provider's defaults filled in; `numeric` and `number` always agree. */
function withDefaults(news: Record<string, unknown>): Record<string, unknown> {
  const inputs: Record<string, unknown> = { ...news };
  for (const key of ["special", "upper", "lower"] as const) {
    inputs[key] = news[key] ?? true;
  }
  inputs.numeric = news.numeric ?? news.number ?? true;
  inputs.number = inputs.numeric;
  for (const key of MIN_INPUTS) {
    inputs[key] = news[key] ?? 0;
  }
  return inputs;
}

/** The real provider's validation: length is required, at least 1 and the sum of the minimums; one class on. */
function failuresOf(inputs: Record<string, unknown>): provider.CheckFailure[] {
  const plain = unwrapSecrets(inputs) as Record<string, unknown>;
  const failures: provider.CheckFailure[] = [];
  const { length } = plain;
  const mins = MIN_INPUTS.map((key) => plain[key]);
  if (length === undefined || length === null) {
    failures.push({ property: "length", reason: "Missing required property 'length'" });
  } else if (isKnown(length) && mins.every(isKnown)) {
    const sum = (mins as number[]).reduce((a, b) => a + b, 0);
    if (typeof length !== "number" || !Number.isInteger(length) || length < Math.max(1, sum)) {
      failures.push({
        property: "length",
        reason: `length must be an integer of at least ${Math.max(1, sum)} (1 and the sum of the minimums), got ${String(length)}`,
      });
    }
  }
  for (const key of MIN_INPUTS) {
    const min = plain[key];
    if (isKnown(min) && (typeof min !== "number" || !Number.isInteger(min) || min < 0)) {
      failures.push({ property: key, reason: `${key} must be a non-negative integer, got ${String(min)}` });
    }
  }
  const classes = ["special", "upper", "lower", "numeric"].map((key) => plain[key]);
  if (classes.every((on) => on === false)) {
    failures.push({
      property: "special",
      reason: "at least one of special, upper, lower and numeric must be true",
    });
  }
  return failures;
}

/** A password by the real provider's rules (internal/random/string.go): mins first, rest from the union. */
export function generatePassword(params: PasswordParams): string {
  const special = params.overrideSpecial ? params.overrideSpecial : DEFAULT_SPECIAL;
  const union = [
    params.upper ? UPPER : "",
    params.lower ? LOWER : "",
    params.numeric ? NUMERIC : "",
    params.special ? special : "",
  ].join("");
  if (union === "") {
    throw new Error("the character set specified is empty");
  }
  const pick = (set: string, count: number) => {
    const chars = Array.from(set);
    return Array.from({ length: count }, () => chars[crypto.randomInt(chars.length)]);
  };
  const chosen = [
    ...pick(UPPER, params.minUpper),
    ...pick(LOWER, params.minLower),
    ...pick(NUMERIC, params.minNumeric),
    ...pick(special, params.minSpecial),
  ];
  chosen.push(...pick(union, Math.max(0, params.length - chosen.length)));
  for (let i = chosen.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [chosen[i], chosen[j]] = [chosen[j], chosen[i]];
  }
  return chosen.join("");
}

function assertPassword(urn: string): void {
  // The URN's type is qualified by its parents' types: `parent$child`.
  const type = (urn.split("::")[2] ?? "").split("$").pop();
  if (type !== RANDOM_PASSWORD) {
    throw new Error(`the random stand-in only implements ${RANDOM_PASSWORD}, not ${type} (${urn})`);
  }
}

export const randomProvider: provider.Provider = {
  version: VERSION,

  async check(urn, _olds, news) {
    assertPassword(urn);
    const inputs = withDefaults((news ?? {}) as Record<string, unknown>);
    return { inputs, failures: failuresOf(inputs) };
  },

  async diff(_id, _urn, olds, news) {
    const before = unwrapSecrets(olds ?? {}) as Record<string, unknown>;
    const after = unwrapSecrets(news ?? {}) as Record<string, unknown>;
    const replaces = INPUTS.filter((key) => !equal(before[key], after[key]));
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(urn, inputs) {
    assertPassword(urn);
    const checked = withDefaults((inputs ?? {}) as Record<string, unknown>);
    const failures = failuresOf(checked);
    if (failures.length > 0) {
      throw new Error(failures.map((f) => `${f.property}: ${f.reason}`).join("; "));
    }
    const plain = unwrapSecrets(checked) as Record<string, unknown>;
    const result = generatePassword({
      length: plain.length as number,
      special: plain.special as boolean,
      upper: plain.upper as boolean,
      lower: plain.lower as boolean,
      numeric: plain.numeric as boolean,
      minUpper: plain.minUpper as number,
      minLower: plain.minLower as number,
      minNumeric: plain.minNumeric as number,
      minSpecial: plain.minSpecial as number,
      overrideSpecial: plain.overrideSpecial as string | undefined,
    });
    const bcryptHash = await bcrypt.hash(result, BCRYPT_COST);
    return { id: "none", outs: { ...checked, result, bcryptHash } };
  },

  async read(id, _urn, props) {
    const state = (props ?? {}) as Record<string, unknown>;
    const inputs = Object.fromEntries(INPUTS.filter((k) => k in state).map((k) => [k, state[k]]));
    return { id, props: state, inputs };
  },

  async update() {
    throw new Error("RandomPassword has no updatable inputs: every change replaces it");
  },

  async delete() {
    // Nothing exists outside the state.
  },
};

/** Structural equality of JSON values; absent and null are the same "not set". */
function equal(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null || b === undefined || b === null) {
    return (a ?? null) === (b ?? null);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => equal(item, b[i]))
    );
  }
  if (typeof a === "object" && typeof b === "object") {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
    return [...keys].every((k) => equal(ra[k], rb[k]));
  }
  return a === b;
}

if (require.main === module) {
  provider.main(randomProvider, process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
