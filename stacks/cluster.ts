/**
 * Where `pulumi up` reads the Applications it waits for: the cluster the kubernetes provider deploys to, from the
 * provider's own config (`kubernetes:kubeconfig`, `kubernetes:context`), not a key of this project's.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterAccess } from "../components/cluster-client";

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
