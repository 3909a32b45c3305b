/**
 * Every directory an e2e run makes outside the repository (temp directories, etcd's data in /dev/shm) is made
 * here and remembered, so the run can prove it removed them: a passing run ends with `leftovers()` empty
 * (support/hooks.ts fails the run otherwise), and a failed one keeps them for its logs.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const made = new Set<string>();

/** A new directory `atlas-gitops-<what>-XXXXXX` in `parent` (the temp directory by default), remembered. */
export function scratchDir(what: string, parent = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(parent, `atlas-gitops-${what}-`));
  made.add(dir);
  return dir;
}

/** Removes a directory scratchDir made (and whatever is in it). */
export function removeScratch(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The directories scratchDir made in this process that still exist. */
export function leftovers(): string[] {
  return [...made].filter((dir) => fs.existsSync(dir));
}
