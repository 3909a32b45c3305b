/**
 * The committed stack files are the user's: a user who follows the documentation edits them and commits the
 * result, and the deploy workflow runs `npm test` before it deploys. Each documented way of editing a stack is
 * applied here to a copy of the repository, and the tests that read the stack files run in that copy: they must
 * stay green, since they may require only what holds for any stack, never the template's demo values. The docs'
 * commands replay on the template's stack files (test/fixtures/stacks), never on the ones the user committed:
 * in a user's clone those already carry the edits, and replaying them again is not what the docs describe.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { readDoc } from "./support/docs";
import {
  applyToRepository,
  configSetCommands,
  copyRepository,
  sectionOf,
  stacksCreated,
  templateRepository,
} from "./support/doc-commands";
import { REPO_ROOT, TEMPLATE_STACKS_DIR } from "./support/stack-files";

/** A documented way to edit stacks: the sections whose commands a user types, in order. */
interface Edit {
  readonly name: string;
  readonly sections: readonly { readonly file: string; readonly heading: string }[];
}

const OWN = "docs/your-own-manifests.md";
const EDITS: readonly Edit[] = [
  {
    name: "step 2 of deploying your own applications, dev and prod",
    sections: [{ file: OWN, heading: "2. Tell each stack where to look" }],
  },
  {
    name: "step 2, then onboarding a second service in dev and prod",
    sections: [
      { file: OWN, heading: "2. Tell each stack where to look" },
      { file: OWN, heading: "Onboard a second service" },
    ],
  },
  {
    name: "the quick start's kubernetes:context tip",
    sections: [{ file: "README.md", heading: "Quick start" }],
  },
  { name: "adding a stack", sections: [{ file: OWN, heading: "Add a stack" }] },
];

/**
 * Test files that read the committed stack files (test/support/stack-files.ts: `committedStacks()` or
 * `"committed"`); of those, the tests with "committed" in their title are the ones that read them.
 */
const READS_COMMITTED = /\bcommittedStacks\(|"committed"/;
const COMMITTED_TITLE = "committed";

function suitesReadingStackFiles(): string[] {
  return fs
    .readdirSync(path.join(REPO_ROOT, "test"))
    .filter((f) => f.endsWith(".test.ts") && f !== path.basename(__filename))
    .filter((f) => READS_COMMITTED.test(fs.readFileSync(path.join(REPO_ROOT, "test", f), "utf8")))
    .map((f) => `test/${f}`)
    .sort();
}

interface Run {
  readonly code: number | null;
  readonly output: string;
}

/** mocha on the given files in a repository copy, the way .mocharc.json runs the suite. */
function mocha(root: string, files: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    const bin = path.join(REPO_ROOT, "node_modules", "mocha", "bin", "mocha.js");
    const child = spawn(
      process.execPath,
      [
        bin,
        "--no-config",
        "-r",
        "ts-node/register/transpile-only",
        "--timeout",
        "60000",
        "--reporter",
        "dot",
        "--grep",
        COMMITTED_TITLE,
        ...files,
      ],
      { cwd: root, env: { ...process.env, ATLAS_GITOPS_TS_CACHE: "off" } },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("following the documentation's stack edits", function () {
  this.timeout(600_000);
  const suites = suitesReadingStackFiles();
  // Each edit gets its own copy, and all run at once: the runs are independent.
  const copies = new Map<string, { root: string; written: string[]; run: Promise<Run> }>();
  before(() => {
    for (const edit of EDITS) {
      const texts = edit.sections.map((s) => sectionOf(readDoc(s.file), s.heading));
      const root = templateRepository();
      const written = applyToRepository(root, texts.flatMap(stacksCreated), texts.flatMap(configSetCommands));
      copies.set(edit.name, { root, written, run: mocha(root, suites) });
    }
  });
  after(() => {
    for (const { root } of copies.values()) fs.rmSync(root, { recursive: true, force: true });
  });

  it("runs the suites that read the stack files", () => {
    for (const f of [
      "test/config.test.ts",
      "test/index.test.ts",
      "test/policy.test.ts",
      "test/workflows.test.ts",
    ])
      assert.ok(suites.includes(f), `${f} reads the stack files but is not run`);
  });

  it("replays the docs on the template's stack files, whatever the user committed", () => {
    // A user's clone: every documented edit applied to the committed files, and a stack of their own.
    const user = copyRepository();
    try {
      const texts = EDITS.flatMap((e) => e.sections.map((s) => sectionOf(readDoc(s.file), s.heading)));
      applyToRepository(user, texts.flatMap(stacksCreated), texts.flatMap(configSetCommands));
      fs.writeFileSync(path.join(user, "Pulumi.qa.yaml"), "config:\n  atlas-gitops:appName: qa\n");
      assert.notStrictEqual(
        fs.readFileSync(path.join(user, "Pulumi.dev.yaml"), "utf8"),
        fs.readFileSync(path.join(TEMPLATE_STACKS_DIR, "Pulumi.dev.yaml"), "utf8"),
      );
      const replayed = templateRepository(user);
      try {
        const stackFiles = (dir: string) =>
          fs
            .readdirSync(dir)
            .filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))
            .sort()
            .map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]);
        assert.deepStrictEqual(stackFiles(replayed), stackFiles(TEMPLATE_STACKS_DIR));
      } finally {
        fs.rmSync(replayed, { recursive: true, force: true });
      }
    } finally {
      fs.rmSync(user, { recursive: true, force: true });
    }
  });

  for (const edit of EDITS) {
    describe(edit.name, () => {
      it("edits the stack files the commands name", () => {
        const { root, written } = copies.get(edit.name)!;
        assert.ok(written.length > 0);
        for (const stack of written) {
          const file = `Pulumi.${stack}.yaml`;
          const original = path.join(TEMPLATE_STACKS_DIR, file);
          const before = fs.existsSync(original) ? fs.readFileSync(original, "utf8") : undefined;
          assert.notStrictEqual(fs.readFileSync(path.join(root, file), "utf8"), before, `${file} unchanged`);
        }
      });

      it("leaves the tests that read the committed stack files green", async () => {
        const { written, run } = copies.get(edit.name)!;
        const { code, output } = await run;
        assert.strictEqual(
          code,
          0,
          `stacks ${written.join(", ")} edited; the tests in the copy failed:\n${output}`,
        );
        const passing = Number(/(\d+) passing/.exec(output)?.[1] ?? 0);
        assert.ok(passing >= 5 * written.length, `only ${passing} tests ran:\n${output}`);
      });
    });
  }
});
