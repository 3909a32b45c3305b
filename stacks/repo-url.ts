/**
 * Git repository URLs as Argo CD reads them: which form a URL has, its parts, and the rule that decides which
 * repositories a credential template reaches. Pure functions; stacks/validate.ts and stacks/credentials.ts use them.
 */

/** A repository URL split into what the checks look at. `base` ends where the repository path starts. */
export interface RepoURLParts {
  readonly form: "https" | "http" | "ssh" | "git" | "scp";
  /** `https://host`, `ssh://git@host:2222`, or `git@host:` for the scp-like form. */
  readonly base: string;
  /** The user name before the host, if any (`git` of `git@host:org/repo`). */
  readonly userInfo: string;
  readonly host: string;
  /** The path's segments, without empty ones. */
  readonly segments: readonly string[];
}

const SCHEMED = /^(https|http|ssh|git):\/\/(?:([^@/\s]*)@)?([^/\s@]+)(\/\S*)?$/;
const SCP = /^([\w.-]+)@([\w.-]+):(?!\/\/)(\S+)$/;

/** The parts of a URL in one of the forms Argo CD clones, or undefined for anything else. */
export function repoURLParts(url: string): RepoURLParts | undefined {
  const schemed = SCHEMED.exec(url);
  if (schemed !== null) {
    const [, scheme, userInfo = "", host, path = ""] = schemed;
    const at = userInfo === "" ? "" : `${userInfo}@`;
    return {
      form: scheme as RepoURLParts["form"],
      base: `${scheme}://${at}${host}`,
      userInfo,
      host,
      segments: path.split("/").filter((s) => s !== ""),
    };
  }
  const scp = SCP.exec(url);
  if (scp !== null) {
    const [, user, host, path] = scp;
    return {
      form: "scp",
      base: `${user}@${host}:`,
      userInfo: user,
      host,
      segments: path.split("/").filter((s) => s !== ""),
    };
  }
  return undefined;
}

/** Whether the URL is cloned over SSH, and so needs an SSH key. */
export const isSSH = (p: RepoURLParts) => p.form === "ssh" || p.form === "scp";

// User info that is a secret: over https, http and git any (a token is often the user name alone,
// `https://<token>@host/...`; greedy up to the last '@', which ends the user info); over ssh and in the scp form a
// password after the user name. A user name alone (`git@`) is how an SSH server is addressed and no secret.
const SECRET_USER_INFO: readonly [pattern: RegExp, stripped: string, masked: string][] = [
  [/\b((?:https?|git):\/\/)[^\s']*@/g, "$1", "$1***@"],
  [/\b(ssh:\/\/[^\s'@:/]*):[^\s'@]*@/g, "$1@", "$1:***@"],
  [/(^|[\s'])([\w.-]+):[^\s'@/]+@/g, "$1$2@", "$1$2:***@"],
];

/** The URL (or any text) with every secret user info taken out, safe to print and to store. */
export function withoutSecret(text: string): string {
  return SECRET_USER_INFO.reduce((t, [pattern, stripped]) => t.replace(pattern, stripped), text);
}

/** The text with every secret user info masked, for messages that must show where it was. */
export function redactSecrets(text: string): string {
  return SECRET_USER_INFO.reduce((t, [pattern, , masked]) => t.replace(pattern, masked), text);
}

/** Whether a URL carries a password or token in its user info. */
export const hasSecretUserInfo = (url: string) => withoutSecret(url) !== url;

/**
 * The URL prefix a stack's credential template is given for: the repoURL up to and including its first path
 * segment and the slash after it, which is the owner on GitHub, Bitbucket and Gitea, the top-level group on
 * GitLab and the organization on Azure DevOps (`https://github.com/org/`, `git@github.com:org/`). A repoURL with a
 * single path segment is its own prefix. Argo CD gives the template to every repository whose URL starts with
 * the prefix once both are normalized (util/db/repository_secrets.go getRepositoryCredentialIndex, with
 * util/git NormalizeGitURL): so exactly the repositories of that owner on that host, over the same protocol.
 */
export function credentialPrefix(p: RepoURLParts, url: string): string {
  if (p.segments.length < 2) return url;
  return `${p.base}${p.form === "scp" ? "" : "/"}${p.segments[0]}/`;
}

/**
 * Argo CD's normalization of a repository URL for comparing (argo-cd v3.4.4 util/git/git.go NormalizeGitURL):
 * lowercase, the scp form written as ssh, `.git` dropped, and no `ssh://` in front.
 */
export function normalizeGitURL(url: string): string {
  let repo = url.trim().toLowerCase();
  if (/^[\w.-]+@[\w.-]+:/.test(repo) && !repo.startsWith("ssh://")) repo = `ssh://${repo.replace(":", "/")}`;
  if (repo.endsWith(".git")) repo = repo.slice(0, -".git".length);
  return repo.startsWith("ssh://") ? repo.slice("ssh://".length) : repo;
}

/** Whether Argo CD would give a credential template for `prefix` to the repository at `url`. */
export const templateReaches = (prefix: string, url: string) =>
  normalizeGitURL(url).startsWith(normalizeGitURL(prefix));

/**
 * For a URL that is not a clone URL but a page of a git host's web UI (GitHub, GitLab, Gitea, Bitbucket:
 * `…/tree/main/x`, `…/-/blob/main/x`, `…/src/main/x`), the clone URL and, where the page names them, the branch and
 * directory it shows.
 */
export function webPage(p: RepoURLParts): { cloneURL: string; revision?: string; path?: string } | undefined {
  if (p.form !== "https" && p.form !== "http") return undefined;
  const s = p.segments;
  const marker = s.findIndex(
    (seg, i) => i >= 2 && ["tree", "blob", "src", "commits", "commit", "-", "pulls", "issues"].includes(seg),
  );
  const onGitHub = p.host.toLowerCase() === "github.com" && s.length > 2;
  if (marker < 0 && !onGitHub) return undefined;
  const repoEnd = marker < 0 ? 2 : marker;
  const cloneURL = `${p.base}/${s.slice(0, repoEnd).join("/")}`;
  const page = s.slice(repoEnd).filter((seg) => seg !== "-");
  // Gitea writes the kind of ref after `src`: `…/src/branch/main/x`.
  const ref = ["branch", "tag", "commit"].includes(page[1]) ? 2 : 1;
  if (["tree", "blob", "src"].includes(page[0]) && page.length > ref) {
    const path = page.slice(ref + 1).join("/");
    return { cloneURL, revision: page[ref], path: path === "" ? undefined : path };
  }
  return { cloneURL };
}

/**
 * For an ssh:// URL written with the scp form's colon (`ssh://git@host:org/repo.git`), where git would read
 * `org` as a port: the two URLs that mean what was meant.
 */
export function scpColonInSSH(p: RepoURLParts): { ssh: string; scp: string } | undefined {
  if (p.form !== "ssh") return undefined;
  const colon = /^(.*?):([^:]*)$/.exec(p.host);
  if (colon === null || /^\d*$/.test(colon[2])) return undefined;
  const user = p.userInfo === "" ? "git" : p.userInfo;
  const path = [colon[2], ...p.segments].join("/");
  return { ssh: `ssh://${user}@${colon[1]}/${path}`, scp: `${user}@${colon[1]}:${path}` };
}

/** The https:// URL of the same repository as an SSH URL, as GitHub, GitLab and Gitea serve it. */
export function httpsEquivalent(p: RepoURLParts): string {
  const host = p.host.replace(/:\d+$/, "");
  return `https://${host}/${p.segments.join("/")}`;
}
