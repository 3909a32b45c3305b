/**
 * Checks for single config values, top-level keys and `applications` items alike. Each check records a problem
 * instead of throwing, so one run reports every bad key at once; the config reader throws once all are collected.
 */
import { PROJECT } from "./defaults";

// Kubernetes object names: RFC 1123 labels (namespaces) and subdomains (Secrets), as the API server checks them.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// An exact chart version: no ranges (^, ~, x, *, >=) and no "latest", so every `pulumi up` installs the same chart.
const PINNED_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
// The URL forms Argo CD clones: https://, ssh://, git:// and scp-like user@host:path.
const URL_FORM =
  /^(https:\/\/[^\s/]+\/\S*|ssh:\/\/[^\s/]+\/\S*|git:\/\/[^\s/]+\/\S*|[\w.-]+@[\w.-]+:[^\s/]\S*)$/;
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

/** Collects problems in one style: `Config '<key>' is '<value>' — <why>. Set it with: <command>`. */
export class Problems {
  readonly list: string[] = [];

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
    this.list.push(
      `Config '${PROJECT}:${field.key}' ${is} — ${why}. Set it with: ${this.command(field, example)}`,
    );
  }

  /** Records a missing value. */
  missing(field: Field, why: string): void {
    this.list.push(
      `Config '${PROJECT}:${field.key}' is not set — ${why}. Set it with: ${this.command(field)}`,
    );
  }

  add(problem: string): void {
    this.list.push(problem);
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

export function repoURL(p: Problems, f: Field): string {
  if (f.value === "") {
    p.missing(f, "the stack needs the manifests repository Argo CD tracks");
  } else if (!URL_FORM.test(f.value)) {
    p.fail(f, "expected an https://, ssh:// or git:// URL, or user@host:path");
  }
  return f.value;
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
