import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { CONFIG_KEYS, DERIVED_KEYS, KEY_SPECS, SECRET_KEYS } from "../stacks/defaults";
import {
  anchorsOf,
  brokenLink,
  DOC_FILES,
  docsOnDisk,
  githubSlug,
  readDoc,
  relativeLinks,
} from "./support/docs";
import { readProjectFile, REPO_ROOT } from "./support/stack-files";

const readme = readDoc("README.md");
const configuration = readDoc("docs/configuration.md");

/** Rows of the config table in docs/configuration.md: key → [type, default, dev, prod, secret, what]. */
function configTable(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of configuration.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    const key = /^`(\w+)`$/.exec(cells[1] ?? "")?.[1];
    if (key && cells.length === 9) rows.set(key, cells.slice(2, 8));
  }
  return rows;
}

describe("the configuration reference", () => {
  const table = configTable();

  it("lists every config key, and only those, in the config table", () => {
    assert.deepStrictEqual([...table.keys()].sort(), [...CONFIG_KEYS].sort());
  });

  it("shows each key's real type, default and secret flag", () => {
    const declared = readProjectFile().config;
    // Not declared in Pulumi.yaml either: unset, the program derives them (from dbEngine, the stack name, the
    // spoke's kubeconfig).
    const derived: Record<string, [string, string]> = {
      clusterName: ["string", "the stack name"],
      clusterServer: ["string", "the spoke kubeconfig's server"],
      dbHost: ["string", "by `dbEngine`"],
      dbPort: ["integer", "by `dbEngine`"],
    };
    assert.deepStrictEqual(Object.keys(derived), DERIVED_KEYS);
    for (const key of CONFIG_KEYS) {
      const [type, shownDefault, , , secret] = table.get(key) ?? [];
      const isSecret = SECRET_KEYS.includes(key);
      // The optional secrets are not declared in Pulumi.yaml (see it); they are strings read by the program.
      const declaredType = isSecret ? "string" : (derived[key]?.[0] ?? declared[key].type);
      assert.strictEqual(type, declaredType, `documented type of '${key}'`);
      const expected = KEY_SPECS[key].default;
      const want = isSecret
        ? "unset"
        : DERIVED_KEYS.includes(key)
          ? derived[key][1]
          : expected === undefined
            ? "(required)"
            : expected === ""
              ? "empty"
              : `\`${expected}\``;
      assert.strictEqual(shownDefault, want, `documented default of '${key}'`);
      assert.strictEqual(secret === "yes", SECRET_KEYS.includes(key), `documented secret flag of '${key}'`);
    }
  });

  it("documents every stack output index.ts exports", () => {
    const source = fs.readFileSync(path.join(REPO_ROOT, "index.ts"), "utf8");
    // `export const x`, and the outputs exported only when they have a value (`module.exports, { x: …`).
    const exported = [...source.matchAll(/^export const (\w+)|module\.exports, \{ (\w+):/gm)].map(
      (m) => m[1] ?? m[2],
    );
    assert.ok(exported.length >= 7);
    for (const name of exported)
      assert.ok(configuration.includes(`\`${name}\``), `docs/configuration.md does not mention '${name}'`);
  });
});

describe("README", () => {
  const headings = [...readme.matchAll(/^## (.*)$/gm)].map((m) => m[1]);

  it("gives the test command CI runs", () => {
    const ci = fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8");
    assert.ok(readme.includes("npm ci && npm test"));
    assert.match(ci, /^npm ci && npm test$/m);
  });

  it("says what it is, the prerequisites, the quick start, how to check it and where to go next, in that order", () => {
    const wanted = ["Prerequisites", "Quick start", "Check that it worked", "Where to go next"];
    assert.deepStrictEqual(
      headings.filter((h) => wanted.includes(h)),
      wanted,
    );
    assert.match(readme.split("\n## ")[0], /^# atlas-gitops\n\nA Pulumi program/);
  });

  it("fits the first read, up to where to go next, in 120 lines", () => {
    const next = readme.indexOf("\n## Where to go next");
    const after = readme.indexOf("\n## ", next + 1);
    const firstRead = readme.slice(0, after === -1 ? readme.length : after);
    assert.ok(next > 0);
    assert.ok(firstRead.split("\n").length <= 120, `${firstRead.split("\n").length} lines`);
  });

  it("starts in two commands, one that deploys dev and one that runs the tests, and names the e2e run", () => {
    const start = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("## Check that it worked"));
    const blocks = [...start.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
    assert.strictEqual(blocks.length, 2);
    assert.match(blocks[0], /pulumi up --stack dev$/);
    assert.strictEqual(blocks[1], "npm ci && npm test");
    assert.ok(start.includes("`npm run test:e2e`"));
  });
});

describe("versions", () => {
  const changelog = fs.readFileSync(path.join(REPO_ROOT, "CHANGELOG.md"), "utf8");
  const released = [...changelog.matchAll(/^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$/gm)].map((m) => m[1]);

  it("has package.json at the newest version of the changelog", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    assert.ok(released.length >= 3, `releases in CHANGELOG.md: ${released.join(", ")}`);
    assert.strictEqual(pkg.version, released[0]);
  });

  it("ties every version the upgrade notes name to a release of the changelog", () => {
    const upgrading = readDoc("docs/upgrading.md");
    const named = [...upgrading.matchAll(/^## Upgrading from v(\d+\.\d+\.\d+)(?: to v(\d+\.\d+\.\d+))?$/gm)];
    assert.ok(named.length >= 2);
    for (const m of named)
      for (const v of [m[1], m[2]].filter((x) => x !== undefined))
        assert.ok(released.includes(v), `docs/upgrading.md names v${v}, which CHANGELOG.md does not release`);
  });

  it("says that v0.1.0 could not run on a current Pulumi CLI until all three secret keys were set", () => {
    const upgrading = readDoc("docs/upgrading.md");
    for (const text of ["pulumi/pulumi#21865", "atlasToken", "repoToken", "repoSshPrivateKey", "3.202.0"])
      assert.ok(upgrading.includes(text), `docs/upgrading.md does not mention ${text}`);
  });
});

describe("the documentation's links", () => {
  it("lists every page of docs/ in the documentation files", () => {
    assert.deepStrictEqual(DOC_FILES.filter((f) => f.startsWith("docs/")).sort(), docsOnDisk());
  });

  it("links every page of docs/ from the README", () => {
    const linked = new Set(relativeLinks(readme).map((l) => l.split("#")[0]));
    for (const page of docsOnDisk()) assert.ok(linked.has(page), `README.md does not link ${page}`);
  });

  for (const file of DOC_FILES) {
    it(`resolves every relative link and anchor in ${file}`, () => {
      const links = relativeLinks(readDoc(file));
      const broken = links.map((l) => brokenLink(file, l)).filter((b) => b !== undefined);
      assert.deepStrictEqual(broken, []);
    });
  }

  it("finds links in prose and ignores them in code", () => {
    const text = "See [a](docs/a.md#b) and `[c](d.md)`.\n```\n[e](f.md)\n```\n[g](https://x.org) [h](#i)";
    assert.deepStrictEqual(relativeLinks(text), ["docs/a.md#b", "#i"]);
  });

  const slugs: [string, string][] = [
    ["How `pulumi up` waits", "how-pulumi-up-waits"],
    ["Many applications: `applications`", "many-applications-applications"],
    ["The operator's message as Argo CD sees it", "the-operators-message-as-argo-cd-sees-it"],
    ["Dependency updates (Renovate)", "dependency-updates-renovate"],
    ["1. Put the manifests in a repository", "1-put-the-manifests-in-a-repository"],
    ["CI/CD and promotion", "cicd-and-promotion"],
    ["Upgrading from v0.1 to v0.3.0", "upgrading-from-v01-to-v030"],
    ["argocd_values -- a [link](x.md)", "argocd_values----a-link"],
  ];
  for (const [heading, slug] of slugs) {
    it(`gives the heading '${heading}' GitHub's anchor #${slug}`, () => {
      assert.strictEqual(githubSlug(heading), slug);
    });
  }

  it("numbers a repeated heading as GitHub does", () => {
    assert.deepStrictEqual([...anchorsOf("# A\n## A\n```\n# A\n```\n### A")], ["a", "a-1", "a-2"]);
  });

  it("reports a missing file and a missing anchor", () => {
    assert.match(brokenLink("README.md", "docs/nope.md") ?? "", /does not exist/);
    assert.match(brokenLink("README.md", "docs/configuration.md#nope") ?? "", /no heading with anchor #nope/);
    assert.strictEqual(brokenLink("docs/configuration.md", "../README.md#quick-start"), undefined);
  });
});
