/**
 * The model of the Pulumi CLI (test/support/pulumi-cli.ts) against cases read from pulumi/pulumi v3.252.0, and the
 * committed Pulumi.yaml, stack files and README commands run through it. First read at v3.259.0; re-read at v3.252.0
 * (the CLI the module proxy serves for the toolchain): between the two, the code the model follows changed only in
 * form (config.go moved from sdk/go/common/workspace to pkg/workspace, io.go's ParseConfigKey was split, `ReadProject`
 * takes the working directory), so every case below holds at both. test/e2e/cli-config.e2e.ts runs the real CLI on
 * the committed files and the documentation's commands.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { useMocks } from "./support/mocks";
import {
  configSet,
  ConfigSetOptions,
  isSecure,
  loadProject,
  parseProject,
  parseStackFile,
  prepareRun,
  ProgramRun,
  Project,
  REPO_ROOT,
  StackConfig,
} from "./support/pulumi-cli";
import { configSetCommands, docCommand } from "./support/doc-commands";
import { DOC_FILES, readDoc } from "./support/docs";
import {
  committedStacks,
  effectiveStackConfig,
  readStackConfig,
  stackRun,
  TEMPLATE_STACKS,
} from "./support/stack-files";
import { loadStackConfig } from "../stacks/config";
import { PROJECT, SECRET_KEYS } from "../stacks/defaults";

const PROJECT_YAML = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8");

/** A small project with the key shapes this program uses, declared the way Pulumi.yaml declares them. */
const TOY = parseProject(`name: toy
config:
  repoURL:
    type: string
  dbPort:
    type: integer
    default: 3306
  syncPrune:
    type: boolean
    default: true
  labels:
    type: object
    default: {}
  applications:
    type: array
    items:
      type: object
    default: []
`);
const toyStack = (yaml = "config: {}") => parseStackFile(yaml, "toy");
const withRepo = (yaml: string) => toyStack(`config:\n  toy:repoURL: https://example.com/repo\n${yaml}`);

function cliError(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail("expected the Pulumi CLI to refuse");
}

const set = (stack: StackConfig, ...calls: [string, string, ConfigSetOptions?][]) =>
  calls.reduce((s, [key, value, opts]) => configSet(s, key, value, opts), stack);

describe("Pulumi CLI model", () => {
  describe("Pulumi.yaml (LoadProjectBytes, Project.Validate, ValidateConfigValue)", () => {
    it("rejects an array key without items", () => {
      assert.strictEqual(
        cliError(() => parseProject("name: p\nconfig:\n  apps:\n    type: array\n    default: []\n")),
        "could not unmarshal 'Pulumi.yaml': The configuration key 'apps' declares an array but does not specify " +
          "the underlying type via the 'items' attribute",
      );
    });

    for (const [type, defaultYaml, shown] of [
      ["integer", '"3306.0"', "integer"],
      ["boolean", '"True"', "boolean"],
      ["string", "3306", "string"],
      ["array\n    items:\n      type: object", "[1]", "array<object>"],
      ["object", "[]", "object"],
    ]) {
      it(`rejects a default that is not of type ${shown}`, () => {
        assert.strictEqual(
          cliError(() =>
            parseProject(`name: p\nconfig:\n  k:\n    type: ${type}\n    default: ${defaultYaml}\n`),
          ),
          `could not unmarshal 'Pulumi.yaml': The default value specified for configuration key 'k' is not of the expected type '${shown}'`,
        );
      });
    }

    it("accepts integer and boolean defaults written as YAML scalars or as their strings", () => {
      const p = parseProject(
        'name: p\nconfig:\n  a: {type: integer, default: "-7"}\n  b: {type: boolean, default: "false"}\n',
      );
      assert.deepStrictEqual(Object.keys(p.config), ["a", "b"]);
    });

    it("reads a bare `key: value` as the key's default, and another namespace's as its value", () => {
      const p = parseProject("name: p\nconfig:\n  region: eu\n  aws:region: us-west-2\n");
      assert.deepStrictEqual(p.config, { region: { default: "eu" }, "aws:region": { value: "us-west-2" } });
    });

    it("refuses a type on another namespace's key and an attribute the schema does not know", () => {
      assert.match(
        cliError(() => parseProject("name: p\nconfig:\n  aws:region:\n    type: string\n    value: x\n")),
        /Configuration key 'aws:region' is not namespaced by the project and should not define a type$/,
      );
      assert.match(
        cliError(() => parseProject("name: p\nconfig:\n  k:\n    type: string\n    secert: true\n")),
        /^could not validate 'Pulumi.yaml': #\/config\/k: additional properties 'secert' not allowed/,
      );
    });

    it("loads the committed Pulumi.yaml", () => {
      assert.strictEqual(loadProject().name, PROJECT);
    });
  });

  describe("stack files (LoadProjectStackBytes, config.Value)", () => {
    it("reads `secure:` as encrypted, scalars as strings, lists and maps as object values and null as empty", () => {
      const s = parseStackFile(
        "config:\n  toy:token:\n    secure: AAABAbc=\n  port: 3306\n  flag: true\n  list: [1, x]\n  none:\n",
        "toy",
      );
      assert.deepStrictEqual(
        [...s.values.keys()],
        ["toy:token", "toy:port", "toy:flag", "toy:list", "toy:none"],
      );
      assert.deepStrictEqual(s.values.get("toy:token"), { kind: "secure", ciphertext: "AAABAbc=" });
      assert.deepStrictEqual(s.values.get("toy:port"), { kind: "plain", text: "3306" });
      assert.deepStrictEqual(s.values.get("toy:flag"), { kind: "plain", text: "true" });
      assert.strictEqual(s.values.get("toy:list")?.kind, "object");
      assert.deepStrictEqual(s.values.get("toy:none"), { kind: "plain", text: "" });
    });

    it("refuses a key with a colon too many", () => {
      assert.match(
        cliError(() => parseStackFile("config:\n  a:b:c: x\n", "toy")),
        /could not parse a:b:c as a configuration key/,
      );
    });
  });

  describe("pulumi config set (configSetCmd.Run, config.Map.Set)", () => {
    const run = (s: StackConfig): ProgramRun => prepareRun(TOY, s, "dev");

    it("stores top-level values as strings, even true and numbers, and the program reads them as strings", () => {
      const r = run(set(withRepo(""), ["dbPort", "3307"], ["syncPrune", "false"]));
      assert.strictEqual(r.config["toy:dbPort"], "3307");
      assert.strictEqual(r.config["toy:syncPrune"], "false");
    });

    it("builds a list of objects with --path, turning integers and booleans into JSON numbers and booleans", () => {
      const r = run(
        set(
          withRepo(""),
          ["applications[0].name", "shop", { path: true }],
          ["applications[0].dbPort", "5432", { path: true }],
          ["applications[0].prune", "false", { path: true }],
          ["applications[0].tag", "0123", { path: true }],
          ["applications[0].offset", "-5", { path: true }],
          ["applications[0].ratio", "1.5", { path: true }],
          ["applications[1].name", "blog", { path: true }],
        ),
      );
      assert.strictEqual(
        r.config["toy:applications"],
        '[{"dbPort":5432,"name":"shop","offset":-5,"prune":false,"ratio":"1.5","tag":"0123"},{"name":"blog"}]',
      );
    });

    it("fills the gap with null when --path starts a missing list at index 1, which the array<object> type refuses", () => {
      const s = set(withRepo(""), ["applications[1].name", "shop", { path: true }]);
      assert.deepStrictEqual(
        JSON.parse(prepareRun(TOY, s, "dev", { skipConfigValidation: true }).config["toy:applications"]),
        [null, { name: "shop" }],
      );
      assert.strictEqual(
        cliError(() => run(s)),
        "Stack 'dev' with configuration key 'applications' must be of type 'array<object>'",
      );
    });

    it("refuses an index past the end of a list and a path through a string", () => {
      const s = set(withRepo(""), ["applications[0].name", "shop", { path: true }]);
      assert.strictEqual(
        cliError(() => configSet(s, "applications[2].name", "x", { path: true })),
        "could not set config: applications[2]: array index out of range",
      );
      assert.strictEqual(
        cliError(() => configSet(s, "applications[0].name.first", "x", { path: true })),
        "could not set config: applications[0].name: expected a map",
      );
      assert.strictEqual(
        cliError(() => configSet(s, "applications[x]", "x", { path: true })),
        'could not set config: invalid config key path: invalid array index: strconv.ParseInt: parsing "x": invalid syntax',
      );
    });

    it("keeps a dotted key literal without --path", () => {
      const s = set(withRepo(""), ["a.b", "x"]);
      assert.strictEqual(run(s).config["toy:a.b"], "x");
    });

    it("marks the whole key secret when one --path item is --secret, and hands the program plaintext JSON", () => {
      const r = run(set(withRepo(""), ["applications[0].password", "hunter2", { path: true, secret: true }]));
      assert.deepStrictEqual(r.secretKeys, ["toy:applications"]);
      assert.strictEqual(r.config["toy:applications"], '[{"password":"hunter2"}]');
    });

    it("stores --type values as the type's canonical string and refuses a value the type cannot parse", () => {
      const r = run(
        set(withRepo(""), ["dbPort", "+3308", { type: "int" }], ["syncPrune", "T", { type: "bool" }]),
      );
      assert.strictEqual(r.config["toy:dbPort"], "3308");
      assert.strictEqual(r.config["toy:syncPrune"], "true");
      assert.strictEqual(
        cliError(() => configSet(withRepo(""), "dbPort", "abc", { type: "int" })),
        'strconv.Atoi: parsing "abc": invalid syntax',
      );
      assert.match(
        cliError(() => configSet(withRepo(""), "dbPort", "1", { type: "int", secret: true })),
        /\[secret type\] were all set$/,
      );
    });

    it("refuses a plaintext value that may look like a secret under a key named like one, unless --plaintext", () => {
      assert.strictEqual(
        cliError(() => configSet(withRepo(""), "tlsSecret", "argocd-example-com-tls")),
        "config value for 'toy:tlsSecret' looks like a secret; rerun with --secret to encrypt it, or --plaintext if " +
          "you meant to store in plaintext",
      );
      assert.match(
        cliError(() => configSet(withRepo(""), "applications[0].dbPassword", "s3cr3t-Value", { path: true })),
        /^config value for 'toy:applications\[0\]\.dbPassword' looks like a secret/,
      );
      // Too short to reach zxcvbn's threshold in any reading, a name that is not a secret's, or said so.
      const s = set(
        withRepo(""),
        ["dbPasswordRotation", "1"],
        ["repoToken", "abcdefg"],
        ["repoURL", "https://example.com/a-long-repository-name"],
        ["tlsSecret", "argocd-example-com-tls", { plaintext: true }],
      );
      assert.strictEqual(run(s).config["toy:tlsSecret"], "argocd-example-com-tls");
    });

    it("drops one trailing newline from a value read on standard input unless --raw", () => {
      const r = run(
        set(withRepo(""), ["key", "a\n\n", { stdin: true }], ["rawKey", "a\n", { stdin: true, raw: true }]),
      );
      assert.strictEqual(r.config["toy:key"], "a\n");
      assert.strictEqual(r.config["toy:rawKey"], "a\n");
    });
  });

  describe("preview/up/destroy (mergeConfig, validateStackConfigValue)", () => {
    it("names every missing required key in one sorted message", () => {
      const p = parseProject(
        "name: p\nconfig:\n  zeta: {type: string}\n  alpha: {type: string}\n  mid: {type: string}\n",
      );
      assert.strictEqual(
        cliError(() => prepareRun(p, parseStackFile("", "p"), "dev")),
        "Stack 'dev' is missing configuration values 'alpha', 'mid' and 'zeta'",
      );
      assert.strictEqual(
        cliError(() => prepareRun(TOY, toyStack(), "dev")),
        "Stack 'dev' is missing configuration value 'repoURL'",
      );
    });

    it("rejects a secret key whose value is plaintext or a declared default, and accepts it set with --secret", () => {
      const withDefault = parseProject(
        'name: toy\nconfig:\n  token: {type: string, secret: true, default: ""}\n',
      );
      assert.strictEqual(
        cliError(() => prepareRun(withDefault, toyStack(), "dev")),
        "Stack 'dev' with configuration key 'token' must be encrypted as it's secret",
      );
      const p = parseProject("name: toy\nconfig:\n  token: {type: string, secret: true}\n");
      assert.strictEqual(
        cliError(() => prepareRun(p, set(toyStack(), ["token", "t"]), "dev")),
        "Stack 'dev' with configuration key 'token' must be encrypted as it's secret",
      );
      assert.deepStrictEqual(
        prepareRun(p, set(toyStack(), ["token", "t", { secret: true }]), "dev").secretKeys,
        ["toy:token"],
      );
    });

    const typeCases: [string, string, boolean][] = [
      ["toy:syncPrune: 'false'", "boolean", true],
      ["toy:syncPrune: True", "boolean", true], // a YAML boolean: the file holds true, read back as "true"
      ["toy:syncPrune: 'True'", "boolean", false],
      ["toy:syncPrune: 'yes'", "boolean", false],
      ["toy:dbPort: '+3306'", "integer", true],
      ["toy:dbPort: 3306.0", "integer", true], // a YAML float, read back as "3306"
      ["toy:dbPort: '3306.0'", "integer", false],
      ["toy:dbPort: '9223372036854775808'", "integer", false],
      ["toy:labels: {team: a}", "object", true],
      ["toy:labels: '{}'", "object", false],
      ["toy:applications: [{name: a}]", "array<object>", true],
      ["toy:applications: '[]'", "array<object>", false],
      ["toy:applications: [a]", "array<object>", false],
    ];
    for (const [line, type, ok] of typeCases) {
      it(`${ok ? "accepts" : "rejects"} \`${line}\` for a key of type ${type}`, () => {
        const run = () => prepareRun(TOY, withRepo(`  ${line}\n`), "dev");
        if (ok) assert.doesNotThrow(run);
        else assert.match(cliError(run), new RegExp(`must be of type '${type}'$`));
      });
    }

    it("hands object defaults to the program as JSON text and lets undeclared keys through unchecked", () => {
      const r = prepareRun(
        TOY,
        set(withRepo(""), ["undeclared", "plain"], ["kubernetes:context", "kind"]),
        "dev",
      );
      assert.strictEqual(r.config["toy:applications"], "[]");
      assert.strictEqual(r.config["toy:labels"], "{}");
      assert.strictEqual(r.config["toy:dbPort"], "3306");
      assert.strictEqual(r.config["toy:undeclared"], "plain");
      assert.strictEqual(r.config["kubernetes:context"], "kind");
      assert.deepStrictEqual(r.secretKeys, []);
    });

    it("hands the Node.js SDK keys it reads back under the plain key, with secret keys marked", () => {
      const r = prepareRun(TOY, set(withRepo(""), ["token", "t0k", { secret: true }]), "dev");
      assert.ok(r.env.PULUMI_CONFIG.includes('"toy:config:token":"t0k"'));
      try {
        pulumi.runtime.setAllConfig(
          JSON.parse(r.env.PULUMI_CONFIG),
          JSON.parse(r.env.PULUMI_CONFIG_SECRET_KEYS),
        );
        const runtime = pulumi.runtime as unknown as { isConfigSecret(k: string): boolean };
        assert.strictEqual(pulumi.runtime.getConfig("toy:token"), "t0k");
        assert.strictEqual(runtime.isConfigSecret("toy:token"), true);
        assert.deepStrictEqual(new pulumi.Config("toy").requireObject("applications"), []);
      } finally {
        useMocks();
      }
    });
  });

  describe("this project", () => {
    let project: Project;
    before(() => (project = loadProject()));

    for (const stack of committedStacks()) {
      it(`passes the CLI's checks with the committed Pulumi.${stack}.yaml and hands the program what the tests use`, () => {
        const run = prepareRun(project, readStackConfig(stack, "committed", project), stack);
        const own = Object.fromEntries(
          Object.entries(run.config)
            .filter(([k]) => k.startsWith(`${PROJECT}:`))
            .map(([k, v]) => [k.slice(PROJECT.length + 1), v]),
        );
        assert.deepStrictEqual(effectiveStackConfig(stack, "committed"), own);
      });
    }

    it("declares none of the optional secrets, since the CLI would require them or reject their default", () => {
      for (const key of SECRET_KEYS) assert.ok(!(key in project.config), `Pulumi.yaml declares '${key}'`);
      for (const [key, t] of Object.entries(project.config)) {
        assert.ok(
          !(t.secret && (t.default !== undefined || t.value !== undefined)),
          `'${key}' is secret with a default`,
        );
      }
    });

    it("runs a stack that sets none of the optional secrets", () => {
      const run = stackRun("dev");
      for (const key of SECRET_KEYS) assert.strictEqual(run.config[key], undefined);
      assert.deepStrictEqual(run.secretKeys, []);
    });

    it("runs a stack that sets every optional secret with --secret, and marks each one secret", () => {
      const run = stackRun("dev", (file) =>
        SECRET_KEYS.reduce((s, k) => configSet(s, k, `value-of-${k}`, { secret: true }), file),
      );
      assert.deepStrictEqual(run.secretKeys, [...SECRET_KEYS].sort());
      for (const key of SECRET_KEYS) assert.strictEqual(run.config[key], `value-of-${key}`);
    });

    it("lets an optional secret set with --plaintext through, and the program refuses it", () => {
      try {
        for (const key of SECRET_KEYS) {
          // Without --plaintext (or --secret) the CLI itself may refuse a value that looks like a secret.
          const run = stackRun("dev", (file) => configSet(file, key, "plaintext-value", { plaintext: true }));
          assert.deepStrictEqual(run.secretKeys, []);
          useMocks("dev", run.config, run.secretKeys);
          assert.throws(loadStackConfig, (e: Error) =>
            e.message.includes(`'${PROJECT}:${key}' is set in plaintext`),
          );
        }
        const run = stackRun("dev", (file) => configSet(file, "atlasToken", "t0k", { secret: true }));
        useMocks("dev", run.config, run.secretKeys);
        assert.doesNotThrow(loadStackConfig);
      } finally {
        useMocks();
      }
    });

    it('would have refused every run with the optional secrets declared `secret: true` with `default: ""`', () => {
      const declared = SECRET_KEYS.map(
        (k) => `  ${k}:\n    type: string\n    secret: true\n    default: ""\n`,
      ).join("");
      const old = parseProject(`${PROJECT_YAML.trimEnd()}\n${declared}`);
      const first = [...SECRET_KEYS].sort()[0];
      assert.strictEqual(
        cliError(() => prepareRun(old, readStackConfig("dev", "template", old), "dev")),
        `Stack 'dev' with configuration key '${first}' must be encrypted as it's secret`,
      );
      const required = parseProject(
        `${PROJECT_YAML.trimEnd()}\n${declared.replace(/ {4}default: ""\n/g, "")}`,
      );
      assert.match(
        cliError(() => prepareRun(required, readStackConfig("dev", "template", required), "dev")),
        /^Stack 'dev' is missing configuration values? /,
      );
    });
  });

  describe("the documentation's `pulumi config set` commands", () => {
    // README.md, then docs/ in reading order (test/support/docs.ts), as one text a reader types through.
    const readme = DOC_FILES.map(readDoc).join("\n");
    const commands = configSetCommands(readme);
    const parsed = commands.map(docCommand);

    it("finds every command the documentation shows, including one with --secret", () => {
      const mentions = readme.split("pulumi config set`").length - 1;
      assert.strictEqual(commands.length + mentions, readme.split("pulumi config set").length - 1);
      assert.ok(
        parsed.some((c) => c !== "template" && c.opts.secret),
        "expected at least one --secret command",
      );
    });

    // `--path` commands build a list item by item, so each runs after the README's earlier `--path` commands for
    // the same stack, as a reader typing them in order would; every other command runs on the committed file.
    const built = new Map<string, StackConfig>();
    commands.forEach((command, i) => {
      const c = parsed[i];
      if (c === "template") return; // `<key> <value>`: the syntax, not an example.
      it(`passes the CLI's checks after: ${command}`, () => {
        const project = loadProject();
        // From the template's stack files, as a reader starts; a stack it does not ship starts from dev's.
        const stack = TEMPLATE_STACKS.includes(c.stack) ? c.stack : "dev";
        const before = c.opts.path
          ? (built.get(stack) ?? readStackConfig(stack, "template", project))
          : readStackConfig(stack, "template", project);
        const file = configSet(before, c.key, c.value, c.opts);
        if (c.opts.path) built.set(stack, file);
        const run = prepareRun(project, file, stack);
        const key = (c.key.includes(":") ? c.key : `${PROJECT}:${c.key}`).split(/[[.]/)[0];
        const value = c.opts.stdin && !c.opts.raw ? c.value.replace(/\n$/, "") : c.value;
        if (!c.opts.path) assert.strictEqual(run.config[key], value);
        else assert.doesNotThrow(() => JSON.parse(run.config[key]));
        // A key that holds a secret anywhere (`--path --secret` on a part of it) is secret as a whole.
        const held = before.values.get(key);
        const heldSecret = c.opts.path === true && held !== undefined && isSecure(held);
        assert.strictEqual(run.secretKeys.includes(key), c.opts.secret === true || heldSecret);
      });
    });
  });
});
