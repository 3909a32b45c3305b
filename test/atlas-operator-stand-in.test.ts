/**
 * The e2e's stand-in for the Atlas operator's status writes (test/e2e/stand-ins/atlas-operator.ts) held to
 * operator v0.7.37: the shape of what it writes (the CRDs, the project's fixtures and Argo CD's testdata), the
 * condition bookkeeping, and above all what Argo CD concludes from it through the project's own Lua health
 * checks: applied is Healthy, pending is Progressing, failed is Degraded with the operator's message.
 * The polling loop itself runs against a real API server in the e2e.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { atlasHealthChecks, HEALTH_CHECK_KEY_PREFIX } from "../components/health-checks";
import { runHealthScript, type HealthStatus } from "./support/lua-sandbox";
import {
  AtlasOperatorStandIn,
  decideAlone,
  hashOf,
  mysqlRefusal,
  reconcilingStepFor,
  reflects,
  statusFor,
  type AtlasKind,
  type AtlasObject,
  type Outcome,
} from "./e2e/stand-ins/atlas-operator";

/* eslint-disable @typescript-eslint/no-explicit-any -- statuses are free-form JSON read back in asserts */
type Status = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const KINDS: AtlasKind[] = ["AtlasSchema", "AtlasMigration"];
const FIXTURES = path.join(__dirname, "fixtures", "atlas-health");
const SCHEMAS = path.join(__dirname, "..", "examples", "manifests", "schemas", "db.atlasgo.io");
const NOW = new Date("2026-03-04T11:20:31.456Z");
const LATER = new Date("2026-03-04T11:25:00.000Z");

const yamlFile = (file: string) => parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
const fixture = (kind: AtlasKind, name: string) => yamlFile(path.join(FIXTURES, kind, `${name}.yaml`));

/** A fresh object as Argo CD applies it: spec and generation, status only the CRD default. */
function created(kind: AtlasKind, generation = 1): AtlasObject {
  const spec =
    kind === "AtlasSchema"
      ? {
          urlFrom: { secretKeyRef: { name: "shop-db", key: "url" } },
          schema: { sql: "CREATE TABLE t (id int);" },
        }
      : {
          urlFrom: { secretKeyRef: { name: "billing-db", key: "url" } },
          dir: {
            local: {
              "20260201090000_create_customers.sql": "CREATE TABLE customers (id int);",
              "20260215090000_create_invoices.sql": "CREATE TABLE invoices (id int);",
              "atlas.sum": "h1:...",
            },
          },
        };
  return {
    kind,
    metadata: { name: "orders", namespace: "shop", generation },
    spec,
    status: { observedGeneration: -1 },
  };
}

const withStatus = (o: AtlasObject, status: object, generation = o.metadata.generation): AtlasObject => ({
  ...o,
  metadata: { ...o.metadata, generation },
  status,
});

function health(o: AtlasObject): HealthStatus {
  const script = atlasHealthChecks()[`${HEALTH_CHECK_KEY_PREFIX}db.atlasgo.io_${o.kind}`];
  assert.ok(script, `no health check for ${o.kind}`);
  const result = runHealthScript(
    script,
    { apiVersion: "db.atlasgo.io/v1alpha1", ...o },
    { chunkName: o.kind },
  );
  assert.ok(!result.message.includes("health check script failed"), result.message);
  return result;
}

const condition = (status: Status, type: string) => {
  const found = (status.conditions as Status[]).find((c) => c.type === type);
  assert.ok(found, `no ${type} condition in ${JSON.stringify(status)}`);
  return found;
};

/** The CRD's status schema (the repository's JSON-schema copy of the v0.7.37 CRDs, which kubeconform reads). */
function crdStatusSchema(kind: AtlasKind): Status {
  const file = path.join(SCHEMAS, `${kind.toLowerCase()}_v1alpha1.json`);
  return (JSON.parse(fs.readFileSync(file, "utf8")) as Status).properties.status;
}

function assertValidForCrd(kind: AtlasKind, status: Status): void {
  const schema = crdStatusSchema(kind);
  for (const key of Object.keys(status)) {
    assert.ok(key in schema.properties, `${kind} status.${key} is not in the CRD`);
  }
  const item = schema.properties.conditions.items;
  for (const c of status.conditions as Status[]) {
    for (const required of item.required as string[]) {
      assert.ok(required in c, `condition ${c.type} lacks ${required}`);
    }
    assert.deepEqual(Object.keys(c).sort(), Object.keys(item.properties).sort());
    assert.match(c.reason, new RegExp(item.properties.reason.pattern));
    assert.match(c.lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
}

const applied: Outcome = { kind: "applied" };
const failures: Record<AtlasKind, Outcome & { kind: "failed" }> = {
  AtlasSchema: {
    kind: "failed",
    reason: "ApplyingSchema",
    message:
      'Error: executing statement "xcreate table t": Error 1064 (42000): You have an error in your SQL syntax',
  },
  AtlasMigration: { kind: "failed", reason: "Migrating", message: "Error: checksum mismatch" },
};

describe("Atlas operator stand-in", () => {
  for (const kind of KINDS) {
    describe(kind, () => {
      it("writes, when applied, the status keys and conditions of the operator's own applied fixture", () => {
        const status = statusFor(created(kind, 3), applied, NOW) as Status;
        const expected = fixture(kind, "applied").status as Status;
        const optional = ["lastAppliedVersion"];
        assert.deepEqual(
          Object.keys(status).filter((k) => !optional.includes(k)),
          Object.keys(expected).filter((k) => !optional.includes(k)),
        );
        assert.deepEqual(
          (status.conditions as Status[]).map((c) => [c.type, c.status, c.reason, c.observedGeneration]),
          (expected.conditions as Status[]).map((c) => [c.type, c.status, c.reason, c.observedGeneration]),
        );
        assert.equal(status.observedGeneration, 3);
        assert.equal(status.failed, 0);
        assert.equal(status.observed_hash, hashOf(created(kind).spec));
        assertValidForCrd(kind, status);
      });

      it("writes the applied time in unix seconds and each new condition's lastTransitionTime as RFC 3339", () => {
        const status = statusFor(created(kind), applied, NOW) as Status;
        assert.equal(status[kind === "AtlasSchema" ? "last_applied" : "lastApplied"], 1772623231);
        for (const c of status.conditions as Status[]) {
          assert.equal(c.lastTransitionTime, "2026-03-04T11:20:31Z");
        }
      });

      it("reads as Healthy to Argo CD once applied", () => {
        const o = created(kind, 2);
        assert.deepEqual(health(withStatus(o, statusFor(o, applied, NOW))).status, "Healthy");
      });

      for (const reason of ["Reconciling", "GettingDevDB"]) {
        it(`reads as Progressing while pending with reason ${reason}: Ready=False, Reconciling=True, Stalled=False`, () => {
          const o = created(kind, 2);
          const message =
            reason === "GettingDevDB"
              ? "dial tcp 10.96.0.12:5432: connect: connection refused"
              : "Reconciling";
          const status = statusFor(o, { kind: "pending", reason, message }, NOW) as Status;
          assert.deepEqual(
            ["Ready", "Reconciling", "Stalled"].map((t) => {
              const c = condition(status, t);
              return [c.status, c.reason, c.message, c.observedGeneration];
            }),
            [
              ["False", reason, message, 2],
              ["True", reason, message, 2],
              ["False", reason, "", 2],
            ],
          );
          assert.equal(status.failed, 0);
          assert.equal(status.observedGeneration, 2);
          assertValidForCrd(kind, status);
          const result = health(withStatus(o, status));
          assert.equal(result.status, "Progressing", result.message);
          assert.ok(result.message.includes(reason), result.message);
        });
      }

      it("reads as Degraded with the operator's reason and SQL error once failed: Stalled=True, failed counted", () => {
        const o = created(kind, 4);
        const outcome = failures[kind];
        const status = statusFor(o, outcome, NOW) as Status;
        for (const type of ["Ready", "Reconciling", "Stalled"]) {
          const c = condition(status, type);
          assert.deepEqual(
            [c.status, c.reason, c.message, c.observedGeneration],
            [type === "Stalled" ? "True" : "False", outcome.reason, outcome.message, 4],
          );
        }
        assert.equal(status.failed, 1);
        assert.equal((statusFor(withStatus(o, status), outcome, LATER) as Status).failed, 2);
        assertValidForCrd(kind, status);
        const result = health(withStatus(o, status));
        assert.equal(result.status, "Degraded", result.message);
        assert.ok(result.message.includes(`${outcome.reason}: ${outcome.message}`), result.message);
      });

      it("writes the Ready condition of Argo CD's testdata for the same outcome", () => {
        const cases: [string, Outcome][] = [
          ["healthy", applied],
          ["degraded", failures[kind]],
          [
            "progressing",
            { kind: "pending", reason: "Reconciling", message: "Current migration data has changed" },
          ],
        ];
        for (const [name, outcome] of cases) {
          // The project's copies of Argo CD's db.atlasgo.io health testdata.
          const testdata = fixture(kind, `argocd-${name}`);
          const theirs = condition(testdata.status as Status, "Ready");
          const ours = condition(statusFor(created(kind), outcome, NOW) as Status, "Ready");
          assert.deepEqual(
            [ours.type, ours.status, ours.reason],
            [theirs.type, theirs.status, theirs.reason],
            name,
          );
          if (name === "healthy" && kind === "AtlasSchema") {
            assert.match(ours.message, /^The schema has been applied successfully\. Apply response: \{/);
          } else if (name === "healthy") {
            assert.equal(ours.message, "");
          }
        }
      });

      it("moves a condition's lastTransitionTime only when its status flips, as meta.SetStatusCondition does", () => {
        const o = created(kind);
        const pending = statusFor(o, { kind: "pending", reason: "Reconciling", message: "Reconciling" }, NOW);
        const failed = statusFor(withStatus(o, pending), failures[kind], LATER) as Status;
        assert.equal(condition(failed, "Ready").lastTransitionTime, "2026-03-04T11:20:31Z");
        assert.equal(condition(failed, "Reconciling").lastTransitionTime, "2026-03-04T11:25:00Z");
        assert.equal(condition(failed, "Stalled").lastTransitionTime, "2026-03-04T11:25:00Z");
        const again = statusFor(withStatus(o, failed, 2), applied, LATER) as Status;
        assert.ok(
          (again.conditions as Status[]).every((c) => c.lastTransitionTime === "2026-03-04T11:25:00Z"),
        );
        assert.equal(again.failed, 0);
      });

      it("keeps the last success's fields while pending or failed, and resets the count on Reconciling", () => {
        const o = created(kind);
        const ok = statusFor(o, applied, NOW) as Status;
        const failed = statusFor(withStatus(o, ok, 2), failures[kind], LATER) as Status;
        for (const key of ["observed_hash", kind === "AtlasSchema" ? "last_applied" : "lastApplied"]) {
          assert.equal(failed[key], ok[key], key);
        }
        const reconciling = statusFor(
          withStatus(o, failed, 3),
          { kind: "pending", reason: "Reconciling", message: "Reconciling" },
          LATER,
        ) as Status;
        assert.equal(reconciling.failed, 0);
        const devDb = statusFor(
          withStatus(o, failed, 3),
          { kind: "pending", reason: "GettingDevDB", message: "waiting" },
          LATER,
        ) as Status;
        assert.equal(devDb.failed, 1);
      });

      it("writes the Reconciling step the operator writes first, and then none", () => {
        const o = created(kind);
        const first = reconcilingStepFor(o, NOW) as Status;
        assert.deepEqual(
          [condition(first, "Ready").reason, condition(first, "Ready").message],
          ["Reconciling", "Reconciling"],
        );
        assert.equal(reconcilingStepFor(withStatus(o, first), NOW), undefined);
        const ok = withStatus(o, statusFor(o, applied, NOW));
        assert.equal(reconcilingStepFor(ok, NOW), undefined);
        const edited = {
          ...ok,
          metadata: { ...ok.metadata, generation: 2 },
          spec: { ...ok.spec, devURL: "docker://x" },
        };
        const step = reconcilingStepFor(edited, LATER) as Status;
        assert.equal(
          condition(step, "Ready").message,
          kind === "AtlasSchema"
            ? "current schema does not match last applied"
            : "Current migration data has changed",
        );
        assert.equal(health(withStatus(edited, step)).status, "Progressing");
      });

      it("knows when the status already says what the outcome would for the current generation", () => {
        const o = created(kind, 2);
        const ok = withStatus(o, statusFor(o, applied, NOW));
        assert.ok(reflects(ok, applied));
        assert.ok(!reflects({ ...ok, metadata: { ...ok.metadata, generation: 3 } }, applied));
        assert.ok(!reflects(ok, failures[kind]));
        const failed = withStatus(o, statusFor(o, failures[kind], NOW));
        assert.ok(reflects(failed, failures[kind]));
        assert.ok(!reflects(failed, { ...failures[kind], message: "another error" }));
        assert.ok(reflects(created(kind), { kind: "hold" }));
        assert.ok(!reflects(created(kind), applied));
      });
    });
  }

  it("takes lastAppliedVersion from the highest migration file, as atlas reports the target version", () => {
    const status = statusFor(created("AtlasMigration"), applied, NOW) as Status;
    assert.equal(status.lastAppliedVersion, "20260215090000");
    const noFiles = { ...created("AtlasMigration"), spec: { dir: { configMapRef: { name: "m" } } } };
    assert.ok(!("lastAppliedVersion" in (statusFor(noFiles, applied, NOW) as Status)));
  });

  it("holds: writes nothing new, the status stays as it is", () => {
    const o = withStatus(
      created("AtlasSchema"),
      statusFor(created("AtlasSchema"), failures.AtlasSchema, NOW),
    );
    assert.deepEqual(statusFor(o, { kind: "hold" }, LATER), o.status);
    assert.equal(health(created("AtlasSchema")).status, "Progressing");
  });

  it("refuses an outcome whose reason the operator classifies the other way, or that the CRD rejects", () => {
    const o = created("AtlasSchema");
    assert.throws(
      () => statusFor(o, { kind: "pending", reason: "ApplyingSchema", message: "x" }, NOW),
      /failure/,
    );
    assert.throws(
      () => statusFor(o, { kind: "failed", reason: "GettingDevDB", message: "x" }, NOW),
      /not a failure/,
    );
    assert.throws(
      () => statusFor(o, { kind: "failed", reason: "Applied", message: "x" }, NOW),
      /not a failure/,
    );
    assert.throws(() => statusFor(o, { kind: "failed", reason: "bad reason", message: "x" }, NOW), /pattern/);
  });

  it("reads as Suspended while pending on a plan approval, as the project's check says", () => {
    const o = created("AtlasSchema");
    const status = statusFor(
      o,
      { kind: "pending", reason: "ApprovalPending", message: "Schema plan is waiting for approval" },
      NOW,
    );
    assert.equal(health(withStatus(o, status)).status, "Suspended");
  });

  describe("the loop, against a fake API server", () => {
    /** Serves one AtlasSchema (and no AtlasMigration), applies merge patches on /status, records every PATCH. */
    async function fakeApiServer(object: AtlasObject & { apiVersion: string }) {
      const patches: { url: string; contentType: string; body: Status }[] = [];
      const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", () => {
          res.setHeader("content-type", "application/json");
          const url = req.url ?? "";
          if (req.method === "GET") {
            res.end(JSON.stringify({ items: url.includes("/atlasschemas") ? [object] : [] }));
          } else if (req.method === "PATCH") {
            const patch = JSON.parse(body) as { status: Status };
            patches.push({ url, contentType: String(req.headers["content-type"]), body: patch });
            const merged = Object.entries({ ...(object.status as Status), ...patch.status });
            object.status = Object.fromEntries(merged.filter(([, v]) => v !== null));
            res.end(JSON.stringify(object));
          } else {
            res.statusCode = 405;
            res.end("{}");
          }
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as { port: number };
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "atlas-stand-in-"));
      const kubeconfig = path.join(dir, "kubeconfig");
      fs.writeFileSync(
        kubeconfig,
        [
          "apiVersion: v1",
          "kind: Config",
          `clusters: [{name: fake, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]`,
          "users: [{name: fake, user: {}}]",
          "contexts: [{name: fake, context: {cluster: fake, user: fake}}]",
          "current-context: fake",
        ].join("\n"),
      );
      const close = async () => {
        await new Promise((resolve) => server.close(resolve));
        fs.rmSync(dir, { recursive: true, force: true });
      };
      return { kubeconfig, patches, close };
    }

    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it("merge-patches /status: the Reconciling step, then the outcome after delayMs; recheck applies a new decision", async function () {
      this.timeout(15000);
      const object = {
        apiVersion: "db.atlasgo.io/v1alpha1",
        ...created("AtlasSchema"),
        metadata: { name: "shop", namespace: "shop", uid: "u1", generation: 1 },
      };
      const api = await fakeApiServer(object);
      const operator = new AtlasOperatorStandIn(api.kubeconfig, () => ({ kind: "hold" }), { delayMs: 300 });
      try {
        await operator.start();
        await sleep(800);
        assert.equal(api.patches.length, 0, "hold wrote something");
        operator.decide = () => applied;
        await operator.recheck();
        assert.equal(api.patches.length, 0, "wrote before delayMs");
        await sleep(3500);
        assert.deepEqual(
          api.patches.map((p) => [p.url, p.contentType, condition(p.body.status, "Ready").reason]),
          [
            [
              "/apis/db.atlasgo.io/v1alpha1/namespaces/shop/atlasschemas/shop/status",
              "application/merge-patch+json",
              "Reconciling",
            ],
            [
              "/apis/db.atlasgo.io/v1alpha1/namespaces/shop/atlasschemas/shop/status",
              "application/merge-patch+json",
              "Applied",
            ],
          ],
        );
        assert.equal(health(object).status, "Healthy");
        operator.decide = () => failures.AtlasSchema;
        await operator.recheck();
        await sleep(2000);
        assert.equal(api.patches.length, 3);
        const result = health(object);
        assert.equal(result.status, "Degraded");
        assert.ok(result.message.includes(failures.AtlasSchema.message));
      } finally {
        await operator.stop();
        await api.close();
      }
      const count = api.patches.length;
      await sleep(800);
      assert.equal(api.patches.length, count, "the loop went on after stop()");
    });
  });

  describe("deciding alone (support/serve-cluster.ts), with MySQL's column limit", () => {
    const schema = (sql: string): AtlasObject => ({
      ...created("AtlasSchema", 2),
      spec: { schema: { sql } },
    });

    it("refuses a varchar past utf8mb4's 16383 characters with MySQL 8's error 1074, naming the column", () => {
      assert.equal(
        mysqlRefusal("CREATE TABLE t (\n  id int,\n  bio VARCHAR(16384) NULL\n);"),
        "Error 1074 (42000): Column length too big for column 'bio' (max = 16383); use BLOB or TEXT instead",
      );
      assert.equal(mysqlRefusal("CREATE TABLE t (bio varchar(16383) NULL, name varchar(255));"), undefined);
    });

    it("fails such an AtlasSchema as the operator reports a failed apply, which Argo CD reads as Degraded", () => {
      const o = schema("CREATE TABLE t (broken varchar(70000) NULL);");
      const outcome = decideAlone(o);
      assert.deepEqual(outcome, {
        kind: "failed",
        reason: "ApplyingSchema",
        message: mysqlRefusal("broken varchar(70000)"),
      });
      assert.equal(health(withStatus(o, statusFor(o, outcome, NOW))).status, "Degraded");
    });

    it("applies every other AtlasSchema and every AtlasMigration", () => {
      assert.deepEqual(decideAlone(schema("CREATE TABLE t (name varchar(255));")), applied);
      assert.deepEqual(decideAlone(created("AtlasMigration", 2)), applied);
    });
  });
});
