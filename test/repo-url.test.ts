import * as assert from "assert";
import { parseStackConfig, RawConfig } from "../stacks/config";
import { configProblems } from "./support/config-problems";

const SECRET = "ghp_0123456789abcdef";

describe("repository URLs", () => {
  describe("refused before any resource, with the clone URL to use", () => {
    const cases: { name: string; raw: RawConfig; problem: string }[] = [
      {
        name: "refuses a token in the repoURL without showing it, and points at repoToken --secret",
        raw: { repoURL: `https://x-access-token:${SECRET}@github.com/org/manifests` },
        problem:
          "Config 'atlas-gitops:repoURL' is 'https://***@github.com/org/manifests' — expected no user name, " +
          "password or token in the URL: it would be stored in plain text in the stack file, the Application and " +
          "the AppProject. Treat the token as leaked and revoke it. Put the token in the stack's secrets with: " +
          "pulumi config set --secret --stack dev repoToken <token>. Set it with: pulumi config set --stack dev " +
          "repoURL https://github.com/org/manifests",
      },
      {
        name: "refuses a token given as the user name alone, in an item, pointing at the item's repoToken",
        raw: {
          repoURL: "https://github.com/org/manifests",
          applications: JSON.stringify([{ name: "b", repoURL: `https://${SECRET}@gitlab.com/x/y.git` }]),
        },
        problem:
          "Config 'atlas-gitops:applications[0].repoURL' is 'https://***@gitlab.com/x/y.git' — expected no user " +
          "name, password or token in the URL: it would be stored in plain text in the stack file, the " +
          "Application and the AppProject. Treat the token as leaked and revoke it. Put the token in the " +
          "stack's secrets with: pulumi config set --secret --stack dev --path 'applications[0].repoToken' " +
          "<token>. Set it with: pulumi config set --stack dev --path 'applications[0].repoURL' " +
          "https://gitlab.com/x/y.git",
      },
      {
        name: "refuses a password in an ssh:// URL without showing it",
        raw: { repoURL: `ssh://git:${SECRET}@github.com/org/manifests.git` },
        problem:
          "Config 'atlas-gitops:repoURL' is 'ssh://git:***@github.com/org/manifests.git' — expected no user",
      },
      {
        name: "refuses an ssh:// URL with the scp form's colon, which git reads as a port",
        raw: { repoURL: "ssh://git@github.com:org/manifests.git", repoSshPrivateKey: "KEY" },
        problem:
          "Config 'atlas-gitops:repoURL' is 'ssh://git@github.com:org/manifests.git' — expected a port or '/' " +
          "after the host of an ssh:// URL: git reads 'org' as a port and cannot clone it. Write it as " +
          "ssh://git@github.com/org/manifests.git or git@github.com:org/manifests.git. Set it with: pulumi config " +
          "set --stack dev repoURL ssh://git@github.com/org/manifests.git",
      },
      {
        name: "refuses a GitHub page of a directory, giving the clone URL, branch and path",
        raw: { repoURL: "https://github.com/org/manifests/tree/main/apps/shop" },
        problem:
          "Config 'atlas-gitops:repoURL' is 'https://github.com/org/manifests/tree/main/apps/shop' — expected the " +
          "repository's clone URL, not a page of its web UI: Argo CD cannot clone it. The clone URL is " +
          "https://github.com/org/manifests; the branch and directory of the page go in: pulumi config set " +
          "--stack dev targetRevision main; pulumi config set --stack dev path apps/shop. Set it with: pulumi " +
          "config set --stack dev repoURL https://github.com/org/manifests",
      },
      {
        name: "refuses a GitHub page of a file",
        raw: { repoURL: "https://github.com/org/manifests/blob/v1.2.0/apps/kustomization.yaml" },
        problem:
          "Config 'atlas-gitops:repoURL' is 'https://github.com/org/manifests/blob/v1.2.0/apps/kustomization.yaml' " +
          "— expected the repository's clone URL, not a page of its web UI",
      },
      {
        name: "refuses a GitLab page of a directory",
        raw: { repoURL: "https://gitlab.com/group/sub/manifests/-/tree/main/apps" },
        problem: "The clone URL is https://gitlab.com/group/sub/manifests; the branch and directory",
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const problems = configProblems(c.raw, "dev", new Set(["repoSshPrivateKey"]));
        assert.ok(
          problems.some(
            (p) => p.startsWith(c.problem) || (p.includes(c.problem) && !c.problem.startsWith("Config")),
          ),
          `expected a problem starting with:\n  ${c.problem}\ngot:\n  ${problems.join("\n  ")}`,
        );
        assert.ok(!problems.join("\n").includes(SECRET), "a token is shown");
      });
    }
  });

  describe("http://", () => {
    const url = "http://gitea-http.gitea.svc:3000/org/manifests.git";

    it("accepts a repository over plain http://, as Argo CD does, with a warning", () => {
      const config = parseStackConfig({ repoURL: url }, "dev");
      assert.strictEqual(config.applications[0].source.repoURL, url);
      assert.deepStrictEqual(config.warnings, [
        `Config 'atlas-gitops:repoURL' is '${url}' — plain http://: anyone on the way can read and alter the ` +
          "manifests Argo CD applies. Fine for a git server inside the cluster; credentials are refused over it.",
      ]);
    });

    it("warns about nothing for https://", () => {
      assert.deepStrictEqual(parseStackConfig({ repoURL: "https://github.com/org/m" }, "dev").warnings, []);
    });
  });
});
