import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { isSecret, mark, MOCK_PASSWORD, registeredSince, resolve, useMocks } from "./support/mocks";
import { effectiveStackConfig } from "./support/stack-files";

/** Runs index.ts as `pulumi up --stack <stack>` would, with the stack's config, and returns its exports. */
function runProgram(stack: string, config: Record<string, string>): Record<string, unknown> {
  useMocks(stack, config);
  const entry = require.resolve("../index");
  delete require.cache[entry];
  return require(entry) as Record<string, unknown>; // eslint-disable-line @typescript-eslint/no-require-imports
}

describe("index.ts", () => {
  after(() => useMocks());

  for (const stack of ["dev", "prod"]) {
    describe(`with Pulumi.${stack}.yaml`, () => {
      let outputs: Record<string, unknown>;
      before(() => {
        outputs = runProgram(stack, effectiveStackConfig(stack));
      });

      it("exports where Argo CD is and how to reach it", async () => {
        assert.strictEqual(await resolve(outputs.argocdNamespace as pulumi.Output<string>), "argocd");
        assert.strictEqual(
          await resolve(outputs.argocdUiCommand as pulumi.Output<string>),
          "kubectl port-forward -n argocd svc/argocd-server 8080:443",
        );
        assert.strictEqual(
          outputs.argocdAdminPasswordCommand,
          `pulumi stack output argocdAdminPassword --show-secrets --stack ${stack}`,
        );
      });

      it("exports the Application and the credentials Secret by name", async () => {
        assert.strictEqual(await resolve(outputs.applicationName as pulumi.Output<string>), "myapp");
        assert.strictEqual(await resolve(outputs.appProjectName as pulumi.Output<string>), "myapp");
        assert.strictEqual(await resolve(outputs.dbSecretName as pulumi.Output<string>), "db-credentials");
        assert.strictEqual(await resolve(outputs.dbSecretNamespace as pulumi.Output<string>), "myapp");
      });

      it("exports the admin password only as a secret, and no generated value in plain", async () => {
        assert.strictEqual(await isSecret(outputs.argocdAdminPassword), true);
        for (const [name, value] of Object.entries(outputs)) {
          if (name === "argocdAdminPassword") continue;
          assert.strictEqual(await isSecret(value), false, `${name} should be plain`);
          assert.ok(
            !JSON.stringify(await resolve(value)).includes(MOCK_PASSWORD),
            `${name} leaks a password`,
          );
        }
      });
    });
  }

  it("registers nothing when the config is bad", async () => {
    const start = mark();
    assert.throws(
      () => runProgram("dev", { ...effectiveStackConfig("dev"), dbPort: "70000" }),
      /Config 'atlas-gitops:dbPort' is '70000'/,
    );
    assert.deepStrictEqual(await registeredSince(start), []);
  });
});
