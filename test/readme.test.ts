import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { CONFIG_KEYS, KEY_SPECS, SECRET_KEYS } from "../stacks/defaults";
import { readProjectFile, REPO_ROOT } from "./support/stack-files";

const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

/** Rows of the README's config table: key → [type, default, dev, prod, secret, what]. */
function configTable(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of readme.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    const key = /^`(\w+)`$/.exec(cells[1] ?? "")?.[1];
    if (key && cells.length === 9) rows.set(key, cells.slice(2, 8));
  }
  return rows;
}

describe("README", () => {
  const table = configTable();

  it("lists every config key, and only those, in the config table", () => {
    assert.deepStrictEqual([...table.keys()].sort(), [...CONFIG_KEYS].sort());
  });

  it("shows each key's real type, default and secret flag", () => {
    const declared = readProjectFile().config;
    for (const key of CONFIG_KEYS) {
      const [type, shownDefault, , , secret] = table.get(key) ?? [];
      const isSecret = SECRET_KEYS.includes(key);
      // The optional secrets are not declared in Pulumi.yaml (see it); they are strings read by the program.
      assert.strictEqual(type, isSecret ? "string" : declared[key].type, `README type of '${key}'`);
      const expected = KEY_SPECS[key].default;
      const want = isSecret
        ? "unset"
        : expected === undefined
          ? "(required)"
          : expected === ""
            ? "empty"
            : `\`${expected}\``;
      assert.strictEqual(shownDefault, want, `README default of '${key}'`);
      assert.strictEqual(secret === "yes", SECRET_KEYS.includes(key), `README secret flag of '${key}'`);
    }
  });

  it("documents every stack output index.ts exports", () => {
    const source = fs.readFileSync(path.join(REPO_ROOT, "index.ts"), "utf8");
    const exported = [...source.matchAll(/^export const (\w+)/gm)].map((m) => m[1]);
    assert.ok(exported.length >= 7);
    for (const name of exported)
      assert.ok(readme.includes(`\`${name}\``), `README does not mention '${name}'`);
  });

  it("gives the test command CI runs", () => {
    const ci = fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8");
    assert.ok(readme.includes("npm ci && npm test"));
    assert.match(ci, /^npm ci && npm test$/m);
  });
});
