/**
 * A cluster that stays up until Ctrl-C: the e2e's control plane with Argo CD's controllers, and the stand-in
 * operator deciding on its own, as a real one with its databases would. Use it to try the program by hand, or to
 * run the suite in its E2E_KUBECONFIG mode on a machine without kind:
 *
 *   npm run e2e:cluster      # prints the kubeconfig and the commands, then waits
 *
 * The stand-in applies every schema except one MySQL would refuse: a varchar longer than utf8mb4 allows
 * (16383 characters) fails with MySQL 8's error 1074, as the operator reports an apply that failed.
 */
import * as path from "path";
import { AtlasOperatorStandIn, decideAlone } from "../stand-ins/atlas-operator";
import { ControlPlane } from "./control-plane";
import { REPO_ROOT, toolchainBin } from "./stack";

async function main(): Promise<void> {
  const cp = new ControlPlane({
    bin: toolchainBin(),
    manifests: path.join(REPO_ROOT, "examples", "manifests"),
  });
  await cp.start();
  const operator = new AtlasOperatorStandIn(cp.kubeconfig, decideAlone);
  await operator.start();
  console.log(
    [
      `A control plane is up (logs in ${cp.work}/logs). Ctrl-C stops it and removes ${cp.work}.`,
      "",
      `  export KUBECONFIG=${cp.kubeconfig}`,
      "",
      "The e2e suite against it, as against an existing cluster (the random provider stays a stand-in here):",
      "",
      `  E2E_KUBECONFIG=${cp.kubeconfig} E2E_GIT_HOST=127.0.0.1 E2E_STAND_INS=random npm run test:e2e`,
    ].join("\n"),
  );
  const stop = async () => {
    await operator.stop();
    await cp.stop();
    cp.remove();
    process.exit(0);
  };
  process.removeAllListeners("SIGINT");
  process.removeAllListeners("SIGTERM");
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
