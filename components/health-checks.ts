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

/**
 * Where the per-kind scripts live; each file is named `<group>_<kind>.lua`, so the key never has to be typed
 * twice. Each holds only what differs between kinds (`KIND` and `approval_hint`).
 */
const SCRIPTS_DIR = path.join(__dirname, "health-checks");

/** The logic every kind shares, appended to each kind's file; in a subdirectory so it is not a kind itself. */
const SHARED_BODY = path.join(SCRIPTS_DIR, "shared", "atlas-status.lua");

/**
 * Every `*.lua` script directly under `components/health-checks/`, keyed by its argocd-cm key, e.g.
 * `resource.customizations.health.db.atlasgo.io_AtlasSchema`, each followed by the shared body.
 *
 * The scripts are composed here because Argo CD runs one self-contained script per argocd-cm key, with no
 * `require` to load a shared module from: writing the shared logic once means appending it to each kind's
 * part, which defines the `KIND` and `approval_hint` the shared body relies on. Sorted by file name, and
 * built only from the files, so the ConfigMap renders identically on every run and Pulumi sees no spurious
 * diff.
 */
export function atlasHealthChecks(): Record<string, string> {
  const shared = fs.readFileSync(SHARED_BODY, "utf8");
  const scripts: Record<string, string> = {};
  const files = fs
    .readdirSync(SCRIPTS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".lua"))
    .map((entry) => entry.name)
    .sort();
  for (const file of files) {
    const key = HEALTH_CHECK_KEY_PREFIX + path.basename(file, ".lua");
    scripts[key] = `${fs.readFileSync(path.join(SCRIPTS_DIR, file), "utf8")}\n${shared}`;
  }
  return scripts;
}
