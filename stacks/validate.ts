/**
 * Checks for single config values. Each check records a problem instead of throwing, so one run reports every
 * bad key at once; parseStackConfig throws once all are collected.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigKey, KEY_SPECS, PROJECT } from "./defaults";
import type { RepoCredentials } from "./config";

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
// Namespaces the cluster owns; deploying an app into them through a per-stack AppProject would widen its reach.
const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

export function validator(raw: Partial<Record<ConfigKey, string>>, stack: string, problems: string[]) {
  const value = (key: ConfigKey): string => raw[key] ?? KEY_SPECS[key].default ?? "";

  /** `Config 'atlas-gitops:<key>' is '<value>' — <why>. Set it with: pulumi config set ...` */
  const fail = (key: ConfigKey, why: string, shown: string | null = value(key), example?: string): void => {
    const spec = KEY_SPECS[key];
    const flags = spec.secret ? "--secret --stack" : "--stack";
    const set = `pulumi config set ${flags} ${stack} ${key} ${example ?? spec.example}`;
    const is = shown === null ? "is set" : `is '${shown}'`;
    problems.push(`Config '${PROJECT}:${key}' ${is} — ${why}. Set it with: ${set}`);
  };

  const matching = (key: ConfigKey, pattern: RegExp, maxLength: number, what: string): string => {
    const v = value(key);
    if (v.length > maxLength || !pattern.test(v)) fail(key, `expected ${what}`);
    return v;
  };

  return {
    repoURL(key: ConfigKey): string {
      const v = raw[key];
      if (v === undefined || v === "") {
        problems.push(
          `Config '${PROJECT}:${key}' is not set — the stack needs the manifests repository Argo CD ` +
            `tracks. Set it with: pulumi config set --stack ${stack} ${key} ${KEY_SPECS[key].example}`,
        );
        return "";
      }
      if (!URL_FORM.test(v)) {
        fail(key, "expected an https://, ssh:// or git:// URL, or user@host:path");
      }
      return v;
    },

    revision(key: ConfigKey): string {
      const v = value(key);
      if (v.trim() === "" || /\s/.test(v)) {
        fail(key, "expected a branch, tag or commit (HEAD tracks the default branch)");
      }
      return v;
    },

    repoPath(key: ConfigKey): string {
      const v = value(key);
      const segments = v.split(/[/\\]/);
      if (v === "" || v.startsWith("/") || /^[A-Za-z]:/.test(v) || segments.includes("..")) {
        fail(
          key,
          "expected a path relative to the repository root that stays inside it (no leading / or ..)",
        );
      }
      return v;
    },

    dnsLabel: (key: ConfigKey) =>
      matching(
        key,
        DNS_LABEL,
        63,
        "a Kubernetes name: lowercase letters, digits and '-', at most 63 characters",
      ),

    dnsSubdomain: (key: ConfigKey) =>
      matching(
        key,
        DNS_SUBDOMAIN,
        253,
        "a Kubernetes object name: lowercase letters, digits, '-' and '.', at most 253 characters",
      ),

    chartVersion: (key: ConfigKey) =>
      matching(key, PINNED_VERSION, 64, "an exact chart version such as 1.2.3 (no ranges, no 'latest')"),

    hostname: (key: ConfigKey) => matching(key, HOSTNAME, 253, "a host name such as mysql or db.example.com"),

    identifier: (key: ConfigKey) =>
      matching(
        key,
        IDENTIFIER,
        63,
        "a name of letters, digits, '_', '$' or '-', starting with a letter or '_'",
      ),

    boolean(key: ConfigKey): boolean {
      const v = value(key);
      if (v !== "true" && v !== "false") fail(key, "expected true or false");
      return v === "true";
    },

    port(key: ConfigKey): number {
      const v = value(key);
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < 1 || n > 65535) fail(key, "expected a port number from 1 to 65535");
      return n;
    },

    counter(key: ConfigKey): number {
      const v = value(key);
      if (!/^\d{1,9}$/.test(v)) fail(key, "expected a whole number (0, 1, 2, ...)");
      return Number(v);
    },

    oneOf<T extends string>(key: ConfigKey, allowed: readonly T[]): T {
      const v = value(key);
      if (!(allowed as readonly string[]).includes(v)) fail(key, `expected one of ${allowed.join(", ")}`);
      return v as T;
    },

    /** The default port is MySQL's; a postgres stack that kept it almost certainly forgot to set it. */
    portFitsEngine(engine: string, port: number): void {
      if (engine === "postgres" && port === 3306) {
        fail("dbPort", "expected PostgreSQL's port (usually 5432) with dbEngine postgres", "3306", "5432");
      }
    },

    distinctNamespaces(namespaces: Partial<Record<ConfigKey, string>>): void {
      const appNamespace = namespaces.appNamespace;
      if (appNamespace !== undefined && RESERVED_NAMESPACES.includes(appNamespace)) {
        fail("appNamespace", "expected a namespace of the application's own, not one the cluster owns");
      }
      const seen = new Map<string, ConfigKey>();
      for (const [key, ns] of Object.entries(namespaces) as [ConfigKey, string][]) {
        const first = seen.get(ns);
        if (first !== undefined) {
          fail(key, `expected a namespace of its own, but '${PROJECT}:${first}' uses it too`);
        }
        seen.set(ns, key);
      }
    },

    /** HTTPS username + token, or an SSH key, matching the repoURL's scheme; never both, never half. */
    repoCredentials(
      repoURL: string,
      token: pulumi.Output<string> | undefined,
      sshPrivateKey: pulumi.Output<string> | undefined,
    ): RepoCredentials | undefined {
      const username = value("repoUsername");
      const https = repoURL.startsWith("https://");
      if (sshPrivateKey !== undefined && (token !== undefined || username !== "")) {
        fail(
          "repoSshPrivateKey",
          "expected either an SSH key or an HTTPS username and token, not both",
          null,
        );
        return undefined;
      }
      if (sshPrivateKey !== undefined) {
        if (https)
          fail("repoSshPrivateKey", "expected an ssh:// or user@host:path repoURL for an SSH key", null);
        return { kind: "ssh", sshPrivateKey };
      }
      if (token === undefined && username === "") return undefined;
      if (token === undefined) {
        problems.push(
          `Config '${PROJECT}:repoToken' is not set, but '${PROJECT}:repoUsername' is '${username}' — an ` +
            `HTTPS login needs both. Set it with: pulumi config set --secret --stack ${stack} repoToken <token>`,
        );
        return undefined;
      }
      if (username === "") fail("repoUsername", "expected the user name that goes with repoToken");
      if (!https) fail("repoToken", "expected an https:// repoURL for a username and token", null);
      return { kind: "https", username, token };
    },
  };
}
