/**
 * The CLI model (test/support/pulumi-cli.ts) held to the real Pulumi CLI: the CLI toolchain/pulumi builds, at the
 * version the model names, run with a file backend in a temp directory on a copy of Pulumi.yaml. Each case starts
 * from a stack file and types `pulumi config set` commands; the model and the CLI must agree on
 * - what each `pulumi config set` does: the same error, or the same stack file (read back by the model's parser,
 *   ciphertexts aside, since the model's encryption is a stand-in);
 * - what the program would get: `pulumi config --json --show-secrets` (ApplyProjectConfig, the merge of project
 *   defaults without validation: every key, its value as the program reads it, whether it is secret);
 * - whether `pulumi preview`/`up` would start: `pulumi logs --json`, the cheapest command that runs the very check
 *   preview and up run first (ValidateStackConfigAndApplyProjectConfig, pkg/cmd/pulumi/logs/logs.go) and then,
 *   on a stack never deployed, reads nothing; one case below shows `pulumi preview` refusing with the same text.
 * The cases are the committed stack files, the documentation's commands (each stack's in reading order, as a
 * reader types them), and the edges of the type checks the model decides. A disagreement is a model bug.
 *
 * The Node language host is not built here, so nothing runs the program; nothing needs it.
 */
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
  Ciphertext,
  configSet,
  ConfigSetOptions,
  GoInt,
  loadProject,
  MODELLED_CLI_VERSION,
  Obj,
  parseStackFile,
  prepareRun,
  Project,
  REPO_ROOT,
  StackConfig,
} from "../support/pulumi-cli";
import { DOC_FILES, readDoc } from "../support/docs";
import { configSetCommands, docCommand } from "../support/doc-commands";
import { scratchDir } from "./support/scratch";
import { toolchainBin } from "./support/stack";

const PROJECT_YAML = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8");
const committed = (stack: string) => fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8");
const COMMITTED_STACKS = fs
  .readdirSync(REPO_ROOT)
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => s !== undefined)
  .sort();

/** One `pulumi config set`, as its arguments. */
interface SetCommand {
  readonly key: string;
  readonly value: string;
  readonly opts: ConfigSetOptions;
}

interface Case {
  readonly name: string;
  /** The stack in the backend, and the name the CLI's messages use. */
  readonly stack: string;
  /** Pulumi.<stack>.yaml before the commands. */
  readonly file: string;
  readonly commands: readonly SetCommand[];
}

/** What one side made of a case. */
interface Outcome {
  /** Per command: the error, or the stack config it left, ciphertexts masked. */
  readonly sets: readonly unknown[];
  /** `pulumi config --json --show-secrets`: every key's value, and the secret keys. */
  readonly listing?: { readonly config: Record<string, string>; readonly secretKeys: string[] };
  /** The check preview and up run first: its error, or "ok". */
  readonly validation?: string;
}

/** A stack's config as plain JSON, secrets as "<secret>": what both sides can be compared on. */
function comparable(stack: StackConfig): unknown {
  const obj = (o: Obj): unknown => {
    if (o instanceof Ciphertext) return "<secret>";
    if (o instanceof GoInt) return { int: o.text };
    if (Array.isArray(o)) return o.map(obj);
    if (o instanceof Map) return Object.fromEntries([...o].map(([k, v]) => [k, obj(v)]));
    return o;
  };
  return Object.fromEntries(
    [...stack.values].map(([k, v]) => [
      k,
      v.kind === "plain" ? v.text : v.kind === "secure" ? "<secret>" : { object: obj(v.tree) },
    ]),
  );
}

function modelOutcome(project: Project, c: Case): Outcome {
  let stack = parseStackFile(c.file, project.name);
  const sets: unknown[] = [];
  for (const { key, value, opts } of c.commands) {
    try {
      stack = configSet(stack, key, value, opts);
      sets.push(comparable(stack));
    } catch (e) {
      sets.push({ error: (e as Error).message });
      return { sets };
    }
  }
  const listed = prepareRun(project, stack, c.stack, { skipConfigValidation: true });
  let validation = "ok";
  try {
    prepareRun(project, stack, c.stack);
  } catch (e) {
    validation = (e as Error).message;
  }
  return { sets, listing: { config: listed.config, secretKeys: [...listed.secretKeys] }, validation };
}

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The real CLI, with its own PULUMI_HOME and file backend. */
class RealCli {
  readonly root = scratchDir("cli");
  private readonly env: NodeJS.ProcessEnv;
  private readonly salts = new Map<string, string>();

  constructor(private readonly pulumi: string) {
    fs.mkdirSync(path.join(this.root, "state"));
    this.env = {
      PATH: process.env.PATH,
      HOME: this.root,
      PULUMI_HOME: path.join(this.root, "home"),
      PULUMI_BACKEND_URL: `file://${path.join(this.root, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "cli-config-e2e",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
  }

  run(cwd: string, args: string[], input = ""): Promise<Ran> {
    return new Promise((resolve) => {
      const child = execFile(
        this.pulumi,
        // Flags before any `--`, after which every word is an argument.
        [...args.slice(0, end(args)), "--color", "never", ...args.slice(end(args))],
        { cwd, env: this.env },
        (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin!.end(input);
    });
  }

  /** A project directory of its own: a copy of Pulumi.yaml and the stack file (with the stack's salt). */
  private projectDir(stack: string, file: string): string {
    const dir = fs.mkdtempSync(path.join(this.root, "project-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), PROJECT_YAML);
    const salt = this.salts.get(stack);
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), salt === undefined ? file : `${file}${salt}\n`);
    return dir;
  }

  /** Creates the stack in the backend once; every case's directory then shares it (and its passphrase salt). */
  async init(stack: string): Promise<void> {
    const dir = this.projectDir(stack, "");
    const ran = await this.run(dir, ["stack", "init", stack, "--non-interactive"]);
    assert.strictEqual(ran.code, 0, ran.stderr);
    const salt = /^encryptionsalt: .*$/m.exec(
      fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8"),
    );
    assert.ok(salt !== null, "a passphrase stack records its salt in the stack file");
    this.salts.set(stack, salt[0]);
  }

  async outcome(project: Project, c: Case): Promise<Outcome> {
    const dir = this.projectDir(c.stack, c.file);
    const stackFile = path.join(dir, `Pulumi.${c.stack}.yaml`);
    const sets: unknown[] = [];
    for (const { key, value, opts } of c.commands) {
      const flags = [
        ...(opts.secret ? ["--secret"] : []),
        ...(opts.plaintext ? ["--plaintext"] : []),
        ...(opts.path ? ["--path"] : []),
        ...(opts.raw ? ["--raw"] : []),
        ...(opts.type !== undefined ? ["--type", opts.type] : []),
      ];
      // A value read on standard input comes as the input; any other as the argument (what a prompt would read),
      // after `--`, so that a value like -5 is not read as a flag (the model takes the arguments as parsed).
      const args = ["config", "set", "--stack", c.stack, ...flags, "--", key, ...(opts.stdin ? [] : [value])];
      const ran = await this.run(dir, args, opts.stdin ? value : "");
      if (ran.code !== 0) {
        sets.push({ error: cliError(ran) });
        return { sets };
      }
      sets.push(comparable(parseStackFile(fs.readFileSync(stackFile, "utf8"), project.name)));
    }
    const list = await this.run(dir, ["config", "--json", "--show-secrets", "--stack", c.stack]);
    assert.strictEqual(list.code, 0, list.stderr);
    const listed = JSON.parse(list.stdout) as Record<string, { value?: string; secret: boolean }>;
    const config = Object.fromEntries(Object.entries(listed).map(([k, v]) => [k, v.value ?? ""]));
    const secretKeys = Object.keys(listed)
      .filter((k) => listed[k].secret)
      .sort();
    const check = await this.run(dir, ["logs", "--json", "--stack", c.stack]);
    const validation = check.code === 0 ? "ok" : cliError(check).replace(/^validating stack config: /, "");
    return { sets, listing: { config, secretKeys }, validation };
  }

  /** `pulumi preview` of a case's stack file, up to where it needs the program. */
  async preview(c: Case): Promise<string> {
    const ran = await this.run(this.projectDir(c.stack, c.file), [
      "preview",
      "--stack",
      c.stack,
      "--non-interactive",
    ]);
    assert.notStrictEqual(ran.code, 0, "no language host here: preview cannot run the program");
    return cliError(ran);
  }
}

/** Where a command line's flags end: at `--`, or at its end. */
const end = (args: string[]) => (args.includes("--") ? args.indexOf("--") : args.length);

/** The CLI's own message: the text after `error: ` on standard error. */
function cliError(ran: Ran): string {
  const m = /^error: ([\s\S]*?)\s*$/m.exec(ran.stderr);
  assert.ok(m !== null, `no error on standard error: ${ran.stderr}`);
  return m[1];
}

/** Runs the tasks, a few at a time (the CLI's passphrase key derivation is CPU-bound). */
async function pooled<T>(tasks: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

/** A committed stack file with one more line under `config:`, as a user would edit it by hand. */
const withLine = (stack: string, line: string) =>
  committed(stack).replace(/^config:\n/m, `config:\n  ${line}\n`);

/** The documentation's commands, each stack's in reading order; a stack without a committed file runs on dev. */
function documentationCases(): Case[] {
  const byStack = new Map<string, SetCommand[]>();
  for (const command of configSetCommands(DOC_FILES.map(readDoc).join("\n"))) {
    const c = docCommand(command);
    if (c === "template") continue;
    byStack.set(c.stack, [...(byStack.get(c.stack) ?? []), c]);
  }
  return [...byStack].map(([stack, commands]) => {
    const on = COMMITTED_STACKS.includes(stack) ? stack : "dev";
    return { name: `the documentation's commands for ${stack}`, stack: on, file: committed(on), commands };
  });
}

/** The edges of what the model decides, on this project's keys and dev's stack file. */
const EDGE_CASES: Case[] = [
  ["an integer key set to a word", "atlas-gitops:waitTimeout: abc"],
  ["an integer key set to a signed string", "atlas-gitops:waitTimeout: '+1200'"],
  ["an integer key set to a whole YAML float", "atlas-gitops:waitTimeout: 1200.0"],
  ["an integer key past int64", "atlas-gitops:waitTimeout: '9223372036854775808'"],
  ["a boolean key set to the string True", "atlas-gitops:argocdAdminEnabled: 'True'"],
  ["a boolean key set to the YAML boolean True", "atlas-gitops:argocdAdminEnabled: True"],
  ["a boolean key set to yes", "atlas-gitops:argocdAdminEnabled: yes"],
  ["a list of objects set to a JSON string", "atlas-gitops:applications: '[]'"],
  ["a list of objects holding a string", "atlas-gitops:applications: [a]"],
  ["a list of objects", "atlas-gitops:applications: [{name: shop, dbPort: 5432}]"],
  ["an empty value", "atlas-gitops:path:"],
].map(([name, line]) => ({ name, stack: "dev", file: withLine("dev", line), commands: [] }));

const set = (key: string, value: string, opts: ConfigSetOptions = {}): SetCommand => ({ key, value, opts });
EDGE_CASES.push(
  { name: "a required key missing", stack: "dev", file: "config: {}\n", commands: [] },
  {
    name: "a list started at index 1 with --path",
    stack: "dev",
    file: committed("dev"),
    commands: [set("applications[1].name", "shop", { path: true })],
  },
  {
    name: "--path values that look like numbers and booleans",
    stack: "dev",
    file: committed("dev"),
    commands: [
      set("applications[0].name", "shop", { path: true }),
      set("applications[0].dbPort", "0123", { path: true }),
      set("applications[0].waitTimeout", "-5", { path: true }),
      set("applications[0].prune", "false", { path: true }),
      set("applications[0].ratio", "1.5", { path: true }),
    ],
  },
  {
    name: "--type values and a dotted key without --path",
    stack: "dev",
    file: committed("dev"),
    commands: [
      set("waitTimeout", "+900", { type: "int" }),
      set("argocdAdminEnabled", "T", { type: "bool" }),
      set("a.b", "x"),
      set("kubernetes:context", "kind"),
    ],
  },
  {
    name: "an index past the end of a list",
    stack: "dev",
    file: committed("dev"),
    commands: [
      set("applications[0].name", "shop", { path: true }),
      set("applications[2].name", "x", { path: true }),
    ],
  },
  {
    name: "a plaintext value that looks like a secret, under a key named like one",
    stack: "dev",
    file: committed("dev"),
    commands: [set("dbPasswordRotation", "1"), set("argocdIngressTlsSecret", "argocd-example-com-tls")],
  },
  {
    name: "a secret inside a list",
    stack: "dev",
    file: committed("dev"),
    commands: [
      set("applications[0].name", "shop", { path: true }),
      set("applications[0].password", "hunter2", { path: true, secret: true }),
    ],
  },
);

describe(`the CLI model against the real Pulumi CLI v${MODELLED_CLI_VERSION}`, function () {
  this.timeout(300_000);
  const project = loadProject();
  const cases: Case[] = [
    ...COMMITTED_STACKS.map((stack) => ({
      name: `Pulumi.${stack}.yaml as committed`,
      stack,
      file: committed(stack),
      commands: [],
    })),
    ...documentationCases(),
    ...EDGE_CASES,
  ];
  let cli: RealCli;
  const real = new Map<Case, Outcome>();

  before(async () => {
    cli = new RealCli(path.join(toolchainBin(), "pulumi"));
    const version = await cli.run(cli.root, ["version"]);
    assert.strictEqual(version.stdout.trim(), `v${MODELLED_CLI_VERSION}`);
    const stacks = [...new Set(cases.map((c) => c.stack))];
    await pooled(
      stacks.map((s) => () => cli.init(s)),
      3,
    );
    const outcomes = await pooled(
      cases.map((c) => () => cli.outcome(project, c)),
      3,
    );
    cases.forEach((c, i) => real.set(c, outcomes[i]));
  });

  after(() => {
    if (cli !== undefined) fs.rmSync(cli.root, { recursive: true, force: true });
  });

  for (const c of cases) {
    it(`agrees on ${c.name}`, () => {
      const model = modelOutcome(project, c);
      const actual = real.get(c)!;
      c.commands.forEach((command, i) => {
        assert.deepStrictEqual(
          model.sets[i],
          actual.sets[i],
          `pulumi config set ${command.key}: what it stored`,
        );
      });
      assert.deepStrictEqual(model.listing, actual.listing, "pulumi config --json --show-secrets");
      assert.strictEqual(model.validation, actual.validation, "the check before preview and up");
    });
  }

  it("covers both answers of the check, so a check that always passes cannot hide", () => {
    const answers = [...real.values()].map((o) => o.validation);
    assert.ok(answers.includes("ok"));
    assert.ok(answers.some((a) => a !== undefined && a !== "ok"));
  });

  it("refuses in pulumi preview with the same message as the check this file runs", async () => {
    const invalid = EDGE_CASES[0];
    assert.strictEqual(
      await cli.preview(invalid),
      `validating stack config: ${real.get(invalid)!.validation}`,
    );
    // A valid stack gets past the check, to the language host this machine does not have.
    assert.match(await cli.preview(cases[0]), /language plugin/);
  });
});
