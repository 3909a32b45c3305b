/**
 * The little of a kubeconfig the config checks need: which contexts it has and the API server of one. Parsed
 * with the `yaml` package; the text may be a secret, so nothing here puts any part of it into a message but
 * context names.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";

/** The server of a kubeconfig's context, or why there is none (without any of the kubeconfig's text). */
export type KubeconfigServer = { readonly server: string } | { readonly problem: string };

interface Named<T> {
  readonly name?: unknown;
  readonly context?: T;
  readonly cluster?: T;
}

/**
 * The kubernetes provider takes a kubeconfig as a path when a file is there (after `~` expansion), else as the
 * kubeconfig itself (pulumi-kubernetes provider/pkg/provider/provider.go, pathOrContents); so does this.
 */
export function kubeconfigText(pathOrContents: string): string {
  const file = pathOrContents.startsWith("~/")
    ? path.join(os.homedir(), pathOrContents.slice(2))
    : pathOrContents;
  // A kubeconfig's contents hold a newline; a path does not, and must not be tried as one (ENAMETOOLONG).
  if (!pathOrContents.includes("\n") && fs.existsSync(file)) return fs.readFileSync(file, "utf8");
  return pathOrContents;
}

/** The API server URL of `context` (or the current context) in a kubeconfig's text. */
export function kubeconfigServer(text: string, context?: string): KubeconfigServer {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    doc = undefined;
  }
  if (typeof doc !== "object" || doc === null || !Array.isArray((doc as { clusters?: unknown }).clusters)) {
    return { problem: "expected a kubeconfig (YAML with clusters, contexts and users) or the path of one" };
  }
  const config = doc as {
    clusters: Named<{ server?: unknown }>[];
    contexts?: Named<{ cluster?: unknown }>[];
    "current-context"?: unknown;
  };
  const contexts = (config.contexts ?? []).filter((c) => typeof c?.name === "string");
  const want = context ?? config["current-context"];
  if (typeof want !== "string" || want === "") {
    return { problem: "expected a kubeconfig with a current-context, or a context named in the config" };
  }
  const found = contexts.find((c) => c.name === want);
  if (found === undefined) {
    const names = contexts.map((c) => String(c.name)).join(", ");
    return { problem: `expected a kubeconfig with a context '${want}'; it has ${names || "none"}` };
  }
  const cluster = config.clusters.find((c) => c?.name === found.context?.cluster);
  const server = cluster?.cluster?.server;
  if (typeof server !== "string" || server === "") {
    return { problem: `expected the cluster of context '${want}' to name its server` };
  }
  return { server };
}
