/**
 * The e2e toolchain's pins hold: each Go module under toolchain/ requires the version of what it builds that the
 * e2e was run with (the only ones the module proxy here serves: ../shared/reference/notes/e2e-toolchain.md), the
 * Pulumi CLI it builds is the one the CLI model and the workflows name, build.sh builds exactly the `tool`
 * packages, and each build is reproducible from the repository alone (go.sum complete, no local replaces).
 */
import * as assert from "assert";
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseDocument } from "yaml";
import { MODELLED_CLI_VERSION, REPO_ROOT } from "./support/pulumi-cli";

const TOOLCHAIN = path.join(REPO_ROOT, "toolchain");

/** What each toolchain/<component>/go.mod builds from, at the version the e2e runs. */
const PINNED: Record<string, { readonly module: string; readonly version: string }> = {
  pulumi: { module: "github.com/pulumi/pulumi/pkg/v3", version: `v${MODELLED_CLI_VERSION}` },
  // The one version of the provider module the proxy serves: a pseudo-version of the v4.25.0 tag's commit.
  "kubernetes-provider": {
    module: "github.com/pulumi/pulumi-kubernetes/provider/v4",
    version: "v4.0.0-20260115033456-f47bc2d6f199",
  },
  kubernetes: { module: "k8s.io/kubernetes", version: "v1.34.4" },
  argocd: { module: "github.com/argoproj/argo-cd/v3", version: "v3.5.3" },
  // 3.6, as Kubernetes 1.34 is released with; Debian's 3.4 cannot serve the watch-list streams kwok asks for.
  etcd: { module: "go.etcd.io/etcd/server/v3", version: "v3.6.16" },
  kwok: { module: "sigs.k8s.io/kwok", version: "v0.8.0" },
  kustomize: { module: "sigs.k8s.io/kustomize/kustomize/v5", version: "v5.8.1" },
};

/** k8s.io/kubernetes v1.34.4's go.mod: every module it replaces with `=> ./staging/src/<module>`. */
const STAGING_MODULES = [
  "api",
  "apiextensions-apiserver",
  "apimachinery",
  "apiserver",
  "cli-runtime",
  "client-go",
  "cloud-provider",
  "cluster-bootstrap",
  "code-generator",
  "component-base",
  "component-helpers",
  "controller-manager",
  "cri-api",
  "cri-client",
  "csi-translation-lib",
  "dynamic-resource-allocation",
  "endpointslice",
  "externaljwt",
  "kms",
  "kube-aggregator",
  "kube-controller-manager",
  "kube-proxy",
  "kube-scheduler",
  "kubectl",
  "kubelet",
  "metrics",
  "mount-utils",
  "pod-security-admission",
  "sample-apiserver",
  "sample-cli-plugin",
  "sample-controller",
].map((m) => `k8s.io/${m}`);

interface GoMod {
  readonly requires: ReadonlyMap<string, string>;
  readonly replaces: readonly { readonly from: string; readonly to: string; readonly version?: string }[];
  readonly tools: readonly string[];
}

/** The directives of a go.mod this test reads: require, replace and tool, single-line or in a block. */
function parseGoMod(text: string): GoMod {
  const requires = new Map<string, string>();
  const replaces: { from: string; to: string; version?: string }[] = [];
  const tools: string[] = [];
  let block: string | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\/\/.*$/, "").trim();
    if (line === "") continue;
    if (block !== undefined && line === ")") {
      block = undefined;
      continue;
    }
    const open = /^(require|replace|tool|exclude|retract|godebug) \($/.exec(line);
    if (open) {
      block = open[1];
      continue;
    }
    const single = /^(require|replace|tool|exclude|retract) (.*)$/.exec(line);
    const [directive, rest] = block !== undefined ? [block, line] : single ? [single[1], single[2]] : [];
    if (directive === "require") {
      const [module, version] = rest!.split(/\s+/);
      requires.set(module, version);
    } else if (directive === "replace") {
      const m = /^(\S+)(?: \S+)? => (\S+)(?: (\S+))?$/.exec(rest!);
      assert.ok(m !== null, `unreadable replace: ${rest}`);
      replaces.push({ from: m[1], to: m[2], version: m[3] });
    } else if (directive === "tool") tools.push(rest!);
  }
  return { requires, replaces, tools };
}

const components = fs
  .readdirSync(TOOLCHAIN, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const goMod = (component: string) =>
  parseGoMod(fs.readFileSync(path.join(TOOLCHAIN, component, "go.mod"), "utf8"));

/** The packages build.sh builds, by component: the PACKAGE of each PACKAGE=NAME argument of its `component` calls. */
function builtPackages(): Map<string, string[]> {
  const script = fs.readFileSync(path.join(TOOLCHAIN, "build.sh"), "utf8").replace(/\\\n\s*/g, " ");
  const built = new Map<string, string[]>();
  for (const call of script.matchAll(/^\s*component ([\w-]+) "[^"]*" (.*)$/gm)) {
    const packages = [...call[2].matchAll(/(?:^|\s)([\w./-]+)=[\w-]+(?=\s|$)/g)].map((m) => m[1]);
    built.set(call[1], [...(built.get(call[1]) ?? []), ...packages]);
  }
  return built;
}

describe("e2e toolchain pins", () => {
  it("has a go.mod for each component it pins, and pins each component it has", () => {
    assert.deepStrictEqual(components, Object.keys(PINNED).sort());
  });

  for (const [component, { module, version }] of Object.entries(PINNED)) {
    it(`requires ${module} ${version} in toolchain/${component}/go.mod`, () => {
      assert.strictEqual(goMod(component).requires.get(module), version);
    });
  }

  it("builds the Pulumi CLI the CLI model was read from and every workflow installs", () => {
    const pkg = goMod("pulumi").requires;
    assert.strictEqual(pkg.get("github.com/pulumi/pulumi/pkg/v3"), `v${MODELLED_CLI_VERSION}`);
    // The SDK module is the CLI's too (the version string, the config code): the same release.
    assert.strictEqual(pkg.get("github.com/pulumi/pulumi/sdk/v3"), `v${MODELLED_CLI_VERSION}`);
    const workflows = fs
      .readdirSync(path.join(REPO_ROOT, ".github", "workflows"))
      .filter((f) => /\.ya?ml$/.test(f));
    const installed = workflows.flatMap((f) => {
      const doc = parseDocument(fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", f), "utf8"));
      const jobs = (doc.toJS() as { jobs: Record<string, { steps?: { uses?: string; with?: object }[] }> })
        .jobs;
      return Object.values(jobs)
        .flatMap((j) => j.steps ?? [])
        .filter((s) => /^pulumi\/actions@/.test(s.uses ?? ""))
        .map((s) => String((s.with as Record<string, unknown> | undefined)?.["pulumi-version"]));
    });
    assert.ok(installed.length >= 3, "the preview job and both deploy jobs install the CLI");
    assert.deepStrictEqual([...new Set(installed)], [MODELLED_CLI_VERSION]);
  });

  it("names the provider version build.sh stamps as the tag the pinned pseudo-version is", () => {
    const script = fs.readFileSync(path.join(TOOLCHAIN, "build.sh"), "utf8");
    assert.match(script, /^\s*export KUBERNETES_PROVIDER_VERSION=4\.25\.0$/m);
    assert.match(fs.readFileSync(path.join(TOOLCHAIN, "kubernetes-provider", "go.mod"), "utf8"), /v4\.25\.0/);
  });

  it("builds every `tool` package with build.sh, and build.sh builds nothing else from a dependency", () => {
    const built = builtPackages();
    assert.deepStrictEqual([...built.keys()].sort(), components);
    for (const component of components) {
      const tools = goMod(component).tools;
      for (const tool of tools) {
        assert.ok(built.get(component)!.includes(tool), `build.sh does not build ${tool} (${component})`);
      }
      // `.` is the component's own main package (kubernetes-provider); anything else must be a tool of the module.
      for (const pkg of built.get(component)!.filter((p) => p !== ".")) {
        assert.ok(tools.includes(pkg), `toolchain/${component}/go.mod has no tool line for ${pkg}`);
      }
    }
  });

  for (const component of Object.keys(PINNED)) {
    it(`has a go.sum beside toolchain/${component}/go.mod with a hash for every required module`, () => {
      const sum = path.join(TOOLCHAIN, component, "go.sum");
      assert.ok(fs.existsSync(sum), `${sum} is missing`);
      const hashes = new Set(
        fs
          .readFileSync(sum, "utf8")
          .split("\n")
          .filter((l) => / h1:[A-Za-z0-9+/]+=*$/.test(l))
          .map((l) => l.split(" ").slice(0, 2).join(" ")),
      );
      const { requires, replaces } = goMod(component);
      const missing: string[] = [];
      for (const [module, version] of requires) {
        // A replaced module is fetched (and hashed) as its replacement.
        const r = replaces.find((x) => x.from === module);
        const [m, v] = r?.version !== undefined ? [r.to, r.version] : [module, version];
        if (!hashes.has(`${m} ${v}/go.mod`)) missing.push(`${m} ${v}/go.mod`);
      }
      assert.deepStrictEqual(missing, []);
      const { module, version } = PINNED[component];
      assert.ok(hashes.has(`${module} ${version}`), `no hash of ${module} ${version}'s source`);
    });
  }

  it("replaces each Kubernetes staging module with its published release of the same minor", () => {
    const { requires, replaces } = goMod("kubernetes");
    const kubernetes = /^v1\.(\d+)\.(\d+)$/.exec(requires.get("k8s.io/kubernetes")!);
    assert.ok(kubernetes !== null);
    const staging = `v0.${kubernetes[1]}.${kubernetes[2]}`;
    for (const r of replaces) assert.deepStrictEqual([r.to, r.version], [r.from, staging], r.from);
    assert.deepStrictEqual(replaces.map((r) => r.from).sort(), [...STAGING_MODULES].sort());
  });

  it("lists the staging modules k8s.io/kubernetes' own go.mod replaces, when the module cache holds it", function () {
    const version = goMod("kubernetes").requires.get("k8s.io/kubernetes")!;
    const cache =
      process.env.GOMODCACHE ?? path.join(process.env.GOPATH ?? path.join(os.homedir(), "go"), "pkg", "mod");
    const upstream = path.join(cache, "cache", "download", "k8s.io", "kubernetes", "@v", `${version}.mod`);
    if (!fs.existsSync(upstream)) this.skip();
    const listed = [...fs.readFileSync(upstream, "utf8").matchAll(/^\s*(k8s\.io\/\S+) => \.\/staging\//gm)];
    assert.deepStrictEqual(listed.map((m) => m[1]).sort(), [...STAGING_MODULES].sort());
  });

  it("replaces nothing with a local path, so a clean clone builds from the module proxy alone", () => {
    for (const component of components) {
      for (const r of goMod(component).replaces) {
        assert.ok(
          r.version !== undefined && !/^[./]/.test(r.to),
          `toolchain/${component}: ${r.from} => ${r.to}`,
        );
      }
    }
  });
});

/**
 * build.sh's failure paths, tried without a real build: a `go` first on PATH that hands every command to the
 * real one but `go build`, which it makes fail, produce nothing, or produce a binary that does not run.
 */
describe("toolchain/build.sh when a build goes wrong", function () {
  this.timeout(60_000);
  const realGo = execFileSync("bash", ["-c", "command -v go"], { encoding: "utf8" }).trim();
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "atlas-gitops-build-test-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /**
   * Runs `build.sh <component>` with a fake `go build` (a shell snippet, $out the -o path) and, if given, a
   * snippet run first for every other go command; the result.
   */
  function buildWith(
    fakeBuild: string,
    component = "kustomize",
    fakeOther = "",
  ): { status: number | null; stderr: string; cache: string } {
    const fakeBin = path.join(dir, "fake-bin");
    const cache = path.join(dir, "cache");
    fs.mkdirSync(fakeBin);
    fs.writeFileSync(
      path.join(fakeBin, "go"),
      [
        "#!/bin/sh",
        'if [ "$1" = build ]; then',
        '  out=""; prev=""',
        '  for a in "$@"; do [ "$prev" = -o ] && out=$a; prev=$a; done',
        `  ${fakeBuild}`,
        "fi",
        fakeOther,
        `exec '${realGo}' "$@"`,
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    const run = spawnSync("bash", [path.join(TOOLCHAIN, "build.sh"), component], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH}`, ATLAS_GITOPS_TOOLCHAIN: cache },
    });
    return { status: run.status, stderr: run.stderr, cache };
  }

  /** Every file or directory under the cache that marks something built: a .complete or a link directory. */
  function marked(cache: string): string[] {
    if (!fs.existsSync(cache)) return [];
    return fs
      .readdirSync(cache, { recursive: true, encoding: "utf8" })
      .filter((f) => path.basename(f) === ".complete" || /^\.?bin-/.test(f));
  }

  it("stops at a failing `go build`, names the component, the command and its output, and marks nothing", () => {
    const { status, stderr, cache } = buildWith('echo "fake go: build refused" >&2; exit 3');
    assert.notStrictEqual(status, 0);
    assert.match(stderr, /FAILED: kustomize: eval go build .*sigs\.k8s\.io\/kustomize\/kustomize\/v5/);
    assert.match(stderr, /fake go: build refused/);
    assert.match(stderr, /the whole output is in .*build\.log/);
    assert.deepStrictEqual(marked(cache), []);
  });

  it("refuses a build that succeeds without producing the binary", () => {
    const { status, stderr, cache } = buildWith("exit 0");
    assert.notStrictEqual(status, 0);
    assert.match(stderr, /FAILED: kustomize: go build produced no .*\/bin\/kustomize/);
    assert.deepStrictEqual(marked(cache), []);
  });

  it("refuses a binary that does not run", () => {
    const { status, stderr, cache } = buildWith(
      `printf '#!/bin/sh\\necho "cannot execute" >&2\\nexit 126\\n' > "$out"; chmod +x "$out"; exit 0`,
    );
    assert.notStrictEqual(status, 0);
    assert.match(stderr, /FAILED: kustomize: .*\/bin\/kustomize version/);
    assert.match(stderr, /cannot execute/);
    assert.deepStrictEqual(marked(cache), []);
  });

  it("marks a component built once its binary runs, and builds nothing the next time", () => {
    const fake = `printf '#!/bin/sh\\necho v5.8.1\\n' > "$out"; chmod +x "$out"; exit 0`;
    const first = buildWith(fake);
    assert.strictEqual(first.status, 0, first.stderr);
    assert.match(first.stderr, /kustomize: kustomize: v5\.8\.1/);
    assert.strictEqual(marked(first.cache).filter((f) => f.endsWith(".complete")).length, 1);
    fs.rmSync(path.join(dir, "fake-bin"), { recursive: true });
    const second = buildWith('echo "fake go: must not build again" >&2; exit 3');
    assert.strictEqual(second.status, 0, second.stderr);
    assert.doesNotMatch(second.stderr, /building kustomize/);
  });

  it("stops when a module it needs the source of is not in the module cache (the cold-cache fault)", () => {
    // What `go list -m -f '{{.Dir}}'` does on a cold cache: prints nothing and succeeds.
    const { status, stderr, cache } = buildWith(
      'echo "fake go: no build expected" >&2; exit 3',
      "kubernetes-provider",
      [
        'if [ "$1" = mod ] && [ "$2" = download ]; then exit 0; fi',
        'case "$*" in "list -m -f {{.Dir}} "*) echo; exit 0 ;; esac',
      ].join("\n"),
    );
    assert.notStrictEqual(status, 0);
    assert.match(
      stderr,
      /FAILED: kubernetes-provider: the module cache has no directory for github\.com\/pulumi\/pulumi-kubernetes\/provider\/v4/,
    );
    assert.doesNotMatch(stderr, /no build expected/);
    assert.deepStrictEqual(marked(cache), []);
  });

  it("lets one build at a time use a cache: a second waits and then finds the component built", async () => {
    const fakeBin = path.join(dir, "fake-bin");
    const cache = path.join(dir, "cache");
    fs.mkdirSync(fakeBin);
    fs.writeFileSync(
      path.join(fakeBin, "go"),
      [
        "#!/bin/sh",
        'if [ "$1" = build ]; then',
        '  out=""; prev=""',
        '  for a in "$@"; do [ "$prev" = -o ] && out=$a; prev=$a; done',
        `  sleep 2; printf '#!/bin/sh\\necho v5.8.1\\n' > "$out"; chmod +x "$out"; exit 0`,
        "fi",
        `exec '${realGo}' "$@"`,
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    const run = () =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn("bash", [path.join(TOOLCHAIN, "build.sh"), "kustomize"], {
          env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH}`, ATLAS_GITOPS_TOOLCHAIN: cache },
        });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code, stderr }));
      });
    const first = run();
    await new Promise((r) => setTimeout(r, 700));
    const results = await Promise.all([first, run()]);
    assert.deepStrictEqual(
      results.map((r) => r.code),
      [0, 0],
      results.map((r) => r.stderr).join("\n"),
    );
    assert.strictEqual(results.filter((r) => /building kustomize/.test(r.stderr)).length, 1);
    assert.match(results[1].stderr, /another build\.sh is using .*; waiting for it to finish/);
    assert.strictEqual(marked(cache).filter((f) => f.endsWith(".complete")).length, 1);
  });

  it("refuses a component it does not have, at once even while another build holds the cache", () => {
    const cache = path.join(dir, "locked-cache");
    fs.mkdirSync(cache);
    // Another build.sh at work: its lock on the cache held for longer than this test may take.
    const holder = spawn("flock", [path.join(cache, ".lock"), "sleep", "30"], { stdio: "ignore" });
    try {
      spawnSync("sleep", ["0.3"]);
      const run = spawnSync("bash", [path.join(TOOLCHAIN, "build.sh"), "kustomise"], {
        encoding: "utf8",
        env: { ...process.env, ATLAS_GITOPS_TOOLCHAIN: cache },
        timeout: 10_000,
      });
      assert.strictEqual(run.status, 2, run.stderr);
      assert.match(run.stderr, /no component kustomise/);
      assert.doesNotMatch(run.stderr, /waiting for it to finish/);
    } finally {
      holder.kill();
    }
  });
});
