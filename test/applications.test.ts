import * as assert from "assert";
import { parseStackConfig, RawConfig } from "../stacks/config";
import { configProblems } from "./support/config-problems";
import { configSet } from "./support/pulumi-cli";
import { stackRun } from "./support/stack-files";

const REPO = "https://github.com/org/manifests";

/** A stack with the given stack-wide keys and `applications` items, as the CLI hands them over (JSON text). */
function stackWith(items: unknown[], stackKeys: RawConfig = {}): RawConfig {
  return { repoURL: REPO, ...stackKeys, applications: JSON.stringify(items) };
}

const problemsOf = (raw: RawConfig) => configProblems(raw, "dev");

describe("applications", () => {
  describe("three applications with mixed engines", () => {
    const config = parseStackConfig(
      stackWith(
        [
          { name: "shop", path: "shop/overlays/dev" },
          {
            name: "billing",
            dbEngine: "postgres",
            dbName: "billing",
            dbUser: "billing",
            path: "billing/overlays/dev",
            targetRevision: "v1.4.0",
            syncSelfHeal: false,
          },
          {
            name: "reports",
            namespace: "analytics",
            repoURL: "git@github.com:org/reports.git",
            dbEngine: "mysql",
            dbHost: "reports-db",
            dbPort: 3307,
            dbSecretName: "reports-db",
            dbPasswordRotation: 2,
            cascadeDelete: true,
            waitForSync: false,
            waitTimeout: 900,
            repoSshPrivateKey: "KEY",
          },
        ],
        { targetRevision: "main", syncPrune: "false", cascadeDelete: "false", waitTimeout: "1800" },
      ),
      "dev",
      // The key was set with --path --secret, which makes the CLI report the whole list as a secret.
      new Set(["applications"]),
    );
    const [shop, billing, reports] = config.applications;

    it("keeps the list order and names each application", () => {
      assert.deepStrictEqual(
        config.applications.map((a) => [a.name, a.namespace]),
        [
          ["shop", "shop"],
          ["billing", "billing"],
          ["reports", "analytics"],
        ],
      );
    });

    it("inherits repoURL, targetRevision, the sync and the wait settings from the stack's own keys", () => {
      assert.deepStrictEqual(shop.source, {
        repoURL: REPO,
        targetRevision: "main",
        path: "shop/overlays/dev",
      });
      assert.deepStrictEqual(shop.sync, { automated: true, prune: false, selfHeal: true });
      assert.strictEqual(shop.cascadeDelete, false);
      assert.deepStrictEqual(shop.wait, { enabled: true, timeoutSeconds: 1800 });
    });

    it("lets an item override what it inherits", () => {
      assert.strictEqual(billing.source.targetRevision, "v1.4.0");
      assert.deepStrictEqual(billing.sync, { automated: true, prune: false, selfHeal: false });
      assert.strictEqual(reports.source.repoURL, "git@github.com:org/reports.git");
      assert.strictEqual(reports.cascadeDelete, true);
      assert.deepStrictEqual(reports.wait, { enabled: false, timeoutSeconds: 900 });
    });

    it("gives each engine its own default host and port", () => {
      assert.deepStrictEqual(shop.database, {
        engine: "mysql",
        host: "mysql",
        port: 3306,
        name: "example",
        user: "root",
        secretName: "db-credentials",
        passwordRotation: 0,
      });
      assert.deepStrictEqual(billing.database, {
        engine: "postgres",
        host: "postgres",
        port: 5432,
        name: "billing",
        user: "billing",
        secretName: "db-credentials",
        passwordRotation: 0,
      });
      assert.deepStrictEqual(reports.database, {
        engine: "mysql",
        host: "reports-db",
        port: 3307,
        name: "example",
        user: "root",
        secretName: "reports-db",
        passwordRotation: 2,
      });
    });

    it("keeps the v0.1 URNs only for the application named by the stack's appName", () => {
      assert.deepStrictEqual(
        config.applications.map((a) => a.keepsV01Urns),
        [false, false, false],
      );
      const moved = parseStackConfig(stackWith([{ name: "billing" }, { name: "myapp" }]), "dev");
      assert.deepStrictEqual(
        moved.applications.map((a) => a.keepsV01Urns),
        [false, true],
      );
    });
  });

  describe("without a list", () => {
    it("hosts the one application of the single-application keys, as before", () => {
      const config = parseStackConfig({ repoURL: REPO, appName: "shop", appNamespace: "store" }, "dev");
      assert.deepStrictEqual(
        config.applications.map((a) => [a.name, a.namespace, a.keepsV01Urns]),
        [["shop", "store", true]],
      );
    });

    it("treats an empty list like no list", () => {
      assert.strictEqual(parseStackConfig(stackWith([]), "dev").applications[0].name, "myapp");
    });

    it("waits for nothing when sync is manual, since Argo CD syncs only when a person does", () => {
      const config = parseStackConfig({ repoURL: REPO, syncAutomated: "false" }, "dev");
      assert.strictEqual(config.applications[0].wait.enabled, false);
    });
  });

  describe("bad input", () => {
    const cases: { name: string; items: unknown[]; message: string }[] = [
      {
        name: "rejects an item without a name",
        items: [{ namespace: "billing" }],
        message:
          "Config 'atlas-gitops:applications[0].name' is not set — every application needs a name, which names " +
          "its Application and AppProject. Set it with: pulumi config set --stack dev --path " +
          "'applications[0].name' billing",
      },
      {
        name: "rejects an empty item, as `config set --path 'applications[1].name'` leaves on a new key",
        items: [null, { name: "billing" }],
        message:
          "Config 'atlas-gitops:applications[0]' is empty — expected an application with at least a name. Set it " +
          "with: pulumi config set --stack dev --path 'applications[0].name' myapp",
      },
      {
        name: "rejects an item that is not an object",
        items: ["billing"],
        message: `Config 'atlas-gitops:applications[0]' is '"billing"' — expected an application with at least a name`,
      },
      {
        name: "rejects a misspelt item key, listing the keys an item has",
        items: [{ name: "billing", dbport: 5432 }],
        message:
          "Config 'atlas-gitops:applications[0].dbport' is set — expected one of the item keys name, namespace, " +
          "repoURL, targetRevision, path, syncAutomated, syncPrune, syncSelfHeal, cascadeDelete, waitForSync, " +
          "waitTimeout, dbEngine, dbHost, dbPort, dbName, dbUser, dbSecretName, dbPasswordRotation, repoUsername, " +
          "repoToken, repoSshPrivateKey. Remove it " +
          "with: pulumi config rm --stack dev --path 'applications[0].dbport'",
      },
      {
        name: "rejects a name that is not a Kubernetes name",
        items: [{ name: "Billing_App" }],
        message:
          "Config 'atlas-gitops:applications[0].name' is 'Billing_App' — expected a Kubernetes name: lowercase " +
          "letters, digits and '-', at most 63 characters. Set it with: pulumi config set --stack dev --path " +
          "'applications[0].name' billing",
      },
      {
        name: "rejects the name 'default', the AppProject Argo CD owns",
        items: [{ name: "default", namespace: "apps" }],
        message:
          "Config 'atlas-gitops:applications[0].name' is 'default' — expected a name other than 'default', the " +
          "AppProject Argo CD creates and owns",
      },
      {
        name: "rejects a namespace the cluster owns",
        items: [{ name: "billing", namespace: "kube-system" }],
        message:
          "Config 'atlas-gitops:applications[0].namespace' is 'kube-system' — expected a namespace of the " +
          "application's own, not one the cluster owns",
      },
      {
        name: "rejects an unknown engine",
        items: [{ name: "billing", dbEngine: "oracle" }],
        message:
          "Config 'atlas-gitops:applications[0].dbEngine' is 'oracle' — expected one of mysql, postgres. Set it " +
          "with: pulumi config set --stack dev --path 'applications[0].dbEngine' postgres",
      },
      {
        name: "rejects a port out of range",
        items: [{ name: "billing", dbPort: 70000 }],
        message:
          "Config 'atlas-gitops:applications[0].dbPort' is '70000' — expected a port number from 1 to 65535. Set " +
          "it with: pulumi config set --stack dev --path 'applications[0].dbPort' 5432",
      },
      {
        name: "rejects postgres on MySQL's port",
        items: [{ name: "billing", dbEngine: "postgres", dbPort: 3306 }],
        message:
          "Config 'atlas-gitops:applications[0].dbPort' is '3306' — expected PostgreSQL's port (usually 5432) " +
          "with dbEngine postgres",
      },
      {
        name: "rejects a path outside the repository",
        items: [{ name: "billing", path: "../other" }],
        message: "Config 'atlas-gitops:applications[0].path' is '../other' — expected a path relative",
      },
      {
        name: "rejects a repoURL that is not a URL",
        items: [{ name: "billing", repoURL: "github.com/org/billing" }],
        message:
          "Config 'atlas-gitops:applications[0].repoURL' is 'github.com/org/billing' — expected an https://, " +
          "ssh:// or git:// URL, or user@host:path",
      },
      {
        name: "rejects a targetRevision with a space",
        items: [{ name: "billing", targetRevision: "release 1" }],
        message:
          "Config 'atlas-gitops:applications[0].targetRevision' is 'release 1' — expected a branch, tag",
      },
      {
        name: "rejects a sync switch that is not a boolean",
        items: [{ name: "billing", syncPrune: "yes" }],
        message: "Config 'atlas-gitops:applications[0].syncPrune' is 'yes' — expected true or false",
      },
      {
        name: "rejects a wait timeout that is too long",
        items: [{ name: "billing", waitTimeout: 100000 }],
        message:
          "Config 'atlas-gitops:applications[0].waitTimeout' is '100000' — expected a number of seconds from 30 " +
          "to 86400",
      },
      {
        name: "rejects a Secret name that is not a Kubernetes name",
        items: [{ name: "billing", dbSecretName: "Billing DB" }],
        message:
          "Config 'atlas-gitops:applications[0].dbSecretName' is 'Billing DB' — expected a Kubernetes object",
      },
      {
        name: "rejects a database user that is not an identifier",
        items: [{ name: "billing", dbUser: "bill ing" }],
        message: "Config 'atlas-gitops:applications[0].dbUser' is 'bill ing' — expected a name of letters",
      },
      {
        name: "rejects a negative rotation",
        items: [{ name: "billing", dbPasswordRotation: -1 }],
        message: "Config 'atlas-gitops:applications[0].dbPasswordRotation' is '-1' — expected a whole number",
      },
      {
        name: "rejects a value that is a list",
        items: [{ name: "billing", dbHost: ["a", "b"] }],
        message: `Config 'atlas-gitops:applications[0].dbHost' is '["a","b"]' — expected a host name`,
      },
      {
        name: "rejects two applications with the same name, suggesting a name no application uses",
        items: [{ name: "billing" }, { name: "billing", namespace: "billing-2" }],
        message:
          "Config 'atlas-gitops:applications[1].name' is 'billing' — expected a name of its own, but " +
          "'atlas-gitops:applications[0].name' uses it too. Set it with: pulumi config set --stack dev --path " +
          "'applications[1].name' billing-3",
      },
      {
        name: "rejects two applications in one namespace (and so two credentials Secrets of one name there)",
        items: [{ name: "billing" }, { name: "invoices", namespace: "billing" }],
        message:
          "Config 'atlas-gitops:applications[1].namespace' is 'billing' — expected a namespace of its own, but " +
          "'atlas-gitops:applications[0].name' (its name, as its namespace) uses it too. Set it with: pulumi " +
          "config set --stack dev --path 'applications[1].namespace' invoices",
      },
      {
        name: "blames the name, the key the stack set, when the namespace it gives clashes with the operator's",
        items: [{ name: "atlas-operator" }],
        message:
          "Config 'atlas-gitops:applications[0].name' is 'atlas-operator' — its namespace defaults to its name, " +
          "which 'atlas-gitops:atlasOperatorNamespace' uses as a namespace too: expected a namespace of its own " +
          "(set one with: pulumi config set --stack dev --path 'applications[0].namespace' atlas-operator-2) or " +
          "another name. Set it with: pulumi config set --stack dev --path 'applications[0].name' " +
          "atlas-operator-2",
      },
      {
        name: "rejects an application in Argo CD's namespace",
        items: [{ name: "billing", namespace: "argocd" }],
        message:
          "Config 'atlas-gitops:applications[0].namespace' is 'argocd' — expected a namespace of its own, but " +
          "'atlas-gitops:argocdNamespace' uses it too. Set it with: pulumi config set --stack dev --path " +
          "'applications[0].namespace' billing",
      },
    ];

    for (const c of cases) {
      it(c.name, () => {
        const problems = problemsOf(stackWith(c.items));
        assert.ok(
          problems.some((p) => p.startsWith(c.message)),
          `expected a problem starting with:\n  ${c.message}\ngot:\n  ${problems.join("\n  ")}`,
        );
      });
    }

    it("reports every problem of every item at once", () => {
      const problems = problemsOf(
        stackWith([{ name: "ok" }, { name: "Bad", dbPort: 0 }, { dbEngine: "oracle" }, { name: "ok" }]),
      );
      assert.deepStrictEqual(problems.map((p) => p.split("'")[1]).sort(), [
        "atlas-gitops:applications[1].dbPort",
        "atlas-gitops:applications[1].name",
        "atlas-gitops:applications[2].dbEngine",
        "atlas-gitops:applications[2].name",
        "atlas-gitops:applications[3].name",
      ]);
    });

    it("reports a bad stack-wide key once, not again for every item that inherits it", () => {
      const problems = problemsOf(stackWith([{ name: "a" }, { name: "b" }], { syncPrune: "maybe" }));
      assert.deepStrictEqual(
        problems.map((p) => p.split("'")[1]),
        ["atlas-gitops:syncPrune"],
      );
    });

    it("rejects a list stored as a string, as `config set applications '[...]'` without --path stores it", () => {
      const problems = problemsOf({ repoURL: REPO, applications: "billing" });
      assert.deepStrictEqual(problems, [
        "Config 'atlas-gitops:applications' is 'billing' — expected a list of applications, set item by item " +
          "with --path. Remove it with: pulumi config rm --stack dev applications; set it with: pulumi config " +
          "set --stack dev --path 'applications[0].name' myapp",
      ]);
    });

    it("rejects a list holding a value set with --secret that is no credential", () => {
      const problems = configProblems(stackWith([{ name: "billing" }]), "dev", new Set(["applications"]));
      assert.deepStrictEqual(problems, [
        "Config 'atlas-gitops:applications' holds a value set with --secret — only an item's repoToken and " +
          "repoSshPrivateKey are credentials, and anything else in the list must stay readable. Set the list " +
          "again without --secret: pulumi config rm --stack dev applications; then pulumi config set --stack " +
          "dev --path 'applications[0].name' myapp",
      ]);
    });
  });
});

describe("stack keys as every item's defaults", () => {
  it("checks the single-application keys even when applications is set", () => {
    const problems = problemsOf(
      stackWith([{ name: "billing" }], {
        dbPort: "70000",
        path: "../x",
        appNamespace: "Bad_NS",
        dbEngine: "oracle",
      }),
    );
    for (const key of ["dbPort", "path", "appNamespace", "dbEngine"]) {
      assert.ok(
        problems.some((p) => p.startsWith(`Config 'atlas-gitops:${key}' is `)),
        `expected a problem with '${key}', got:\n  ${problems.join("\n  ")}`,
      );
    }
  });

  it("gives an item the stack's path, as it gives repoURL and targetRevision", () => {
    const [app] = parseStackConfig(
      stackWith([{ name: "billing" }], { path: "apps/dev" }),
      "dev",
    ).applications;
    assert.strictEqual(app.source.path, "apps/dev");
  });

  it("gives an item every database key the stack sets, the engine's host and port among them", () => {
    const [app] = parseStackConfig(
      stackWith([{ name: "billing" }], {
        dbEngine: "postgres",
        dbName: "ledger",
        dbUser: "ledger",
        dbSecretName: "ledger-db",
        dbPasswordRotation: "3",
      }),
      "dev",
    ).applications;
    assert.deepStrictEqual(app.database, {
      engine: "postgres",
      host: "postgres",
      port: 5432,
      name: "ledger",
      user: "ledger",
      secretName: "ledger-db",
      passwordRotation: 3,
    });
  });

  it("lets an item's own value win over the stack's", () => {
    const [app] = parseStackConfig(
      stackWith([{ name: "billing", path: "billing", dbHost: "db" }], { path: "apps", dbHost: "shared-db" }),
      "dev",
    ).applications;
    assert.deepStrictEqual([app.source.path, app.database.host], ["billing", "db"]);
  });

  it("refuses appNamespace with applications set, since it has no effect, and says how to keep the namespace", () => {
    const problems = problemsOf(stackWith([{ name: "myapp" }], { appNamespace: "store" }));
    assert.deepStrictEqual(problems, [
      "Config 'atlas-gitops:appNamespace' is 'store' — it has no effect with applications set: an item's " +
        "namespace is its own namespace key, or its name. To keep 'myapp' in namespace 'store': pulumi config " +
        "set --stack dev --path 'applications[0].namespace' store; then remove the key: pulumi config rm " +
        "--stack dev appNamespace",
    ]);
  });

  it("accepts an appNamespace that agrees with the item appName names", () => {
    const raw = stackWith([{ name: "shop" }], { appName: "shop", appNamespace: "shop" });
    assert.strictEqual(parseStackConfig(raw, "dev").applications[0].namespace, "shop");
  });

  it("refuses an appName that names no item, since it could keep nothing", () => {
    const problems = problemsOf(stackWith([{ name: "billing" }], { appName: "shop" }));
    assert.deepStrictEqual(problems, [
      "Config 'atlas-gitops:appName' is 'shop' — with applications set it only names the item that keeps the " +
        "resources the single-application keys created, and no item is named 'shop'. Add it to keep them: " +
        "pulumi config set --stack dev --path 'applications[1].name' shop; or remove the key (its application " +
        "is then deleted): pulumi config rm --stack dev appName",
    ]);
  });

  it("reports a postgres item on a MySQL port inherited from the stack on the item, where it is fixed", () => {
    const problems = problemsOf(
      stackWith([{ name: "shop" }, { name: "billing", dbEngine: "postgres" }], { dbPort: "3306" }),
    );
    assert.deepStrictEqual(problems, [
      "Config 'atlas-gitops:applications[1].dbPort' is '3306' — expected PostgreSQL's port (usually 5432) with " +
        "dbEngine postgres (from 'atlas-gitops:dbPort'); 3306 is the other engine's. Leave dbPort unset to take " +
        "the engine's. Set it with: pulumi config set --stack dev --path 'applications[1].dbPort' 5432",
    ]);
  });
});

describe("the engine decides the database's default host and port", () => {
  it("gives a single postgres application postgres:5432, as the CLI hands over its config", () => {
    const run = stackRun("dev", (f) => configSet(f, "dbEngine", "postgres"));
    const [app] = parseStackConfig(run.config, "dev", new Set(run.secretKeys)).applications;
    assert.deepStrictEqual([app.database.host, app.database.port], ["postgres", 5432]);
  });

  it("gives a single mysql application mysql:3306", () => {
    const [app] = parseStackConfig({ repoURL: REPO }, "dev").applications;
    assert.deepStrictEqual([app.database.host, app.database.port], ["mysql", 3306]);
  });

  it("keeps a host and port the stack sets", () => {
    const [app] = parseStackConfig(
      { repoURL: REPO, dbEngine: "postgres", dbHost: "pg", dbPort: "6432" },
      "dev",
    ).applications;
    assert.deepStrictEqual([app.database.host, app.database.port], ["pg", 6432]);
  });
});
