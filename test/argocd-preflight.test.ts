/**
 * What `pulumi up` checks before it registers anything when the stack uses an Argo CD it does not install: the
 * judgement on what was read (pure), and the reads themselves on a reader that answers as the cluster would,
 * slowly, or not at all. fleet.e2e.ts holds the same against a real hub.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
  argoCdPreflight,
  checkBeforeRegistering,
  judgePreflight,
  preflightInput,
  type ArgoCdReader,
  type PreflightInput,
} from "../components/argocd-preflight";
import { parseStackConfig } from "../stacks/config";
import { SECRET_KEYS } from "../stacks/defaults";

const SPOKE = "https://10.0.0.7:6443";
const OTHER = "https://10.0.0.9:6443";

const hubInput: PreflightInput = {
  stack: "dev",
  location: "hub",
  argocdNamespace: "argocd",
  cluster: { name: "dev", server: SPOKE },
  applications: ["dev-shop", "dev-billing"],
};

/** A hub as a map of what is in it; every read is counted. */
function reader(
  hub: {
    configMaps?: string[];
    secrets?: Record<string, { name?: string; server?: string }>;
    apps?: Record<string, { server?: string; name?: string }>;
  },
  behaviour: { fail?: Error; hang?: boolean } = {},
): ArgoCdReader & { reads: number } {
  const r = {
    reads: 0,
    server: async () => "https://hub.example:6443",
    answer: async <T>(value: T): Promise<T> => {
      r.reads++;
      if (behaviour.fail) throw behaviour.fail;
      if (behaviour.hang) return new Promise<T>(() => undefined);
      return value;
    },
    hasConfigMap: (ns: string, name: string) => r.answer((hub.configMaps ?? []).includes(`${ns}/${name}`)),
    readClusterSecret: (ns: string, name: string) => r.answer(hub.secrets?.[`${ns}/${name}`]),
    readDestination: (ns: string, name: string) => r.answer(hub.apps?.[`${ns}/${name}`]),
  };
  return r;
}

describe("argocd-preflight: what up checks before it registers anything", () => {
  describe("judgePreflight", () => {
    it("passes a hub with Argo CD and nothing of ours yet", () => {
      assert.deepStrictEqual(judgePreflight(hubInput, { argoCd: true, applications: {} }), []);
    });

    it("passes our own registration from an earlier run (same server)", () => {
      const facts = {
        argoCd: true,
        clusterSecret: { name: "dev", server: `${SPOKE}/` },
        applications: { "dev-shop": { server: SPOKE } },
      };
      assert.deepStrictEqual(judgePreflight(hubInput, facts), []);
    });

    it("refuses a namespace without Argo CD, naming the key, the value and the command", () => {
      const [problem, ...rest] = judgePreflight(hubInput, { argoCd: false, applications: {} });
      assert.deepStrictEqual(rest, []);
      assert.match(
        problem,
        /^Config 'atlas-gitops:argocdNamespace' is 'argocd' — the hub has no Argo CD there/,
      );
      assert.match(problem, /no ConfigMap argocd-cm in namespace argocd/);
      assert.match(problem, /pulumi config set --stack dev argocdNamespace <namespace>$/);
    });

    it("offers `existing` stacks the install location as the other way out", () => {
      const input: PreflightInput = {
        stack: "prod",
        location: "existing",
        argocdNamespace: "gitops",
        applications: [],
      };
      const [problem] = judgePreflight(input, { argoCd: false, applications: {} });
      assert.match(problem, /this cluster has no Argo CD there/);
      assert.match(problem, /pulumi config set --stack prod argocdLocation install$/);
    });

    it("refuses a cluster name another spoke registered, naming both servers", () => {
      const facts = { argoCd: true, clusterSecret: { name: "dev", server: OTHER }, applications: {} };
      const [problem] = judgePreflight(hubInput, facts);
      assert.match(
        problem,
        /^Config 'atlas-gitops:clusterName' is 'dev' — the hub already has a cluster Secret cluster-dev/,
      );
      assert.ok(problem.includes(`for server ${OTHER}, not this cluster's ${SPOKE}`), problem);
      assert.match(problem, /pulumi config set --stack dev clusterName <name>$/);
    });

    it("refuses each Application name another stack holds, whatever its destination is named by", () => {
      const facts = {
        argoCd: true,
        applications: { "dev-shop": { server: OTHER }, "dev-billing": { name: "in-cluster" } },
      };
      const problems = judgePreflight(hubInput, facts);
      assert.equal(problems.length, 2);
      assert.ok(problems[0].includes(`Application dev-shop in argocd that deploys to ${OTHER}`), problems[0]);
      assert.ok(
        problems[1].includes("Application dev-billing in argocd that deploys to cluster 'in-cluster'"),
      );
    });
  });

  describe("argoCdPreflight", () => {
    it("resolves after reading Argo CD, the cluster Secret and every Application", async () => {
      const r = reader({ configMaps: ["argocd/argocd-cm"] });
      await argoCdPreflight(r, hubInput);
      assert.equal(r.reads, 4);
    });

    it("rejects with every problem at once, as a RunError (printed without a stack trace)", async () => {
      const r = reader({
        secrets: { "argocd/cluster-dev": { server: OTHER } },
        apps: { "argocd/dev-shop": { server: OTHER } },
      });
      await assert.rejects(argoCdPreflight(r, hubInput), (e: Error) => {
        assert.ok(pulumi.RunError.isInstance(e));
        assert.match(
          e.message,
          /^Nothing was changed: 3 problems in the cluster:\n {2}- Config 'atlas-gitops:argocdNamespace'/,
        );
        return true;
      });
    });

    it("names the hub's server, the error and the command that sets hubKubeconfig when the hub refuses", async () => {
      const r = reader({}, { fail: new Error("connect ECONNREFUSED 127.0.0.1:1") });
      await assert.rejects(argoCdPreflight(r, { ...hubInput, hubContext: "hub" }), (e: Error) => {
        assert.match(
          e.message,
          /^The hub at https:\/\/hub.example:6443 cannot be read \(hubContext 'hub'\): connect ECONNREFUSED/,
        );
        assert.match(e.message, /Nothing was changed/);
        assert.match(
          e.message,
          /pulumi config set --secret --stack dev hubKubeconfig -- < ~\/.kube\/hub.yaml$/,
        );
        return true;
      });
    });

    it("gives up on a hub that does not answer, after the timeout", async () => {
      const started = Date.now();
      await assert.rejects(
        argoCdPreflight(reader({}, { hang: true }), hubInput, 50),
        /no answer within 0.05 s/,
      );
      assert.ok(Date.now() - started < 5_000);
    });
  });

  describe("checkBeforeRegistering", () => {
    it("runs the checks in a child process before returning, and throws what they found as a RunError", () => {
      // Port 1 on loopback: nothing listens, the connection is refused at once.
      const kubeconfig = [
        "apiVersion: v1",
        "kind: Config",
        "current-context: hub",
        "clusters: [{ name: hub, cluster: { server: 'http://127.0.0.1:1', insecure-skip-tls-verify: true } }]",
        "contexts: [{ name: hub, context: { cluster: hub, user: ci } }]",
        "users: [{ name: ci, user: { token: not-shown-anywhere } }]",
      ].join("\n");
      const started = Date.now();
      assert.throws(
        () => checkBeforeRegistering({ kubeconfig: { contents: kubeconfig } }, hubInput),
        (e: Error) => {
          assert.ok(pulumi.RunError.isInstance(e));
          assert.match(e.message, /^The hub at http:\/\/127\.0\.0\.1:1 cannot be read: .*ECONNREFUSED/);
          assert.ok(!e.message.includes("not-shown-anywhere"));
          return true;
        },
      );
      assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    });
  });

  describe("preflightInput", () => {
    const HUB_KUBECONFIG = `apiVersion: v1
kind: Config
current-context: hub
clusters: [{ name: hub, cluster: { server: "https://hub.example:6443" } }]
contexts: [{ name: hub, context: { cluster: hub, user: admin } }]
users: [{ name: admin, user: { token: not-shown } }]
`;
    const config = (raw: Record<string, string>, stack = "dev") =>
      parseStackConfig(
        { repoURL: "https://github.com/org/manifests", ...raw },
        stack,
        new Set<string>(SECRET_KEYS),
        () => ({ server: SPOKE }),
      );
    const apps = {
      applications: JSON.stringify([
        { name: "shop", path: "shop" },
        { name: "billing", path: "billing" },
      ]),
    };

    it("checks nothing for a stack that installs its Argo CD", () => {
      assert.equal(preflightInput(config(apps)), undefined);
    });

    it("checks only that Argo CD is there for `existing`", () => {
      assert.deepStrictEqual(
        preflightInput(config({ ...apps, argocdLocation: "existing", argocdNamespace: "gitops" })),
        {
          stack: "dev",
          location: "existing",
          argocdNamespace: "gitops",
          applications: [],
        },
      );
    });

    it("checks a spoke's cluster name and the Application names it gives on the hub", () => {
      const input = preflightInput(
        config(
          { ...apps, argocdLocation: "hub", hubKubeconfig: HUB_KUBECONFIG, clusterName: "eu-dev" },
          "dev",
        ),
      );
      assert.deepStrictEqual(input, {
        stack: "dev",
        location: "hub",
        argocdNamespace: "argocd",
        cluster: { name: "eu-dev", server: SPOKE },
        applications: ["eu-dev-shop", "eu-dev-billing"],
      });
    });
  });
});
