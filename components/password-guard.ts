/**
 * What keeps an application's database password from changing unless rotation is asked for. The database keeps
 * the password it was initialised with; a new one in the credentials Secret locks the application out.
 *
 * How a password could change without rotation (read in pulumi-random 4.x, whose RandomPassword read does nothing,
 * and pulumi/pulumi v3.252.0 step_generator.go):
 * - `pulumi import` of the password records the provider's defaults (special, upper, lower, numeric, no keepers),
 *   and any of those differing from the program is a replacement. So every input but the rotation keeper is
 *   ignored, and the keeper too while rotation is 0 (an imported password has none).
 * - A destroy or a replace of a protected resource stops (the engine refuses a replace only when the old and the
 *   new state are both protected); the password is protected wherever its Secret is.
 * - A state restored from an export older than the application has no password, so `up` creates a new one and
 *   would write it over the Secret that is already there. Nothing in the plan says so; the guard below reads the
 *   Secret during `up` and refuses before it is written.
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";

/** The credentials Secret's annotation that records the rotation its password was written with. */
export const ROTATION_ANNOTATION = "atlas-gitops.io/password-rotation";

/** RandomPassword's inputs other than keepers (@pulumi/random 4.21.2 RandomPasswordArgs). */
export const GENERATION_INPUTS = [
  "length",
  "lower",
  "minLower",
  "minNumeric",
  "minSpecial",
  "minUpper",
  "number",
  "numeric",
  "overrideSpecial",
  "special",
  "upper",
] as const;

/** The keepers of an application's password: a new rotation number replaces it. */
export function passwordKeepers(rotation: number): Record<string, string> {
  return { rotation: String(rotation) };
}

/**
 * The password's resource options: protected where its Secret is, and replaced only by a rotation keeper other
 * than 0 that differs from the one in the state.
 */
export function passwordOptions(rotation: number, protect: boolean): pulumi.CustomResourceOptions {
  return {
    ignoreChanges: [...GENERATION_INPUTS, ...(rotation === 0 ? ["keepers"] : [])],
    ...(protect ? { protect: true } : {}),
  };
}

/** The URN of a resource's parent, named `parentName`, from the resource's own URN (its type chain, less its type). */
export function parentUrnOf(urn: string, parentName: string): string {
  const [stackAndProject, project, types] = urn.split("::");
  return `${stackAndProject}::${project}::${types.slice(0, types.lastIndexOf("$"))}::${parentName}`;
}

export const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** What the cluster holds in the credentials Secret: a digest of its password, never the password. */
export interface StoredCredentials {
  /** SHA-256 of the `password` key; undefined when the Secret has none. */
  readonly passwordSha256?: string;
  /** The ROTATION_ANNOTATION; undefined on a Secret written before it existed. */
  readonly rotation?: string;
}

export interface PasswordChange {
  /** The application's name. */
  readonly app: string;
  readonly namespace: string;
  readonly secretName: string;
  /** undefined: no such Secret. */
  readonly stored: StoredCredentials | undefined;
  /** SHA-256 of the password this update would write. */
  readonly nextSha256: string;
  readonly rotation: number;
  /** The config key of the rotation: `dbPasswordRotation`, or `applications[1].dbPasswordRotation`. */
  readonly rotationKey: string;
  readonly stack: string;
  /** The password resource's URN and the name of its parent component, for the commands that fix it. */
  readonly passwordUrn: string;
  readonly parentUrn: string;
  readonly passwordName: string;
}

const configSet = (stack: string, key: string, value: string) =>
  key.includes("[")
    ? `pulumi config set --stack ${stack} --path '${key}' ${value}`
    : `pulumi config set --stack ${stack} ${key} ${value}`;

/**
 * Whether this update may write its password into the Secret: yes when there is no Secret yet, when it holds the
 * same password, or when the rotation is not 0 and differs from the one the Secret was written with (a rotation
 * was asked for). A Secret written before the annotation existed counts as written with rotation 0. Otherwise the message says
 * what was found, why that happens and the commands that fix it, in order.
 */
export function judgePasswordChange(c: PasswordChange): { ok: true } | { ok: false; message: string } {
  const stored = c.stored;
  if (stored === undefined || stored.passwordSha256 === undefined) return { ok: true };
  if (stored.passwordSha256 === c.nextSha256) return { ok: true };
  const writtenWith = stored.rotation ?? "0";
  // At rotation 0 the keeper is ignored (passwordOptions), so no config change replaces the password there.
  if (c.rotation !== 0 && writtenWith !== String(c.rotation)) return { ok: true };
  const secret = `${c.namespace}/${c.secretName}`;
  const read = `kubectl get secret -n ${c.namespace} ${c.secretName} -o jsonpath='{.data.password}' | base64 -d`;
  const next = c.rotation + 1;
  const lines = [
    `Application ${c.app}: refusing to write a new database password into the Secret ${secret}.`,
    `The Secret holds another password, written with ${c.rotationKey} ${writtenWith}, and ${c.rotationKey} is ` +
      (c.rotation === 0 ? `0, which never rotates it` : `still ${c.rotation}, so no rotation was asked for`) +
      `. The stack's state does not hold the password the database ` +
      `uses: it was restored from an export older than the application, or the password was imported or created ` +
      `again. Writing the new one would lock the application out of its database; nothing was changed in the cluster.`,
    `To keep the password the database uses (what you want unless you are rotating), restore the newest export ` +
      `of the stack (pulumi stack import --stack ${c.stack} --file <export>), or put the Secret's password back ` +
      `into the state:`,
    `  pulumi state delete --stack ${c.stack} --yes '${c.passwordUrn}'`,
    `  pulumi import --stack ${c.stack} --yes --generate-code=false --parent 'app=${c.parentUrn}' ` +
      `random:index/randomPassword:RandomPassword ${c.passwordName} "$(${read})"`,
    ...(c.rotation === 0 ? [] : [`  ${configSet(c.stack, c.rotationKey, "0")}`]),
    `  pulumi up --stack ${c.stack}`,
    `To rotate it instead: ${configSet(c.stack, c.rotationKey, String(next))}, then pulumi up --stack ${c.stack}, ` +
      `and change the password in the database (docs/security.md, Rotating the database password).`,
  ];
  return { ok: false, message: lines.join("\n") };
}

/** Reads the credentials Secret; ./cluster-client.ts is the real one. */
export interface CredentialsReader {
  readCredentials(namespace: string, name: string): Promise<StoredCredentials | undefined>;
}

export type PasswordCheck = Omit<PasswordChange, "stored" | "nextSha256">;

/** Runs in `pulumi up` only, before the Secret is written: rejects with a RunError when judgePasswordChange does. */
export interface PasswordGuard {
  check(change: PasswordCheck, password: string): Promise<void>;
}

export function passwordGuard(reader: CredentialsReader): PasswordGuard {
  return {
    async check(change, password) {
      let stored: StoredCredentials | undefined;
      try {
        stored = await reader.readCredentials(change.namespace, change.secretName);
      } catch (e) {
        throw new pulumi.RunError(
          `Application ${change.app}: cannot read the Secret ${change.namespace}/${change.secretName} to check ` +
            `that its database password stays the same: ${e instanceof Error ? e.message : String(e)}. ` +
            `Check that the cluster is reachable (kubectl get secret -n ${change.namespace} ${change.secretName}), ` +
            `then run pulumi up --stack ${change.stack} again.`,
        );
      }
      const verdict = judgePasswordChange({ ...change, stored, nextSha256: sha256(password) });
      if (!verdict.ok) throw new pulumi.RunError(verdict.message);
    },
  };
}
