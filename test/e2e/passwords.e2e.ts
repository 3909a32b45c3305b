/**
 * The password's resource options (components/password-guard.ts passwordOptions and passwordKeepers) on the real
 * Pulumi engine, with the stand-in random provider: what the engine does with an imported password, a rotation,
 * and protection. No cluster is needed: the program registers only the password, as HostedApp does.
 *
 * The stand-in has no import, so an import is made the way `pulumi import` leaves the state: the password's
 * inputs and outputs rewritten to the random provider's defaults (special, upper, lower, numeric true; no
 * keepers), through `pulumi stack export` and `pulumi stack import`.
 */
import * as assert from "assert";
import { createHash } from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as random from "@pulumi/random";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { passwordKeepers, passwordOptions } from "../../components/password-guard";
import { removeScratch, scratchDir } from "./support/scratch";
import { Backend, newBackend, toolchainBin } from "./support/stack";

describe("an application's password on the real engine (stand-in random provider)", function () {
  this.timeout(5 * 60_000);
  let bin: string;
  let backend: Backend;
  let work: string;
  let stack: Stack;
  /** What the program registers on the next run. */
  let settings = { rotation: 0, protect: false };

  const digest = async () => {
    const outputs = await stack.outputs();
    return createHash("sha256").update(String(outputs.password.value)).digest("hex");
  };
  const cli = (args: string[]) =>
    execFileSync(path.join(bin, "pulumi"), args, {
      cwd: work,
      env: { ...process.env, ...backend.env },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  const ops = async () => {
    const seen: string[] = [];
    await stack.up({
      onEvent: (e) => {
        const m = e.resourcePreEvent?.metadata;
        if (m && m.type === "random:index/randomPassword:RandomPassword") seen.push(m.op);
      },
    });
    return seen;
  };

  before(async () => {
    bin = toolchainBin();
    work = scratchDir("passwords");
    backend = newBackend(bin, path.join(work, "no-kubeconfig"));
    stack = await LocalWorkspace.createOrSelectStack(
      {
        stackName: "dev",
        projectName: "passwords",
        program: async () => {
          const p = new random.RandomPassword(
            "shop-db-password",
            { length: 32, special: false, keepers: passwordKeepers(settings.rotation) },
            passwordOptions(settings.rotation, settings.protect),
          );
          return { password: p.result };
        },
      },
      { workDir: work, envVars: backend.env },
    );
  });

  after(async () => {
    cli(["state", "unprotect", "--all", "--yes", "--stack", "dev"]);
    await stack.destroy();
    await stack.workspace.removeStack("dev");
    removeScratch(backend.dir);
    removeScratch(work);
  });

  it("keeps a password brought back with the provider's defaults and no keepers, at rotation 0", async () => {
    await ops();
    const before = await digest();
    const exported = JSON.parse(cli(["stack", "export", "--stack", "dev"]));
    for (const r of exported.deployment.resources) {
      if (r.type !== "random:index/randomPassword:RandomPassword") continue;
      for (const props of [r.inputs, r.outputs]) {
        Object.assign(props, { special: true, upper: true, lower: true, numeric: true, number: true });
        delete props.keepers;
      }
    }
    const file = path.join(work, "imported.json");
    fs.writeFileSync(file, JSON.stringify(exported));
    cli(["stack", "import", "--stack", "dev", "--file", file]);
    assert.deepStrictEqual(await ops(), ["same"]);
    assert.strictEqual(await digest(), before);
  });

  it("replaces it on a rotation other than 0, and keeps it when the rotation goes back to 0", async () => {
    const before = await digest();
    settings = { rotation: 1, protect: false };
    assert.deepStrictEqual(await ops(), ["create-replacement", "replace", "delete-replaced"]);
    const rotated = await digest();
    assert.notStrictEqual(rotated, before);
    settings = { rotation: 0, protect: false };
    assert.deepStrictEqual(await ops(), ["same"]);
    assert.strictEqual(await digest(), rotated);
  });

  it("refuses a rotation of a protected password, and allows it once that one resource is unprotected", async () => {
    settings = { rotation: 0, protect: true };
    await ops();
    const before = await digest();
    settings = { rotation: 2, protect: true };
    await assert.rejects(ops(), /unable to replace resource .*shop-db-password.*marked for protection/s);
    assert.strictEqual(await digest(), before);
    const urn = cli(["stack", "--stack", "dev", "--show-urns"])
      .split("\n")
      .map((l) => /(urn:pulumi:\S+RandomPassword::shop-db-password)/.exec(l)?.[1])
      .find(Boolean)!;
    cli(["state", "unprotect", "--yes", "--stack", "dev", urn]);
    assert.deepStrictEqual(await ops(), ["create-replacement", "replace", "delete-replaced"]);
    assert.notStrictEqual(await digest(), before);
    const state = JSON.parse(cli(["stack", "export", "--stack", "dev"]));
    const password = state.deployment.resources.find((r: { urn: string }) => r.urn === urn);
    assert.strictEqual(password.protect, true, "the new password is protected again");
  });
});
