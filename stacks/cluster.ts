/**
 * Where `pulumi up` reads the Applications it waits for: the cluster the kubernetes provider deploys to, from the
 * provider's own config (`kubernetes:kubeconfig`, `kubernetes:context`), not a key of this project's.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterAccess } from "../components/cluster-client";
import { PROJECT } from "./defaults";
import { kubeconfigServer, kubeconfigText, type KubeconfigServer } from "./kubeconfig";

/**
 * The provider takes `kubernetes:kubeconfig` as a path when a file is there (after `~` expansion), else as the
 * kubeconfig itself (pulumi-kubernetes provider/pkg/provider/provider.go, pathOrContents); so does this. Read
 * through pulumi.runtime.getConfig, which neither warns about a secret value nor makes it an Output: the value
 * goes to the client only, never into a message or the state.
 */
export function readClusterAccess(): ClusterAccess {
  const kubeconfig = pulumi.runtime.getConfig("kubernetes:kubeconfig");
  const context = pulumi.runtime.getConfig("kubernetes:context");
  const file = kubeconfig?.startsWith("~/") ? path.join(os.homedir(), kubeconfig.slice(2)) : kubeconfig;
  return {
    ...(kubeconfig
      ? { kubeconfig: file && fs.existsSync(file) ? { path: file } : { contents: kubeconfig } }
      : {}),
    ...(context ? { context } : {}),
  };
}

/**
 * This cluster's API server as the kubernetes provider reaches it: the `kubernetes:kubeconfig` (else the first
 * file of KUBECONFIG, else ~/.kube/config) at `kubernetes:context`. A spoke's clusterServer defaults to it.
 */
export function spokeServer(): KubeconfigServer {
  const access = readClusterAccess();
  let text: string;
  if (access.kubeconfig !== undefined) {
    text =
      "path" in access.kubeconfig
        ? fs.readFileSync(access.kubeconfig.path, "utf8")
        : access.kubeconfig.contents;
  } else {
    const file =
      process.env.KUBECONFIG?.split(path.delimiter)[0] || path.join(os.homedir(), ".kube", "config");
    if (!fs.existsSync(file))
      return { problem: `no kubernetes:kubeconfig is set and ${file} does not exist` };
    text = fs.readFileSync(file, "utf8");
  }
  return kubeconfigServer(text, access.context);
}

/**
 * Where a spoke's wait reads the Applications: the hub, from `hubKubeconfig` and `hubContext`. Read through
 * pulumi.runtime.getConfig like readClusterAccess: the value goes to the client only.
 */
export function readHubAccess(): ClusterAccess {
  const kubeconfig = pulumi.runtime.getConfig(`${PROJECT}:hubKubeconfig`) ?? "";
  const context = pulumi.runtime.getConfig(`${PROJECT}:hubContext`);
  return { kubeconfig: { contents: kubeconfigText(kubeconfig) }, ...(context ? { context } : {}) };
}
