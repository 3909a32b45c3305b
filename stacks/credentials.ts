/**
 * Repository credentials, and which repositories they reach. The stack's repoToken (with repoUsername) or
 * repoSshPrivateKey go into one Argo CD credential template for the stack repoURL's host and owner
 * (repo-url.ts credentialPrefix): Argo CD gives them to repositories under that prefix and to no other. An
 * application elsewhere carries credentials of its own (`applications[N].repoToken`, set with --path --secret), or
 * gets none.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "./defaults";
import {
  credentialPrefix,
  httpsEquivalent,
  isSSH,
  RepoURLParts,
  repoURLParts,
  templateReaches,
} from "./repo-url";
import * as check from "./validate";
import type { AppConfig, RepoCredentialTemplate, RepoCredentials } from "./types";

/** The three credential keys of the stack or of one item, as fields; the secrets already wrapped. */
export interface CredentialFields {
  readonly username: check.Field;
  readonly token: check.Field;
  readonly sshPrivateKey: check.Field;
  readonly tokenValue?: pulumi.Output<string>;
  readonly sshPrivateKeyValue?: pulumi.Output<string>;
}

/**
 * HTTPS username and token, or an SSH key, that suit `repoURL`; never both, never half, never over a protocol
 * that sends them in clear. Undefined when none is set or they do not fit (a problem is recorded).
 */
export function credentialsFor(
  problems: check.Problems,
  keys: CredentialFields,
  repoURL: RepoURLParts | undefined,
): RepoCredentials | undefined {
  const { username, token, sshPrivateKey } = keys;
  if (keys.sshPrivateKeyValue !== undefined && (keys.tokenValue !== undefined || username.value !== "")) {
    problems.fail(sshPrivateKey, "expected either an SSH key or an HTTPS username and token, not both");
    return undefined;
  }
  if (keys.sshPrivateKeyValue !== undefined) {
    if (repoURL !== undefined && !isSSH(repoURL)) {
      problems.fail(sshPrivateKey, "expected an ssh:// or user@host:path repoURL for an SSH key");
      return undefined;
    }
    return { kind: "ssh", sshPrivateKey: keys.sshPrivateKeyValue };
  }
  if (keys.tokenValue === undefined && username.value === "") return undefined;
  if (keys.tokenValue === undefined) {
    problems.add(
      `Config '${PROJECT}:${token.key}' is not set, but '${PROJECT}:${username.key}' is '${username.value}' — an ` +
        `HTTPS login needs both. Set it with: ${problems.command(token)}`,
    );
    return undefined;
  }
  if (username.value === "") {
    problems.fail(username, "expected the user name that goes with repoToken");
    return undefined;
  }
  if (repoURL?.form === "http") {
    problems.fail(
      token,
      "expected an https:// repoURL for a username and token: over http:// they would travel in clear",
    );
    return undefined;
  }
  if (repoURL !== undefined && repoURL.form !== "https") {
    problems.fail(token, "expected an https:// repoURL for a username and token");
    return undefined;
  }
  return { kind: "https", username: username.value, token: keys.tokenValue };
}

/** The stack's credential template, for the prefix of the stack's own repoURL. */
export function credentialTemplate(
  problems: check.Problems,
  keys: CredentialFields,
  repoURL: string,
): RepoCredentialTemplate | undefined {
  const parts = repoURLParts(repoURL);
  const credentials = credentialsFor(problems, keys, parts);
  if (credentials === undefined || parts === undefined) return undefined;
  return { urlPrefix: credentialPrefix(parts, repoURL), credentials };
}

/**
 * How Argo CD reaches one application's repository. `own` are the item's credentials, if any; `repoURLField` is
 * where its repoURL came from (the item's key, or the stack's), for the message when an SSH URL gets no key.
 */
export function repoAccess(
  problems: check.Problems,
  repoURLField: check.Field,
  repoURL: string,
  own: RepoCredentials | undefined,
  template: RepoCredentialTemplate | undefined,
): AppConfig["repoAccess"] {
  if (own !== undefined) return { from: "own", credentials: own };
  if (template !== undefined && templateReaches(template.urlPrefix, repoURL)) return { from: "template" };
  const parts = repoURLParts(repoURL);
  if (parts !== undefined && isSSH(parts)) {
    // Argo CD cannot clone over SSH without a key: it would try until the wait times out.
    const keyField = check.sibling(
      problems,
      repoURLField,
      "repoSshPrivateKey",
      "-- < ~/.ssh/deploy_key",
      true,
    );
    const reach =
      template?.credentials.kind === "ssh"
        ? `, and the stack's repoSshPrivateKey reaches only URLs under ${template.urlPrefix}`
        : "";
    problems.fail(
      { ...repoURLField, value: repoURL },
      `expected an SSH key for an SSH URL: Argo CD cannot clone it without one${reach}. Set one with: ` +
        `${keyField}; or use the https:// URL if the repository is public`,
      repoURL,
      httpsEquivalent(parts),
    );
  }
  return { from: "none" };
}

/** A stack credential no application receives can have no effect: say so rather than keep it unused. */
export function checkTemplateUsed(
  problems: check.Problems,
  keys: CredentialFields,
  template: RepoCredentialTemplate | undefined,
  apps: readonly AppConfig[],
): void {
  if (template === undefined || apps.some((a) => a.repoAccess.from === "template")) return;
  const [key, ...more] =
    template.credentials.kind === "ssh" ? [keys.sshPrivateKey.key] : [keys.token.key, keys.username.key];
  problems.add(
    `Config '${PROJECT}:${key}' is set — it is given only to repositories under ${template.urlPrefix} (the ` +
      `owner of the stack's repoURL) that have no credentials of their own, and no application's repoURL is one. ` +
      `Remove it with: ${[key, ...more].map((k) => `pulumi config rm --stack ${problems.stack} ${k}`).join("; ")}`,
  );
}
