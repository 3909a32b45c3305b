import * as assert from "assert";
import { find, isSecret, MOCK_PASSWORD, optionsRecorder, TYPES } from "./support/mocks";
import { CREDENTIAL_KEYS, DatabaseCredentials, databaseUrl } from "../components/database-credentials";

describe("DatabaseCredentials", () => {
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

  describe("component", () => {
    const recorder = optionsRecorder();
    let creds: DatabaseCredentials;
    before(() => {
      creds = new DatabaseCredentials(
        "creds",
        {
          namespace: "shop",
          secretName: "shop-db",
          engine: "mysql",
          host: "mysql",
          port: 3306,
          database: "example",
          user: "root",
          passwordRotation: 2,
          protect: true,
        },
        { transformations: [recorder.transformation] },
      );
    });

    it("creates the application namespace", async () => {
      assert.deepStrictEqual((await find(TYPES.namespace, "creds-namespace")).inputs.metadata, {
        name: "shop",
      });
    });

    it("generates the password with a rotation keeper, so it changes only when rotation is asked for", async () => {
      const password = await find(TYPES.password, "creds-password");
      assert.deepStrictEqual(password.inputs, { length: 32, special: false, keepers: { rotation: "2" } });
    });

    it("stores the credentials under the configured name and keys, including the full URL", async () => {
      const secret = await find(TYPES.secret, "creds-secret");
      assert.deepStrictEqual(secret.inputs.metadata, { name: "shop-db", namespace: "shop" });
      assert.deepStrictEqual(Object.keys(secret.inputs.stringData).sort(), [...CREDENTIAL_KEYS].sort());
      assert.deepStrictEqual(secret.inputs.stringData, {
        username: "root",
        password: MOCK_PASSWORD,
        host: "mysql",
        port: "3306",
        database: "example",
        url: `mysql://root:${MOCK_PASSWORD}@mysql:3306/example`,
      });
    });

    it("marks the Secret's data secret", async () => {
      assert.strictEqual(await isSecret(creds.secret.stringData), true);
    });

    it("protects the namespace and the Secret when asked, and not the password resource", () => {
      assert.strictEqual(recorder.options.get("creds-namespace")?.protect, true);
      assert.strictEqual(recorder.options.get("creds-secret")?.protect, true);
      assert.notStrictEqual(recorder.options.get("creds-password")?.protect, true);
    });
  });
});
