import * as assert from "assert";
import { isSecret, resolve } from "./support/mocks";
import { parseStackConfig, RawConfig } from "../stacks/config";
import { credentialPrefix, normalizeGitURL, repoURLParts, templateReaches } from "../stacks/repo-url";
import { configProblems } from "./support/config-problems";

const REPO = "https://github.com/org/manifests";
const TOKEN = "ghp_s3cr3tvalue";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----";

/** A stack with `applications` items; the item credentials count as set with --path --secret. */
function withItems(items: unknown[], stackKeys: RawConfig = {}): RawConfig {
  return { repoURL: REPO, ...stackKeys, applications: JSON.stringify(items) };
}
const ENCRYPTED = new Set(["repoToken", "repoSshPrivateKey", "applications"]);
const parse = (raw: RawConfig) => parseStackConfig(raw, "dev", ENCRYPTED);
/** Without an item's secret, the CLI reports only the stack's secret keys as secrets. */
const STACK_SECRETS = new Set(["repoToken", "repoSshPrivateKey"]);
const problemsOf = (raw: RawConfig, encrypted: ReadonlySet<string> = STACK_SECRETS) =>
  configProblems(raw, "dev", encrypted);

describe("repository credentials", () => {
  describe("the prefix a stack's credential template is given for", () => {
    const cases: [url: string, prefix: string][] = [
      ["https://github.com/org/manifests", "https://github.com/org/"],
      ["https://gitlab.com/group/sub/repo.git", "https://gitlab.com/group/"],
      ["ssh://git@github.com/org/manifests.git", "ssh://git@github.com/org/"],
      ["git@github.com:org/manifests.git", "git@github.com:org/"],
      ["ssh://git@git.example.com:2222/team/repo.git", "ssh://git@git.example.com:2222/team/"],
      ["https://git.example.com/repo.git", "https://git.example.com/repo.git"],
    ];
    for (const [url, prefix] of cases) {
      it(`is ${prefix} for ${url}`, () => {
        assert.strictEqual(credentialPrefix(repoURLParts(url)!, url), prefix);
      });
    }

    it("reaches, as Argo CD matches it, the owner's repositories over the same protocol and nothing else", () => {
      const prefix = "https://github.com/org/";
      assert.ok(templateReaches(prefix, "https://github.com/org/other.git"));
      assert.ok(templateReaches(prefix, "https://GitHub.com/Org/other"), "Argo CD compares lowercased");
      assert.ok(!templateReaches(prefix, "https://github.com/org-evil/x"), "the slash ends the owner");
      assert.ok(!templateReaches(prefix, "https://gitlab.com/org/x"));
      assert.ok(!templateReaches(prefix, "git@github.com:org/x.git"));
      assert.ok(templateReaches("git@github.com:org/", "ssh://git@github.com/org/x.git"));
    });

    // argo-cd v3.4.4 util/git/git.go NormalizeGitURL, as its tests read (git_test.go TestNormalizeUrl).
    it("normalizes URLs as Argo CD does before it compares them", () => {
      assert.strictEqual(normalizeGitURL("git@GitHub.com:argoproj/test.git"), "git@github.com/argoproj/test");
      assert.strictEqual(
        normalizeGitURL("ssh://git@github.com/argoproj/test"),
        "git@github.com/argoproj/test",
      );
      assert.strictEqual(
        normalizeGitURL("https://github.com/argoproj/test.git"),
        "https://github.com/argoproj/test",
      );
    });
  });

  describe("a stack token with applications on several hosts", () => {
    const config = parse(
      withItems(
        [
          { name: "shop" },
          { name: "billing", repoURL: "https://github.com/org/billing" },
          { name: "vendor", repoURL: "https://gitlab.com/vendor/manifests" },
          { name: "partner", repoURL: "https://github.com/partner/manifests" },
          {
            name: "ledger",
            repoURL: "https://gitlab.com/acme/ledger",
            repoUsername: "deploy",
            repoToken: "glpat-own",
          },
        ],
        { repoUsername: "bot", repoToken: TOKEN },
      ),
    );
    const access = Object.fromEntries(config.applications.map((a) => [a.name, a.repoAccess]));

    it("puts the token into one credential template for the stack repoURL's host and owner", async () => {
      const template = config.repoCredentialTemplate;
      assert.ok(template?.credentials.kind === "https");
      assert.strictEqual(template.urlPrefix, "https://github.com/org/");
      assert.strictEqual(template.credentials.username, "bot");
      assert.strictEqual(await resolve(template.credentials.token), TOKEN);
      assert.strictEqual(await isSecret(template.credentials.token), true);
    });

    it("lets the template reach only the applications under that prefix", () => {
      assert.deepStrictEqual(Object.fromEntries(Object.entries(access).map(([name, a]) => [name, a.from])), {
        shop: "template",
        billing: "template",
        vendor: "none",
        partner: "none",
        ledger: "own",
      });
    });

    it("gives an application its own SSH key, set with --path --secret", async () => {
      const [own] = parse(
        withItems([{ name: "b", repoURL: "git@gitlab.com:x/y.git", repoSshPrivateKey: KEY }]),
      ).applications;
      assert.ok(own.repoAccess.from === "own" && own.repoAccess.credentials.kind === "ssh");
      assert.strictEqual(await resolve(own.repoAccess.credentials.sshPrivateKey), KEY);
    });

    it("gives an application on another host its own credentials, set with --path --secret", async () => {
      const ledger = access.ledger;
      assert.ok(ledger.from === "own" && ledger.credentials.kind === "https");
      assert.strictEqual(ledger.credentials.username, "deploy");
      assert.strictEqual(await resolve(ledger.credentials.token), "glpat-own");
      assert.strictEqual(await isSecret(ledger.credentials.token), true);
    });
  });

  describe("bad input", () => {
    const cases: { name: string; raw: RawConfig; encrypted?: ReadonlySet<string>; problems: string[] }[] = [
      {
        name: "refuses an item credential in plain text, without showing it",
        raw: withItems([
          { name: "b", repoURL: "https://gitlab.com/x/y", repoUsername: "u", repoToken: TOKEN },
        ]),
        encrypted: new Set(),
        problems: [
          "Config 'atlas-gitops:applications[0].repoToken' is set in plaintext — a credential must be encrypted, " +
            "since Pulumi.dev.yaml is usually committed (treat it as leaked and rotate it). Remove it with: pulumi " +
            "config rm --stack dev --path 'applications[0].repoToken'; set it with: pulumi config set --secret " +
            "--stack dev --path 'applications[0].repoToken' <token>",
        ],
      },
      {
        name: "refuses a stack token that reaches no application, since it can have no effect",
        raw: withItems([{ name: "b", repoURL: "https://gitlab.com/x/y" }], {
          repoUsername: "bot",
          repoToken: TOKEN,
        }),
        problems: [
          "Config 'atlas-gitops:repoToken' is set — it is given only to repositories under " +
            "https://github.com/org/ (the owner of the stack's repoURL) that have no credentials of their own, and " +
            "no application's repoURL is one. Remove it with: pulumi config rm --stack dev repoToken; pulumi " +
            "config rm --stack dev repoUsername",
        ],
      },
      {
        name: "refuses an SSH URL that no key reaches, suggesting a key for it or its https:// URL",
        raw: withItems([{ name: "b", repoURL: "git@gitlab.com:x/y.git" }]),
        problems: [
          "Config 'atlas-gitops:applications[0].repoURL' is 'git@gitlab.com:x/y.git' — expected an SSH key for an " +
            "SSH URL: Argo CD cannot clone it without one. Set one with: pulumi config set --secret --stack dev " +
            "--path 'applications[0].repoSshPrivateKey' -- < ~/.ssh/deploy_key; or use the https:// URL if the " +
            "repository is public. Set it with: pulumi config set --stack dev --path 'applications[0].repoURL' " +
            "https://gitlab.com/x/y.git",
        ],
      },
      {
        name: "refuses the stack's SSH repoURL without repoSshPrivateKey",
        raw: { repoURL: "ssh://git@github.com/org/manifests.git" },
        problems: [
          "Config 'atlas-gitops:repoURL' is 'ssh://git@github.com/org/manifests.git' — expected an SSH key for an " +
            "SSH URL: Argo CD cannot clone it without one. Set one with: pulumi config set --secret --stack dev " +
            "repoSshPrivateKey -- < ~/.ssh/deploy_key; or use the https:// URL if the repository is public. Set it " +
            "with: pulumi config set --stack dev repoURL https://github.com/org/manifests.git",
        ],
      },
      {
        name: "refuses a token over http://, where it would travel in clear",
        raw: {
          repoURL: "http://gitea.gitea.svc:3000/org/manifests.git",
          repoUsername: "bot",
          repoToken: TOKEN,
        },
        problems: [
          "Config 'atlas-gitops:repoToken' is set — expected an https:// repoURL for a username and token: over " +
            "http:// they would travel in clear. Set it with: pulumi config set --secret --stack dev repoToken <token>",
        ],
      },
      {
        name: "refuses an item's token for an SSH URL",
        raw: withItems([
          { name: "b", repoURL: "git@gitlab.com:x/y.git", repoUsername: "u", repoToken: TOKEN },
        ]),
        encrypted: ENCRYPTED,
        problems: [
          "Config 'atlas-gitops:applications[0].repoToken' is set — expected an https:// repoURL for a username " +
            "and token. Set it with: pulumi config set --secret --stack dev --path 'applications[0].repoToken' " +
            "<token>",
          "Config 'atlas-gitops:applications[0].repoURL' is 'git@gitlab.com:x/y.git' — expected an SSH key for an " +
            "SSH URL: Argo CD cannot clone it without one. Set one with: pulumi config set --secret --stack dev " +
            "--path 'applications[0].repoSshPrivateKey' -- < ~/.ssh/deploy_key; or use the https:// URL if the " +
            "repository is public. Set it with: pulumi config set --stack dev --path 'applications[0].repoURL' " +
            "https://gitlab.com/x/y.git",
        ],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const problems = problemsOf(c.raw, c.encrypted);
        assert.deepStrictEqual(problems, c.problems);
        assert.ok(!problems.join("\n").includes(TOKEN), "a secret's value is shown");
      });
    }
  });
});
