/**
 * The wait's Kubernetes client (@kubernetes/client-node 1.4.0) against a stand-in API server on a loopback port:
 * the paths it reads, the merge patch it sends, what it makes of a 404 and of a refusal, and which kubeconfig and
 * context it uses (stacks/cluster.ts reads them as the kubernetes provider does).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { clusterClient } from "../components/cluster-client";
import { sha256 } from "../components/password-guard";
import { decodeRelease, encodeRelease } from "../components/helm-recovery";
import { readClusterAccess } from "../stacks/cluster";

const TOKEN = "s3cret-bearer-token";
const PASSWORD = "db-password-in-the-secret-000001";

/** Helm's record of revision 2 of release argocd, left pending-upgrade. */
const helmSecret = () => ({
  kind: "Secret",
  metadata: {
    name: "sh.helm.release.v1.argocd.v2",
    resourceVersion: "41",
    labels: { owner: "helm", name: "argocd", status: "pending-upgrade", version: "2" },
  },
  type: "helm.sh/release.v1",
  data: {
    release: encodeRelease({
      name: "argocd",
      version: 2,
      info: { status: "pending-upgrade" },
      manifest: "m",
    }),
  },
});

interface Seen {
  method: string;
  url: string;
  contentType?: string;
  authorization?: string;
  body: string;
}

/** A stand-in API server: one Application, one AtlasSchema, a forbidden Application, nothing else. */
function apiServer(seen: Seen[]) {
  return http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        contentType: req.headers["content-type"],
        authorization: req.headers.authorization,
        body,
      });
      const json = (code: number, value: unknown) => {
        res.writeHead(code, { "Content-Type": "application/json" });
        res.end(JSON.stringify(value));
      };
      const app = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/shop";
      if (req.url === app) return json(200, { kind: "Application", status: { sync: { status: "Synced" } } });
      if (req.url === "/apis/db.atlasgo.io/v1alpha1/namespaces/shop/atlasschemas/shop") {
        return json(200, { kind: "AtlasSchema", metadata: { generation: 2 } });
      }
      const record = "/api/v1/namespaces/argocd/secrets/sh.helm.release.v1.argocd.v2";
      if (req.url?.startsWith("/api/v1/namespaces/argocd/secrets?")) {
        return json(200, { kind: "SecretList", items: [helmSecret()] });
      }
      if (req.url === record && req.method === "GET") return json(200, helmSecret());
      if (req.url === record && req.method === "PUT") return json(200, JSON.parse(body));
      if (req.url === record && req.method === "DELETE") return json(200, { kind: "Status", code: 200 });
      if (req.url === "/api/v1/namespaces/shop/secrets/db-credentials") {
        return json(200, {
          kind: "Secret",
          metadata: { name: "db-credentials", annotations: { "atlas-gitops.io/password-rotation": "3" } },
          data: { password: Buffer.from(PASSWORD).toString("base64") },
        });
      }
      if (req.url === "/api/v1/namespaces/argocd/configmaps/argocd-cm") {
        return json(200, { kind: "ConfigMap", metadata: { name: "argocd-cm" }, data: {} });
      }
      if (req.url === "/api/v1/namespaces/argocd/secrets/cluster-dev") {
        const b64 = (v: string) => Buffer.from(v).toString("base64");
        return json(200, {
          kind: "Secret",
          metadata: { name: "cluster-dev" },
          data: {
            name: b64("dev"),
            server: b64("https://10.0.0.7:6443"),
            config: b64(JSON.stringify({ bearerToken: TOKEN })),
          },
        });
      }
      if (req.url === "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/dev-shop") {
        return json(200, {
          kind: "Application",
          spec: { destination: { server: "https://10.0.0.7:6443", namespace: "shop" } },
        });
      }
      if (req.url?.startsWith("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/locked")) {
        return json(403, {
          kind: "Status",
          message: 'applications.argoproj.io "locked" is forbidden: User "ci" cannot get resource',
          code: 403,
        });
      }
      json(404, { kind: "Status", message: "not found", code: 404 });
    });
  });
}

/**
 * A kubeconfig with two contexts: `down` (current, a closed port) and `up` (the stand-in server). Plain HTTP, which
 * client-node allows only with insecure-skip-tls-verify.
 */
function kubeconfig(port: number): string {
  const cluster = (name: string, p: number) =>
    `- name: ${name}\n  cluster:\n    server: http://127.0.0.1:${p}\n    insecure-skip-tls-verify: true\n`;
  const context = (name: string) => `- name: ${name}\n  context:\n    cluster: ${name}\n    user: ci\n`;
  return [
    "apiVersion: v1",
    "kind: Config",
    "current-context: down",
    "clusters:",
    cluster("down", 1) + cluster("up", port),
    "contexts:",
    context("down") + context("up"),
    "users:",
    `- name: ci\n  user:\n    token: ${TOKEN}\n`,
  ].join("\n");
}

/** A temporary directory of a test, removed when the file's tests end. */
const scratchDirs: string[] = [];
const scratch = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-"));
  scratchDirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of scratchDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe("clusterClient", () => {
  const seen: Seen[] = [];
  const server = apiServer(seen);
  let port = 0;
  before(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());
  beforeEach(() => (seen.length = 0));

  const client = () => clusterClient({ kubeconfig: { contents: kubeconfig(port) }, context: "up" });

  it("reads the Application from Argo CD's namespace, as the kubeconfig's user", async () => {
    const app = await client().getApplication("argocd", "shop");
    assert.deepEqual(app.status?.sync?.status, "Synced");
    assert.equal(seen[0].method, "GET");
    assert.equal(seen[0].authorization, `Bearer ${TOKEN}`);
  });

  it("asks for a refresh with a JSON merge patch of the one annotation", async () => {
    await client().requestRefresh("argocd", "shop");
    assert.deepEqual(
      seen.map((s) => [s.method, s.url, s.contentType, JSON.parse(s.body)]),
      [
        [
          "PATCH",
          "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/shop",
          "application/merge-patch+json",
          { metadata: { annotations: { "argocd.argoproj.io/refresh": "normal" } } },
        ],
      ],
    );
  });

  it("reads an AtlasSchema, and answers undefined for an AtlasMigration that does not exist", async () => {
    assert.deepEqual(await client().getAtlasObject("AtlasSchema", "shop", "shop"), {
      kind: "AtlasSchema",
      metadata: { generation: 2 },
    });
    assert.equal(await client().getAtlasObject("AtlasMigration", "shop", "gone"), undefined);
    assert.equal(seen[1].url, "/apis/db.atlasgo.io/v1alpha1/namespaces/shop/atlasmigrations/gone");
  });

  it("reads the credentials Secret as a digest of its password and the rotation it was written with", async () => {
    const stored = await client().readCredentials("shop", "db-credentials");
    assert.deepEqual(stored, { passwordSha256: sha256(PASSWORD), rotation: "3" });
    assert.ok(!JSON.stringify(stored).includes(PASSWORD));
    assert.equal(await client().readCredentials("shop", "missing"), undefined);
    assert.deepEqual(
      seen.map((s) => [s.method, s.url]),
      [
        ["GET", "/api/v1/namespaces/shop/secrets/db-credentials"],
        ["GET", "/api/v1/namespaces/shop/secrets/missing"],
      ],
    );
  });

  it("lists Helm's records of a release by its labels, decoded", async () => {
    const records = await client().listReleaseRecords("argocd", "argocd");
    assert.deepEqual(records, [
      {
        secretName: "sh.helm.release.v1.argocd.v2",
        version: 2,
        status: "pending-upgrade",
        release: { name: "argocd", version: 2, info: { status: "pending-upgrade" }, manifest: "m" },
      },
    ]);
    assert.equal(seen[0].url, "/api/v1/namespaces/argocd/secrets?labelSelector=owner%3Dhelm%2Cname%3Dargocd");
  });

  it("marks a record failed by replacing its Secret at the version it read, label and release both", async () => {
    const [r] = await client().listReleaseRecords("argocd", "argocd");
    seen.length = 0;
    await client().markReleaseFailed("argocd", r, "why");
    assert.deepEqual(
      seen.map((s) => [s.method, s.url]),
      [
        ["GET", "/api/v1/namespaces/argocd/secrets/sh.helm.release.v1.argocd.v2"],
        ["PUT", "/api/v1/namespaces/argocd/secrets/sh.helm.release.v1.argocd.v2"],
      ],
    );
    const put = JSON.parse(seen[1].body);
    assert.equal(put.metadata.resourceVersion, "41");
    assert.deepEqual(put.metadata.labels, { owner: "helm", name: "argocd", status: "failed", version: "2" });
    assert.deepEqual(decodeRelease(put.data.release), {
      name: "argocd",
      version: 2,
      info: { status: "failed", description: "why" },
      manifest: "m",
    });
  });

  it("deletes a record, and takes one already gone as deleted", async () => {
    await client().deleteReleaseRecord("argocd", "sh.helm.release.v1.argocd.v2");
    await client().deleteReleaseRecord("argocd", "sh.helm.release.v1.argocd.v9");
    assert.deepEqual(
      seen.map((s) => [s.method, s.url]),
      [
        ["DELETE", "/api/v1/namespaces/argocd/secrets/sh.helm.release.v1.argocd.v2"],
        ["DELETE", "/api/v1/namespaces/argocd/secrets/sh.helm.release.v1.argocd.v9"],
      ],
    );
  });

  it("reads for the checks before registering: argocd-cm, a cluster Secret's name and server (never its config), a destination", async () => {
    const c = client();
    assert.equal(await c.server(), `http://127.0.0.1:${port}`);
    assert.equal(await c.hasConfigMap("argocd", "argocd-cm"), true);
    assert.equal(await c.hasConfigMap("gitops", "argocd-cm"), false);
    const secret = await c.readClusterSecret("argocd", "cluster-dev");
    assert.deepEqual(secret, { name: "dev", server: "https://10.0.0.7:6443" });
    assert.ok(!JSON.stringify(secret).includes(TOKEN));
    assert.equal(await c.readClusterSecret("argocd", "cluster-prod"), undefined);
    assert.deepEqual(await c.readDestination("argocd", "dev-shop"), {
      server: "https://10.0.0.7:6443",
      namespace: "shop",
    });
    assert.equal(await c.readDestination("argocd", "prod-shop"), undefined);
  });

  it("turns a refusal into one line with the API server's message, and no credentials", async () => {
    await assert.rejects(client().getApplication("argocd", "locked"), (e: Error) => {
      assert.equal(
        e.message,
        'the Kubernetes API answered 403: applications.argoproj.io "locked" is forbidden: User "ci" cannot get resource',
      );
      return true;
    });
  });

  it("uses the kubeconfig's current context unless told another", async () => {
    const current = clusterClient({ kubeconfig: { contents: kubeconfig(port) } });
    await assert.rejects(current.getApplication("argocd", "shop"));
    assert.equal(seen.length, 0, "nothing reached the stand-in");
  });

  it("reads a kubeconfig file", async () => {
    const file = path.join(scratch(), "config");
    fs.writeFileSync(file, kubeconfig(port));
    await clusterClient({ kubeconfig: { path: file }, context: "up" }).getApplication("argocd", "shop");
    assert.equal(seen.length, 1);
  });
});

describe("readClusterAccess", () => {
  const set = (values: Record<string, string>) => {
    for (const key of ["kubernetes:kubeconfig", "kubernetes:context"]) pulumi.runtime.setConfig(key, "");
    for (const [k, v] of Object.entries(values)) pulumi.runtime.setConfig(k, v);
  };
  after(() => set({}));

  it("leaves the kubeconfig to the defaults when the provider's config sets none", () => {
    set({});
    assert.deepEqual(readClusterAccess(), {});
  });

  it("takes kubernetes:kubeconfig as a file when one is there, else as the kubeconfig itself, as the provider does", () => {
    const file = path.join(scratch(), "config");
    fs.writeFileSync(file, "apiVersion: v1\n");
    set({ "kubernetes:kubeconfig": file, "kubernetes:context": "kind-e2e" });
    assert.deepEqual(readClusterAccess(), { kubeconfig: { path: file }, context: "kind-e2e" });
    set({ "kubernetes:kubeconfig": "apiVersion: v1\nkind: Config\n" });
    assert.deepEqual(readClusterAccess(), { kubeconfig: { contents: "apiVersion: v1\nkind: Config\n" } });
  });
});
