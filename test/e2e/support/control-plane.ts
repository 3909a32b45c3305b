/**
 * A real Kubernetes control plane and a real Argo CD on this machine, started and stopped by the e2e tests:
 * etcd, kube-apiserver with certificates of its own, kube-controller-manager, kube-scheduler, kwok playing the
 * kubelet of one node, Redis, Argo CD's application controller and repo-server, a `git daemon` serving the
 * manifests repository, and a loopback chart repository. Everything listens on free 127.0.0.1 ports, logs go to
 * one directory, and stop() ends exactly what start() began.
 *
 * What is not real: no container runs (kwok marks pods Running and Ready, and completes Jobs), so the chart's
 * own Argo CD pods are placeholders while the controller and repo-server run here as processes; and the Atlas
 * operator's status comes from the stand-in (stand-ins/atlas-operator.ts).
 *
 * Given an existing cluster (`existing`: the e2e's E2E_KUBECONFIG), it starts only the git daemon, on an address
 * that cluster's pods reach, and the chart server (Helm runs on this machine, so loopback does): the cluster runs
 * Argo CD and the operator from the charts itself.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { freePort, Processes, sleep, until } from "./processes";
import { removeScratch, scratchDir } from "./scratch";

export interface ControlPlaneOptions {
  /** The directory with the toolchain's binaries (toolchain/build.sh prints it). */
  readonly bin: string;
  /** Where the manifests repository's files come from. */
  readonly manifests: string;
  /** A Helm repository directory (index.yaml and packages) to serve on loopback; none: charts come from their homes. */
  readonly charts?: string;
  /** An existing cluster to use instead of starting one. */
  readonly existing?: ExistingCluster;
  /**
   * Run Argo CD's processes and the git daemon here. Defaults to true; false makes a spoke: its own etcd, API
   * server, controllers and kwok (and the chart server), deployed to by another control plane's Argo CD.
   */
  readonly argoCd?: boolean;
}

export interface ExistingCluster {
  readonly kubeconfig: string;
  /** An address of this machine that the cluster's pods reach; the git daemon listens there. */
  readonly gitHost: string;
}

export class ControlPlane {
  readonly work: string;
  readonly processes: Processes;
  readonly kubeconfig: string;
  /** git://<host>:<port>/manifests.git once started. */
  repoURL = "";
  /** http://127.0.0.1:<port> when a chart directory is served. */
  chartRepository?: string;
  /** The bare repository the git daemon serves; tests push to it with `git push`. */
  readonly bareRepo: string;
  private chartServer?: http.Server;
  private env: NodeJS.ProcessEnv;
  /** etcd's data, in memory (/dev/shm) where there is one: outside the work directory, removed with it. */
  private etcdData?: string;

  constructor(private readonly opts: ControlPlaneOptions) {
    this.work = scratchDir("e2e");
    this.processes = new Processes(path.join(this.work, "logs"));
    this.kubeconfig = opts.existing?.kubeconfig ?? path.join(this.work, "kubeconfig");
    this.bareRepo = path.join(this.work, "git", "manifests.git");
    this.env = { ...process.env, PATH: `${opts.bin}:${process.env.PATH}`, KUBECONFIG: this.kubeconfig };
  }

  /** kubectl against this control plane; returns stdout. */
  kubectl(args: string[], input?: string): string {
    return execFileSync(path.join(this.opts.bin, "kubectl"), args, {
      env: this.env,
      input,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  }

  /** One object as JSON, or undefined when it does not exist. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Kubernetes object, read by the tests
  get(kind: string, name: string, namespace?: string): any | undefined {
    try {
      const ns = namespace === undefined ? [] : ["-n", namespace];
      return JSON.parse(this.kubectl(["get", kind, name, ...ns, "-o", "json"]));
    } catch (e) {
      if (String((e as { stderr?: string }).stderr ?? e).includes("NotFound")) return undefined;
      throw e;
    }
  }

  /** One label of every Helm release record (the Secrets labelled owner=helm): `name`, `status` or `version`. */
  helmRecords(label: string): string[] {
    return this.kubectl([
      "get",
      "secrets",
      "-A",
      "-l",
      "owner=helm",
      "-o",
      `jsonpath={.items[*].metadata.labels.${label}}`,
    ])
      .split(" ")
      .filter(Boolean);
  }

  /** What `argocd version --client --short` printed, once Argo CD is started here. */
  argoCdVersion?: string;

  /** The first line a binary prints of its version; also written to the logs directory. */
  private versionOf(binary: string, args: string[]): string {
    const version = execFileSync(binary, args, { encoding: "utf8" }).trim().split("\n")[0];
    fs.appendFileSync(
      path.join(this.processes.logDir, "versions.txt"),
      `${path.basename(binary)}: ${version}\n`,
    );
    return version;
  }

  /** Whether this is an existing cluster, which runs Argo CD and the operator itself. */
  get existing(): boolean {
    return this.opts.existing !== undefined;
  }

  async start(): Promise<void> {
    const started = Date.now();
    if (this.opts.existing) {
      this.kubectl(["get", "--raw", "/readyz"]);
      await this.startGit(this.opts.existing.gitHost);
      await this.startCharts();
      return;
    }
    this.certificates();
    await this.startEtcdAndApiServer();
    await this.startControllers();
    await this.startNode();
    if (this.opts.argoCd ?? true) await this.startGit();
    await this.startCharts();
    if (this.opts.argoCd ?? true) await this.startArgoCd();
    fs.writeFileSync(path.join(this.work, "started.txt"), `${(Date.now() - started) / 1000} s\n`);
  }

  async stop(): Promise<void> {
    await this.processes.stopAll();
    await new Promise<void>((resolve) =>
      this.chartServer ? this.chartServer.close(() => resolve()) : resolve(),
    );
  }

  /** Removes the work directory and etcd's data; call after stop(), and keep both when a test failed. */
  remove(): void {
    if (this.etcdData !== undefined) removeScratch(this.etcdData);
    removeScratch(this.work);
  }

  private openssl(args: string[]): void {
    execFileSync("openssl", args, { cwd: path.join(this.work, "pki"), stdio: ["ignore", "ignore", "pipe"] });
  }

  /** One CA; the API server's serving certificate for 127.0.0.1; an admin client in system:masters; a SA key. */
  private certificates(): void {
    const pki = path.join(this.work, "pki");
    fs.mkdirSync(pki, { recursive: true });
    const days = ["-days", "2"];
    this.openssl([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      ...days,
      "-subj",
      "/CN=e2e-ca",
    ]);
    fs.writeFileSync(
      path.join(pki, "server.ext"),
      "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n" +
        "extendedKeyUsage=serverAuth\n",
    );
    fs.writeFileSync(path.join(pki, "client.ext"), "extendedKeyUsage=clientAuth\n");
    for (const [name, subject, ext] of [
      ["server", "/CN=kube-apiserver", "server.ext"],
      ["admin", "/O=system:masters/CN=e2e-admin", "client.ext"],
    ]) {
      this.openssl([
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.csr`,
        "-subj",
        subject,
      ]);
      this.openssl([
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        `${name}.crt`,
        ...days,
        "-extfile",
        ext,
      ]);
    }
    this.openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sa.key"]);
    this.openssl(["ec", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
  }

  private pki(file: string): string {
    return path.join(this.work, "pki", file);
  }

  private async startEtcdAndApiServer(): Promise<void> {
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    // Memory-backed storage makes etcd's fsyncs cheap; --unsafe-no-fsync skips them.
    const shm = fs.existsSync("/dev/shm") ? "/dev/shm" : this.work;
    const dataDir = (this.etcdData = scratchDir("etcd", shm));
    fs.symlinkSync(dataDir, path.join(this.work, "etcd-data"));
    const etcdURL = `http://127.0.0.1:${etcdPort}`;
    const peerURL = `http://127.0.0.1:${peerPort}`;
    this.processes.start("etcd", path.join(this.opts.bin, "etcd"), [
      "--unsafe-no-fsync",
      "--log-level=warn",
      "--name=e2e",
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${etcdURL}`,
      `--advertise-client-urls=${etcdURL}`,
      `--listen-peer-urls=${peerURL}`,
      `--initial-advertise-peer-urls=${peerURL}`,
      `--initial-cluster=e2e=${peerURL}`,
    ]);
    // Supervised, so that a test can stop it for a while (processes.kill) as an outage of the control plane.
    this.processes.supervise("kube-apiserver", path.join(this.opts.bin, "kube-apiserver"), [
      `--etcd-servers=${etcdURL}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      // No Endpoints for the kubernetes Service: nothing in this cluster reaches the API server through it.
      "--endpoint-reconciler-type=none",
      `--tls-cert-file=${this.pki("server.crt")}`,
      `--tls-private-key-file=${this.pki("server.key")}`,
      `--client-ca-file=${this.pki("ca.crt")}`,
      "--service-account-issuer=https://kubernetes.default.svc",
      `--service-account-key-file=${this.pki("sa.pub")}`,
      `--service-account-signing-key-file=${this.pki("sa.key")}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--authorization-mode=Node,RBAC",
      // One fake node, and no node lifecycle controller (see startControllers): nothing would lift the
      // not-ready taint this admission plugin puts on a new node.
      "--disable-admission-plugins=TaintNodesByCondition",
      "--allow-privileged=true",
    ]);
    const server = `https://127.0.0.1:${apiPort}`;
    const b64 = (f: string) => fs.readFileSync(this.pki(f)).toString("base64");
    fs.writeFileSync(
      this.kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "e2e", cluster: { server, "certificate-authority-data": b64("ca.crt") } }],
        users: [
          {
            name: "admin",
            user: { "client-certificate-data": b64("admin.crt"), "client-key-data": b64("admin.key") },
          },
        ],
        contexts: [{ name: "e2e", context: { cluster: "e2e", user: "admin" } }],
        "current-context": "e2e",
      }),
      { mode: 0o600 },
    );
    await until(
      "the API server to be ready",
      () => (this.kubectl(["get", "--raw", "/readyz"]).trim() === "ok" ? true : undefined),
      120_000,
      500,
    );
  }

  private async startControllers(): Promise<void> {
    // What both take: the admin kubeconfig for everything, one instance each, a free loopback port for /healthz.
    const common = async () => [
      `--kubeconfig=${this.kubeconfig}`,
      `--authentication-kubeconfig=${this.kubeconfig}`,
      `--authorization-kubeconfig=${this.kubeconfig}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${await freePort()}`,
    ];
    this.processes.start("kube-controller-manager", path.join(this.opts.bin, "kube-controller-manager"), [
      ...(await common()),
      `--service-account-private-key-file=${this.pki("sa.key")}`,
      `--root-ca-file=${this.pki("ca.crt")}`,
      "--use-service-account-credentials=false",
      // No node lifecycle controller: on a loaded machine kwok's lease renewals can come late, and the
      // controller would then mark the node NotReady and every pod on it unready, which kwok does not undo.
      "--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-route",
    ]);
    this.processes.start("kube-scheduler", path.join(this.opts.bin, "kube-scheduler"), await common());
    // The ServiceAccount admission needs each namespace's "default" ServiceAccount before a pod can be made.
    await until(
      "the default ServiceAccount",
      () => this.get("serviceaccount", "default", "default"),
      120_000,
      500,
    );
  }

  /** One node that kwok keeps Ready, and hostPath volumes for the examples' claims. */
  private async startNode(): Promise<void> {
    this.processes.start("kwok", path.join(this.opts.bin, "kwok"), [
      `--kubeconfig=${this.kubeconfig}`,
      `--config=${path.join(this.opts.bin, "kwok-stages.yaml")}`,
      "--manage-all-nodes=false",
      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      // The heartbeat stage renews a Lease; with none (kwok's default is 0 s) the node lifecycle controller
      // finds the node silent after 40 s, marks it NotReady and every pod on it unready.
      "--node-lease-duration-seconds=40",
      "--cidr=10.244.0.0/16",
      "--node-ip=127.0.0.1",
    ]);
    const capacity = { cpu: "64", memory: "256Gi", pods: "500", "ephemeral-storage": "1Ti" };
    const volumes = ["a", "b", "c", "d", "e", "f"].map((v) => ({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `e2e-volume-${v}` },
      spec: {
        capacity: { storage: "100Gi" },
        accessModes: ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Delete",
        hostPath: { path: path.join(this.work, "volumes", v) },
      },
    }));
    this.kubectl(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [
          {
            apiVersion: "v1",
            kind: "Node",
            metadata: {
              name: "e2e-node",
              annotations: { "node.alpha.kubernetes.io/ttl": "0", "kwok.x-k8s.io/node": "fake" },
              labels: {
                "kubernetes.io/hostname": "e2e-node",
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                type: "kwok",
              },
            },
            status: { allocatable: capacity, capacity },
          },
          ...volumes,
        ],
      }),
    );
    await until(
      "the node to be Ready",
      () => {
        const node = this.get("node", "e2e-node");
        const ready = node?.status?.conditions?.find((c: { type: string }) => c.type === "Ready");
        return ready?.status === "True" ? true : undefined;
      },
      60_000,
      500,
    );
  }

  /** A bare repository of examples/manifests, served read-only by `git daemon` on a free port of `host`. */
  private async startGit(host = "127.0.0.1"): Promise<void> {
    const checkout = path.join(this.work, "git", "checkout");
    fs.cpSync(this.opts.manifests, checkout, { recursive: true });
    const git = (args: string[], cwd = checkout) =>
      execFileSync("git", args, {
        cwd,
        env: { ...process.env, ...GIT_IDENTITY },
        stdio: ["ignore", "pipe", "pipe"],
      }).toString();
    git(["init", "-q", "-b", "main"]);
    git(["add", "-A"]);
    git(["commit", "-q", "-m", "Example manifests"]);
    git(["clone", "-q", "--bare", checkout, this.bareRepo], this.work);
    git(["remote", "add", "origin", this.bareRepo]);
    git(["fetch", "-q", "origin"]);
    git(["branch", "-q", "--set-upstream-to=origin/main", "main"]);
    const port = await freePort();
    this.processes.start("git-daemon", "git", [
      "daemon",
      "--export-all",
      "--reuseaddr",
      `--listen=${host}`,
      `--port=${port}`,
      `--base-path=${path.join(this.work, "git")}`,
      path.join(this.work, "git"),
    ]);
    this.repoURL = `git://${host.includes(":") ? `[${host}]` : host}:${port}/manifests.git`;
    await until(
      "git daemon",
      () => (git(["ls-remote", this.repoURL]).includes("refs/heads/main") ? true : undefined),
      30_000,
      250,
    );
  }

  /** The working copy tests commit to before `push()`. */
  get checkout(): string {
    return path.join(this.work, "git", "checkout");
  }

  /** Commits everything changed in the checkout and pushes it to main; returns the new commit's SHA. */
  commitAndPush(message: string): string {
    const git = (args: string[]) =>
      execFileSync("git", args, {
        cwd: this.checkout,
        env: { ...process.env, ...GIT_IDENTITY },
        stdio: ["ignore", "pipe", "pipe"],
      })
        .toString()
        .trim();
    git(["add", "-A"]);
    git(["commit", "-q", "-m", message]);
    git(["push", "-q", "origin", "main"]);
    return git(["rev-parse", "HEAD"]);
  }

  /** The commit main points to now. */
  head(): string {
    return execFileSync("git", ["rev-parse", "main"], { cwd: this.bareRepo }).toString().trim();
  }

  /** Serves the chart directory over HTTP on loopback, as a Helm repository. */
  private async startCharts(): Promise<void> {
    const dir = this.opts.charts;
    if (dir === undefined) return;
    const server = http.createServer((req, res) => {
      const name = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "");
      const file = path.join(dir, name);
      if (name.includes("..") || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": name.endsWith(".yaml") ? "text/yaml" : "application/gzip" });
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.chartServer = server;
    this.chartRepository = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  /** The processes startArgoCd starts, as `processes` names them. */
  static readonly ARGO_CD_PROCESSES = [
    "redis",
    "argocd-repo-server",
    "argocd-application-controller",
  ] as const;

  /**
   * Redis, then Argo CD's repo-server and application controller as processes, each kept running: the
   * controller exits until the argo-cd chart has created argocd-cm, as its pod would crash-loop. start() calls
   * it unless `argoCd` is false; a test calls it to give a spoke an Argo CD of its own for a while.
   */
  async startArgoCd(): Promise<void> {
    const redisPort = await freePort();
    this.processes.start("redis", "redis-server", [
      "--bind",
      "127.0.0.1",
      "--port",
      String(redisPort),
      "--save",
      "",
      "--appendonly",
      "no",
    ]);
    const redis = `127.0.0.1:${redisPort}`;
    const repoPort = await freePort();
    const tmp = path.join(this.work, "argocd-tmp");
    fs.mkdirSync(tmp, { recursive: true });
    const env = {
      ...this.env,
      TMPDIR: tmp,
      // The repo-server's socket for git's askpass, /tmp/reposerver-ask-pass.sock unless told: in the work
      // directory it goes with the run, and two control planes do not share one.
      ARGOCD_ASK_PASS_SOCK: path.join(tmp, "askpass.sock"),
      // Makes https://kubernetes.default.svc, the in-cluster destination, mean the KUBECONFIG's API server.
      ARGOCD_FAKE_IN_CLUSTER: "true",
      ARGOCD_GPG_ENABLED: "false",
      // How often the controller re-reads git on its own; a requested refresh is immediate regardless.
      ARGOCD_RECONCILIATION_TIMEOUT: "30s",
    };
    const argocd = path.join(this.opts.bin, "argocd");
    this.argoCdVersion = this.versionOf(argocd, ["version", "--client", "--short"]);
    // From v3.5 the repo-server runs git-verify-wrapper.sh from PATH for every revision it renders, as the
    // Argo CD image has one; here it is ours.
    const wrappers = path.join(this.work, "argocd-path");
    fs.mkdirSync(wrappers);
    fs.writeFileSync(path.join(wrappers, "git-verify-wrapper.sh"), GIT_VERIFY_WRAPPER, { mode: 0o755 });
    this.processes.supervise(
      "argocd-repo-server",
      argocd,
      [
        "--disable-tls",
        // From v3.5 --disable-tls is refused while a client CA path is set, and one is by default (argo-cd#29661).
        "--client-ca-path=",
        "--address=127.0.0.1",
        `--port=${repoPort}`,
        `--metrics-port=${await freePort()}`,
        `--redis=${redis}`,
      ],
      { env: { ...env, ARGOCD_BINARY_NAME: "argocd-repo-server", PATH: `${wrappers}:${this.env.PATH}` } },
    );
    this.processes.supervise(
      "argocd-application-controller",
      argocd,
      [
        `--repo-server=127.0.0.1:${repoPort}`,
        "--repo-server-plaintext",
        `--redis=${redis}`,
        `--metrics-port=${await freePort()}`,
        "--namespace=argocd",
        `--kubeconfig=${this.kubeconfig}`,
      ],
      {
        env: {
          ...env,
          ARGOCD_BINARY_NAME: "argocd-application-controller",
          // The program sets controller.resource.health.persist in argocd-cmd-params-cm (components/argocd.ts),
          // which the chart's controller pod reads as this variable; this process does not read the ConfigMap.
          ARGOCD_APPLICATION_CONTROLLER_PERSIST_RESOURCE_HEALTH: "true",
        },
      },
    );
    await sleep(0);
  }
}

/**
 * What the repo-server runs as `git-verify-wrapper.sh REVISION` in the checkout: git's verdict on the revision's
 * signature, printed for Argo CD to read. A revision without a good signature is an answer, not a failure.
 */
const GIT_VERIFY_WRAPPER = `#!/bin/sh
[ -n "$1" ] || { echo "usage: git-verify-wrapper.sh REVISION" >&2; exit 1; }
if git describe --exact-match "$1" >/dev/null 2>&1; then verb=verify-tag; else verb=verify-commit; fi
out=$(git "$verb" "$1" 2>&1)
code=$?
if [ "$code" -le 1 ]; then printf '%s\\n' "$out"; exit 0; fi
printf '%s\\n' "$out" >&2
exit "$code"
`;

export const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: "e2e",
  GIT_AUTHOR_EMAIL: "e2e@example.com",
  GIT_COMMITTER_NAME: "e2e",
  GIT_COMMITTER_EMAIL: "e2e@example.com",
};
