/**
 * Every reason the Atlas operator v0.7.37 can report (api/v1alpha1/reason.go and the literal reasons in
 * internal/controller/atlasschema_controller.go, atlasmigration_controller.go and lint.go), classified.
 */
import { strict as assert } from "assert";
import {
  atlasVerdict,
  CONNECTION_ERRORS,
  isConnectionError,
  TRANSIENT_REASONS,
} from "../components/atlas-status";
import { atlasObject } from "./support/wait-fixtures";

const SQL_ERROR =
  'sql/migrate: execute: executing statement "CREAT TABLE users (id int)" from version "20260302": ' +
  "Error 1064 (42000): You have an error in your SQL syntax; check the manual that corresponds to your MySQL " +
  "server version for the right syntax to use near 'CREAT TABLE users (id int)' at line 1";

/** [kind, reason, a message the operator writes with it]: all Stalled=True, none of them passes on its own. */
const FINAL: [("AtlasSchema" | "AtlasMigration")[], string, string][] = [
  [["AtlasSchema"], "ReadSchema", 'configmaps "shop-schema" not found'],
  [["AtlasSchema"], "CalculatingHash", "unable to hash the desired state"],
  [["AtlasSchema"], "LintPolicyError", 'destructive changes detected: Dropping table "orders"'],
  [["AtlasSchema"], "ModifyingAtlasHCL", "cannot edit atlas.hcl: invalid block"],
  [["AtlasSchema"], "SchemaInspect", "Error 1044: Access denied for user 'shop' to database 'shop'"],
  [["AtlasSchema"], "SchemaPush", "schema push: repository not found"],
  [["AtlasSchema"], "SchemaPlan", "plan rejected: the plan was rejected by a reviewer"],
  [["AtlasSchema"], "ListingPlans", "multiple schema plans found: atlas://a, atlas://b"],
  [["AtlasSchema"], "FirstRunDestructive", "destructive changes detected\nTo apply this schema, ..."],
  [["AtlasSchema"], "VerifyingFirstRun", "executing lint: unknown analyzer"],
  [["AtlasSchema"], "ApplyingSchema", SQL_ERROR],
  [["AtlasMigration"], "ReadingMigrationData", 'configmaps "shop-migrations" not found'],
  [["AtlasMigration"], "Migrating", "checksum mismatch: atlas.sum does not match the migration directory"],
  [["AtlasMigration"], "ProtectedFlowError", "migrate down is not allowed, set `migrateDown.allow` to true"],
  [["AtlasMigration"], "PlanRejected", "plan rejected, review here: https://org.atlasgo.cloud/plans/1"],
  [["AtlasMigration"], "CopyingDirState", "copying the dir-state: file exists"],
];

/** Failures of the operator's machinery or its access, not of the schema. */
const TRANSIENT: [("AtlasSchema" | "AtlasMigration")[], string, string][] = [
  [["AtlasSchema", "AtlasMigration"], "GettingDevDB", "waiting for the dev database pod to be ready"],
  [["AtlasSchema"], "CreatingWorkingDir", "mkdir /tmp/atlas: no space left on device"],
  [["AtlasSchema", "AtlasMigration"], "CreatingAtlasClient", "exec: atlas: not found"],
  [["AtlasSchema", "AtlasMigration"], "Login", "login to Atlas Cloud failed: 502"],
  [["AtlasSchema", "AtlasMigration"], "WhoAmI", "whoami: unexpected status 503"],
  [["AtlasMigration"], "StoringDirState", 'configmaps "atlas-migration-shop" is forbidden'],
];

/** One sample per connection pattern, each from a driver or server that writes it. */
const CONNECTION_SAMPLES: Record<string, string> = {
  "connection refused": "mysql: connect: connection refused",
  "dial tcp": "dial tcp: lookup mysql on 10.96.0.10:53: server misbehaving",
  "i/o timeout": "read 10.244.0.7:3306: i/o timeout",
  "no such host": "lookup mysql.shop.svc.cluster.local: no such host",
  "network unreachable": "connect: network is unreachable",
  "PostgreSQL starting up": "pq: the database system is starting up",
  "MySQL unreachable": "Error 2002 (HY000): Can't connect to MySQL server on 'mysql' (115)",
  "MySQL server gone": "Error 2006 (HY000): MySQL server has gone away",
  "bad connection": "driver: bad connection",
  "connection reset": "read tcp 10.244.0.7:52344->10.96.4.2:5432: read: connection reset by peer",
  "broken pipe": "write tcp 10.244.0.7:52344->10.96.4.2:3306: write: broken pipe",
  "unexpected EOF": "unexpected EOF",
  "too many connections": "Error 1040 (08004): Too many connections",
  "context deadline": "context deadline exceeded",
};

describe("atlasVerdict (Atlas operator v0.7.37)", () => {
  for (const [kinds, reason, message] of FINAL) {
    for (const kind of kinds) {
      it(`fails at once on ${kind} ${reason}, a failure that does not pass by itself`, () => {
        const v = atlasVerdict(atlasObject({ kind, reason, message }));
        assert.deepEqual(v, { kind: "final", reason, message, gaveUp: false });
      });
    }
  }

  for (const [kinds, reason, message] of TRANSIENT) {
    for (const kind of kinds) {
      it(`keeps waiting, within the grace period, on ${kind} ${reason}`, () => {
        assert.deepEqual(atlasVerdict(atlasObject({ kind, reason, message })), {
          kind: "transient",
          reason,
          message,
        });
      });
    }
  }

  it("lists exactly the transient reasons the tests cover", () => {
    assert.deepEqual([...TRANSIENT_REASONS].sort(), TRANSIENT.map(([, r]) => r).sort());
  });

  for (const kind of ["AtlasSchema", "AtlasMigration"] as const) {
    it(`waits while an ${kind} is Reconciling`, () => {
      const v = atlasVerdict(atlasObject({ kind, reason: "Reconciling", message: "Reconciling" }));
      assert.equal(v.kind, "progress");
    });

    it(`waits for a person while an ${kind} plan is ApprovalPending`, () => {
      const message = "plan approval pending, review here: https://org.atlasgo.cloud/plans/7";
      assert.deepEqual(atlasVerdict(atlasObject({ kind, reason: "ApprovalPending", message })), {
        kind: "approval",
        reason: "ApprovalPending",
        message,
      });
    });

    it(`is done when an ${kind} is Applied at its generation`, () => {
      assert.equal(atlasVerdict(atlasObject({ kind, reason: "Applied", message: "applied" })).kind, "ready");
    });

    it(`fails once the operator has given up on an ${kind} (status.failed above spec.backoffLimit), whatever the reason`, () => {
      const o = atlasObject({ kind, reason: "Login", message: "502", backoffLimit: 20, failed: 21 });
      assert.deepEqual(atlasVerdict(o), { kind: "final", reason: "Login", message: "502", gaveUp: true });
    });
  }

  it("does not count failures against a backoffLimit of 0 (no limit)", () => {
    const o = atlasObject({ reason: "Login", message: "502", backoffLimit: 0, failed: 50 });
    assert.equal(atlasVerdict(o).kind, "transient");
  });

  it("trusts no status the operator wrote for an older generation, not even a final failure", () => {
    const o = atlasObject({
      reason: "ApplyingSchema",
      message: SQL_ERROR,
      generation: 4,
      observedGeneration: 3,
    });
    assert.deepEqual(atlasVerdict(o), {
      kind: "progress",
      reason: "NotObserved",
      message: "the operator has not looked at generation 4 yet",
    });
  });

  it("waits on a reason it does not know when the operator did not mark it Stalled", () => {
    const o = atlasObject({ reason: "Reconciling" });
    const conditions = o.status!.conditions!.map((c) =>
      c.type === "Ready" ? { ...c, reason: "NewStep" } : c,
    );
    assert.equal(atlasVerdict({ ...o, status: { ...o.status, conditions } }).kind, "progress");
  });

  describe("a connection error, under any reason", () => {
    for (const c of CONNECTION_ERRORS) {
      it(`treats '${c.name}' as transient`, () => {
        const sample = CONNECTION_SAMPLES[c.name];
        assert.ok(sample, `a sample for ${c.name}`);
        assert.ok(c.pattern.test(sample), `${c.name} matches its sample`);
        assert.ok(isConnectionError(sample));
        for (const reason of ["ApplyingSchema", "SchemaInspect", "Migrating"]) {
          assert.equal(atlasVerdict(atlasObject({ reason, message: sample })).kind, "transient", reason);
        }
      });
    }

    it("has a sample for every pattern and no more", () => {
      assert.deepEqual(Object.keys(CONNECTION_SAMPLES).sort(), CONNECTION_ERRORS.map((c) => c.name).sort());
    });

    it("does not take an SQL error or a refused change for a connection error", () => {
      for (const [, , message] of FINAL) assert.equal(isConnectionError(message), false, message);
    });
  });
});
