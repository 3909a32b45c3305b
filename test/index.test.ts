import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { isSecret, mark, MOCK_PASSWORD, registeredSince, resolve, useMocks } from "./support/mocks";
import { committedStacks, effectiveStackConfig, stackRun, TEMPLATE_STACKS } from "./support/stack-files";

/**
 * Runs index.ts as `pulumi preview --stack <stack>` would, with the stack's config, and returns its exports. A
 * preview, so that index.ts builds no client for a cluster (there is none here); the exports are the same.
 */
function runProgram(
  stack: string,
  config: Record<string, string>,
  secretKeys: string[] = [],
): Record<string, unknown> {
  useMocks(stack, config, secretKeys, true);
  const entry = require.resolve("../index");
  delete require.cache[entry];
  return require(entry) as Record<string, unknown>; // eslint-disable-line @typescript-eslint/no-require-imports
}

describe("index.ts", () => {
  after(() => useMocks());

  // Whatever the user set in them: the program runs with every committed stack file.
  for (const stack of committedStacks()) {
    it(`runs with the committed Pulumi.${stack}.yaml and exports the admin password only as a secret`, async () => {
      const run = stackRun(stack, (f) => f, "committed");
      const outputs = runProgram(stack, run.config, run.secretKeys);
      assert.strictEqual(await isSecret(outputs.argocdAdminPassword), true);
      assert.ok(Array.isArray(await resolve(outputs.applications as pulumi.Output<unknown>)));
    });
  }

  for (const stack of TEMPLATE_STACKS) {
    describe(`with the template's Pulumi.${stack}.yaml`, () => {
      let outputs: Record<string, unknown>;
      before(() => {
        const run = stackRun(stack);
        outputs = runProgram(stack, run.config, run.secretKeys);
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

      it("exports each application's Application, AppProject and credentials Secret by name", async () => {
        assert.deepStrictEqual(await resolve(outputs.applications as pulumi.Output<unknown>), [
          { name: "myapp", project: "myapp", namespace: "myapp", dbSecretName: "db-credentials" },
        ]);
      });

      it("exports the admin password only as a secret, and no generated value in plain", async () => {
        assert.strictEqual(await isSecret(outputs.argocdAdminPassword), true);
        for (const [name, value] of Object.entries(outputs)) {
          if (name === "argocdAdminPassword") continue;
          assert.strictEqual(await isSecret(value), false, `${name} should be plain`);
          assert.ok(
            !String(JSON.stringify(await resolve(value))).includes(MOCK_PASSWORD),
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

  it("registers nothing when a credential is set in plaintext, as `config set repoToken x` without --secret does", async () => {
    const start = mark();
    const run = stackRun("dev");
    assert.throws(
      () =>
        runProgram("dev", { ...run.config, repoUsername: "bot", repoToken: "plain-token" }, run.secretKeys),
      /Config 'atlas-gitops:repoToken' is set in plaintext/,
    );
    assert.deepStrictEqual(await registeredSince(start), []);
  });

  it("points the UI command at argocd-server's plain HTTP port behind an Ingress, and gives the webhook URL", async () => {
    const run = stackRun("dev");
    const outputs = runProgram(
      "dev",
      { ...run.config, argocdIngressHost: "argocd.example.com" },
      run.secretKeys,
    );
    // argo-helm argo-cd-10.1.1 argocd-server Service: ports 80 and 443 both reach the container's 8080, which
    // speaks plain HTTP once server.insecure is set (as it is behind an Ingress).
    assert.strictEqual(
      await resolve(outputs.argocdUiCommand as pulumi.Output<string>),
      "kubectl port-forward -n argocd svc/argocd-server 8080:80",
    );
    assert.strictEqual(outputs.argocdUrl, "https://argocd.example.com");
    assert.strictEqual(outputs.gitWebhookUrl, "https://argocd.example.com/api/webhook");
  });

  it("exports no webhook URL without an Ingress host, so Pulumi has no undefined output to warn about", () => {
    const run = stackRun("dev");
    const outputs = runProgram("dev", run.config, run.secretKeys);
    assert.ok(!("gitWebhookUrl" in outputs));
    for (const [name, value] of Object.entries(outputs)) assert.notStrictEqual(value, undefined, name);
    assert.strictEqual(outputs.argocdUrl, "https://localhost:8080");
  });
});
