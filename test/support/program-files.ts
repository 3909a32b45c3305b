/** The program's own TypeScript files, the ones Pulumi loads: index.ts and the modules in components/ and stacks/. */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "./pulumi-cli";

/** Paths relative to the repository root, sorted. */
export function programFiles(): string[] {
  const files = ["index.ts"];
  for (const dir of ["components", "stacks"]) {
    for (const entry of fs.readdirSync(path.join(REPO_ROOT, dir))) {
      if (entry.endsWith(".ts")) files.push(path.join(dir, entry));
    }
  }
  return files.sort();
}
