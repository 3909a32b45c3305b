/**
 * The commands the documentation tells a user to type to edit a stack, read the way a shell and the Pulumi CLI
 * would, and applied to a copy of the repository: what a user who follows the documentation commits.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import {
  Ciphertext,
  ConfigSetOptions,
  configSet,
  GoInt,
  Obj,
  parseStackFile,
  REPO_ROOT,
  StackConfig,
} from "./pulumi-cli";
import { TEMPLATE_STACKS_DIR } from "./stack-files";
import { PROJECT } from "../../stacks/defaults";

/** What a reader types for a `<commit-or-tag>` or `<40-character-commit-sha>`: a full commit. */
export const STAND_IN_COMMIT = "0123456789abcdef0123456789abcdef01234567";

/** A `pulumi config set` command as configSet arguments. */
export interface DocCommand {
  readonly stack: string;
  readonly key: string;
  readonly value: string;
  readonly opts: ConfigSetOptions;
}

/**
 * Reads `pulumi config set ...` as a shell and cobra would, with the documentation's conventions:
 * - `<name>` is a value the reader supplies: it becomes `name` (`<stack>` becomes dev), so
 *   `https://github.com/<org>/<manifests-repo>` is tried as `https://github.com/org/manifests-repo`;
 * - `< file` (with a space) feeds the value on standard input: a stand-in key file with a trailing newline;
 * - no value and no input: the CLI prompts, and a stand-in answer is typed;
 * - no `--stack`: the selected stack, taken to be dev.
 * Returns "template" when the key itself is a `<placeholder>` (the syntax, not an example).
 */
export function docCommand(command: string): DocCommand | "template" {
  const words = [...command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  assert.deepStrictEqual(words.slice(0, 3), ["pulumi", "config", "set"], command);
  // A placeholder that names a commit is filled with one, as a reader pins a real commit.
  const fill = (w: string) =>
    w.replace(/<([a-z0-9][a-z0-9-]*)>/g, (_, name: string) =>
      name === "stack" ? "dev" : name.includes("commit") ? STAND_IN_COMMIT : name,
    );
  const opts: { -readonly [K in keyof ConfigSetOptions]: ConfigSetOptions[K] } = {};
  const args: string[] = [];
  let stack = "dev";
  let stdin: string | undefined;
  let flags = true;
  for (let i = 3; i < words.length; i++) {
    const w = words[i];
    if (w === "<")
      stdin = `-----BEGIN OPENSSH PRIVATE KEY-----\nstand-in for ${words[++i]}\n-----END OPENSSH PRIVATE KEY-----\n`;
    else if (!flags || !w.startsWith("-")) args.push(w);
    else if (w === "--") flags = false;
    else if (w === "--stack" || w === "-s") stack = fill(words[++i]);
    else if (w === "--type") opts.type = words[++i];
    else if (["--secret", "--plaintext", "--path", "--raw"].includes(w)) opts[w.slice(2) as "secret"] = true;
    else assert.fail(`${command}: unknown flag ${w}`);
  }
  assert.ok(args.length >= 1 && args.length <= 2, `${command}: expected a key and at most one value`);
  if (/^<.*>$/.test(args[0])) return "template";
  if (stdin !== undefined) assert.strictEqual(args.length, 1, `${command}: a value and standard input`);
  const value = args.length === 2 ? fill(args[1]) : (stdin ?? "typed-at-the-prompt");
  return { stack, key: args[0], value, opts: { ...opts, stdin: stdin !== undefined } };
}

/**
 * Every `pulumi config set` command of a text, in order. A command runs to the end of the line or of its inline
 * code span; a trailing `# comment` is dropped. "`pulumi config set`" with no arguments names the command in
 * prose and is not one.
 */
export function configSetCommands(text: string): string[] {
  return [...text.matchAll(/pulumi config set( [^`\n]*)?/g)]
    .filter((m) => m[1] !== undefined)
    .map((m) => m[0].replace(/\s+#.*$/, "").trim());
}

/** The stacks a text creates with `pulumi stack init <name>` or `pulumi stack select --create <name>`. */
export function stacksCreated(text: string): string[] {
  return [...text.matchAll(/pulumi stack (?:init|select --create) ([a-z][\w-]*)/g)].map((m) => m[1]);
}

/** The part of a markdown text under a heading, up to the next heading of the same or a higher level. */
export function sectionOf(text: string, heading: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.replace(/^#+ /, "") === heading && /^#+ /.test(l));
  assert.ok(start >= 0, `no heading '${heading}'`);
  const level = /^#+/.exec(lines[start])![0].length;
  let fenced = false;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^\s*```/.test(lines[i])) fenced = !fenced;
    const m = !fenced && /^(#+) /.exec(lines[i]);
    if (m && m[1].length <= level) {
      end = i;
      break;
    }
  }
  return lines.slice(start, end).join("\n");
}

/** A ciphertext as a real secrets provider writes it; the CLI model (deliberately) cannot decrypt it. */
function providerCiphertext(plaintext: string): string {
  return `v1:${Buffer.from(`stand-in:${plaintext}`).toString("base64")}`;
}

function yamlOf(o: Obj): unknown {
  if (o instanceof Map) return Object.fromEntries([...o].map(([k, v]) => [k, yamlOf(v)]));
  if (Array.isArray(o)) return o.map(yamlOf);
  if (o instanceof GoInt) return BigInt(o.text);
  if (o instanceof Ciphertext) return { secure: providerCiphertext(o.text) };
  return o;
}

/**
 * Pulumi.<stack>.yaml as `pulumi config set` saves it (keys of the project's namespace without it), with the
 * `encryptionsalt` a passphrase stack carries; secrets are written as a real provider's ciphertext.
 */
export function stackFileText(config: StackConfig, comment: string): string {
  const values: Record<string, unknown> = {};
  for (const [key, v] of config.values) {
    const shown = key.startsWith(`${PROJECT}:`) ? key : key;
    values[shown] =
      v.kind === "plain"
        ? v.text
        : v.kind === "secure"
          ? { secure: providerCiphertext(v.ciphertext) }
          : yamlOf(v.tree);
  }
  return `${comment}encryptionsalt: v1:c3RhbmQtaW4=:v1:c3RhbmQtaW4=\n${stringify({ config: values })}`;
}

/**
 * Applies each command to the stack files of a repository copy, in order; a stack the text creates starts empty.
 * Returns the stacks it wrote.
 */
export function applyToRepository(
  root: string,
  created: readonly string[],
  commands: readonly string[],
): string[] {
  const files = new Map<string, StackConfig>();
  const read = (stack: string): StackConfig => {
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    if (files.has(stack)) return files.get(stack)!;
    if (created.includes(stack) && !fs.existsSync(file)) return { project: PROJECT, values: new Map() };
    return parseStackFile(fs.readFileSync(file, "utf8"), PROJECT);
  };
  for (const stack of created) files.set(stack, read(stack));
  for (const command of commands) {
    const c = docCommand(command);
    assert.notStrictEqual(c, "template", `${command}: not a command a user types as shown`);
    if (c === "template") continue;
    files.set(c.stack, configSet(read(c.stack), c.key, c.value, c.opts));
  }
  for (const [stack, config] of files) {
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    const comment = fs.existsSync(file) ? /^(#[^\n]*\n)*/.exec(fs.readFileSync(file, "utf8"))![0] : "";
    fs.writeFileSync(file, stackFileText(config, comment));
  }
  return [...files.keys()].sort();
}

/**
 * A copy of the repository as the template ships it: like copyRepository, but its stack files are the template's
 * (test/fixtures/stacks) whatever the user committed, so the docs' commands replay on what they were written for.
 */
export function templateRepository(from = REPO_ROOT): string {
  const root = copyRepository(from);
  for (const file of fs.readdirSync(root)) {
    if (/^Pulumi\.[^.]+\.ya?ml$/.test(file)) fs.rmSync(path.join(root, file));
  }
  for (const file of fs.readdirSync(TEMPLATE_STACKS_DIR)) {
    fs.copyFileSync(path.join(TEMPLATE_STACKS_DIR, file), path.join(root, file));
  }
  return root;
}

/** A copy of the repository, as a fresh clone with `npm ci` done: everything but node_modules, which is linked. */
export function copyRepository(from = REPO_ROOT): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "atlas-gitops-user-"));
  const skip = new Set(["node_modules", ".git", ".pulumi-state", "toolchain"]);
  for (const entry of fs.readdirSync(from)) {
    if (skip.has(entry)) continue;
    fs.cpSync(path.join(from, entry), path.join(root, entry), {
      recursive: true,
      filter: (src) => !src.split(path.sep).includes("node_modules"),
    });
  }
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
  return root;
}
