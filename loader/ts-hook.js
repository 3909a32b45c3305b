// @ts-check
/**
 * The require hook Pulumi preloads for this program (through loader/register.js, named in Pulumi.yaml
 * `runtime.options.nodeargs`): it turns each `.ts` file into CommonJS with Sucrase as Node requires it, and keeps
 * what it produced in a cache on disk, so a `pulumi` command after the first transforms only the files that
 * changed.
 *
 * The transform is Sucrase's own `.ts` hook, unchanged (sucrase 3.35.1, src/register.ts `addHook` and
 * `registerTS`): transforms ["imports", "typescript"], an inline source map named after the file, and a pirates
 * hook on `.ts` only (pirates 4.0.7, lib/index.js `addHook`: `ignoreNodeModules` defaults to true, so nothing
 * under node_modules is touched). test/ts-hook.test.ts holds that this file's output is byte for byte what
 * `sucrase/register/ts` produces. One difference on purpose: Sucrase's hook merges options from a SUCRASE_OPTIONS
 * environment variable; this one does not, so nothing outside the repository changes what the program runs.
 *
 * The cache holds one entry per source file, named by a hash of its path. The entry's first line is a hash of
 * everything the output depends on (Sucrase's version, the options, the path and the source text), so an entry
 * for another version of the file, or of Sucrase, is never used: it is transformed again and overwritten.
 * Entries are written to a temporary file and renamed into place, so two `pulumi` commands at once never read
 * half an entry. A cache that cannot be written (a read-only node_modules) only costs the transform.
 *
 * It lives in node_modules/.cache/atlas-gitops/ts (the convention of babel-loader, ESLint and others), which
 * `npm ci` clears. ATLAS_GITOPS_TS_CACHE=off turns it off; any other value is a directory to use instead.
 *
 * Plain JavaScript on purpose: it is what loads the TypeScript.
 */
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

/** Sucrase's options for a `.ts` file, as src/register.ts `registerTS` passes them. */
const TRANSFORMS = ["imports", "typescript"];
/** @type {string} */
const SUCRASE_VERSION = JSON.parse(fs.readFileSync(require.resolve("sucrase/package.json"), "utf8")).version;
const DEFAULT_CACHE_DIR = path.join(__dirname, "..", "node_modules", ".cache", "atlas-gitops", "ts");
const HEADER = "// atlas-gitops ts-hook ";

/**
 * Where entries go: `ATLAS_GITOPS_TS_CACHE` names a directory, or is `off`; otherwise the default.
 * @param {NodeJS.ProcessEnv} env
 * @returns {string | undefined} undefined when the cache is off
 */
function cacheDirFrom(env) {
  const setting = env.ATLAS_GITOPS_TS_CACHE;
  if (setting === "off") return undefined;
  return setting ? path.resolve(setting) : DEFAULT_CACHE_DIR;
}

/**
 * What Sucrase's `.ts` hook returns for a file: the CommonJS code and its source map, inline.
 * @param {string} code
 * @param {string} filePath
 * @returns {string}
 */
function transformTs(code, filePath) {
  // Required only when a file is not in the cache, so a run with every file cached never loads Sucrase.
  const { transform } = require("sucrase");
  const out = transform(code, {
    transforms: /** @type {import("sucrase").Transform[]} */ (TRANSFORMS),
    sourceMapOptions: { compiledFilename: filePath },
    filePath,
  });
  const map = Buffer.from(JSON.stringify(out.sourceMap)).toString("base64");
  return `${out.code}\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${map}`;
}

/** @param {string} text */
const sha256 = (text) => crypto.createHash("sha256").update(text).digest("hex");

/**
 * What a cache entry's output depends on, hashed: the Sucrase version, the transforms, the path and the text.
 * @param {string} sucraseVersion
 * @param {string} filePath
 * @param {string} code
 */
const keyFor = (sucraseVersion, filePath, code) =>
  sha256(JSON.stringify([sucraseVersion, TRANSFORMS, filePath, code]));

/**
 * The cache entry's file for a source file, and the key its content must carry to be used.
 * @param {string} cacheDir
 * @param {string} code
 * @param {string} filePath
 */
function entryFor(cacheDir, code, filePath) {
  return {
    file: path.join(cacheDir, `${sha256(filePath).slice(0, 32)}.js`),
    key: keyFor(SUCRASE_VERSION, filePath, code),
  };
}

/**
 * The code Node runs for a `.ts` file: from the cache when it holds this exact input, else transformed and kept.
 * @param {string} code
 * @param {string} filePath
 * @param {string | undefined} cacheDir
 * @returns {string}
 */
function compile(code, filePath, cacheDir) {
  if (!cacheDir) return transformTs(code, filePath);
  const { file, key } = entryFor(cacheDir, code, filePath);
  const header = `${HEADER}${key}\n`;
  try {
    const cached = fs.readFileSync(file, "utf8");
    if (cached.startsWith(header)) return cached.slice(header.length);
  } catch {
    // No entry yet.
  }
  const output = transformTs(code, filePath);
  const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(temporary, header + output);
    fs.renameSync(temporary, file);
  } catch {
    // A cache that cannot be written is only slower.
    try {
      fs.rmSync(temporary, { force: true });
    } catch {
      // Nothing was written.
    }
  }
  return output;
}

/**
 * Hooks `.ts` files for the rest of this process; returns the function that unhooks them.
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {() => void}
 */
function register(env = process.env) {
  const cacheDir = cacheDirFrom(env);
  const { addHook } = require("pirates");
  return addHook((code, filePath) => compile(code, filePath, cacheDir), { exts: [".ts"] });
}

module.exports = {
  register,
  compile,
  transformTs,
  cacheDirFrom,
  entryFor,
  keyFor,
  SUCRASE_VERSION,
  DEFAULT_CACHE_DIR,
};
