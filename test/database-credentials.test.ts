import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { isSecret, resolve } from "./support/mocks";
import { CREDENTIAL_KEYS, credentialsData, databaseUrl } from "../components/database-credentials";

describe("database credentials", () => {
  describe("databaseUrl", () => {
    it("builds a MySQL URL for the operator", () => {
      const url = databaseUrl({
        engine: "mysql",
        user: "root",
        password: "pw",
        host: "mysql",
        port: 3306,
        database: "example",
      });
      assert.strictEqual(url, "mysql://root:pw@mysql:3306/example");
    });

    it("builds a PostgreSQL URL without TLS for an in-cluster server", () => {
      const url = databaseUrl({
        engine: "postgres",
        user: "app",
        password: "pw",
        host: "pg",
        port: 5432,
        database: "app",
      });
      assert.strictEqual(url, "postgres://app:pw@pg:5432/app?sslmode=disable");
    });

    it("escapes characters that would break the URL", () => {
      const url = databaseUrl({
        engine: "mysql",
        user: "a@b",
        password: "p/w:?#",
        host: "h",
        port: 1,
        database: "d",
      });
      assert.strictEqual(url, "mysql://a%40b:p%2Fw%3A%3F%23@h:1/d");
    });
  });

  describe("credentialsData", () => {
    const db = {
      engine: "postgres" as const,
      host: "postgres",
      port: 5432,
      name: "billing",
      user: "billing",
      secretName: "db-credentials",
      passwordRotation: 0,
    };
    const data = credentialsData(db, pulumi.output("pw"));

    it("has exactly the keys the manifests reference", () => {
      assert.deepStrictEqual(Object.keys(data).sort(), [...CREDENTIAL_KEYS].sort());
    });

    it("keeps connection details plain and marks the password and the URL secret", async () => {
      assert.deepStrictEqual(
        [data.username, data.host, data.port, data.database],
        ["billing", "postgres", "5432", "billing"],
      );
      assert.strictEqual(await isSecret(data.password), true);
      assert.strictEqual(await isSecret(data.url), true);
      assert.strictEqual(
        await resolve(data.url),
        "postgres://billing:pw@postgres:5432/billing?sslmode=disable",
      );
    });
  });
});
