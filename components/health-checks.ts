/**
 * Argo CD health checks for the Atlas operator's kinds, as argocd-cm entries.
 *
 * The scripts live as plain `.lua` files so they can be read, diffed and tested as Lua; this module only
 * turns them into the keys Argo CD looks up.
 */
import * as fs from "fs";
import * as path from "path";

/** argocd-cm key prefix for a custom health check; Argo CD appends `<group>_<kind>`. */
export const HEALTH_CHECK_KEY_PREFIX = "resource.customizations.health.";

/** Where the scripts live; each file is named `<group>_<kind>.lua`, so the key never has to be typed twice. */
const SCRIPTS_DIR = path.join(__dirname, "health-checks");

/**
 * Every `*.lua` script under `components/health-checks/`, keyed by its argocd-cm key, e.g.
 * `resource.customizations.health.db.atlasgo.io_AtlasSchema`. Sorted by file name so the ConfigMap
 * renders identically on every run and Pulumi sees no spurious diff.
 */
export function atlasHealthChecks(): Record<string, string> {
  const scripts: Record<string, string> = {};
  const files = fs
    .readdirSync(SCRIPTS_DIR)
    .filter((name) => name.endsWith(".lua"))
    .sort();
  for (const file of files) {
    const key = HEALTH_CHECK_KEY_PREFIX + path.basename(file, ".lua");
    scripts[key] = fs.readFileSync(path.join(SCRIPTS_DIR, file), "utf8");
  }
  return scripts;
}
