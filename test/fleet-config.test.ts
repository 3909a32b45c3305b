import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import "./support/mocks";
import { isSecret, resolve } from "./support/mocks";
import { parseStackConfig, RawConfig, StackConfigError } from "../stacks/config";
import { CHART_KEYS, SPOKE_KEYS } from "../stacks/fleet";
import { kubeconfigServer } from "../stacks/kubeconfig";
import { ARGOCD_CHART_VERSION, SECRET_KEYS } from "../stacks/defaults";
import { scratchDir } from "./e2e/support/scratch";

const REPO = "https://github.com/org/manifests";
const ENCRYPTED = new Set<string>(SECRET_KEYS);

/** A kubeconfig with two contexts; the token is what must never appear in a message. */
const HUB_TOKEN = "hub-token-that-must-not-show";
const HUB_KUBECONFIG = `apiVersion: v1
kind: Config
current-context: hub
clusters:
- name: hub
  cluster: { server: "https://hub.example.com:6443" }
- name: other
  cluster: { server: "https://other.example.com:6443" }
contexts:
- name: hub
  context: { cluster: hub, user: admin }
- name: other
  context: { cluster: other, user: admin }
users:
- name: admin
  user: { token: ${HUB_TOKEN} }
`;
const SPOKE = { server: "https://dev.example.com:6443" };

function parse(raw: RawConfig, stack = "dev", encrypted: ReadonlySet<string> = ENCRYPTED) {
  return parseStackConfig({ repoURL: REPO, ...raw }, stack, encrypted, () => SPOKE);
}

function problems(raw: RawConfig, stack = "dev", encrypted: ReadonlySet<string> = ENCRYPTED): string[] {
  try {
    parse(raw, stack, encrypted);
  } catch (e) {
    if (e instanceof StackConfigError) return e.problems;
    throw e;
  }
  assert.fail("expected the config to be refused");
}

const hub = (more: RawConfig = {}): RawConfig => ({
  argocdLocation: "hub",
  hubKubeconfig: HUB_KUBECONFIG,
  ...more,
});

describe("argocdLocation", () => {
  it("defaults to install, with no spoke settings", () => {
    assert.deepStrictEqual(parse({}).location, { kind: "install" });
  });

  it("takes existing without any other key", () => {
    assert.deepStrictEqual(parse({ argocdLocation: "existing" }).location, { kind: "existing" });
  });

  it("rejects a location it does not know, with the allowed ones and the fix", () => {
    assert.deepStrictEqual(problems({ argocdLocation: "remote" }), [
      "Config 'atlas-gitops:argocdLocation' is 'remote' — expected one of install, existing, hub. " +
        "Set it with: pulumi config set --stack dev argocdLocation hub",
    ]);
  });

  describe("hub", () => {
    it("names the cluster after the stack and takes the spoke kubeconfig's server by default", async () => {
      const { location } = parse(hub());
      assert.ok(location.kind === "hub");
      assert.deepStrictEqual(location.cluster, {
        name: "dev",
        server: "https://dev.example.com:6443",
        environment: "dev",
        tokenRotation: 0,
      });
      assert.strictEqual(location.hub.context, undefined);
      assert.strictEqual(await resolve(location.hub.kubeconfig), HUB_KUBECONFIG);
      assert.strictEqual(await isSecret(location.hub.kubeconfig), true);
    });

    it("takes clusterName, clusterServer, hubContext and clusterTokenRotation as set", () => {
      const { location } = parse(
        hub({
          hubContext: "other",
          clusterName: "eu-dev",
          clusterServer: "https://10.0.0.7:6443",
          clusterTokenRotation: "3",
        }),
      );
      assert.ok(location.kind === "hub");
      assert.deepStrictEqual(location.cluster, {
        name: "eu-dev",
        server: "https://10.0.0.7:6443",
        environment: "dev",
        tokenRotation: 3,
      });
      assert.strictEqual(location.hub.context, "other");
    });

    it("refuses hubKubeconfig in plain text, with the --secret command, and never shows it", () => {
      const encrypted = new Set([...ENCRYPTED].filter((k) => k !== "hubKubeconfig"));
      const found = problems(hub(), "dev", encrypted);
      assert.strictEqual(found.length, 1);
      assert.match(found[0], /^Config 'atlas-gitops:hubKubeconfig' is set in plaintext — /);
      assert.ok(
        found[0].includes("pulumi config set --secret --stack dev hubKubeconfig -- < ~/.kube/hub.yaml"),
        found[0],
      );
      assert.ok(!found[0].includes(HUB_TOKEN));
    });

    it("requires hubKubeconfig", () => {
      assert.deepStrictEqual(problems({ argocdLocation: "hub" }), [
        "Config 'atlas-gitops:hubKubeconfig' is not set — a spoke stack (argocdLocation hub) reaches the hub's " +
          "Argo CD with it. Set it with: pulumi config set --secret --stack dev hubKubeconfig -- < ~/.kube/hub.yaml",
      ]);
    });

    it("refuses a hubKubeconfig that is no kubeconfig, without showing it", () => {
      const found = problems(hub({ hubKubeconfig: `token: ${HUB_TOKEN}` }));
      assert.deepStrictEqual(found, [
        "Config 'atlas-gitops:hubKubeconfig' is set — expected a kubeconfig (YAML with clusters, contexts and " +
          "users) or the path of one. Set it with: pulumi config set --secret --stack dev hubKubeconfig -- < ~/.kube/hub.yaml",
      ]);
    });

    it("reads hubKubeconfig from a file when it is a path", () => {
      const dir = scratchDir("fleet-config");
      try {
        const file = path.join(dir, "hub.yaml");
        fs.writeFileSync(file, HUB_KUBECONFIG);
        assert.strictEqual(parse(hub({ hubKubeconfig: file, hubContext: "other" })).location.kind, "hub");
        assert.match(problems(hub({ hubKubeconfig: file, hubContext: "nope" }))[0], /context 'nope'/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("refuses a hubContext the kubeconfig does not have, naming the ones it has", () => {
      assert.deepStrictEqual(problems(hub({ hubContext: "prod" })), [
        "Config 'atlas-gitops:hubContext' is 'prod' — expected a kubeconfig with a context 'prod'; it has hub, " +
          "other. Set it with: pulumi config set --stack dev hubContext hub",
      ]);
    });

    it("refuses a stack name that is no Kubernetes name as the cluster's, with the clusterName fix", () => {
      const [problem] = problems(hub(), "Dev_EU");
      assert.strictEqual(
        problem,
        "Config 'atlas-gitops:clusterName' is 'Dev_EU' — expected a Kubernetes name: lowercase letters, digits " +
          "and '-', at most 63 characters. Set it with: pulumi config set --stack Dev_EU clusterName dev",
      );
    });

    it("refuses a clusterName that makes an Application name longer than 63 characters", () => {
      const [problem] = problems(hub({ clusterName: "c".repeat(40), appName: "a".repeat(30) }));
      assert.match(
        problem,
        /^Config 'atlas-gitops:clusterName' is 'c{40}' — expected a name short enough that/,
      );
    });

    it("refuses a clusterServer that is not https:// or is the hub's own in-cluster name", () => {
      for (const server of ["http://10.0.0.7:6443", "dev-cluster", "https://kubernetes.default.svc"]) {
        const [problem] = problems(hub({ clusterServer: server }));
        assert.ok(
          problem.startsWith(
            `Config 'atlas-gitops:clusterServer' is '${server}' — expected the https:// URL`,
          ),
          problem,
        );
      }
    });

    it("requires clusterServer when the spoke's kubeconfig names no server, saying why", () => {
      const found = (() => {
        try {
          parseStackConfig({ repoURL: REPO, ...hub() }, "dev", ENCRYPTED, () => ({
            problem: "no kubeconfig",
          }));
        } catch (e) {
          return (e as StackConfigError).problems;
        }
        return [];
      })();
      assert.deepStrictEqual(found, [
        "Config 'atlas-gitops:clusterServer' is not set — the hub's Argo CD needs this cluster's API server URL, " +
          "and the spoke's kubeconfig (kubernetes:kubeconfig) gives none: no kubeconfig. Set it with: " +
          "pulumi config set --stack dev clusterServer https://dev.k8s.example.com:6443",
      ]);
    });

    it("refuses a clusterTokenRotation that is not a whole number", () => {
      assert.deepStrictEqual(problems(hub({ clusterTokenRotation: "soon" })), [
        "Config 'atlas-gitops:clusterTokenRotation' is 'soon' — expected a whole number (0, 1, 2, ...). " +
          "Set it with: pulumi config set --stack dev clusterTokenRotation 1",
      ]);
    });
  });

  describe("keys of the argo-cd chart", () => {
    // A value of each key other than its default.
    const SET: Record<string, string> = {
      argocdChartVersion: "10.0.0",
      argocdChartRepository: "https://charts.example.com/argo",
      argocdAdminEnabled: "false",
      argocdValues: '{"server":{"replicas":2}}',
      argocdIngressHost: "argocd.example.com",
      argocdIngressClassName: "nginx",
      argocdIngressTlsSecret: "tls",
      argocdPollInterval: "5m",
      gitWebhookGitHubSecret: "s3cret-value",
      gitWebhookGitLabSecret: "s3cret-value",
      gitWebhookBitbucketUuid: "s3cret-value",
      gitWebhookBitbucketServerSecret: "s3cret-value",
      alertWebhookUrl: "https://hooks.example.com/x",
      alertWebhookFormat: "json",
      metricsEnabled: "true",
      metricsSelectorLabels: "release=prom",
      metricsDegradedFor: "30m",
    };

    it("covers every key the chart reads", () => {
      assert.deepStrictEqual(Object.keys(SET).sort(), Object.keys(CHART_KEYS).sort());
    });

    for (const location of ["existing", "hub"]) {
      it(`refuses each of them with ${location}, with the reason and the command that removes it`, () => {
        for (const [key, value] of Object.entries(SET)) {
          const base = location === "hub" ? hub() : { argocdLocation: location };
          // Other checks of the key (an Ingress class without a host) may speak too; this one must, once.
          const found = problems({ ...base, [key]: value }).filter((p) =>
            p.startsWith(`Config 'atlas-gitops:${key}' is set — argocdLocation`),
          );
          assert.strictEqual(found.length, 1, `${key}: ${found.join("\n")}`);
          const [problem] = found;
          assert.ok(
            problem.startsWith(
              `Config 'atlas-gitops:${key}' is set — argocdLocation is '${location}', so this stack installs no Argo CD and ${CHART_KEYS[key as keyof typeof CHART_KEYS]}: it would do nothing.`,
            ),
            problem,
          );
          assert.ok(problem.endsWith(`Remove it with: pulumi config rm --stack dev ${key}`), problem);
          assert.ok(!problem.includes("s3cret-value"), problem);
        }
      });
    }

    it("lets them through with install", () => {
      assert.doesNotThrow(() => parse({ argocdChartVersion: "10.0.0", argocdValues: '{"a":1}' }));
    });

    it("does not count a key that holds its default as set (the CLI hands defaults over)", () => {
      assert.doesNotThrow(() =>
        parse({
          argocdLocation: "existing",
          argocdChartVersion: ARGOCD_CHART_VERSION,
          argocdValues: "{}",
          argocdPollInterval: "120s",
        }),
      );
    });
  });

  it("refuses each spoke key outside a spoke, never showing the kubeconfig", () => {
    const values: Record<string, string> = {
      hubKubeconfig: HUB_KUBECONFIG,
      hubContext: "hub",
      clusterName: "dev",
      clusterServer: "https://dev.example.com:6443",
      clusterTokenRotation: "1",
    };
    assert.deepStrictEqual(Object.keys(values), SPOKE_KEYS);
    for (const [key, value] of Object.entries(values)) {
      const [problem] = problems({ argocdLocation: "existing", [key]: value });
      const is = key === "hubKubeconfig" ? "is set" : `is '${value}'`;
      assert.strictEqual(
        problem,
        `Config 'atlas-gitops:${key}' ${is} — only a spoke stack (argocdLocation hub) uses it, and argocdLocation ` +
          `is 'existing'. Remove it with: pulumi config rm --stack dev ${key}; or make this stack a spoke with: ` +
          "pulumi config set --stack dev argocdLocation hub",
      );
    }
  });
});

describe("a stack with no applications", () => {
  it("is appName '' with no list: install and existing stacks host nothing of their own", () => {
    assert.deepStrictEqual(parse({ appName: "" }).applications, []);
    assert.deepStrictEqual(parse({ appName: "", argocdLocation: "existing" }).applications, []);
  });

  it("is refused for a spoke, which exists to deploy its applications through the hub", () => {
    const found = problems(hub({ appName: "" }));
    assert.deepStrictEqual(found, [
      "Config 'atlas-gitops:appName' is '' with no applications — a spoke stack (argocdLocation hub) exists to " +
        "deploy its applications through the hub, and this one has none. Add one with: pulumi config set --stack " +
        "dev --path 'applications[0].name' myapp; or make it the hub's own stack with: pulumi config set --stack " +
        "dev argocdLocation install",
    ]);
  });

  it("still needs a name for the single application when appName is unset, and refuses '' beside a list", () => {
    assert.deepStrictEqual(
      parse({}).applications.map((a) => a.name),
      ["myapp"],
    );
    const found = problems({ appName: "", applications: JSON.stringify([{ name: "shop" }]) });
    assert.ok(
      found.some((p) => p.startsWith("Config 'atlas-gitops:appName' is ''")),
      found.join("\n"),
    );
  });
});

describe("kubeconfigServer", () => {
  it("answers the current context's server, or the named context's", () => {
    assert.deepStrictEqual(kubeconfigServer(HUB_KUBECONFIG), { server: "https://hub.example.com:6443" });
    assert.deepStrictEqual(kubeconfigServer(HUB_KUBECONFIG, "other"), {
      server: "https://other.example.com:6443",
    });
  });

  it("says what is missing without quoting the kubeconfig", () => {
    const found = kubeconfigServer(HUB_KUBECONFIG.replace("current-context: hub", "current-context: ''"));
    assert.deepStrictEqual(found, {
      problem: "expected a kubeconfig with a current-context, or a context named in the config",
    });
    const noServer = kubeconfigServer(
      HUB_KUBECONFIG.replace('cluster: { server: "https://hub.example.com:6443" }', "cluster: {}"),
    );
    assert.deepStrictEqual(noServer, { problem: "expected the cluster of context 'hub' to name its server" });
  });
});
