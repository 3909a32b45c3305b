/**
 * What `pulumi up` checks in a cluster before it registers anything, where the config alone cannot tell
 * (argocdLocation existing or hub): that the Argo CD the stack is to use is there, that the hub answers, and that
 * no other spoke already holds this stack's cluster name or one of its Application names on the hub. A preview
 * reads no cluster and skips it.
 *
 * The checks end before the program registers its first resource, as the config checks do: a failed
 * registration is no way to stop a Pulumi program, for the Node SDK then waits forever for the URN of a component
 * that was never registered (runtime/resource.ts registerResourceOutputs; seen here, `pulumi up` hung). The
 * program is CommonJS with no top-level await, so checkBeforeRegistering runs the checks in a child Node process
 * and waits for its answer.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../stacks/defaults";
import { ARGOCD_CM } from "./argocd-health-patch";
import { clusterClient, type ClusterAccess } from "./cluster-client";
import type { StackConfig } from "../stacks/types";
import { clusterSecretName } from "./cluster-registration";
import { argoCdAppName } from "./hosted-app";

/** What the checks read, and no more: never a Secret's token or config. */
export interface ArgoCdReader {
  /** The API server the reader connects to, for messages. */
  server(): Promise<string | undefined>;
  hasConfigMap(namespace: string, name: string): Promise<boolean>;
  /** A cluster Secret's `name` and `server` fields; undefined when there is no such Secret. */
  readClusterSecret(namespace: string, name: string): Promise<{ name?: string; server?: string } | undefined>;
  /** An Application's destination; undefined when there is no such Application. */
  readDestination(namespace: string, name: string): Promise<{ server?: string; name?: string } | undefined>;
}

export interface PreflightInput {
  readonly stack: string;
  readonly location: "existing" | "hub";
  /** Argo CD's namespace: in this cluster (existing) or in the hub (hub). */
  readonly argocdNamespace: string;
  /** hub only: this spoke as the hub is to know it. */
  readonly cluster?: { readonly name: string; readonly server: string };
  /** hub only: the names of this stack's Applications on the hub (`<clusterName>-<app>`). */
  readonly applications: readonly string[];
  /** hub only: hubContext, for messages. */
  readonly hubContext?: string;
}

/** What to check for a stack; undefined where it installs its own Argo CD (nothing to find first). */
export function preflightInput(config: StackConfig): PreflightInput | undefined {
  const location = config.location;
  if (location.kind === "install") return undefined;
  const base = { stack: config.stack, argocdNamespace: config.argocd.namespace };
  if (location.kind === "existing") return { ...base, location: "existing", applications: [] };
  return {
    ...base,
    location: "hub",
    cluster: { name: location.cluster.name, server: location.cluster.server },
    applications: config.applications.map((a) => argoCdAppName(a.name, location.cluster.name)),
    ...(location.hub.context === undefined ? {} : { hubContext: location.hub.context }),
  };
}

/** What the reads found. */
export interface PreflightFacts {
  readonly argoCd: boolean;
  readonly clusterSecret?: { readonly name?: string; readonly server?: string };
  /** Per Application name: its destination, when the hub has one of that name. */
  readonly applications: Readonly<Record<string, { readonly server?: string; readonly name?: string }>>;
}

const sameServer = (a: string | undefined, b: string) => a?.replace(/\/+$/, "") === b.replace(/\/+$/, "");

/** Every problem the facts show, each with the key to change and the command that changes it. Pure. */
export function judgePreflight(input: PreflightInput, facts: PreflightFacts): string[] {
  const problems: string[] = [];
  const ns = input.argocdNamespace;
  const where = input.location === "hub" ? "the hub" : "this cluster";
  if (!facts.argoCd) {
    problems.push(
      `Config '${PROJECT}:argocdNamespace' is '${ns}' — ${where} has no Argo CD there (no ConfigMap ${ARGOCD_CM} in ` +
        `namespace ${ns}; argocdLocation is '${input.location}', so this stack installs none). Set the namespace ` +
        `Argo CD runs in with: pulumi config set --stack ${input.stack} argocdNamespace <namespace>` +
        (input.location === "existing"
          ? `; or let this stack install it with: pulumi config set --stack ${input.stack} argocdLocation install`
          : ""),
    );
  }
  const cluster = input.cluster;
  if (cluster === undefined) return problems;
  const rename = `pulumi config set --stack ${input.stack} clusterName <name>`;
  const secret = facts.clusterSecret;
  if (secret !== undefined && !sameServer(secret.server, cluster.server)) {
    problems.push(
      `Config '${PROJECT}:clusterName' is '${cluster.name}' — the hub already has a cluster Secret ` +
        `${clusterSecretName(cluster.name)} in ${ns} for server ${secret.server ?? "(none)"}, not this cluster's ` +
        `${cluster.server}: another spoke registered that name. Pick a name of this cluster's own with: ${rename}`,
    );
  }
  for (const name of input.applications) {
    const destination = facts.applications[name];
    if (destination === undefined || sameServer(destination.server, cluster.server)) continue;
    const target = destination.server ?? `cluster '${destination.name ?? "(none)"}'`;
    problems.push(
      `Config '${PROJECT}:clusterName' is '${cluster.name}' — the hub already has an Application ${name} in ${ns} ` +
        `that deploys to ${target}, not to this cluster (${cluster.server}): another stack registered it, and ` +
        `this stack would take it over. Pick a name of this cluster's own with: ${rename}`,
    );
  }
  return problems;
}

async function gather(reader: ArgoCdReader, input: PreflightInput): Promise<PreflightFacts> {
  const ns = input.argocdNamespace;
  const [argoCd, clusterSecret, destinations] = await Promise.all([
    reader.hasConfigMap(ns, ARGOCD_CM),
    input.cluster && reader.readClusterSecret(ns, clusterSecretName(input.cluster.name)),
    Promise.all(input.applications.map((name) => reader.readDestination(ns, name))),
  ]);
  const applications: Record<string, { server?: string; name?: string }> = {};
  input.applications.forEach((name, i) => {
    if (destinations[i] !== undefined) applications[name] = destinations[i];
  });
  return { argoCd, ...(clusterSecret ? { clusterSecret } : {}), applications };
}

/** How long the checks wait for an answer: an unreachable address can otherwise hang for minutes. */
export const PREFLIGHT_TIMEOUT_MS = 20_000;

/**
 * Reads what judgePreflight needs and rejects with a RunError naming every problem, or, when the cluster does not
 * answer, naming the server, the error and the keys that say where it is.
 */
export async function argoCdPreflight(
  reader: ArgoCdReader,
  input: PreflightInput,
  timeoutMs = PREFLIGHT_TIMEOUT_MS,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  let facts: PreflightFacts;
  try {
    facts = await Promise.race([gather(reader, input), timeout]);
  } catch (e) {
    const server = await reader.server().catch(() => undefined);
    const error = e instanceof Error ? e.message : String(e);
    throw new pulumi.RunError(
      input.location === "hub"
        ? `The hub at ${server ?? "the server of hubKubeconfig"} cannot be read` +
            `${input.hubContext ? ` (hubContext '${input.hubContext}')` : ""}: ${error}. Nothing was changed. ` +
            `Check that this machine reaches the hub's API server and that hubKubeconfig's credentials may read ` +
            `ConfigMaps, Secrets and Applications in ${input.argocdNamespace} there (docs/fleet.md); set them with: pulumi config set --secret --stack ${input.stack} hubKubeconfig -- < ~/.kube/hub.yaml`
        : `This cluster at ${server ?? "the server of kubernetes:kubeconfig"} cannot be read to find the ` +
            `Argo CD in namespace ${input.argocdNamespace}: ${error}. Nothing was changed. Check kubernetes:kubeconfig ` +
            `and kubernetes:context (pulumi config get --stack ${input.stack} kubernetes:context).`,
    );
  } finally {
    clearTimeout(timer);
  }
  const problems = judgePreflight(input, facts);
  if (problems.length > 0) {
    throw new pulumi.RunError(
      `Nothing was changed: ${problems.length} problem${problems.length === 1 ? "" : "s"} in the cluster:\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
  }
}

/** The answer of the child process: passed, or the message to stop with. */
type ChildAnswer = { ok: true } | { ok: false; message: string };

/** In the child process: reads {access, input} from stdin, runs the checks, writes the answer to stdout. */
export async function preflightChild(): Promise<void> {
  const { access, input } = JSON.parse(fs.readFileSync(0, "utf8")) as {
    access: ClusterAccess;
    input: PreflightInput;
  };
  let answer: ChildAnswer = { ok: true };
  try {
    await argoCdPreflight(clusterClient(access), input);
  } catch (e) {
    answer = { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  process.stdout.write(JSON.stringify(answer));
  // The client's keep-alive sockets would hold the process open.
  process.exit(0);
}

/**
 * Runs the checks against the cluster `access` reaches and returns once they pass; throws a RunError (printed
 * without a stack trace, like a config error) with every problem otherwise. The kubeconfig goes to the child on
 * its standard input, never on its command line.
 */
export function checkBeforeRegistering(access: ClusterAccess, input: PreflightInput): void {
  const loader = path.join(__dirname, "..", "loader", "register.js");
  const run = spawnSync(
    process.execPath,
    ["--require", loader, "--eval", `require(${JSON.stringify(__filename)}).preflightChild()`],
    {
      input: JSON.stringify({ access, input }),
      encoding: "utf8",
      timeout: PREFLIGHT_TIMEOUT_MS + 30_000,
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let answer: ChildAnswer | undefined;
  try {
    answer = JSON.parse(run.stdout) as ChildAnswer;
  } catch {
    answer = undefined;
  }
  if (answer === undefined) {
    throw new pulumi.RunError(
      `The checks of argocdLocation '${input.location}' could not run (${run.error?.message ?? `exit ${run.status}`}): ` +
        `${(run.stderr ?? "").trim().split("\n").slice(-5).join(" ")}. Nothing was changed.`,
    );
  }
  if (!answer.ok) throw new pulumi.RunError(answer.message);
}
