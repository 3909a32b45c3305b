/**
 * When `pulumi up` may write an application's password into its credentials Secret, and what it says when it may
 * not: a state restored from an export older than the application, an imported password, a rotation.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
  judgePasswordChange,
  parentUrnOf,
  passwordGuard,
  passwordOptions,
  sha256,
  type PasswordChange,
  type StoredCredentials,
} from "../components/password-guard";

const OLD = "old-password-the-database-uses-0";
const NEW = "new-password-from-a-restored-st1";
const PARENT =
  "urn:pulumi:dev::atlas-gitops::atlas-gitops:platform:AtlasGitOps$atlas-gitops:hosted-app:HostedApp::shop";
const URN = `urn:pulumi:dev::atlas-gitops::atlas-gitops:platform:AtlasGitOps$atlas-gitops:hosted-app:HostedApp$random:index/randomPassword:RandomPassword::shop-db-password`;

const change = (
  stored: StoredCredentials | undefined,
  over: Partial<PasswordChange> = {},
): PasswordChange => ({
  app: "shop",
  namespace: "shop",
  secretName: "db-credentials",
  stored,
  nextSha256: sha256(NEW),
  rotation: 0,
  rotationKey: "applications[0].dbPasswordRotation",
  stack: "dev",
  passwordUrn: URN,
  parentUrn: PARENT,
  passwordName: "shop-db-password",
  ...over,
});

describe("judgePasswordChange", () => {
  const cases: [string, StoredCredentials | undefined, Partial<PasswordChange>, boolean][] = [
    ["no Secret yet (the first up)", undefined, {}, true],
    ["a Secret without a password key", { rotation: "0" }, {}, true],
    ["the same password", { passwordSha256: sha256(NEW), rotation: "0" }, {}, true],
    [
      "another password, a rotation asked for (0 to 1)",
      { passwordSha256: sha256(OLD), rotation: "0" },
      { rotation: 1 },
      true,
    ],
    // At 0 the keeper is ignored, so setting 0 never replaces the password: another one there was not asked for.
    [
      "another password, rotation set back to 0 from 3",
      { passwordSha256: sha256(OLD), rotation: "3" },
      {},
      false,
    ],
    [
      "another password at the rotation it was written with",
      { passwordSha256: sha256(OLD), rotation: "0" },
      {},
      false,
    ],
    [
      "another password at rotation 2, written with 2",
      { passwordSha256: sha256(OLD), rotation: "2" },
      { rotation: 2 },
      false,
    ],
    [
      "another password in a Secret older than the annotation, rotation 0",
      { passwordSha256: sha256(OLD) },
      {},
      false,
    ],
    [
      "another password in a Secret older than the annotation, rotation 1",
      { passwordSha256: sha256(OLD) },
      { rotation: 1 },
      true,
    ],
  ];
  for (const [what, stored, over, ok] of cases) {
    it(`${ok ? "writes" : "refuses"} with ${what}`, () => {
      assert.equal(judgePasswordChange(change(stored, over)).ok, ok);
    });
  }

  it("says what it found, why that happens, that nothing changed, and the commands in order", () => {
    const verdict = judgePasswordChange(
      change({ passwordSha256: sha256(OLD), rotation: "2" }, { rotation: 2 }),
    );
    assert.ok(!verdict.ok);
    const lines = verdict.message.split("\n");
    assert.equal(
      lines[0],
      "Application shop: refusing to write a new database password into the Secret shop/db-credentials.",
    );
    assert.match(
      lines[1],
      /written with applications\[0\]\.dbPasswordRotation 2, and applications\[0\]\.dbPasswordRotation is still 2, so no rotation was asked for/,
    );
    assert.match(lines[1], /restored from an export older than the application/);
    assert.match(lines[1], /nothing was changed in the cluster/);
    assert.match(lines[2], /pulumi stack import --stack dev --file <export>/);
    assert.deepEqual(lines.slice(3, 7), [
      `  pulumi state delete --stack dev --yes '${URN}'`,
      `  pulumi import --stack dev --yes --generate-code=false --parent 'app=${PARENT}' ` +
        `random:index/randomPassword:RandomPassword shop-db-password ` +
        `"$(kubectl get secret -n shop db-credentials -o jsonpath='{.data.password}' | base64 -d)"`,
      // An imported password has no keepers: at rotation 0 they are ignored, so it stays.
      "  pulumi config set --stack dev --path 'applications[0].dbPasswordRotation' 0",
      "  pulumi up --stack dev",
    ]);
    assert.match(
      lines[7],
      /^To rotate it instead: pulumi config set --stack dev --path 'applications\[0\]\.dbPasswordRotation' 3, then pulumi up --stack dev/,
    );
  });

  it("leaves the rotation alone in the commands when it is already 0, and names a top-level key without --path", () => {
    const verdict = judgePasswordChange(
      change({ passwordSha256: sha256(OLD), rotation: "0" }, { rotationKey: "dbPasswordRotation" }),
    );
    assert.ok(!verdict.ok);
    assert.match(verdict.message, /and dbPasswordRotation is 0, which never rotates it\./);
    assert.ok(!verdict.message.includes("dbPasswordRotation 0\n"));
    assert.match(
      verdict.message,
      /To rotate it instead: pulumi config set --stack dev dbPasswordRotation 1,/,
    );
  });

  it("never shows a password or its digest", () => {
    const verdict = judgePasswordChange(change({ passwordSha256: sha256(OLD), rotation: "0" }));
    assert.ok(!verdict.ok);
    for (const s of [OLD, NEW, sha256(OLD), sha256(NEW)]) assert.ok(!verdict.message.includes(s));
  });
});

describe("passwordGuard", () => {
  const reader = (stored: StoredCredentials | undefined | Error) => ({
    seen: [] as string[],
    async readCredentials(namespace: string, name: string) {
      this.seen.push(`${namespace}/${name}`);
      if (stored instanceof Error) throw stored;
      return stored;
    },
  });
  const check = change(undefined);

  it("reads the application's Secret and lets the same password through", async () => {
    const r = reader({ passwordSha256: sha256(NEW), rotation: "0" });
    await passwordGuard(r).check(check, NEW);
    assert.deepEqual(r.seen, ["shop/db-credentials"]);
  });

  it("rejects another password with a RunError (no stack trace) that carries the judgement", async () => {
    await assert.rejects(
      passwordGuard(reader({ passwordSha256: sha256(OLD), rotation: "0" })).check(check, NEW),
      (e: Error) =>
        e instanceof pulumi.RunError && /refusing to write a new database password/.test(e.message),
    );
  });

  it("fails, naming the Secret and what to check, when the Secret cannot be read", async () => {
    await assert.rejects(
      passwordGuard(reader(new Error("the Kubernetes API answered 403: forbidden"))).check(check, NEW),
      (e: Error) =>
        e instanceof pulumi.RunError &&
        e.message.startsWith(
          "Application shop: cannot read the Secret shop/db-credentials to check that its database password stays " +
            "the same: the Kubernetes API answered 403: forbidden.",
        ) &&
        e.message.includes("kubectl get secret -n shop db-credentials"),
    );
  });
});

describe("passwordOptions", () => {
  it("protects only where asked, and ignores the keeper only at rotation 0", () => {
    assert.equal(passwordOptions(0, true).protect, true);
    assert.equal(passwordOptions(0, false).protect, undefined);
    assert.ok(passwordOptions(0, false).ignoreChanges!.includes("keepers"));
    assert.ok(!passwordOptions(1, true).ignoreChanges!.includes("keepers"));
    for (const input of ["length", "special", "upper", "lower", "numeric", "number", "overrideSpecial"]) {
      assert.ok(passwordOptions(1, false).ignoreChanges!.includes(input), input);
    }
  });
});

describe("parentUrnOf", () => {
  it("drops the resource's own type and names the parent", () => {
    assert.equal(parentUrnOf(URN, "shop"), PARENT);
    assert.equal(
      parentUrnOf("urn:pulumi:dev::p::a:b:C$random:index/randomPassword:RandomPassword::x-db-password", "x"),
      "urn:pulumi:dev::p::a:b:C::x",
    );
  });
});
