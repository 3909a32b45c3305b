/**
 * The Argo CD health checks for AtlasSchema and AtlasMigration, run in a sandbox shaped like argocd-cm's:
 * the app's wave must start only once its schema is really applied, and no input may make a script error
 * (Argo CD shows Unknown and the wave waits forever) or wrongly say Healthy.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse, parseAllDocuments } from "yaml";
import { atlasHealthChecks, HEALTH_CHECK_KEY_PREFIX } from "../components/health-checks";
import { terminatingHealth } from "./support/argo-cd-health";
import {
  LuaScriptError,
  runHealthScript,
  runLua,
  type HealthStatus,
  type HealthStatusCode,
  type SandboxOptions,
} from "./support/lua-sandbox";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const KINDS = ["AtlasSchema", "AtlasMigration"] as const;
type Kind = (typeof KINDS)[number];

const SCRIPTS_DIR = path.join(__dirname, "..", "components", "health-checks");
const SHARED_BODY = path.join(SCRIPTS_DIR, "shared", "atlas-status.lua");
const FIXTURES_DIR = path.join(__dirname, "fixtures", "atlas-health");

/** Every Ready=False failure reason the operator sets at v0.7.37 (internal/controller/*.go). */
const UPSTREAM_FAILURE_REASONS: Record<Kind, string[]> = {
  AtlasSchema: [
    "ApplyingSchema",
    "CalculatingHash",
    "CreatingAtlasClient",
    "CreatingWorkingDir",
    "FirstRunDestructive",
    "LintPolicyError",
    "ListingPlans",
    "Login",
    "ModifyingAtlasHCL",
    "ReadSchema",
    "SchemaInspect",
    "SchemaPlan",
    "SchemaPush",
    "VerifyingFirstRun",
    "WhoAmI",
  ],
  AtlasMigration: [
    "CopyingDirState",
    "CreatingAtlasClient",
    "Login",
    "Migrating",
    "PlanRejected",
    "ProtectedFlowError",
    "ReadingMigrationData",
    "StoringDirState",
    "WhoAmI",
  ],
};

const scriptKey = (kind: Kind) => `${HEALTH_CHECK_KEY_PREFIX}db.atlasgo.io_${kind}`;

function scriptFor(kind: Kind): string {
  const script = atlasHealthChecks()[scriptKey(kind)];
  assert.ok(script, `no health check for ${kind}`);
  return script;
}

const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function asObject(v: Json | undefined, what: string): JsonObject {
  assert.ok(isObject(v), `${what} is not an object`);
  return v;
}

/** A fresh copy of a single-object fixture, so a test can mutate it freely. */
function fixture(kind: Kind, name: string): JsonObject {
  const text = fs.readFileSync(path.join(FIXTURES_DIR, kind, `${name}.yaml`), "utf8");
  return asObject(parse(text) as Json, `${kind}/${name}.yaml`);
}

/** The one-object-per-failure-reason fixture. */
function failureFixtures(kind: Kind): JsonObject[] {
  const text = fs.readFileSync(path.join(FIXTURES_DIR, kind, "failures.yaml"), "utf8");
  return parseAllDocuments(text).map((doc, i) => {
    assert.deepEqual(doc.errors, [], `${kind}/failures.yaml document ${i + 1}`);
    return asObject(doc.toJS() as Json, `${kind}/failures.yaml document ${i + 1}`);
  });
}

const metadataOf = (o: JsonObject) => asObject(o.metadata, "metadata");
const statusOf = (o: JsonObject) => asObject(o.status, "status");

function conditionsOf(o: JsonObject): JsonObject[] {
  const conditions = statusOf(o).conditions;
  assert.ok(Array.isArray(conditions), "status.conditions is not a list");
  return conditions.map((c) => asObject(c, "condition"));
}

function condition(o: JsonObject, type: string): JsonObject {
  const found = conditionsOf(o).find((c) => c.type === type);
  assert.ok(found, `no ${type} condition`);
  return found;
}

const readyOf = (o: JsonObject) => condition(o, "Ready");

/** "Reason: message" of the fixture's Ready condition: what the health message must carry. */
function readyText(o: JsonObject): string {
  const ready = readyOf(o);
  return ready.message ? `${String(ready.reason)}: ${String(ready.message)}` : String(ready.reason);
}

/** Runs the kind's script; the script's last-resort pcall must never be what produced the verdict. */
function evaluate(kind: Kind, obj: unknown, options?: SandboxOptions): HealthStatus {
  const result = runHealthScript(scriptFor(kind), obj, { chunkName: kind, ...options });
  assert.ok(!result.message.includes("health check script failed"), `script crashed: ${result.message}`);
  return result;
}

function assertHealth(result: HealthStatus, status: HealthStatusCode, fragments: string[]): void {
  assert.equal(result.status, status, `got ${result.status}: ${result.message}`);
  for (const fragment of fragments) {
    assert.ok(
      result.message.includes(fragment),
      `message ${JSON.stringify(result.message)} lacks ${fragment}`,
    );
  }
}

interface Row {
  /** The `it` sentence. */
  does: string;
  /** Builds the object from the kind's fixtures. */
  object: (kind: Kind) => JsonObject;
  status: HealthStatusCode;
  /** What the message must contain, given the object. */
  says: (o: JsonObject) => string[];
}

/** Applies a mutation to a copy of a fixture. */
const from =
  (name: string, mutate: (o: JsonObject) => void = () => undefined) =>
  (kind: Kind) => {
    const o = fixture(kind, name);
    mutate(o);
    return o;
  };

const progressing: Row[] = [
  {
    does: "holds the wave while the operator has not reported any status yet",
    object: from("applied", (o) => delete o.status),
    status: "Progressing",
    says: () => ["waiting for the Atlas operator"],
  },
  {
    does: "holds the wave while the status is still an empty object",
    object: from("applied", (o) => (o.status = {})),
    status: "Progressing",
    says: () => ["Ready condition"],
  },
  {
    does: "holds the wave on a new object whose status only has the CRD default observedGeneration -1",
    object: from("created"),
    status: "Progressing",
    says: () => ["observe generation 1", "not reconciled"],
  },
  {
    does: "holds the wave while there is no Ready condition",
    object: from("applied", (o) => {
      statusOf(o).conditions = conditionsOf(o).filter((c) => c.type !== "Ready");
    }),
    status: "Progressing",
    says: () => ["Ready condition"],
  },
  {
    does: "holds the wave while the operator has not observed generation 4, though Ready=True is still there",
    object: from("applied", (o) => (metadataOf(o).generation = 4)),
    status: "Progressing",
    says: () => ["waiting for the operator to observe generation 4", "status reflects generation 3"],
  },
  {
    does: "holds the wave while the Ready condition is from generation 2, though status.observedGeneration is current",
    object: from("applied", (o) => (readyOf(o).observedGeneration = 2)),
    status: "Progressing",
    says: () => ["observe generation 3", "Ready condition reflects generation 2"],
  },
  {
    does: "still checks the Ready condition's observedGeneration when status.observedGeneration is absent",
    object: from("applied", (o) => {
      delete statusOf(o).observedGeneration;
      readyOf(o).observedGeneration = 2;
    }),
    status: "Progressing",
    says: () => ["observe generation 3", "Ready condition reflects generation 2"],
  },
  {
    does: "holds the wave while the operator reconciles (Reconciling)",
    object: from("reconciling"),
    status: "Progressing",
    says: (o) => [readyText(o)],
  },
  {
    does: "holds the wave while the operator waits for its dev database (GettingDevDB)",
    object: from("getting-dev-db"),
    status: "Progressing",
    says: (o) => [readyText(o)],
  },
  {
    // Operators before v0.7.16 set only Ready, with no Reconciling or Stalled to fall back on, and no
    // observedGeneration: the pending reasons themselves must hold the wave (ariga/atlas-operator
    // api/v1alpha1/reason.go names both).
    does: "holds the wave for GettingDevDB from an operator older than v0.7.16 (Ready alone)",
    object: from("getting-dev-db", (o) => {
      const status = statusOf(o);
      delete status.observedGeneration;
      status.conditions = [readyOf(o)];
      delete readyOf(o).observedGeneration;
    }),
    status: "Progressing",
    says: (o) => [readyText(o)],
  },
  {
    does: "holds the wave for Reconciling from an operator older than v0.7.16 (Ready alone)",
    object: from("reconciling", (o) => {
      const status = statusOf(o);
      delete status.observedGeneration;
      status.conditions = [readyOf(o)];
      delete readyOf(o).observedGeneration;
      Object.assign(readyOf(o), { status: "False", reason: "Reconciling" });
    }),
    status: "Progressing",
    says: (o) => [readyText(o)],
  },
  {
    does: "holds the wave while the object is being deleted, even with a stale Ready=True",
    object: from("deleting"),
    status: "Progressing",
    says: () => ["being deleted", "foregroundDeletion"],
  },
  {
    does: "holds the wave while Ready is Unknown",
    object: from("applied", (o) => {
      Object.assign(readyOf(o), { status: "Unknown", reason: "Probing", message: "checking the target" });
    }),
    status: "Progressing",
    says: () => ["Probing: checking the target"],
  },
  {
    does: "holds the wave for a still-working reason newer than this script (Reconciling=True, Stalled=False)",
    object: from("reconciling", (o) => {
      for (const c of conditionsOf(o)) Object.assign(c, { reason: "WarmingUp", message: "almost there" });
    }),
    status: "Progressing",
    says: () => ["WarmingUp: almost there"],
  },
  {
    does: "holds the wave instead of failing it when the failure is from a generation the operator has not redone",
    object: (kind) => {
      const o = failureFixtures(kind)[0];
      metadataOf(o).generation = 7;
      return o;
    },
    status: "Progressing",
    says: () => ["observe generation 7", "status reflects generation 6"],
  },
];

const suspended: Row[] = [
  {
    does: "pauses the wave while a plan waits for approval in Atlas Cloud (ApprovalPending)",
    object: from("approval-pending"),
    status: "Suspended",
    says: (o) => {
      const link = statusOf(o).planLink;
      return typeof link === "string" ? [readyText(o), link] : [readyText(o)];
    },
  },
  {
    does: "does not report an approval from an older generation as Suspended",
    object: from("approval-pending", (o) => (metadataOf(o).generation = 6)),
    status: "Progressing",
    says: () => ["observe generation 6"],
  },
];

const oldOperator: Row[] = [
  {
    does: "trusts Ready=True alone when the operator publishes no observedGeneration at all",
    object: from("old-operator-applied"),
    status: "Healthy",
    says: (o) => [readyText(o)],
  },
  {
    does: "fails the sync on a Ready=False failure even without a Stalled condition",
    object: from("old-operator-failed"),
    status: "Degraded",
    says: (o) => [readyText(o)],
  },
];

const argoCdCases: Row[] = [
  {
    does: "is Healthy for Argo CD's healthy case (applied, older operator)",
    object: from("argocd-healthy"),
    status: "Healthy",
    says: () => ["Applied"],
  },
  {
    does: "is Progressing for Argo CD's progressing case (Reconciling, older operator)",
    object: from("argocd-progressing"),
    status: "Progressing",
    says: (o) => [readyText(o)],
  },
  {
    does: "is Degraded for Argo CD's degraded case, with the operator's reason and message",
    object: from("argocd-degraded"),
    status: "Degraded",
    says: (o) => [readyText(o)],
  },
];

/** Each starts from the applied fixture (Ready=True), so a careless script would say Healthy. */
const malformed: { does: string; mutate: (o: JsonObject) => void; says: string }[] = [
  {
    does: "status.conditions is a string",
    mutate: (o) => (statusOf(o).conditions = "Ready"),
    says: "status.conditions is a string",
  },
  {
    does: "status.conditions is a number",
    mutate: (o) => (statusOf(o).conditions = 3),
    says: "status.conditions is a number",
  },
  {
    does: "status.conditions is a map",
    mutate: (o) => (statusOf(o).conditions = { Ready: { type: "Ready", status: "True", reason: "Applied" } }),
    says: "status.conditions is an object, expected a list",
  },
  {
    does: "the conditions are strings",
    mutate: (o) => (statusOf(o).conditions = ["Ready=True", "Stalled=False"]),
    says: "status.conditions[1] is a string",
  },
  {
    does: "the conditions are numbers",
    mutate: (o) => (statusOf(o).conditions = [1, 2]),
    says: "status.conditions[1] is a number",
  },
  {
    does: "an unreadable entry sits next to a valid Ready=True",
    mutate: (o) => (statusOf(o).conditions = [...conditionsOf(o), "garbage"]),
    says: "status.conditions[4] is a string",
  },
  {
    does: "a condition is a list",
    mutate: (o) => (statusOf(o).conditions = [["Ready", "True"]]),
    says: "status.conditions[1] is a list",
  },
  {
    does: "a condition has no type",
    mutate: (o) => delete condition(o, "Stalled").type,
    says: "status.conditions[3].type is missing",
  },
  {
    does: "the Ready status is missing",
    mutate: (o) => delete readyOf(o).status,
    says: "status.conditions[1].status is missing",
  },
  {
    does: "the Ready status is a boolean",
    mutate: (o) => (readyOf(o).status = true),
    says: ".status is a boolean",
  },
  {
    does: "the Ready status is not True, False or Unknown",
    mutate: (o) => (readyOf(o).status = "Yes"),
    says: '"Yes"',
  },
  {
    does: "the Ready reason is missing",
    mutate: (o) => delete readyOf(o).reason,
    says: ".reason is missing",
  },
  { does: "the Ready reason is empty", mutate: (o) => (readyOf(o).reason = ""), says: ".reason is empty" },
  {
    does: "the Ready reason is a number",
    mutate: (o) => (readyOf(o).reason = 42),
    says: ".reason is a number",
  },
  {
    does: "the Ready message is a map",
    mutate: (o) => (readyOf(o).message = { text: "hi" }),
    says: ".message is an object",
  },
  {
    does: "the Ready observedGeneration is a string",
    mutate: (o) => (readyOf(o).observedGeneration = "3"),
    says: ".observedGeneration is a string",
  },
  {
    does: "status.observedGeneration is a string",
    mutate: (o) => (statusOf(o).observedGeneration = "3"),
    says: "status.observedGeneration is a string",
  },
  {
    does: "metadata.generation is a string",
    mutate: (o) => (metadataOf(o).generation = "3"),
    says: "metadata.generation is a string",
  },
  {
    does: "metadata.generation is a boolean",
    mutate: (o) => (metadataOf(o).generation = true),
    says: "metadata.generation is a boolean",
  },
  {
    does: "metadata.generation is missing while the operator publishes observedGeneration",
    mutate: (o) => delete metadataOf(o).generation,
    says: "metadata.generation is missing",
  },
  { does: "status is a string", mutate: (o) => (o.status = "Ready"), says: "status is a string" },
  { does: "status is a number", mutate: (o) => (o.status = 1), says: "status is a number" },
  {
    does: "status is a list",
    mutate: (o) => (o.status = [{ type: "Ready", status: "True", reason: "Applied" }]),
    says: "status is a list",
  },
  { does: "metadata is a string", mutate: (o) => (o.metadata = "orders"), says: "metadata is a string" },
];

function runRows(kind: Kind, rows: Row[]): void {
  for (const row of rows) {
    it(row.does, () => {
      const o = row.object(kind);
      assertHealth(evaluate(kind, o), row.status, row.says(o));
    });
  }
}

describe("Atlas operator health checks for Argo CD sync waves", () => {
  for (const kind of KINDS) {
    describe(kind, () => {
      describe("Healthy: the next wave starts", () => {
        it("lets the next wave start once the operator has applied generation 3 and says Ready", () => {
          const o = fixture(kind, "applied");
          assertHealth(evaluate(kind, o), "Healthy", ["Applied"]);
        });
      });

      describe("Progressing: the wave waits", () => runRows(kind, progressing));

      describe("Suspended: waiting for a human", () => runRows(kind, suspended));

      describe("Degraded: the sync fails", () => {
        const failures = failureFixtures(kind);

        it("has a fixture for every failure reason the operator sets", () => {
          const reasons = failures.map((o) => String(readyOf(o).reason)).sort();
          assert.deepEqual(reasons, [...UPSTREAM_FAILURE_REASONS[kind]].sort());
        });

        for (const o of failures) {
          const reason = String(readyOf(o).reason);
          it(`fails the sync on ${reason}, carrying the operator's reason and message`, () => {
            assert.equal(condition(o, "Stalled").status, "True", "fixture should be Stalled");
            assertHealth(evaluate(kind, o), "Degraded", [readyText(o)]);
          });
        }

        it("fails the sync on a failure reason it has never heard of when the operator marks it Stalled", () => {
          const o = failureFixtures(kind)[0];
          for (const c of conditionsOf(o)) Object.assign(c, { reason: "NewFailure", message: "boom" });
          assertHealth(evaluate(kind, o), "Degraded", ["NewFailure: boom"]);
        });
      });

      describe("operators older than v0.7.16 (no observedGeneration)", () => runRows(kind, oldOperator));

      describe("the cases Argo CD's own tests cover", () => runRows(kind, argoCdCases));

      describe("malformed input: never a script error, never Healthy", () => {
        for (const row of malformed) {
          it(`fails the sync with a readable message when ${row.does}`, () => {
            const o = fixture(kind, "applied");
            row.mutate(o);
            assertHealth(evaluate(kind, o), "Degraded", [row.says]);
          });
        }

        for (const [what, value] of [
          ["nil", undefined],
          ["a string", "AtlasSchema"],
          ["a list", [1, 2]],
        ] as const) {
          it(`fails the sync when the object itself is ${what}`, () => {
            assertHealth(evaluate(kind, value), "Degraded", ["cannot evaluate"]);
          });
        }

        it("holds the wave, rather than judging, for an object being deleted with a malformed status", () => {
          const o = fixture(kind, "deleting");
          o.status = "garbage";
          assertHealth(evaluate(kind, o), "Progressing", ["being deleted"]);
        });
      });

      describe("an object being deleted, as Argo CD shows it (test/support/argo-cd-health.ts)", () => {
        const finalizers = (o: JsonObject) => (metadataOf(o).finalizers ?? []) as string[];

        it("shows on v3.6 the finalizers it waits for, through deletionMessage, and holds the wave", () => {
          const o = fixture(kind, "deleting");
          const check = evaluate(kind, o);
          assert.equal(check.deletionMessage, check.message);
          assert.deepEqual(terminatingHealth(6, finalizers(o), check), {
            status: "Progressing",
            message: "being deleted; waiting for finalizers: foregroundDeletion",
          });
        });

        it("is never run on v3.4 and v3.5, which hold the wave with their own 'Pending deletion'", () => {
          const o = fixture(kind, "deleting");
          for (const minor of [4, 5]) {
            assert.deepEqual(terminatingHealth(minor, finalizers(o), evaluate(kind, o)), {
              status: "Progressing",
              message: "Pending deletion",
            });
          }
        });

        it("says 'being deleted' on v3.6 once no finalizer is left", () => {
          const o = fixture(kind, "deleting");
          delete metadataOf(o).finalizers;
          assert.deepEqual(terminatingHealth(6, [], evaluate(kind, o)), {
            status: "Progressing",
            message: "being deleted",
          });
        });

        it("sets no deletionMessage on an object that is not being deleted", () => {
          for (const name of ["applied", "created", "reconciling"]) {
            assert.equal(evaluate(kind, fixture(kind, name)).deletionMessage, undefined, name);
          }
        });
      });

      describe("numbers as gopher-lua holds them (every number a float)", () => {
        const floats: SandboxOptions = { floatNumbers: true };

        it("names the generation it waits for as 12, not 12.0", () => {
          const o = fixture(kind, "applied");
          metadataOf(o).generation = 12;
          statusOf(o).observedGeneration = 11;
          const result = evaluate(kind, o, floats);
          assertHealth(result, "Progressing", ["observe generation 12", "generation 11"]);
          assert.ok(!result.message.includes(".0"), result.message);
        });

        it("still says Healthy when generation and observedGeneration are equal floats", () => {
          assertHealth(evaluate(kind, fixture(kind, "applied"), floats), "Healthy", ["Applied"]);
        });

        it("names a generation beyond 32 bits in full", () => {
          const o = fixture(kind, "applied");
          metadataOf(o).generation = 3000000000;
          assertHealth(evaluate(kind, o), "Progressing", ["observe generation 3000000000"]);
        });
      });
    });
  }
});

describe("the Lua sandbox the tests run in", () => {
  it("has no string library, so string.sub errors", () => {
    assert.throws(
      () => runLua('return string.sub("abc", 1, 1)'),
      /attempt to index a nil value \(global 'string'\)/,
    );
  });

  it('gives strings no methods, so ("x"):upper() errors', () => {
    assert.throws(() => runLua('return ("x"):upper()'), /attempt to index a string value/);
    assert.deepEqual(runLua('return getmetatable("x")'), [undefined]);
  });

  it("has no math library", () => {
    assert.throws(() => runLua("return math.floor(1.5)"), /attempt to index a nil value \(global 'math'\)/);
  });

  // Argo CD v3.4.4 util/lua/lua.go runLuaWithResourceActionParameters + oslib_safe.go OpenSafeOs/SafeOsLoader,
  // with gopher-lua v1.1.1 auxlib.go RegisterModule: see test/support/lua-sandbox.ts.
  it("has no global os, as Argo CD registers its safe os only as a preloaded module", () => {
    assert.deepEqual(runLua("return type(os), rawget(_G, 'os')"), ["nil", undefined]);
    assert.throws(() => runLua("return os.time()"), /attempt to index a nil value \(global 'os'\)/);
  });

  it('gives require("os") a table with exactly time and date, loaded once', () => {
    const [names, timeType, dateType, same] = runLua(`
            local os = require("os")
            local names = {}
            for name in pairs(os) do names[#names + 1] = name end
            table.sort(names)
            return table.concat(names, ","), type(os.time()), type(os.date("!%Y")), require("os") == os`);
    assert.deepEqual([names, timeType, dateType, same], ["date,time", "number", "string", true]);
  });

  it("leaves the table library as it was: the safe os registered under its name adds nothing", () => {
    const [names] = runLua(`
            local names = {}
            for name in pairs(table) do names[#names + 1] = name end
            table.sort(names)
            return table.concat(names, ",")`);
    // gopher-lua tablelib.go tableFuncs; no time, no date, none of Lua 5.3's move/pack/unpack.
    assert.equal(names, "concat,getn,insert,maxn,remove,sort");
  });

  it("opens package and require, and no other library", () => {
    const [types] = runLua(`
            local names = { "package", "require", "table", "os", "string", "math", "io", "debug", "coroutine", "utf8" }
            local found = {}
            for _, name in ipairs(names) do found[#found + 1] = name .. "=" .. type(_G[name]) end
            return table.concat(found, " ")`);
    assert.equal(
      types,
      "package=table require=function table=table os=nil string=nil math=nil io=nil debug=nil coroutine=nil utf8=nil",
    );
    assert.deepEqual(
      runLua("return type(package.preload), type(package.loaded), require('table') == table"),
      ["table", "table", true],
    );
    assert.deepEqual(runLua("return type(pairs), type(tostring), type(pcall), _VERSION, rawlen"), [
      "function",
      "function",
      "function",
      "Lua 5.1",
      undefined,
    ]);
  });

  it("lets require find preloaded modules only, never a file on disk", () => {
    assert.throws(() => runLua('return require("atlas-status")'), /module 'atlas-status' not found/);
    assert.throws(
      () => runLua('return require("components/health-checks/shared/atlas-status")'),
      /not found/,
    );
  });

  it("turns a runtime error into a thrown error", () => {
    assert.throws(
      () => runLua('error("boom")'),
      (e: unknown) => e instanceof LuaScriptError && /boom/.test(e.message),
    );
  });

  it("turns a syntax error into a thrown error", () => {
    assert.throws(() => runLua("return {"), /Lua syntax error/);
  });

  it("stops a runaway script, as Argo CD's one-second limit does", () => {
    assert.throws(() => runLua("while true do end", {}, { timeoutMs: 50 }), /timed out/);
  });

  it("passes arrays as 1-based sequences and drops null items", () => {
    assert.deepEqual(
      runLua("return #obj.list, obj.list[1], obj.list[2], obj.list[0]", { obj: { list: ["a", null, "b"] } }),
      [2, "a", "b", undefined],
    );
  });

  it("passes objects as string-keyed tables and leaves null fields absent", () => {
    const obj = { gone: null, "1": "one", nested: { flag: false } };
    assert.deepEqual(runLua('return obj.gone == nil, obj["1"], obj[1], obj.nested.flag', { obj }), [
      true,
      "one",
      undefined,
      false,
    ]);
  });

  it("passes whole numbers as integers, so they print as gopher-lua prints them", () => {
    assert.deepEqual(runLua("return tostring(obj.n), tostring(obj.f)", { obj: { n: 3, f: 2.5 } }), [
      "3",
      "2.5",
    ]);
    // What the scripts guard against: Lua 5.3 prints a float-held 3 as "3.0".
    assert.deepEqual(runLua("return tostring(obj.n)", { obj: { n: 3 } }, { floatNumbers: true }), ["3.0"]);
  });

  it("reads the script's last return value, the top of the stack where Argo CD reads the verdict", () => {
    const verdict = runHealthScript(
      'return { status = "Degraded", message = "first" }, { status = "Healthy", message = "last" }',
      {},
    );
    assert.deepEqual(verdict, { status: "Healthy", message: "last" });
    assert.throws(() => runHealthScript('return { status = "Healthy" }, "trailing"', {}), /expected a table/);
  });

  it("refuses a verdict Argo CD would not accept", () => {
    assert.throws(() => runHealthScript('return { status = "Fine" }', {}), /status "Fine"/);
    assert.throws(() => runHealthScript('return "Healthy"', {}), /expected a table/);
    assert.throws(() => runHealthScript('return { status = "Healthy", message = 1 }', {}), /message 1/);
  });
});

describe("atlasHealthChecks()", () => {
  it("returns exactly the argocd-cm keys for AtlasMigration and AtlasSchema, in file-name order", () => {
    assert.equal(HEALTH_CHECK_KEY_PREFIX, "resource.customizations.health.");
    assert.deepEqual(Object.keys(atlasHealthChecks()), [
      "resource.customizations.health.db.atlasgo.io_AtlasMigration",
      "resource.customizations.health.db.atlasgo.io_AtlasSchema",
    ]);
  });

  it("composes each kind's file with the shared body into one script that defines KIND once", () => {
    const checks = atlasHealthChecks();
    const shared = fs.readFileSync(SHARED_BODY, "utf8");
    for (const kind of KINDS) {
      const script = checks[scriptKey(kind)];
      const kindFile = fs.readFileSync(path.join(SCRIPTS_DIR, `db.atlasgo.io_${kind}.lua`), "utf8");
      assert.ok(script.startsWith(kindFile), `${kind}'s script does not start with its kind file`);
      assert.ok(script.includes(shared), `${kind}'s script lacks the shared body`);
      assert.equal(script, `${kindFile}\n${shared}`);
      const kindDefinitions = script.match(/^[ \t]*local[ \t]+KIND\b.*$/gm) ?? [];
      assert.deepEqual(kindDefinitions, [`local KIND = "${kind}"`], `${kind} must define KIND exactly once`);
    }
  });
});

describe("the scripts stay within what argocd-cm's gopher-lua offers", () => {
  /** The code without comments and string literals, so only real uses are flagged. */
  const code = (script: string) =>
    script.replace(/--[^\n]*/g, "").replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '""');

  const forbidden: [string, RegExp][] = [
    ["the string library", /\bstring\s*\./],
    ["the math library", /\bmath\s*\./],
    ["string methods", /[\w)\]"]\s*:\s*[A-Za-z_]\w*\s*\(/],
    ["integer division", /\/\//],
    ["goto", /\bgoto\b/],
    ["unpack", /\bunpack\b/],
    ["bit operators", /[&|]|<<|>>|~(?!=)/],
    ["require", /\brequire\b/],
    ["the global os, which argocd-cm scripts do not have", /(^|[^.\w])os\s*\./m],
    ["Lua 5.2+ table functions", /\btable\s*\.\s*(pack|unpack|move)\b/],
    ["rawlen", /\brawlen\b/],
    ["io", /\bio\s*\./],
    ["utf8", /\butf8\b/],
  ];

  for (const kind of KINDS) {
    it(`${kind} uses none of the Lua 5.3-only or unopened features`, () => {
      const source = code(scriptFor(kind));
      for (const [what, pattern] of forbidden) {
        assert.ok(!pattern.test(source), `${kind} uses ${what}: ${String(source.match(pattern))}`);
      }
    });
  }
});
