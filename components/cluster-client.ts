/**
 * The wait's Kubernetes client: @kubernetes/client-node, on the kubeconfig the kubernetes provider uses. Loaded
 * on the first call only (an ES module, through Node's require(esm)), so a preview never pays for it.
 */
import type * as k8s from "@kubernetes/client-node";
import type { AtlasObject } from "./atlas-status";
import type { ApplicationClient } from "./application-wait";
import { ROTATION_ANNOTATION, sha256, type CredentialsReader } from "./password-guard";
import {
  decodeRelease,
  encodeRelease,
  failedRelease,
  type ReleaseRecord,
  type ReleaseStore,
} from "./helm-recovery";
import type { ArgoCdReader } from "./argocd-preflight";
import type { ArgoApplication } from "./sync-wait";
import { REFRESH_ANNOTATION } from "./sync-wait";

/** Where the cluster is: stacks/cluster.ts reads it from the provider's config. */
export interface ClusterAccess {
  /** `kubernetes:kubeconfig`: a file, or the kubeconfig itself. Defaults to KUBECONFIG, ~/.kube/config, in-cluster. */
  readonly kubeconfig?: { readonly path: string } | { readonly contents: string };
  /** `kubernetes:context`. Defaults to the kubeconfig's current context. */
  readonly context?: string;
}

/** An API error in one line: the status code and the API server's message, not the response headers. */
function apiError(lib: typeof k8s, e: unknown): unknown {
  if (!(e instanceof lib.ApiException)) return e;
  let detail: unknown = e.body;
  try {
    detail = typeof e.body === "string" ? (JSON.parse(e.body) as { message?: string }).message : e.body;
  } catch {
    // Not JSON: keep the body as it came.
  }
  return new Error(`the Kubernetes API answered ${e.code}${detail ? `: ${String(detail)}` : ""}`);
}

const ATLAS_PLURAL: Record<string, string> = {
  AtlasSchema: "atlasschemas",
  AtlasMigration: "atlasmigrations",
};

export function clusterClient(
  access: ClusterAccess,
): ApplicationClient & CredentialsReader & ReleaseStore & ArgoCdReader {
  let api:
    | Promise<{ client: k8s.CustomObjectsApi; core: k8s.CoreV1Api; lib: typeof k8s; server?: string }>
    | undefined;
  const connect = () =>
    (api ??= import("@kubernetes/client-node").then((lib) => {
      const kc = new lib.KubeConfig();
      if (access.kubeconfig === undefined) kc.loadFromDefault();
      else if ("path" in access.kubeconfig) kc.loadFromFile(access.kubeconfig.path);
      else kc.loadFromString(access.kubeconfig.contents);
      if (access.context !== undefined) kc.setCurrentContext(access.context);
      return {
        client: kc.makeApiClient(lib.CustomObjectsApi),
        core: kc.makeApiClient(lib.CoreV1Api),
        lib,
        server: kc.getCurrentCluster()?.server,
      };
    }));
  /** A read that answers undefined for 404 and a one-line error for anything else. */
  const orMissing = async <T>(read: (c: Awaited<ReturnType<typeof connect>>) => Promise<T>) => {
    const c = await connect();
    try {
      return await read(c);
    } catch (e) {
      if (e instanceof c.lib.ApiException && e.code === 404) return undefined;
      throw apiError(c.lib, e);
    }
  };
  const application = { group: "argoproj.io", version: "v1alpha1", plural: "applications" };
  return {
    async getApplication(namespace, name) {
      const { client, lib } = await connect();
      return (await client
        .getNamespacedCustomObject({ ...application, namespace, name })
        .catch((e) => Promise.reject(apiError(lib, e)))) as ArgoApplication;
    },
    async requestRefresh(namespace, name) {
      const { client, lib } = await connect();
      await client
        .patchNamespacedCustomObject(
          {
            ...application,
            namespace,
            name,
            body: { metadata: { annotations: { [REFRESH_ANNOTATION]: "normal" } } },
          },
          lib.setHeaderOptions("Content-Type", lib.PatchStrategy.MergePatch),
        )
        .catch((e) => Promise.reject(apiError(lib, e)));
    },
    async getAtlasObject(kind, namespace, name) {
      return (await orMissing(({ client }) =>
        client.getNamespacedCustomObject({
          group: "db.atlasgo.io",
          version: "v1alpha1",
          plural: ATLAS_PLURAL[kind],
          namespace,
          name,
        }),
      )) as AtlasObject | undefined;
    },
    async readCredentials(namespace, name) {
      const secret = await orMissing(({ core }) => core.readNamespacedSecret({ namespace, name }));
      if (secret === undefined) return undefined;
      // Only a digest leaves this function: the password is never kept, logged or compared in plain.
      const encoded = secret.data?.password;
      return {
        passwordSha256:
          encoded === undefined ? undefined : sha256(Buffer.from(encoded, "base64").toString("utf8")),
        rotation: secret.metadata?.annotations?.[ROTATION_ANNOTATION],
      };
    },
    async server() {
      return (await connect()).server;
    },
    async hasConfigMap(namespace, name) {
      return (await orMissing(({ core }) => core.readNamespacedConfigMap({ namespace, name }))) !== undefined;
    },
    async readClusterSecret(namespace, name) {
      const secret = await orMissing(({ core }) => core.readNamespacedSecret({ namespace, name }));
      if (secret === undefined) return undefined;
      // Only the name and server leave this function; the config, which holds the token, is not read.
      const field = (key: string) => {
        const encoded = secret.data?.[key];
        return encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8");
      };
      return { name: field("name"), server: field("server") };
    },
    async readDestination(namespace, name) {
      const app = (await orMissing(({ client }) =>
        client.getNamespacedCustomObject({ ...application, namespace, name }),
      )) as { spec?: { destination?: { server?: string; name?: string } } } | undefined;
      return app === undefined ? undefined : { ...app.spec?.destination };
    },
    async listReleaseRecords(namespace, releaseName) {
      const { core, lib } = await connect();
      const list = await core
        .listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${releaseName}` })
        .catch((e) => Promise.reject(apiError(lib, e)));
      return list.items.map((s): ReleaseRecord => ({
        secretName: s.metadata?.name ?? "",
        version: Number(s.metadata?.labels?.version ?? "0"),
        status: s.metadata?.labels?.status ?? "",
        release: s.data?.release === undefined ? {} : decodeRelease(s.data.release),
      }));
    },
    async markReleaseFailed(namespace, record, note) {
      const { core, lib } = await connect();
      // Read, change and replace with the resourceVersion read: a concurrent change fails with 409, not lost.
      const secret = await core
        .readNamespacedSecret({ namespace, name: record.secretName })
        .catch((e) => Promise.reject(apiError(lib, e)));
      const release = decodeRelease(secret.data?.release ?? "");
      secret.metadata = { ...secret.metadata, labels: { ...secret.metadata?.labels, status: "failed" } };
      secret.data = { ...secret.data, release: encodeRelease(failedRelease(release, note)) };
      await core
        .replaceNamespacedSecret({ namespace, name: record.secretName, body: secret })
        .catch((e) => Promise.reject(apiError(lib, e)));
    },
    async deleteReleaseRecord(namespace, secretName) {
      const { core, lib } = await connect();
      await core.deleteNamespacedSecret({ namespace, name: secretName }).catch((e) => {
        if (e instanceof lib.ApiException && e.code === 404) return;
        return Promise.reject(apiError(lib, e));
      });
    },
  };
}

/**
 * A spoke's client: the Applications from the hub's Argo CD, the Atlas objects from the spoke, where the
 * operator runs them.
 */
export function fleetClient(argocd: ApplicationClient, workloads: ApplicationClient): ApplicationClient {
  return {
    getApplication: (namespace, name) => argocd.getApplication(namespace, name),
    requestRefresh: (namespace, name) => argocd.requestRefresh(namespace, name),
    getAtlasObject: (kind, namespace, name) => workloads.getAtlasObject(kind, namespace, name),
  };
}
