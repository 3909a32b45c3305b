/**
 * The e2e's stand-in for pulumi-resource-random (test/e2e/stand-ins/random-provider.ts) held to the real
 * provider's contract for RandomPassword: defaults and validation, the character rules and minimums, a bcrypt
 * hash that verifies, replace on any input change and nothing else, and the plugin handshake.
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as bcrypt from "bcryptjs";
import {
  generatePassword,
  INPUTS,
  randomProvider,
  RANDOM_PASSWORD,
  VERSION,
  type PasswordParams,
} from "./e2e/stand-ins/random-provider";

const URN = `urn:pulumi:dev::atlas-gitops::atlas-gitops:index:HostedApp$${RANDOM_PASSWORD}::shop-db-password`;
const BIN = path.join(__dirname, "e2e", "stand-ins", "bin", "pulumi-resource-random");
const secret = (value: unknown) => ({
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  value,
});

const { check, diff, create, read } = randomProvider as Required<typeof randomProvider>;

const ALL_ON: PasswordParams = {
  length: 32,
  special: true,
  upper: true,
  lower: true,
  numeric: true,
  minUpper: 0,
  minLower: 0,
  minNumeric: 0,
  minSpecial: 0,
};

const count = (s: string, set: string) => Array.from(s).filter((c) => set.includes(c)).length;
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

/** check() then create(), the way the engine calls them. */
async function createFrom(news: Record<string, unknown>) {
  const checked = await check(URN, {}, news);
  assert.deepEqual(checked.failures, []);
  return { inputs: checked.inputs as Record<string, unknown>, ...(await create(URN, checked.inputs)) };
}

describe("random provider stand-in", () => {
  it("reports the @pulumi/random version the SDK asks the engine for", () => {
    const sdk = JSON.parse(fs.readFileSync(require.resolve("@pulumi/random/package.json"), "utf8")) as {
      version: string;
    };
    assert.equal(VERSION, sdk.version);
    assert.equal(randomProvider.version, "4.21.2");
  });

  it("leaves secrecy to the SDK, which marks result and bcryptHash secret itself", () => {
    const sdk = fs.readFileSync(require.resolve("@pulumi/random/randomPassword.js"), "utf8");
    assert.match(sdk, /additionalSecretOutputs: \["bcryptHash", "result"\]/);
  });

  it("fills in the real provider's defaults and mirrors numeric into the deprecated number", async () => {
    const { inputs, failures } = await check(URN, {}, { length: 24 });
    assert.deepEqual(failures, []);
    assert.deepEqual(inputs, {
      length: 24,
      special: true,
      upper: true,
      lower: true,
      numeric: true,
      number: true,
      minUpper: 0,
      minLower: 0,
      minNumeric: 0,
      minSpecial: 0,
    });
    const legacy = await check(URN, {}, { length: 8, number: false });
    assert.equal(legacy.inputs.numeric, false);
    assert.equal(legacy.inputs.number, false);
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ["a missing length", {}, "length"],
    ["a length of 0", { length: 0 }, "length"],
    ["a length below the sum of the minimums", { length: 5, minUpper: 3, minNumeric: 3 }, "length"],
    ["a negative minimum", { length: 5, minLower: -1 }, "minLower"],
    [
      "every character class off",
      { length: 5, special: false, upper: false, lower: false, numeric: false },
      "special",
    ],
  ];
  for (const [what, news, property] of invalid) {
    it(`rejects ${what} in check`, async () => {
      const { failures } = await check(URN, {}, news);
      assert.deepEqual(
        failures?.map((f) => f.property),
        [property],
      );
    });
  }

  it("refuses resource types it does not implement", async () => {
    await assert.rejects(
      check(URN.replace("randomPassword:RandomPassword", "randomString:RandomString"), {}, { length: 4 }),
      /only implements random:index\/randomPassword:RandomPassword/,
    );
  });

  it("creates a password of the asked length with id none, every input in the outputs, and a bcrypt hash of it", async () => {
    const { id, outs, inputs } = await createFrom({ length: 20, keepers: { rotation: "1" } });
    assert.equal(id, "none");
    assert.equal(typeof outs.result, "string");
    assert.equal(outs.result.length, 20);
    assert.match(outs.bcryptHash, /^\$2[aby]\$10\$/);
    assert.ok(
      await bcrypt.compare(outs.result, outs.bcryptHash),
      "bcryptHash does not verify against result",
    );
    assert.ok(!(await bcrypt.compare(`${outs.result}x`, outs.bcryptHash)));
    assert.deepEqual(
      { ...outs, result: undefined, bcryptHash: undefined },
      { ...inputs, result: undefined, bcryptHash: undefined },
    );
  });

  it("draws from only the enabled character classes", () => {
    const cases: [Partial<PasswordParams>, string][] = [
      [{ special: false }, UPPER + LOWER + DIGITS],
      [{ special: false, upper: false, numeric: false }, LOWER],
      [{ upper: false, lower: false, numeric: false }, SPECIAL],
      [{ upper: false, lower: false, numeric: false, overrideSpecial: "_-" }, "_-"],
      [{ lower: false, special: false }, UPPER + DIGITS],
    ];
    for (const [override, allowed] of cases) {
      for (let i = 0; i < 20; i++) {
        const password = generatePassword({ ...ALL_ON, length: 64, ...override });
        assert.equal(password.length, 64);
        assert.equal(count(password, allowed), 64, `${JSON.stringify(override)} gave ${password}`);
      }
    }
  });

  it("uses every enabled class over many draws, so the union is really the union", () => {
    const joined = Array.from({ length: 50 }, () => generatePassword(ALL_ON)).join("");
    for (const set of [UPPER, LOWER, DIGITS, SPECIAL]) {
      assert.ok(count(joined, set) > 0, `no character from ${set}`);
    }
  });

  it("honours every minimum, even one whose class is off, as the real provider does", () => {
    for (let i = 0; i < 50; i++) {
      const password = generatePassword({
        ...ALL_ON,
        length: 12,
        upper: false,
        special: false,
        minUpper: 2,
        minLower: 3,
        minNumeric: 4,
        minSpecial: 3,
        overrideSpecial: "#",
      });
      assert.equal(password.length, 12);
      assert.equal(count(password, UPPER), 2);
      assert.equal(count(password, "#"), 3);
      assert.ok(count(password, LOWER) >= 3, password);
      assert.ok(count(password, DIGITS) >= 4, password);
    }
  });

  it("shuffles the minimums into the password rather than leaving them in front", () => {
    const firsts = new Set(
      Array.from(
        { length: 100 },
        () => generatePassword({ ...ALL_ON, length: 8, special: false, minUpper: 1 })[0],
      ),
    );
    assert.ok(
      [...firsts].some((c) => !UPPER.includes(c)),
      "the first character was always the minimum's",
    );
  });

  it("reports no change when the inputs are equal, whatever the outputs and secret wrapping", async () => {
    const { inputs, outs } = await createFrom({ length: 16, keepers: { image: "shop:1" } });
    const secretOlds = {
      ...outs,
      result: secret(outs.result),
      bcryptHash: secret(outs.bcryptHash),
      keepers: secret(outs.keepers),
    };
    for (const olds of [outs, secretOlds]) {
      const result = await diff("none", URN, olds, inputs);
      assert.equal(result.changes, false);
      assert.deepEqual(result.replaces, []);
    }
  });

  const changes: [string, unknown][] = [
    ["length", 17],
    ["special", false],
    ["upper", false],
    ["lower", false],
    ["numeric", false],
    ["number", false],
    ["minUpper", 1],
    ["minLower", 1],
    ["minNumeric", 1],
    ["minSpecial", 1],
    ["overrideSpecial", "_"],
    ["keepers", { image: "shop:2" }],
  ];
  it("has a change case for every input", () => {
    assert.deepEqual(changes.map(([k]) => k).sort(), [...INPUTS].sort());
  });
  for (const [key, value] of changes) {
    it(`replaces the password when ${key} changes, also against secret-wrapped olds`, async () => {
      const { inputs, outs } = await createFrom({ length: 16, keepers: { image: "shop:1" } });
      const news = { ...inputs, [key]: value };
      if (key === "numeric" || key === "number") {
        news.numeric = news.number = value;
      }
      const wrapped = Object.fromEntries(Object.entries(outs).map(([k, v]) => [k, secret(v)]));
      for (const olds of [outs, wrapped]) {
        const result = await diff("none", URN, olds, news);
        assert.equal(result.changes, true);
        assert.ok(result.replaces?.includes(key), `${key} not in ${JSON.stringify(result.replaces)}`);
        assert.ok(!result.replaces?.includes("result") && !result.replaces?.includes("bcryptHash"));
      }
    });
  }

  it("replaces when keepers go from set to unset", async () => {
    const { inputs, outs } = await createFrom({ length: 16, keepers: { image: "shop:1" } });
    const result = await diff("none", URN, outs, { ...inputs, keepers: undefined });
    assert.deepEqual(result.replaces, ["keepers"]);
  });

  it("reads back the state unchanged, with the inputs split out", async () => {
    const { outs } = await createFrom({ length: 10 });
    const result = await read("none", URN, outs);
    assert.equal(result.id, "none");
    assert.deepEqual(result.props, outs);
    assert.equal((result.inputs as Record<string, unknown>).length, 10);
    assert.ok(!("result" in (result.inputs as Record<string, unknown>)));
  });

  it("runs as a plugin: prints its gRPC port on stdout, then exits when killed", async function () {
    this.timeout(60000);
    const child = spawn(BIN, [], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code, signal) => resolve(signal ? 0 : code)),
    );
    try {
      const port = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          stdout += d.toString();
          if (stdout.includes("\n")) resolve(stdout.split("\n")[0]);
        });
        child.on("exit", () => reject(new Error(`exited before the handshake: ${stderr}`)));
      });
      assert.match(port, /^\d+$/);
      assert.ok(Number(port) > 0 && Number(port) < 65536);
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0);
    assert.equal(child.signalCode, "SIGTERM");
  });
});
