/**
 * Where the e2e suite deploys, read from the environment once:
 * - by default, a control plane of its own (support/control-plane.ts) with both stand-ins;
 * - with E2E_KUBECONFIG, an existing cluster (kind, say) that runs the real Argo CD and Atlas operator from the
 *   charts and pulls their images; the suite then starts only a git daemon on E2E_GIT_HOST, an address of this
 *   machine the cluster's pods reach, and uses no stand-in unless E2E_STAND_INS names one.
 */
import * as fs from "fs";
import * as path from "path";
import type { ExistingCluster } from "./control-plane";

export const STAND_INS = ["random", "atlas-operator"] as const;
export type StandIn = (typeof STAND_INS)[number];

export interface Target {
  readonly existing?: ExistingCluster;
  readonly standIns: ReadonlySet<StandIn>;
}

/** Reads the target from `env`; throws, naming the variable, the value and a fix, when it is not usable. */
export function targetFrom(env: NodeJS.ProcessEnv): Target {
  const kubeconfig = env.E2E_KUBECONFIG;
  let existing: ExistingCluster | undefined;
  if (kubeconfig !== undefined && kubeconfig !== "") {
    const file = path.resolve(kubeconfig);
    if (!fs.existsSync(file)) {
      throw new Error(
        `E2E_KUBECONFIG is '${kubeconfig}', which does not exist: name a kubeconfig file, e.g. ` +
          "`kind get kubeconfig --name atlas-e2e > /tmp/atlas-e2e.kubeconfig && " +
          "E2E_KUBECONFIG=/tmp/atlas-e2e.kubeconfig E2E_GIT_HOST=<address> npm run test:e2e`",
      );
    }
    const gitHost = env.E2E_GIT_HOST ?? "";
    if (!/^[0-9A-Za-z.:-]+$/.test(gitHost)) {
      throw new Error(
        `E2E_GIT_HOST is '${gitHost}': with E2E_KUBECONFIG it must be an address of this machine that the ` +
          "cluster's pods reach (the suite serves the manifests repository there), e.g. for kind: " +
          "E2E_GIT_HOST=$(docker network inspect kind -f '{{(index .IPAM.Config 0).Gateway}}')",
      );
    }
    existing = { kubeconfig: file, gitHost };
  }
  const named = env.E2E_STAND_INS;
  const standIns = new Set<StandIn>(
    named === undefined ? (existing ? [] : STAND_INS) : (named.split(",").filter(Boolean) as StandIn[]),
  );
  for (const s of standIns) {
    if (!STAND_INS.includes(s)) {
      throw new Error(
        `E2E_STAND_INS is '${named}': '${s}' is not a stand-in; allowed: ${STAND_INS.join(", ")}, comma-separated ` +
          `(e.g. E2E_STAND_INS=random), or empty for none`,
      );
    }
  }
  if (!existing && standIns.size < STAND_INS.length) {
    throw new Error(
      `E2E_STAND_INS is '${named}': the suite's own control plane has neither the random provider nor the Atlas ` +
        "operator, so it needs both stand-ins; unset E2E_STAND_INS, or set E2E_KUBECONFIG to a real cluster",
    );
  }
  return { existing, standIns };
}
