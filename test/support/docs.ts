/**
 * The user documentation: README.md, the first read, and the reference in docs/. Tests that check what the
 * documentation says read it here, so a section that moves from one file to another moves in one place.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "./pulumi-cli";

/** Every documentation file: README.md, docs/ in the order a reader follows the README's links, CHANGELOG.md. */
export const DOC_FILES: readonly string[] = [
  "README.md",
  "docs/your-own-manifests.md",
  "docs/configuration.md",
  "docs/fleet.md",
  "docs/wait-and-health-checks.md",
  "docs/operations-and-alerts.md",
  "docs/security.md",
  "docs/ci-cd-and-promotion.md",
  "docs/upgrading.md",
  "docs/troubleshooting.md",
  "docs/development.md",
  "docs/testing.md",
  "CHANGELOG.md",
];

/** One documentation file's text, by its path from the repository root. */
export function readDoc(file: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
}

/** The markdown files of docs/ as they are on disk, so a new page cannot escape DOC_FILES. */
export function docsOnDisk(): string[] {
  return fs
    .readdirSync(path.join(REPO_ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`)
    .sort();
}

/** Lines of a markdown text outside fenced code blocks (a `#` in a shell block is not a heading). */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split("\n").filter((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/**
 * The anchor GitHub gives a heading (github-slugger, which github.com's renderer follows): the heading's text
 * without its markdown, in lower case, every character that is not a letter, mark, digit, `_`, `-` or space
 * removed, and each space turned into `-`.
 */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[`*]/g, "")
    .trim();
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor of a markdown text; a repeated heading gets `-1`, `-2`, … as on GitHub. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const slug = githubSlug(m[1]);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** The relative link targets of a markdown text (`[text](target)`), with no `http:`, `https:` or `mailto:`. */
export function relativeLinks(text: string): string[] {
  return proseLines(text)
    .map((line) => line.replace(/`[^`]*`/g, ""))
    .flatMap((line) => [...line.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]))
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/**
 * Why a relative link of a documentation file does not resolve, or undefined when it does: the file must exist
 * (inside the repository), and an anchor must be a heading of that markdown file.
 */
export function brokenLink(from: string, target: string): string | undefined {
  const [file, anchor] = target.split("#", 2) as [string, string | undefined];
  const resolved = file === "" ? from : path.posix.normalize(path.posix.join(path.posix.dirname(from), file));
  if (resolved.startsWith("..")) return `${target} leaves the repository`;
  const onDisk = path.join(REPO_ROOT, resolved);
  if (!fs.existsSync(onDisk)) return `${target}: ${resolved} does not exist`;
  if (anchor === undefined) return undefined;
  if (!resolved.endsWith(".md")) return `${target}: an anchor into a file that is not markdown`;
  const anchors = anchorsOf(fs.readFileSync(onDisk, "utf8"));
  return anchors.has(anchor) ? undefined : `${target}: ${resolved} has no heading with anchor #${anchor}`;
}
