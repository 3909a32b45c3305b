/**
 * Checks for single config values, top-level keys and `applications` items alike. Each check records a problem
 * instead of throwing, so one run reports every bad key at once; the config reader throws once all are collected.
 */
import { PROJECT } from "./defaults";
import {
  hasSecretUserInfo,
  redactSecrets,
  repoURLParts,
  scpColonInSSH,
  webPage,
  withoutSecret,
} from "./repo-url";

// Kubernetes object names: RFC 1123 labels (namespaces) and subdomains (Secrets), as the API server checks them.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// An exact chart version: no ranges (^, ~, x, *, >=) and no "latest", so every `pulumi up` installs the same chart.
const PINNED_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const HOSTNAME = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;
/** Namespaces the cluster owns; deploying an app into them through its AppProject would widen its reach. */
export const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** One config value to check, as messages name it and as `pulumi config set` fixes it. */
export interface Field {
  /** The key after `atlas-gitops:`, such as `dbPort` or `applications[1].dbPort`. */
  readonly key: string;
  /** The value as a string (an item's numbers and booleans are written as the CLI would print them). */
  readonly value: string;
  /** Whether the stack (or item) set it, rather than a default filling it in. */
  readonly isSet: boolean;
  /** A valid value, shown in the command that fixes the key. */
  readonly example: string;
  /** Set with `--secret`; its value is never shown. */
  readonly secret?: boolean;
  /** Set with `--path`: the key is a path into a structured value. */
  readonly path?: boolean;
}

/**
 * Collects problems in one style: `Config '<key>' is '<value>' — <why>. Set it with: <command>`. Every message
 * passes through redactSecrets, so a password or token written into a URL is never shown, whatever shows it.
 */
export class Problems {
  private readonly problems: string[] = [];
  private readonly notes: string[] = [];

  /** What is wrong; any makes the config reader throw. */
  get list(): readonly string[] {
    return this.problems;
  }

  /** What works but deserves a word, such as a repository over plain http://; printed by `pulumi up`. */
  get warnings(): readonly string[] {
    return this.notes;
  }

  constructor(readonly stack: string) {}

  /** The `pulumi config set` command that sets a field, with the field's example or the one given. */
  command(field: Pick<Field, "key" | "example" | "secret" | "path">, example = field.example): string {
    const flags = [field.secret ? "--secret" : "", `--stack ${this.stack}`, field.path ? "--path" : ""];
    const key = field.path ? `'${field.key}'` : field.key;
    return `pulumi config set ${flags.filter((f) => f !== "").join(" ")} ${key} ${example}`;
  }

  /** Records a bad value; `shown` replaces the value (null: "is set", for secrets). */
  fail(field: Field, why: string, shown: string | null = field.value, example?: string): void {
    const is = shown === null || field.secret ? "is set" : `is '${shown}'`;
    this.add(`Config '${PROJECT}:${field.key}' ${is} — ${why}. Set it with: ${this.command(field, example)}`);
  }

  /** Records a missing value. */
  missing(field: Field, why: string): void {
    this.add(`Config '${PROJECT}:${field.key}' is not set — ${why}. Set it with: ${this.command(field)}`);
  }

  add(problem: string): void {
    this.problems.push(redactSecrets(problem));
  }

  warn(warning: string): void {
    this.notes.push(redactSecrets(warning));
  }
}

const matching =
  (pattern: RegExp, maxLength: number, what: string) =>
  (p: Problems, f: Field): string => {
    if (f.value.length > maxLength || !pattern.test(f.value)) p.fail(f, `expected ${what}`);
    return f.value;
  };

export const dnsLabel = matching(
  DNS_LABEL,
  63,
  "a Kubernetes name: lowercase letters, digits and '-', at most 63 characters",
);

export const dnsSubdomain = matching(
  DNS_SUBDOMAIN,
  253,
  "a Kubernetes object name: lowercase letters, digits, '-' and '.', at most 253 characters",
);

export const chartVersion = matching(
  PINNED_VERSION,
  64,
  "an exact chart version such as 1.2.3 (no ranges, no 'latest')",
);

export const hostname = matching(HOSTNAME, 253, "a host name such as mysql or db.example.com");

export const identifier = matching(
  IDENTIFIER,
  63,
  "a name of letters, digits, '_', '$' or '-', starting with a letter or '_'",
);

/** The `pulumi config set` command of a sibling key: `repoToken` beside `repoURL`, or beside `applications[1].repoURL`. */
export function sibling(p: Problems, f: Field, key: string, example: string, secret = false): string {
  const at = f.key.includes(".") ? f.key.slice(0, f.key.lastIndexOf(".") + 1) : "";
  return p.command({ key: `${at}${key}`, example, secret, path: f.path });
}

/**
 * A repository URL Argo CD can clone: https://, ssh://, git://, scp-like user@host:path, or http:// with a warning.
 * Returns the URL without any secret user info, so that nothing downstream can show or store one.
 */
export function repoURL(p: Problems, f: Field): string {
  const url = withoutSecret(f.value);
  const parts = repoURLParts(url);
  const form = "expected an https://, ssh:// or git:// URL, or user@host:path";
  if (f.value === "") {
    p.missing(f, "the stack needs the manifests repository Argo CD tracks");
  } else if (hasSecretUserInfo(f.value)) {
    // Refused before it is stored anywhere else: the stack file, Application and AppProject are plain text.
    p.fail(
      f,
      "expected no user name, password or token in the URL: it would be stored in plain text in the stack " +
        "file, the Application and the AppProject. Treat the token as leaked and revoke it. Put the token in " +
        `the stack's secrets with: ${sibling(p, f, "repoToken", "<token>", true)}`,
      f.value,
      url,
    );
  } else if (parts === undefined || parts.segments.length === 0) {
    p.fail(f, form);
  } else if (parts.segments.some((s) => s === "." || s === "..")) {
    p.fail(f, `${form}, without '.' or '..' in its path`);
  } else if (scpColonInSSH(parts) !== undefined) {
    const fixed = scpColonInSSH(parts)!;
    p.fail(
      f,
      `expected a port or '/' after the host of an ssh:// URL: git reads '${parts.host.split(":")[1]}' as a ` +
        `port and cannot clone it. Write it as ${fixed.ssh} or ${fixed.scp}`,
      f.value,
      fixed.ssh,
    );
  } else if (webPage(parts) !== undefined) {
    const page = webPage(parts)!;
    const more = [
      page.revision === undefined ? "" : sibling(p, f, "targetRevision", page.revision),
      page.path === undefined ? "" : sibling(p, f, "path", page.path),
    ].filter((c) => c !== "");
    p.fail(
      f,
      `expected the repository's clone URL, not a page of its web UI: Argo CD cannot clone it. The clone URL ` +
        `is ${page.cloneURL}` +
        (more.length === 0 ? "" : `; the branch and directory of the page go in: ${more.join("; ")}`),
      f.value,
      page.cloneURL,
    );
  } else if (parts.form === "http") {
    p.warn(
      `Config '${PROJECT}:${f.key}' is '${f.value}' — plain http://: anyone on the way can read and alter the ` +
        `manifests Argo CD applies. Fine for a git server inside the cluster; credentials are refused over it.`,
    );
  }
  return url;
}

// Hosts that a plain http:// chart repository may be on: nothing leaves the machine that runs `pulumi up`.
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * A Helm repository to pull a chart from: https:// (a classic repository with an index.yaml) or oci:// (a
 * registry), or http:// on a loopback host (a local mirror). No user info, query or fragment: Helm would send a
 * password in the URL to every chart download, and the value is stored in plain text in the stack file.
 */
export function chartRepository(p: Problems, f: Field): string {
  let url: URL | undefined;
  try {
    url = new URL(f.value);
  } catch {
    url = undefined;
  }
  const allowed = "an https:// or oci:// Helm repository URL, or http:// on localhost or 127.0.0.1";
  if (url === undefined || url.host === "" || !["https:", "oci:", "http:"].includes(url.protocol)) {
    p.fail(f, `expected ${allowed}`);
  } else if (url.username !== "" || url.password !== "") {
    p.fail(
      f,
      "expected no user name or password in the URL (it would be stored in plain text); give the mirror's " +
        "credentials to Helm instead (helm registry login, or a repository entry in helm's repositories.yaml)",
      `${url.protocol}//***@${url.host}${url.pathname}`,
    );
  } else if (url.search !== "" || url.hash !== "") {
    p.fail(f, `expected ${allowed}, without a query or fragment`);
  } else if (url.protocol === "http:" && !LOOPBACK_HOST.test(url.hostname)) {
    p.fail(
      f,
      `expected ${allowed}: plain http:// is allowed only on this machine, where nothing can alter it`,
    );
  }
  return f.value.replace(/\/+$/, "");
}

export function revision(p: Problems, f: Field): string {
  if (f.value.trim() === "" || /\s/.test(f.value)) {
    p.fail(f, "expected a branch, tag or commit (HEAD tracks the default branch)");
  }
  return f.value;
}

export function repoPath(p: Problems, f: Field): string {
  const v = f.value;
  if (v === "" || v.startsWith("/") || /^[A-Za-z]:/.test(v) || v.split(/[/\\]/).includes("..")) {
    p.fail(f, "expected a path relative to the repository root that stays inside it (no leading / or ..)");
  }
  return v;
}

export function boolean(p: Problems, f: Field): boolean {
  if (f.value !== "true" && f.value !== "false") p.fail(f, "expected true or false");
  return f.value === "true";
}

const wholeNumber = (p: Problems, f: Field, min: number, max: number, what: string): number => {
  const n = Number(f.value);
  if (!/^\d{1,9}$/.test(f.value) || n < min || n > max) p.fail(f, `expected ${what}`);
  return n;
};

export const port = (p: Problems, f: Field) => wholeNumber(p, f, 1, 65535, "a port number from 1 to 65535");

export const counter = (p: Problems, f: Field) =>
  wholeNumber(p, f, 0, 999_999_999, "a whole number (0, 1, 2, ...)");

/** A wait: at least 30 s (one Argo CD refresh cycle can take that), at most a day. */
export const timeoutSeconds = (p: Problems, f: Field) =>
  wholeNumber(p, f, 30, 86_400, "a number of seconds from 30 to 86400");

export function oneOf<T extends string>(allowed: readonly T[]) {
  return (p: Problems, f: Field): T => {
    if (!(allowed as readonly string[]).includes(f.value)) p.fail(f, `expected one of ${allowed.join(", ")}`);
    return f.value as T;
  };
}
