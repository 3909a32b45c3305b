/**
 * One Pulumi mock for every test: records each resource registration with its inputs, answers RandomPassword
 * with fixed values, and offers await-able helpers for Outputs. Import it before any component.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Fixed "generated" values, so tests can look for them where they must not appear. */
export const MOCK_PASSWORD = "mock-generated-password-0123456789";
export const MOCK_BCRYPT_HASH = "$2a$10$mockbcrypthashmockbcrypthashmockbcrypthashmockbc";
/** What the token controller "fills" into a kubernetes.io/service-account-token Secret. */
export const MOCK_SA_TOKEN = "mock-service-account-token-0123456789";
export const MOCK_CA_CRT = "-----BEGIN CERTIFICATE-----\nmock\n-----END CERTIFICATE-----\n";

const registrations: Registration[] = [];

// How the SDK serializes a secret value across the mock boundary (a signature key next to the value).
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** Replaces serialized secrets with their values, so tests compare inputs as they were written. */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  if (record[SECRET_SIG] === SECRET_SIG_VALUE) return unwrapSecrets(record.value);
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
}

const mocks: pulumi.runtime.Mocks = {
  newResource(args: pulumi.runtime.MockResourceArgs) {
    const inputs = unwrapSecrets(args.inputs) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    registrations.push({ type: args.type, name: args.name, inputs });
    // The state keeps the serialized secrets, so Outputs built from secret inputs stay secret.
    const state = { ...args.inputs };
    if (args.type === "random:index/randomPassword:RandomPassword") {
      state.result = MOCK_PASSWORD;
      state.bcryptHash = MOCK_BCRYPT_HASH;
    }
    if (args.type === "kubernetes:core/v1:Secret" && inputs.type === "kubernetes.io/service-account-token") {
      const b64 = (v: string) => Buffer.from(v).toString("base64");
      state.data = { token: b64(MOCK_SA_TOKEN), "ca.crt": b64(MOCK_CA_CRT), namespace: b64("kube-system") };
    }
    if (args.type === "kubernetes:helm.sh/v3:Release") {
      state.status = { namespace: inputs.namespace, status: "deployed" };
    }
    return { id: `${args.name}-id`, state };
  },
  call(args: pulumi.runtime.MockCallArgs) {
    return args.inputs;
  },
};

/**
 * Points the Pulumi runtime at the mocks for one stack, with the given config (keys without the project prefix).
 * Registrations are kept: tests look them up by logical names of their own, or by a mark (registeredSince).
 * `preview` runs as `pulumi preview` (isDryRun): tests that run index.ts use it, since outside a preview
 * index.ts builds the wait's client for the real cluster.
 */
export function useMocks(
  stack = "test",
  config: Record<string, string> = {},
  secretKeys: string[] = [],
  preview = false,
): void {
  void pulumi.runtime.setMocks(mocks, "atlas-gitops", stack, preview);
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(config).map(([k, v]) => [`atlas-gitops:${k}`, v])),
    secretKeys.map((k) => `atlas-gitops:${k}`),
  );
}

useMocks();

/** Resolves an Output (or plain value) in a test. */
export function resolve<T>(value: pulumi.Input<T> | undefined): Promise<T | undefined> {
  return new Promise((done) => pulumi.output(value).apply((v) => done(v as T)));
}

/** Whether an Output carries the secret mark. */
export function isSecret(value: unknown): Promise<boolean> {
  return pulumi.Output.isInstance(value) ? pulumi.isSecret(value) : Promise.resolve(false);
}

/** Waits until every registration started so far has reached the mocks. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

export async function registered(): Promise<Registration[]> {
  await settle();
  return [...registrations];
}

/** A mark for registeredSince: how many registrations there are now. */
export function mark(): number {
  return registrations.length;
}

/** The registrations made after a mark, e.g. by one evaluation of the whole program. */
export async function registeredSince(start: number): Promise<Registration[]> {
  await settle();
  return registrations.slice(start);
}

/** The one registration of a type and logical name; fails the test if there is none or more than one. */
export async function find(type: string, name: string): Promise<Registration> {
  const matches = (await registered()).filter((r) => r.type === type && r.name === name);
  if (matches.length !== 1) {
    const seen = registrations.map((r) => `${r.type} ${r.name}`).join("\n  ");
    throw new Error(`expected one ${type} '${name}', found ${matches.length}; registered:\n  ${seen}`);
  }
  return matches[0];
}

/** Records the resource options of every child of a component, keyed by logical name. */
export function optionsRecorder(): {
  transformation: pulumi.ResourceTransformation;
  options: Map<string, pulumi.ResourceOptions>;
} {
  const options = new Map<string, pulumi.ResourceOptions>();
  return {
    options,
    transformation: (args) => {
      options.set(args.name, args.opts);
      return undefined;
    },
  };
}

/** The resource types this program registers: the policy pack's list, which checks them by type. */
export { TYPES } from "../../policy/policies";
