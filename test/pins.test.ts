/**
 * The chart pins, the Pulumi CLI pin and renovate.json: every place a pinned version appears agrees, Renovate's
 * regex managers find every place, a bump rewrites all of them in one pull request, and facts read at a pinned
 * version are flagged for a re-read when the pin moves.
 *
 * The managers are applied as Renovate applies them (renovatebot/renovate, read at 44.39):
 * - lib/workers/repository/extract/file-match.ts getMatchingFiles: a file is a manager's when one of its
 *   managerFilePatterns matches its path from the repository root; `/…/` is a regex (lib/util/string-match.ts
 *   matchRegexOrGlob), and the repository's ignorePaths are dropped first (getFilteredFileList).
 * - lib/modules/manager/custom/regex/strategies.ts handleAny: each matchString becomes `new RegExp(s, "g")` over
 *   the whole file (no `m` flag, so `^`/`$` are the file's ends); every match with a currentValue, a depName and
 *   a datasource is a dependency (../utils.ts isValidDependency); the whole match is its replaceString.
 * - lib/workers/repository/update/branch/auto-replace.ts doAutoReplace: to bump, Renovate finds the first
 *   `indexOf(replaceString)` in the current file, replaces currentValue inside it (every occurrence:
 *   autoReplaceGlobalMatch defaults to true) and writes it back; a replaceString no longer found is skipped
 *   as "already updated". Renovate compiles the patterns with RE2, so they avoid lookaround and backreferences.
 * - lib/modules/datasource/github-releases: versions are the release tag names (pulumi/pulumi tags `v3.252.0`);
 *   extractVersionTemplate strips the `v` so the new version is written as the old one is.
 * - lib/modules/manager/gomod (extract.ts, line-parser.ts): each go.mod line is a dependency: `go` (depType golang),
 *   a `require` (depType indirect and disabled when marked `// indirect`), a `replace` with a version (depType
 *   replace); a `tool` line re-enables the indirect requirement of the module that provides it (longest path
 *   prefix). An update rewrites the version on the dependency's line; the artifact update then runs `go get` (and
 *   `go mod tidy` with postUpdateOptions gomodTidy), which rewrites go.sum beside it.
 * - lib/util/package-rules: every rule whose matchers all match applies, in order, later ones overriding earlier;
 *   matchFileNames holds exact paths or globs (only `dir/**` here).
 * The CLI pin is pulumi/actions' `pulumi-version` input (pulumi/actions v7.0.0 action.yml; src/config.ts
 * makeConfig/makeInstallationConfig read it, src/libs/pulumi-cli.ts downloadCli installs the highest release
 * satisfying it, or keeps a CLI already on the runner that satisfies it). Unset, the range is `^3`: CI would run
 * whatever v3 CLI is newest, not the one test/support/pulumi-cli.ts models. The e2e builds the same CLI from
 * toolchain/pulumi/go.mod (the gomod manager, in the same group).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { ARGOCD_CHART_VERSION, ATLAS_OPERATOR_CHART_VERSION } from "../stacks/defaults";
import { readProjectFile, REPO_ROOT } from "./support/stack-files";
import { MODELLED_CLI_VERSION } from "./support/pulumi-cli";

interface Manager {
  customType: string;
  description?: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  matchStringsStrategy?: string;
  depNameTemplate: string;
  packageNameTemplate?: string;
  datasourceTemplate: string;
  registryUrlTemplate?: string;
  versioningTemplate?: string;
  extractVersionTemplate?: string;
}

interface PackageRule {
  description?: string;
  matchManagers?: string[];
  matchFileNames?: string[];
  matchDepNames?: string[];
  matchDepTypes?: string[];
  matchPackageNames?: string[];
  groupName?: string;
  allowedVersions?: string;
  enabled?: boolean;
  postUpdateOptions?: string[];
}

/** A go.mod dependency as the gomod manager extracts it; `line` is the text an update rewrites. */
interface GoDep {
  readonly file: string;
  readonly depName: string;
  readonly depType: string;
  readonly currentValue: string;
  readonly line: string;
  readonly start: number;
  readonly enabledByManager: boolean;
}

interface RenovateConfig {
  extends?: string[];
  ignorePaths?: string[];
  customManagers: Manager[];
  packageRules: PackageRule[];
}

/** A dependency a manager extracted: where its version sits and the text Renovate rewrites. */
interface Dep {
  readonly chart: string;
  readonly manager: Manager;
  readonly file: string;
  readonly currentValue: string;
  readonly replaceString: string;
  readonly start: number;
}

const CHARTS: Record<string, string> = {
  "argo-cd": ARGOCD_CHART_VERSION,
  "atlas-operator": ATLAS_OPERATOR_CHART_VERSION,
};

/** The Pulumi CLI, by its GitHub repository (Renovate's depName for a github-releases lookup). */
const CLI = "pulumi/pulumi";

/** The modules toolchain/pulumi/go.mod builds the CLI from, both at the CLI's version. */
const CLI_MODULES = ["github.com/pulumi/pulumi/pkg/v3", "github.com/pulumi/pulumi/sdk/v3"];

/** The module each toolchain/<component>/go.mod builds from (the e2e toolchain's pins, test/toolchain.test.ts). */
const TOOLCHAIN_MODULES: Record<string, string> = {
  argocd: "github.com/argoproj/argo-cd/v3",
  kubernetes: "k8s.io/kubernetes",
  "kubernetes-provider": "github.com/pulumi/pulumi-kubernetes/provider/v4",
  kustomize: "sigs.k8s.io/kustomize/kustomize/v5",
  kwok: "sigs.k8s.io/kwok",
};

/** Every pinned dependency Renovate bumps through these managers: the charts and the Pulumi CLI. */
const PINS: Record<string, string> = { ...CHARTS, [CLI]: MODELLED_CLI_VERSION };

/**
 * How each dependency is looked up: the argo-helm repository, ghcr.io for the OCI chart (as helmv3 does), and
 * pulumi/pulumi's GitHub releases for the CLI.
 */
const LOOKUP: Record<string, Partial<Manager>> = {
  "argo-cd": { datasourceTemplate: "helm", registryUrlTemplate: "https://argoproj.github.io/argo-helm" },
  "atlas-operator": {
    // renovate lib/modules/manager/helmv3/utils.ts parseRepository: an oci:// chart is the docker datasource
    // with the registry path, without oci://, as packageName.
    datasourceTemplate: "docker",
    packageNameTemplate: "ghcr.io/ariga/charts/atlas-operator",
    versioningTemplate: "semver",
  },
  [CLI]: {
    datasourceTemplate: "github-releases",
    extractVersionTemplate: "^v(?<version>\\d+\\.\\d+\\.\\d+)$",
  },
};

/** The Argo CD version each argo-cd chart ships (its Chart.yaml appVersion); add a row when the pin moves. */
const ARGOCD_APP_VERSIONS: Record<string, string> = { "10.1.1": "3.4.4" };

/**
 * Files that record facts read in upstream source at a chart's version (templates, CRDs, controller code). Renovate
 * must not rewrite them: a bump makes their facts stale until someone reads the new version and updates them.
 */
const READ_AT_VERSION: Record<string, string[]> = {
  "argo-cd": [
    "test/argo-cd-chart.test.ts",
    "test/support/argo-cd-chart.ts",
    "components/argocd-access.ts",
    "components/monitoring.ts",
    "components/notifications.ts",
    "test/argocd.test.ts",
    "test/index.test.ts",
    "test/notifications.test.ts",
  ],
  "atlas-operator": [
    "components/atlas-operator-rbac.ts",
    "components/health-checks/db.atlasgo.io_AtlasMigration.lua",
    "components/health-checks/db.atlasgo.io_AtlasSchema.lua",
    "components/monitoring.ts",
    "examples/manifests/README.md",
    "test/atlas-operator-rbac.test.ts",
    "test/fixtures/atlas-health/AtlasMigration/applied.yaml",
    "test/fixtures/atlas-health/AtlasMigration/failures.yaml",
    "test/fixtures/atlas-health/AtlasSchema/applied.yaml",
    "test/fixtures/atlas-health/AtlasSchema/failures.yaml",
    "test/health-checks.test.ts",
    "test/monitoring.test.ts",
    "test/support/manifests.ts",
    // The operator's status, as the wait reads it and the e2e's stand-in writes it.
    "components/atlas-status.ts",
    "test/atlas-operator-stand-in.test.ts",
    "test/atlas-status.test.ts",
    "test/e2e/stand-ins/atlas-operator.ts",
    "test/support/wait-fixtures.ts",
    "docs/testing.md",
  ],
  // The CLI model's tests and the engine model name the release they were read from.
  [CLI]: ["test/pulumi-cli.test.ts", "test/support/engine-model.ts", "components/password-guard.ts"],
};

/** This file names the versions in its own tables; it checks the pins and is not one. */
const SELF = "test/pins.test.ts";

/** A workflow step, as far as this file reads it. */
interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}

const config = (): RenovateConfig =>
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "renovate.json"), "utf8")) as RenovateConfig;

/** Every text file of the repository, by path from its root, except node_modules (renovate.json ignorePaths). */
function repoFiles(dir = ""): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
    const rel = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== ".git" && entry.name !== "node_modules") files.push(...repoFiles(rel));
    } else if (entry.isFile() && !fs.readFileSync(path.join(REPO_ROOT, rel)).includes(0)) {
      files.push(rel);
    }
  }
  return files.sort();
}

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");

/** A `/…/` managerFilePatterns entry as the RegExp Renovate builds (string-match.ts parseRegexMatch). */
function filePattern(pattern: string): RegExp {
  const m = /^\/(.*)\/(i?)$/.exec(pattern);
  assert.ok(m !== null, `managerFilePatterns '${pattern}': this test models only /regex/ patterns`);
  return new RegExp(m[1], m[2]);
}

/** What one manager extracts from one file's content, as handleAny does. */
function extract(manager: Manager, file: string, content: string): Dep[] {
  const deps: Dep[] = [];
  for (const source of manager.matchStrings) {
    const regex = new RegExp(source, "g");
    for (let m = regex.exec(content); m !== null; m = regex.exec(content)) {
      const currentValue = m.groups?.currentValue;
      if (currentValue === undefined || currentValue.trim() === "") continue;
      deps.push({
        chart: manager.depNameTemplate,
        manager,
        file,
        currentValue,
        replaceString: m[0],
        start: m.index,
      });
    }
  }
  return deps;
}

/** Every dependency every manager finds in the given file contents. */
function extractAll(cfg: RenovateConfig, contents: ReadonlyMap<string, string>): Dep[] {
  return cfg.customManagers.flatMap((manager) =>
    [...contents.keys()]
      .filter((file) => manager.managerFilePatterns.some((p) => filePattern(p).test(file)))
      .flatMap((file) => extract(manager, file, contents.get(file)!)),
  );
}

/**
 * Mentions of a version in a text, in any form a person writes it (10.1.1, v10.1.1, argo-cd-10.1.1), but not as
 * part of a longer version (110.1.1, 10.1.10) or a range (^10.1.1, ~10.1.1), which is not a pin.
 */
function mentions(content: string, version: string): number[] {
  const escaped = version.replace(/\./g, "\\.");
  return [...content.matchAll(new RegExp(`(?<![\\d.^~])${escaped}(?![\\d.])`, "g"))].map((m) => m.index!);
}

const contentsOf = (files: string[]) => new Map(files.map((f) => [f, read(f)]));

/** `parseLine` + `extractPackageFile` of the gomod manager, for one go.mod. */
function goModDeps(file: string, content: string): GoDep[] {
  const deps: GoDep[] = [];
  const tools: string[] = [];
  let offset = 0;
  for (const line of content.split("\n")) {
    const start = offset;
    offset += line.length + 1;
    const go = /^\s*go\s+(\S+)\s*$/.exec(line);
    const req = /^(require)?\s+(\S+\/?\S+)\s+(\S+)(?:\s*\/\/\s*(.*?)\s*)?$/.exec(line);
    const rep = /^(replace)?\s+(\S+\/?\S+)\s*=>\s*(\S+)(?:\s+(\S+))?(?:\s*\/\/\s*(.*?)\s*)?$/.exec(line);
    const tool = /^(tool)?\s+(\S+\/?\S+)\s*$/.exec(line);
    const dep = (depName: string, depType: string, currentValue: string, enabledByManager = true) =>
      deps.push({ file, depName, depType, currentValue, line, start, enabledByManager });
    if (go) dep("go", "golang", go[1]);
    else if (req) {
      const indirect = req[4] === "indirect" || (req[4] ?? "").startsWith("indirect;");
      dep(req[2], indirect ? "indirect" : "require", req[3], !indirect);
    } else if (rep && rep[4] !== undefined && !/^[./]/.test(rep[3])) dep(rep[3], "replace", rep[4]);
    else if (tool) tools.push(tool[2]);
  }
  return deps.map((d) => {
    const provides = tools.some(
      (t) =>
        `${t}/`.startsWith(`${d.depName}/`) &&
        !deps.some((o) => o.depName.length > d.depName.length && `${t}/`.startsWith(`${o.depName}/`)),
    );
    return d.depType === "indirect" && provides ? { ...d, enabledByManager: true } : d;
  });
}

/** matchFileNames: an exact path, or `dir/**` for everything below dir. */
const fileNameMatches = (pattern: string, file: string) =>
  pattern.endsWith("/**") ? file.startsWith(pattern.slice(0, -2)) : pattern === file;

/** What the packageRules make of one gomod dependency: whether Renovate updates it, and in which group. */
function goRules(cfg: RenovateConfig, dep: GoDep): { enabled: boolean; groupName?: string; tidy: boolean } {
  let enabled = dep.enabledByManager;
  let groupName: string | undefined;
  let tidy = false;
  for (const rule of cfg.packageRules) {
    if (rule.matchManagers && !rule.matchManagers.includes("gomod")) continue;
    if (rule.matchPackageNames && !rule.matchPackageNames.includes(dep.depName)) continue; // a module's own name
    if (rule.matchFileNames && !rule.matchFileNames.some((p) => fileNameMatches(p, dep.file))) continue;
    if (rule.matchDepNames && !rule.matchDepNames.includes(dep.depName)) continue;
    if (rule.matchDepTypes && !rule.matchDepTypes.includes(dep.depType)) continue;
    if (rule.enabled !== undefined) enabled = rule.enabled;
    if (rule.groupName !== undefined) groupName = rule.groupName;
    if (rule.postUpdateOptions !== undefined) tidy = rule.postUpdateOptions.includes("gomodTidy");
  }
  return { enabled, groupName, tidy };
}

/** Every go.mod dependency Renovate updates (the gomod manager finds every go.mod). */
function goDepsAll(cfg: RenovateConfig, contents: ReadonlyMap<string, string>): GoDep[] {
  return [...contents]
    .filter(([file]) => /(^|\/)go\.mod$/.test(file))
    .flatMap(([file, content]) => goModDeps(file, content))
    .filter((d) => goRules(cfg, d).enabled);
}

/** go.sum beside a go.mod: `go get` rewrites its lines for a module whose requirement moved. */
const goSumOf = (goMod: string) => goMod.replace(/go\.mod$/, "go.sum");

/** Bumps one chart in the given contents the way doAutoReplace does, one dependency after the other. */
function bump(
  deps: Dep[],
  contents: Map<string, string>,
  chart: string,
  newValue: string,
): Map<string, string> {
  const next = new Map(contents);
  for (const dep of deps.filter((d) => d.chart === chart)) {
    const existing = next.get(dep.file)!;
    const at = existing.indexOf(dep.replaceString);
    if (at === -1) continue; // "Cannot find replaceString in current file content. Was it already updated?"
    const replaced = dep.replaceString.split(dep.currentValue).join(newValue);
    next.set(dep.file, existing.slice(0, at) + replaced + existing.slice(at + dep.replaceString.length));
  }
  return next;
}

describe("chart pins and Renovate", () => {
  const files = repoFiles();
  const contents = contentsOf(files);
  const cfg = config();
  const deps = extractAll(cfg, contents);
  const goDeps = goDepsAll(cfg, contents);
  /** The CLI's places in go.mod files: the modules the e2e's CLI is built from. */
  const cliGoDeps = goDeps.filter((d) => CLI_MODULES.includes(d.depName));

  it("uses only what this test models of Renovate", () => {
    // ignorePaths replaces config:recommended's (it is not mergeable), which would skip test/ and examples/.
    assert.deepStrictEqual(cfg.ignorePaths, ["**/node_modules/**"]);
    for (const m of cfg.customManagers) {
      assert.strictEqual(m.customType, "regex");
      assert.strictEqual(m.matchStringsStrategy, undefined, "the default strategy, any");
      for (const p of m.managerFilePatterns) filePattern(p);
      for (const s of m.matchStrings) {
        assert.ok(!/\(\?<?[=!]|\\[1-9]/.test(s), `RE2 has no lookaround or backreference: ${s}`);
        assert.match(s, /\(\?<currentValue>/);
        assert.ok(new RegExp(s, "g").global);
      }
    }
    const modelled = ["description", "matchManagers", "matchFileNames", "matchDepNames", "matchDepTypes"];
    for (const rule of cfg.packageRules) {
      for (const p of rule.matchFileNames ?? [])
        assert.match(p, /^[\w./-]+(\/\*\*)?$/, "an exact path or dir/**");
      if (!rule.matchManagers?.includes("gomod")) continue;
      const known = [...modelled, "groupName", "enabled", "postUpdateOptions"];
      for (const key of Object.keys(rule))
        assert.ok(known.includes(key), `gomod rule: ${key} is not modelled`);
    }
  });

  it("looks each chart up where it is published", () => {
    for (const m of cfg.customManagers) {
      const lookup = LOOKUP[m.depNameTemplate];
      assert.ok(lookup !== undefined, `manager for unknown chart '${m.depNameTemplate}'`);
      for (const [key, value] of Object.entries(lookup)) {
        assert.strictEqual(m[key as keyof Manager], value, `${m.depNameTemplate} ${key}`);
      }
    }
  });

  it("finds each chart's version in the constant, Pulumi.yaml, the README, the config docs and the tests", () => {
    for (const chart of Object.keys(CHARTS)) {
      const where = new Set(deps.filter((d) => d.chart === chart).map((d) => d.file));
      const files = [
        "stacks/defaults.ts",
        "Pulumi.yaml",
        "README.md",
        "docs/configuration.md",
        "test/platform.test.ts",
      ];
      for (const file of files) {
        assert.ok(where.has(file), `${chart}: no manager finds its version in ${file}`);
      }
    }
  });

  it("has no manager that finds nothing, so a reworded place cannot slip out unnoticed", () => {
    for (const m of cfg.customManagers) {
      for (const s of m.matchStrings) {
        const found = deps.filter((d) => d.manager === m && new RegExp(s).test(d.replaceString));
        assert.ok(found.length > 0, `${m.depNameTemplate}: matchString finds nothing: ${s}`);
      }
    }
  });

  it("pins each chart to one version everywhere, the one stacks/defaults.ts and Pulumi.yaml declare", () => {
    const project = readProjectFile().config;
    assert.strictEqual(project.argocdChartVersion.default, ARGOCD_CHART_VERSION);
    assert.strictEqual(project.atlasOperatorChartVersion.default, ATLAS_OPERATOR_CHART_VERSION);
    for (const dep of deps) {
      assert.strictEqual(
        dep.currentValue,
        PINS[dep.chart],
        `${dep.file}: ${dep.chart} at '${dep.replaceString}'`,
      );
    }
  });

  it("gives every mention of a pinned version to a manager, or lists its file as read at that version", () => {
    const unowned: string[] = [];
    for (const [chart, version] of Object.entries(PINS)) {
      for (const [file, content] of contents) {
        if (file === SELF || READ_AT_VERSION[chart].includes(file)) continue;
        const spans = [
          ...deps
            .filter((d) => d.file === file && d.chart === chart)
            .map((d) => ({ start: d.start, length: d.replaceString.length })),
          ...(chart === CLI ? cliSpans(file, content) : []),
        ];
        for (const at of mentions(content, version)) {
          const owned = spans.some((d) => at >= d.start && at < d.start + d.length);
          if (!owned) unowned.push(`${file}:${content.slice(0, at).split("\n").length} ${chart} ${version}`);
        }
      }
    }
    assert.deepStrictEqual(unowned, [], "add a matchString to renovate.json, or the file to READ_AT_VERSION");
  });

  it("flags files with facts read at a chart version for a re-read once the pin moves", () => {
    for (const [chart, listed] of Object.entries(READ_AT_VERSION)) {
      for (const file of listed) {
        assert.ok(contents.has(file), `${file} is gone: drop it from READ_AT_VERSION`);
        assert.ok(
          mentions(contents.get(file)!, PINS[chart]).length > 0,
          `${file} records facts read at another ${chart} version than the pinned ${PINS[chart]}: read the ` +
            `upstream source at the pinned version, update the facts and the version they name`,
        );
      }
    }
  });

  it("names, beside the argo-cd pin, the Argo CD version that chart ships", () => {
    const app = ARGOCD_APP_VERSIONS[ARGOCD_CHART_VERSION];
    assert.ok(
      app !== undefined,
      `which Argo CD does argo-cd ${ARGOCD_CHART_VERSION} ship? Add its Chart.yaml appVersion to ` +
        `ARGOCD_APP_VERSIONS in ${SELF} and update the 'Argo CD v…' beside each pin`,
    );
    let seen = 0;
    for (const dep of deps.filter((d) => d.chart === "argo-cd")) {
      const content = contents.get(dep.file)!;
      const lineStart = content.lastIndexOf("\n", dep.start) + 1;
      const lineEnd = content.indexOf("\n", dep.start + dep.replaceString.length);
      for (const m of content
        .slice(lineStart, lineEnd === -1 ? undefined : lineEnd)
        .matchAll(/\bv(\d+\.\d+\.\d+)\b/g)) {
        assert.strictEqual(m[1], app, `${dep.file}: '${m[0]}' beside argo-cd ${ARGOCD_CHART_VERSION}`);
        seen++;
      }
    }
    assert.ok(seen >= 3, "the Argo CD version is named beside the pin");
  });

  it("runs in the e2e an Argo CD whose minor is within one of the chart's, and bumps both in one pull request", () => {
    const dep = goDeps.find(
      (d) => d.file === "toolchain/argocd/go.mod" && d.depName === "github.com/argoproj/argo-cd/v3",
    );
    assert.ok(dep !== undefined, "Renovate does not update the e2e's Argo CD");
    const [chartMajor, chartMinor] = ARGOCD_APP_VERSIONS[ARGOCD_CHART_VERSION].split(".").map(Number);
    const [e2eMajor, e2eMinor] = dep.currentValue.replace(/^v/, "").split(".").map(Number);
    assert.strictEqual(e2eMajor, chartMajor, `e2e Argo CD ${dep.currentValue}, chart's v${chartMajor}`);
    assert.ok(
      Math.abs(e2eMinor - chartMinor) <= 1,
      `the e2e runs Argo CD ${dep.currentValue}, argo-cd ${ARGOCD_CHART_VERSION} ships ` +
        `v${ARGOCD_APP_VERSIONS[ARGOCD_CHART_VERSION]}: move toolchain/argocd to a version within one minor`,
    );
    const chartGroup = cfg.packageRules.find((r) => r.matchDepNames?.includes("argo-cd") && r.groupName);
    assert.strictEqual(goRules(cfg, dep).groupName, chartGroup?.groupName);
  });

  it("keeps the places of a chart apart, so bumping one never skips another", () => {
    const byFile = new Map<string, Dep[]>();
    for (const d of deps) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
    for (const [file, list] of byFile) {
      const sorted = [...list].sort((a, b) => a.start - b.start);
      for (let i = 1; i < sorted.length; i++) {
        const prev = sorted[i - 1];
        assert.ok(prev.start + prev.replaceString.length <= sorted[i].start, `${file}: matches overlap`);
      }
    }
  });

  /** The CLI's go.mod lines, and the go.sum lines `go get` rewrites beside them. */
  function cliSpans(file: string, content: string): { start: number; length: number }[] {
    const own = cliGoDeps
      .filter((d) => d.file === file)
      .map((d) => ({ start: d.start, length: d.line.length }));
    const sumOf = cliGoDeps.filter((d) => goSumOf(d.file) === file);
    let offset = 0;
    for (const line of content.split("\n")) {
      if (sumOf.some((d) => line.startsWith(`${d.depName} ${d.currentValue}`))) {
        own.push({ start: offset, length: line.length });
      }
      offset += line.length + 1;
    }
    return own;
  }

  /**
   * The gomod manager's update of the CLI modules: the version on each dependency's line, then the artifact update,
   * where `go get` writes go.sum lines for the new version in place of the old ones (here: the same lines renamed).
   */
  function bumpGo(from: Map<string, string>, newValue: string): Map<string, string> {
    const next = new Map(from);
    for (const dep of cliGoDeps) {
      const bumpedLine = dep.line.replace(dep.currentValue, `v${newValue}`);
      next.set(dep.file, next.get(dep.file)!.replace(dep.line, bumpedLine));
      const sum = goSumOf(dep.file);
      const old = `${dep.depName} ${dep.currentValue}`;
      next.set(
        sum,
        next
          .get(sum)!
          .split("\n")
          .map((l) =>
            l.startsWith(`${old} `) || l.startsWith(`${old}/`)
              ? l.replace(old, `${dep.depName} v${newValue}`)
              : l,
          )
          .join("\n"),
      );
    }
    return next;
  }

  for (const chart of Object.keys(PINS)) {
    it(`rewrites every ${chart} pin in one bump and leaves the old version nowhere Renovate owns`, () => {
      const newValue = "98.76.54";
      const regexBumped = bump(deps, contents, chart, newValue);
      const bumped = chart === CLI ? bumpGo(regexBumped, newValue) : regexBumped;
      const after = extractAll(cfg, bumped).filter((d) => d.chart === chart);
      assert.strictEqual(
        after.length,
        deps.filter((d) => d.chart === chart).length,
        "every place still found",
      );
      assert.deepStrictEqual([...new Set(after.map((d) => d.currentValue))], [newValue]);
      for (const [file, content] of bumped) {
        if (file === SELF || READ_AT_VERSION[chart].includes(file)) continue;
        assert.deepStrictEqual(
          mentions(content, PINS[chart]),
          [],
          `${file} still names ${chart} ${PINS[chart]}`,
        );
      }
    });

    it(`puts every ${chart} place in one pull request`, () => {
      // Renovate makes one branch per group; every place has the same lookup, so all get the same new version.
      const groups = cfg.packageRules.filter(
        (r) => r.groupName !== undefined && r.matchDepNames?.includes(chart),
      );
      assert.strictEqual(groups.length, 1, `one group for ${chart}`);
      assert.deepStrictEqual(groups[0].matchManagers, ["custom.regex"]);
      if (chart === CLI) {
        // The e2e's CLI: a go module, looked up on the Go module proxy, whose versions are the release tags.
        assert.deepStrictEqual(cliGoDeps.map((d) => d.depName).sort(), CLI_MODULES);
        for (const dep of cliGoDeps) {
          assert.strictEqual(goRules(cfg, dep).groupName, groups[0].groupName, `${dep.file}: ${dep.depName}`);
        }
      }
      const managers = cfg.customManagers.filter((m) => m.depNameTemplate === chart);
      const lookups = new Set(
        managers.map((m) =>
          JSON.stringify([m.datasourceTemplate, m.packageNameTemplate, m.registryUrlTemplate]),
        ),
      );
      assert.strictEqual(lookups.size, 1, "every place looks the chart up the same way");
    });
  }

  it("pins the Pulumi CLI in every pulumi/actions step to the version the CLI model was read from", () => {
    const workflows = files.filter((f) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(f));
    assert.ok(workflows.length >= 2);
    let steps = 0;
    for (const file of workflows) {
      const jobs = (parseDocument(contents.get(file)!).toJS() as { jobs: Record<string, { steps: Step[] }> })
        .jobs;
      for (const step of Object.values(jobs).flatMap((j) => j.steps)) {
        if (!/^pulumi\/actions@/.test(step.uses ?? "")) continue;
        steps++;
        assert.strictEqual(step.with?.["pulumi-version"], MODELLED_CLI_VERSION, `${file}: ${step.uses}`);
      }
    }
    assert.ok(steps >= 3, "the preview job and both deploy jobs install the CLI");
    // Each workflow's pin is Renovate's, in the CLI's group, so one pull request moves the model and CI together.
    const cli = deps.filter((d) => d.chart === CLI);
    for (const file of [...workflows, "test/support/pulumi-cli.ts"]) {
      assert.ok(
        cli.some((d) => d.file === file),
        `no manager finds the Pulumi CLI version in ${file}`,
      );
    }
    assert.ok(!MODELLED_CLI_VERSION.startsWith("v"), "written as the workflows write it");
    // And the CLI the e2e builds: pkg/v3 and the sdk/v3 it needs, both at the modelled version.
    for (const dep of cliGoDeps) {
      assert.strictEqual(dep.file, "toolchain/pulumi/go.mod");
      assert.strictEqual(dep.currentValue, `v${MODELLED_CLI_VERSION}`, dep.depName);
    }
  });

  it("bumps the e2e toolchain's modules in one pull request, and nothing else in toolchain/ on its own", () => {
    const inToolchain = goDeps.filter((d) => d.file.startsWith("toolchain/"));
    for (const [component, module] of Object.entries(TOOLCHAIN_MODULES)) {
      const dep = inToolchain.find((d) => d.file === `toolchain/${component}/go.mod` && d.depName === module);
      assert.ok(dep !== undefined, `Renovate does not update ${module} in toolchain/${component}/go.mod`);
      // Argo CD moves with the chart that ships it (the test above).
      const group = component === "argocd" ? "argo-cd chart" : "e2e toolchain";
      assert.strictEqual(goRules(cfg, dep).groupName, group, module);
    }
    for (const dep of inToolchain) {
      const { groupName, tidy } = goRules(cfg, dep);
      const where = `${dep.file}: ${dep.depType} ${dep.depName}`;
      assert.ok(
        groupName === "e2e toolchain" ||
          groupName === "Pulumi CLI" ||
          (groupName === "argo-cd chart" && dep.depName === TOOLCHAIN_MODULES.argocd),
        `${where} would get a pull request alone`,
      );
      assert.ok(tidy, `${where}: go mod tidy keeps go.sum and the indirect requirements in step`);
      assert.ok(
        !["golang", "toolchain"].includes(dep.depType),
        `${where}: the go directive follows the modules`,
      );
      // Argo CD's replaces are its own go.mod's; Kubernetes' staging modules move with k8s.io/kubernetes.
      if (dep.depType === "replace") assert.strictEqual(dep.file, "toolchain/kubernetes/go.mod", where);
    }
    const group = cfg.packageRules.find((r) => r.groupName === "e2e toolchain");
    assert.match(group?.description ?? "", /serves only some versions/);
    assert.match(group?.description ?? "", /`go list -m -json PATH@VERSION`/);
  });

  it("keeps @pulumi/pulumi below 3.249, which needs Node 22, in both package.json files", () => {
    const rule = cfg.packageRules.find((r) => r.matchPackageNames?.includes("@pulumi/pulumi"));
    assert.ok(rule !== undefined);
    assert.strictEqual(rule.allowedVersions, "<3.249.0");
    assert.match(rule.description ?? "", /Node 22/);
    const root = JSON.parse(read("package.json"));
    assert.match(root.engines.node, /^>=20\./, "revisit the rule when the project moves to Node 22");
    for (const file of ["package.json", "policy/package.json"]) {
      const version = JSON.parse(read(file)).dependencies["@pulumi/pulumi"] as string;
      const [major, minor] = version.split(".").map(Number);
      assert.ok(major === 3 && minor < 249, `${file}: @pulumi/pulumi ${version}`);
    }
  });
});
