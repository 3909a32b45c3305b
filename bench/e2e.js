#!/usr/bin/env node
/**
 * `npm run bench:e2e`: the figures of a real deployment on this machine, printed. It times a warm toolchain
 * build (`toolchain/build.sh` with everything cached), reports the cold build of each component as build.sh
 * recorded it when it built it, then runs the e2e suite, which records its own figures (support/figures.ts):
 * preview, `pulumi up` from an empty control plane, a no-op up, an up after a push, how long a failed schema
 * takes to fail `pulumi up`, and destroy. Arguments after `--` go to mocha.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS script, run by `node` directly */
"use strict";
const { execFileSync, spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const root = path.resolve(__dirname, "..");
const cache =
  process.env.ATLAS_GITOPS_TOOLCHAIN ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "atlas-gitops", "toolchain");

const t0 = process.hrtime.bigint();
const bin = execFileSync("bash", [path.join(root, "toolchain", "build.sh")], { encoding: "utf8" }).trim();
const warm = Number(process.hrtime.bigint() - t0) / 1e9;

const rows = [];
const binaries = new Set(fs.readdirSync(bin).map((f) => path.dirname(fs.realpathSync(path.join(bin, f)))));
let cold = 0;
for (const dir of [...binaries].sort()) {
  const file = path.join(dir, "..", "build-seconds");
  const component = path.basename(path.dirname(dir));
  if (fs.existsSync(file)) {
    const seconds = Number(fs.readFileSync(file, "utf8"));
    cold += seconds;
    rows.push([`toolchain cold build: ${component}`, seconds]);
  }
}
rows.push(["toolchain cold build: total", cold]);
rows.push(["toolchain warm build (everything cached)", Math.round(warm * 10) / 10]);

const figuresDir = fs.mkdtempSync(path.join(os.tmpdir(), "atlas-gitops-bench-"));
const figures = path.join(figuresDir, "figures.json");
// Extra arguments go to mocha, e.g. `npm run bench:e2e -- --grep "deploys dev"` for one figure.
const run = spawnSync("npx", ["mocha", "--config", "test/e2e/.mocharc.json", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, E2E_FIGURES: figures, ATLAS_GITOPS_TOOLCHAIN: cache },
});
if (fs.existsSync(figures)) {
  for (const [what, seconds] of Object.entries(JSON.parse(fs.readFileSync(figures, "utf8"))))
    rows.push([what, seconds]);
}
fs.rmSync(figuresDir, { recursive: true, force: true });

const width = Math.max(...rows.map(([w]) => w.length));
console.log(`\n${"figure".padEnd(width)}  seconds`);
for (const [what, seconds] of rows) console.log(`${what.padEnd(width)}  ${String(seconds).padStart(7)}`);
if (run.status !== 0) {
  console.log("\nThe e2e suite failed: the figures above are from the tests that ran.");
  process.exit(run.status ?? 1);
}
