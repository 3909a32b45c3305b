/**
 * The example manifests repository under examples/manifests: two applications side by side (shop on MySQL with a
 * declarative or a versioned schema, billing on PostgreSQL with versioned migrations). Every file parses and holds
 * no credential, each kustomization builds, the sync waves run database < schema < application, the Atlas objects
 * carry what the operator's CRDs require and validate against the vendored JSON schemas, every name the manifests
 * share with the Pulumi program matches the committed stacks and the onboarding config in examples/stack-config,
 * and the repository's own CI workflow covers every overlay, migration directory and schema with pinned actions
 * and images. The builds need `kubectl`; everything else runs without it.
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { appProjectManifest, applicationManifest } from "../components/application";
import { CREDENTIAL_KEYS } from "../components/database-credentials";
import { parseStackConfig } from "../stacks/config";
import { readDoc } from "./support/docs";
import {
  EXAMPLES_DIR,
  MANIFESTS_DIR,
  WORKFLOW_FILE,
  SCHEMAS_DIR,
  COMPONENT_LABEL,
  WAVE_BY_COMPONENT,
  ENGINES,
  type Engine,
  APPS,
  type AppName,
  VARIANTS,
  type Variant,
  VARIANT_NAMES,
  BASES,
  ALL_MIGRATION_DIRS,
  NAMESPACED_KINDS,
  ATLAS,
  type JsonObject,
  isObject,
  at,
  filesUnder,
  relative,
  parseDocuments,
  yamlFiles,
  credentialFindings,
  atlasSum,
  migrationFilesOnDisk,
  type K8sObject,
  HAS_KUBECTL,
  buildOutput,
  build,
  committedObjects,
  label,
  id,
  wave,
  only,
  containers,
  secretReferences,
  stackConfigs,
  databaseDeployment,
  SCHEMA_LOCATION,
  schemaFileFor,
  readSchema,
  schemaErrors,
  readWorkflow,
  words,
  ATLAS_ACTION,
  SETUP_ATLAS,
  APPLICATION_KEYS,
  type ApplicationItem,
  ONBOARDING_STACKS,
  onboardingItems,
  onboardingCommands,
} from "./support/manifests";

const appOf = (variant: Variant): AppName => VARIANTS[variant].app;
const engineOf = (variant: Variant): Engine => APPS[appOf(variant)].engine;
const variantsOf = (app: AppName) => VARIANT_NAMES.filter((v) => appOf(v) === app);
const kustomizationDirs = () =>
  filesUnder(MANIFESTS_DIR)
    .filter((f) => path.basename(f) === "kustomization.yaml")
    .map((f) => path.relative(MANIFESTS_DIR, path.dirname(f)))
    .sort();

/** Checks that a database container takes user, password and database from the Secret as its image needs. */
function assertDatabaseMatches(
  objects: K8sObject[],
  engine: Engine,
  config: Readonly<Record<string, unknown>>,
  where: string,
): void {
  const database = databaseDeployment(objects, engine);
  assert.ok(database !== undefined, `${where}: no ${engine} Deployment`);
  const container = containers(database).find((c) => c.image.startsWith(ENGINES[engine].image))!;
  const env = (container.env ?? []) as JsonObject[];
  const port = (at(container, "ports") as JsonObject[])[0];

  const fixedUser = ENGINES[engine].fixedUser;
  if (fixedUser !== undefined) {
    assert.strictEqual(
      config.dbUser,
      fixedUser,
      `${where}: dbUser (the ${engine} image sets only ${fixedUser}'s password)`,
    );
  }
  const service = objects.find((o) => o.kind === "Service" && o.metadata.name === config.dbHost);
  assert.ok(service !== undefined, `${where}: no Service named dbHost '${String(config.dbHost)}'`);
  const ports = at(service, "spec.ports") as JsonObject[];
  assert.deepStrictEqual(
    ports.map((p) => p.port),
    [Number(config.dbPort)],
    `${where}: Service port vs dbPort`,
  );
  const target = ports[0].targetPort;
  assert.ok(target === port.name || target === port.containerPort, `${where}: targetPort ${String(target)}`);
  assert.strictEqual(port.containerPort, Number(config.dbPort), `${where}: containerPort vs dbPort`);
  assert.deepStrictEqual(
    at(service, "spec.selector"),
    at(database, "spec.selector.matchLabels"),
    `${where}: the Service does not select the ${engine} pods`,
  );
  // Each variable comes from its Secret key (which holds the configured value); a spelt-out value must equal it.
  const spelled: Record<string, unknown> = { username: config.dbUser, database: config.dbName };
  for (const [name, key] of Object.entries(ENGINES[engine].env)) {
    const variable = env.find((e) => e.name === name);
    assert.ok(variable !== undefined, `${where}: ${name} is not set`);
    if ("value" in variable && key !== "password") {
      assert.strictEqual(variable.value, spelled[key], `${where}: ${name} vs the Secret's ${key}`);
    } else {
      assert.strictEqual(at(variable, "valueFrom.secretKeyRef.key"), key, `${where}: ${name} reads key`);
    }
  }
}

describe("examples/manifests", function () {
  describe("the files as committed", function () {
    it("parses every YAML file under examples/", function () {
      const files = yamlFiles();
      assert.ok(files.length >= 18, `expected the examples' YAML files, found ${files.length}`);
      for (const file of files) {
        const docs = parseDocuments(fs.readFileSync(file, "utf8"), relative(file));
        assert.ok(
          docs.length > 0 && docs.every((d) => d !== null),
          `${relative(file)} holds an empty document`,
        );
      }
    });

    it("holds no Secret, no literal password and no URL with a password in any file", function () {
      const findings = filesUnder(EXAMPLES_DIR).flatMap((file) => {
        const text = fs.readFileSync(file, "utf8");
        const docs = /\.ya?ml$/.test(file) ? parseDocuments(text, relative(file)) : [];
        return credentialFindings(text, docs, relative(file));
      });
      assert.deepStrictEqual(findings, []);
    });

    it("flags a Secret, a literal password, a token and a URL with a password (the check above can fail)", function () {
      const text = [
        "apiVersion: v1",
        "kind: Secret",
        "stringData:",
        "  password: hunter2",
        "---",
        "env:",
        "  - name: MYSQL_ROOT_PASSWORD",
        "    value: hunter2",
        "  - name: DATABASE_URL",
        "    value: mysql://root:hunter2@mysql:3306/example",
        "  - name: PGPASSWORD",
        "    value: hunter2",
        "---",
        "with:",
        "  cloud-token: aci_0123456789",
        "  MYSQL_ALLOW_EMPTY_PASSWORD: hunter2",
      ].join("\n");
      const findings = credentialFindings(text, parseDocuments(text, "sample"), "sample");
      assert.strictEqual(findings.length, 8, findings.join("\n"));
    });

    it("accepts a reference to a GitHub secret and a switch that turns a password off", function () {
      const text = [
        "env:",
        "  GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
        "  MYSQL_ALLOW_EMPTY_PASSWORD: 'yes'",
        "with:",
        "  cloud-token: ${{ secrets.ATLAS_CLOUD_TOKEN }}",
      ].join("\n");
      assert.deepStrictEqual(credentialFindings(text, parseDocuments(text, "sample"), "sample"), []);
    });

    it("puts every committed object in the wave of its role: database 0, schema 1, application 2", function () {
      const objects = committedObjects();
      for (const o of objects) {
        const component = label(o, COMPONENT_LABEL);
        assert.ok(component !== undefined && component in WAVE_BY_COMPONENT, `${id(o)}: ${COMPONENT_LABEL}`);
        assert.strictEqual(wave(o), WAVE_BY_COMPONENT[component], `wave of ${id(o)} (${component})`);
      }
      const atlas = objects.filter((o) => o.apiVersion === ATLAS.apiVersion);
      assert.deepStrictEqual(atlas.map(id).sort(), [
        "AtlasMigration/billing",
        "AtlasMigration/shop",
        "AtlasSchema/shop",
      ]);
      for (const o of atlas) assert.strictEqual(label(o, COMPONENT_LABEL), "schema", `${id(o)} role`);
    });

    it("leaves the namespace to Argo CD in every kustomization", function () {
      for (const dir of kustomizationDirs()) {
        const k = parse(
          fs.readFileSync(path.join(MANIFESTS_DIR, dir, "kustomization.yaml"), "utf8"),
        ) as JsonObject;
        assert.strictEqual(k.namespace, undefined, `${dir}/kustomization.yaml sets a namespace`);
      }
    });

    it("tests every kustomization under examples/manifests, the two bases and each variant", function () {
      assert.deepStrictEqual(kustomizationDirs(), [...BASES, ...VARIANT_NAMES].sort());
    });

    it("keeps each application in its own directory, an Application's path", function () {
      for (const variant of VARIANT_NAMES) {
        assert.strictEqual(
          variant.split("/")[0],
          appOf(variant),
          `${variant} lies outside ${appOf(variant)}/`,
        );
      }
      for (const [app, facts] of Object.entries(APPS)) {
        for (const dir of [...facts.migrations, ...facts.schemaFiles]) {
          assert.ok(dir.startsWith(`${app}/`), `${dir} lies outside ${app}/`);
          assert.ok(fs.existsSync(path.join(MANIFESTS_DIR, dir)), `${dir} does not exist`);
        }
      }
      const withAtlasSum = filesUnder(MANIFESTS_DIR)
        .filter((f) => path.basename(f) === "atlas.sum")
        .map((f) => path.relative(MANIFESTS_DIR, path.dirname(f)))
        .sort();
      assert.deepStrictEqual(withAtlasSum, [...ALL_MIGRATION_DIRS].sort());
    });

    for (const dir of ALL_MIGRATION_DIRS) {
      it(`feeds every file of ${dir}, atlas.sum included, to one ConfigMap generator`, function () {
        const owner = path.dirname(dir);
        const k = parse(fs.readFileSync(path.join(MANIFESTS_DIR, owner, "kustomization.yaml"), "utf8"));
        const generators = at(k, "configMapGenerator");
        assert.ok(Array.isArray(generators) && generators.length === 1, "expected one configMapGenerator");
        const listed = (at(generators[0], "files") as string[]).map((f) => path.normalize(f)).sort();
        const onDisk = fs
          .readdirSync(path.join(MANIFESTS_DIR, dir))
          .map((f) => path.join(path.basename(dir), f))
          .sort();
        assert.deepStrictEqual(listed, onDisk);
        for (const name of fs.readdirSync(path.join(MANIFESTS_DIR, dir)).filter((f) => f !== "atlas.sum")) {
          assert.match(name, /^\d{14}_[a-z0-9_]+\.sql$/, `${name} is not named <version>_<name>.sql`);
        }
      });

      it(`commits the atlas.sum that Atlas computes from the files of ${dir}`, function () {
        const files = migrationFilesOnDisk(dir);
        assert.ok(files.length >= 2, "expected at least two migration files");
        const committed = fs.readFileSync(path.join(MANIFESTS_DIR, dir, "atlas.sum"), "utf8");
        const expected = atlasSum(files);
        assert.strictEqual(
          committed,
          expected,
          `${dir}/atlas.sum is stale; run \`atlas migrate hash --dir file://${dir}\`, or write exactly:\n${expected}`,
        );
      });
    }

    it("changes atlas.sum when a migration changes, is renamed or goes (the check above can fail)", function () {
      const files = migrationFilesOnDisk(ALL_MIGRATION_DIRS[0]);
      const edited = files.map((f, i) =>
        i === 0 ? { ...f, data: Buffer.concat([f.data, Buffer.from("\n")]) } : f,
      );
      const renamed = files.map((f, i) => (i === files.length - 1 ? { ...f, name: `9${f.name}` } : f));
      const sums = new Set([atlasSum(files), atlasSum(edited), atlasSum(renamed), atlasSum(files.slice(1))]);
      assert.strictEqual(sums.size, 4);
    });

    it("writes PostgreSQL migrations for billing and MySQL migrations for shop", function () {
      // Identifiers quoted the way each engine quotes them: "x" in PostgreSQL, `x` in MySQL.
      for (const [app, facts] of Object.entries(APPS)) {
        for (const dir of facts.migrations) {
          for (const file of migrationFilesOnDisk(dir)) {
            const sql = file.data.toString("utf8");
            if (facts.engine === "postgres")
              assert.doesNotMatch(sql, /`/, `${app}: ${file.name} quotes like MySQL`);
            else assert.doesNotMatch(sql, /CREATE TABLE "/, `${app}: ${file.name} quotes like PostgreSQL`);
          }
        }
      }
    });
  });

  describe("kubectl kustomize builds", function () {
    before(function () {
      if (!HAS_KUBECTL) {
        console.warn(
          "      kubectl not found on PATH: skipping the kustomize build checks (the file checks still ran)",
        );
      }
    });

    for (const variant of VARIANT_NAMES) {
      it(`builds ${variant} into objects with apiVersion, kind and metadata.name`, function () {
        const objects = build(this, variant);
        assert.ok(objects.length >= 6, `${variant}: only ${objects.length} objects`);
        for (const o of objects) {
          assert.ok(isObject(o), `${variant}: an item is not an object`);
          for (const field of ["apiVersion", "kind", "metadata.name"]) {
            const value = at(o, field);
            assert.ok(typeof value === "string" && value !== "", `${variant}: an object has no ${field}`);
          }
        }
        const ids = objects.map(id);
        assert.deepStrictEqual(
          ids.filter((x, i) => ids.indexOf(x) !== i),
          [],
          `${variant}: duplicate objects`,
        );
      });
    }

    it("sets no metadata.namespace and uses no cluster-scoped kind in any build", function () {
      for (const variant of VARIANT_NAMES) {
        for (const o of build(this, variant)) {
          assert.strictEqual(o.metadata.namespace, undefined, `${variant}: ${id(o)} sets a namespace`);
          assert.ok(NAMESPACED_KINDS.has(o.kind), `${variant}: ${o.kind} is not a known namespaced kind`);
        }
      }
    });

    it("keeps credentials out of every build", function () {
      for (const variant of VARIANT_NAMES) {
        const { text, objects } = buildOutput(this, variant);
        assert.deepStrictEqual(credentialFindings(text, objects, variant), []);
        for (const o of objects.filter((x) => x.apiVersion === ATLAS.apiVersion)) {
          assert.strictEqual(at(o, "spec.url"), undefined, `${variant}: ${id(o)} has a literal spec.url`);
          assert.strictEqual(
            at(o, "spec.credentials"),
            undefined,
            `${variant}: ${id(o)} has literal credentials`,
          );
        }
      }
    });

    it("orders the waves database < schema < application in every build, with exact numbers", function () {
      for (const variant of VARIANT_NAMES) {
        const objects = build(this, variant);
        const waves: Record<string, number[]> = {};
        for (const o of objects) {
          const component = label(o, COMPONENT_LABEL);
          assert.ok(
            component !== undefined && component in WAVE_BY_COMPONENT,
            `${variant}: ${id(o)} has ${COMPONENT_LABEL} '${component}', expected one of ${Object.keys(WAVE_BY_COMPONENT).join(", ")}`,
          );
          assert.strictEqual(
            wave(o),
            WAVE_BY_COMPONENT[component],
            `${variant}: wave of ${id(o)} (${component})`,
          );
          (waves[component] ??= []).push(wave(o));
        }
        // The roles are also pinned by kind and image, so a wrong label cannot move an object into another wave.
        const schema = only(objects, VARIANTS[variant].schemaKind, variant);
        assert.strictEqual(label(schema, COMPONENT_LABEL), "schema", `${variant}: ${id(schema)} role`);
        assert.strictEqual(wave(schema), 1);
        const database = databaseDeployment(objects, engineOf(variant));
        assert.ok(database !== undefined, `${variant}: no ${engineOf(variant)} Deployment`);
        assert.strictEqual(wave(database), 0, `${variant}: wave of the database Deployment`);
        const apps = objects.filter((o) => o.kind === "Deployment" && o !== database);
        assert.ok(apps.length > 0, `${variant}: no application Deployment`);
        for (const app of apps) assert.strictEqual(wave(app), 2, `${variant}: wave of ${id(app)}`);

        for (const role of ["database", "schema", "application"]) {
          assert.ok(waves[role]?.length, `${variant}: nothing in the ${role} role`);
        }
        const before = Math.max(...waves.database, ...(waves.migrations ?? []));
        assert.ok(before < Math.min(...waves.schema), `${variant}: database wave is not before the schema`);
        assert.ok(
          Math.max(...waves.schema) < Math.min(...waves.application),
          `${variant}: schema is not before the app`,
        );
      }
    });

    it("gives the AtlasSchema a URL from the Secret, a SQL schema and only fields its CRD defines", function () {
      const declarative = VARIANT_NAMES.filter((v) => VARIANTS[v].schemaKind === "AtlasSchema");
      assert.ok(declarative.length >= 2);
      for (const variant of declarative) {
        const schema = only(build(this, variant), "AtlasSchema", variant);
        assert.strictEqual(schema.apiVersion, ATLAS.apiVersion);
        const spec = schema.spec as JsonObject;
        const unknown = Object.keys(spec).filter(
          (k) => !(ATLAS.schemaSpecFields as readonly string[]).includes(k),
        );
        assert.deepStrictEqual(unknown, [], `${variant}: spec fields the CRD does not define`);
        // secretKeyRef.key is required by the CRD; name defaults to "" but is effectively required.
        assert.strictEqual(typeof at(spec, "urlFrom.secretKeyRef.key"), "string", `${variant}: urlFrom key`);
        assert.strictEqual(
          typeof at(spec, "urlFrom.secretKeyRef.name"),
          "string",
          `${variant}: urlFrom name`,
        );
        const sources = Object.keys(at(spec, "schema") as JsonObject);
        assert.deepStrictEqual(sources, ["sql"], `${variant}: spec.schema must hold exactly one source, sql`);
        assert.ok((ATLAS.schemaSources as readonly string[]).includes(sources[0]));
        assert.match(at(spec, "schema.sql") as string, /CREATE TABLE users \(/);
        const lint = at(spec, "policy.lint");
        if (lint !== undefined) {
          const unknownLint = Object.keys(lint as JsonObject).filter(
            (k) => !(ATLAS.lintFields as readonly string[]).includes(k),
          );
          assert.deepStrictEqual(
            unknownLint,
            [],
            `${variant}: spec.policy.lint fields the CRD does not define`,
          );
          assert.deepStrictEqual(Object.keys(at(lint, "destructive") as JsonObject), ["error"]);
        }
      }
    });

    it("fails prod's AtlasSchema on destructive changes and lets dev's apply them", function () {
      for (const variant of ["shop/overlays/dev", "shop/overlays/prod"] as const) {
        const schema = only(build(this, variant), "AtlasSchema", variant);
        assert.strictEqual(
          at(schema, "spec.policy.lint.destructive.error"),
          VARIANTS[variant].destructiveError,
          `${variant}: spec.policy.lint.destructive.error`,
        );
      }
    });

    const versioned = VARIANT_NAMES.filter((v) => VARIANTS[v].schemaKind === "AtlasMigration");

    it("gives each AtlasMigration a URL from the Secret and its generated migration ConfigMap as its dir", function () {
      assert.deepStrictEqual(versioned, ["shop/versioned", "billing/overlays/dev", "billing/overlays/prod"]);
      for (const variant of versioned) {
        const objects = build(this, variant);
        assert.strictEqual(
          objects.filter((o) => o.kind === "AtlasSchema").length,
          0,
          `${variant} keeps an AtlasSchema`,
        );
        const migration = only(objects, "AtlasMigration", variant);
        assert.strictEqual(migration.apiVersion, ATLAS.apiVersion);
        const spec = migration.spec as JsonObject;
        const unknown = Object.keys(spec).filter(
          (k) => !(ATLAS.migrationSpecFields as readonly string[]).includes(k),
        );
        assert.deepStrictEqual(unknown, [], `${variant}: spec fields the CRD does not define`);
        assert.strictEqual(typeof at(spec, "urlFrom.secretKeyRef.key"), "string");
        assert.strictEqual(typeof at(spec, "urlFrom.secretKeyRef.name"), "string");
        // spec.dir is required by the CRD; it must name exactly one source.
        assert.deepStrictEqual(Object.keys(at(spec, "dir") as JsonObject), ["configMapRef"]);
        assert.ok((ATLAS.dirSources as readonly string[]).includes("configMapRef"));

        const name = at(spec, "dir.configMapRef.name");
        const configMaps = objects.filter((o) => o.kind === "ConfigMap");
        const dir = configMaps.find((o) => o.metadata.name === name);
        assert.ok(
          dir !== undefined,
          `${variant}: spec.dir.configMapRef.name '${String(name)}' matches none of ${configMaps.map(id).join(", ")}`,
        );
        assert.match(
          dir.metadata.name,
          new RegExp(`^${appOf(variant)}-migrations-[a-z0-9]{10}$`),
          `${variant}: the generated name with its content hash`,
        );
        assert.strictEqual(label(dir, COMPONENT_LABEL), "migrations");
      }
    });

    it("ships the migration files byte for byte, with a matching atlas.sum, in that ConfigMap", function () {
      for (const variant of versioned) {
        const objects = build(this, variant);
        const name = at(only(objects, "AtlasMigration", variant), "spec.dir.configMapRef.name");
        const data = at(
          objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === name),
          "data",
        ) as Record<string, string>;
        const [dir] = APPS[appOf(variant)].migrations;
        const onDisk = fs.readdirSync(path.join(MANIFESTS_DIR, dir)).sort();
        assert.deepStrictEqual(Object.keys(data).sort(), onDisk, variant);
        for (const file of onDisk) {
          assert.strictEqual(
            data[file],
            fs.readFileSync(path.join(MANIFESTS_DIR, dir, file), "utf8"),
            `${variant}: ${file} differs`,
          );
        }
        const shipped = Object.entries(data).map(([n, text]) => ({
          name: n,
          data: Buffer.from(text, "utf8"),
        }));
        assert.strictEqual(data["atlas.sum"], atlasSum(shipped), variant);
      }
    });

    it("validates every Atlas object of every build against the vendored CRD schema", function () {
      for (const variant of VARIANT_NAMES) {
        for (const o of build(this, variant).filter((x) => x.apiVersion === ATLAS.apiVersion)) {
          assert.deepStrictEqual(
            schemaErrors(readSchema(o.apiVersion, o.kind), o),
            [],
            `${variant}: ${id(o)}`,
          );
        }
      }
    });

    it("pins every image to a tag other than latest and gives every container probes and requests", function () {
      for (const variant of VARIANT_NAMES) {
        for (const o of build(this, variant).filter((x) => x.kind === "Deployment")) {
          for (const c of containers(o)) {
            const where = `${variant}: ${id(o)} container ${c.name}`;
            const tag = /^[^@]+:([^:/@]+)$/.exec(c.image)?.[1];
            assert.ok(
              /@sha256:[0-9a-f]{64}$/.test(c.image) || (tag !== undefined && tag !== "latest"),
              `${where}: image ${c.image}`,
            );
            assert.ok(isObject(c.readinessProbe), `${where}: no readinessProbe`);
            assert.ok(isObject(c.livenessProbe), `${where}: no livenessProbe`);
            assert.ok(at(c, "resources.requests.cpu") !== undefined, `${where}: no CPU request`);
            assert.ok(at(c, "resources.requests.memory") !== undefined, `${where}: no memory request`);
            assert.ok(at(c, "resources.limits.memory") !== undefined, `${where}: no memory limit`);
          }
        }
      }
    });

    it("runs more application replicas in prod than in dev", function () {
      for (const variant of VARIANT_NAMES) {
        const replicas = build(this, variant)
          .filter((o) => label(o, COMPONENT_LABEL) === "application" && o.kind === "Deployment")
          .map((o) => at(o, "spec.replicas"));
        assert.deepStrictEqual(replicas, [VARIANTS[variant].replicas], variant);
      }
    });

    it("keeps prod's database volume when it leaves git or the Application is deleted", function () {
      for (const variant of ["shop/overlays/prod", "billing/overlays/prod"] as const) {
        const claims = build(this, variant).filter((o) => o.kind === "PersistentVolumeClaim");
        assert.strictEqual(claims.length, 1, variant);
        assert.strictEqual(
          claims[0].metadata.annotations?.["argocd.argoproj.io/sync-options"],
          "Prune=false,Delete=false",
          variant,
        );
      }
    });
  });

  describe("names shared with the Pulumi program", function () {
    // The raw files are checked without kubectl; each build again with it, after kustomize's patches.
    const sources: [string, (ctx: Mocha.Context) => K8sObject[]][] = [
      ["the committed files", () => committedObjects()],
      ...VARIANT_NAMES.map((v): [string, (ctx: Mocha.Context) => K8sObject[]] => [
        `the ${v} build`,
        (ctx) => build(ctx, v),
      ]),
    ];

    for (const [source, objectsOf] of sources) {
      it(`references only the Secret dbSecretName and keys the program writes, in ${source}`, function () {
        const objects = objectsOf(this);
        const refs = secretReferences(objects);
        // The database's password and database name, the app's DATABASE_URL and the Atlas object's URL, at least.
        assert.ok(refs.length >= 4, `${source}: only ${refs.length} Secret references`);
        for (const [stack, config] of stackConfigs()) {
          for (const ref of refs) {
            assert.strictEqual(ref.name, config.dbSecretName, `${ref.where} vs ${stack}'s dbSecretName`);
          }
        }
        for (const ref of refs) {
          assert.ok(
            (CREDENTIAL_KEYS as readonly unknown[]).includes(ref.key),
            `${ref.where} reads key '${String(ref.key)}', not one of ${CREDENTIAL_KEYS.join(", ")}`,
          );
        }
        const atlas = objects.filter((o) => o.apiVersion === ATLAS.apiVersion);
        assert.ok(atlas.length > 0, `${source}: no Atlas object`);
        for (const o of atlas) {
          assert.strictEqual(at(o, "spec.urlFrom.secretKeyRef.key"), "url", `${id(o)}: the URL's key`);
        }
      });
    }

    // The single-application keys of the committed stacks still describe shop.
    for (const variant of variantsOf("shop")) {
      it(`serves shop's MySQL as dbHost:dbPort with dbName and dbUser's password, in the ${variant} build`, function () {
        const objects = build(this, variant);
        for (const [stack, config] of stackConfigs()) {
          // As the program reads them: dbHost and dbPort follow dbEngine when the stack leaves them unset.
          const db = parseStackConfig({ repoURL: "https://github.com/org/m", ...config }, "dev")
            .applications[0].database;
          assert.strictEqual(db.engine, "mysql", `${stack}: dbEngine`);
          const keys = { dbHost: db.host, dbPort: db.port, dbName: db.name, dbUser: db.user };
          assertDatabaseMatches(objects, "mysql", keys, `the ${variant} build vs ${stack}`);
        }
      });
    }

    for (const stack of ONBOARDING_STACKS) {
      describe(`the onboarding config examples/stack-config/${stack}.yaml`, function () {
        const items = onboardingItems(stack);

        // What the program makes of the items: inherited and default values filled in by its own parser.
        const resolved = parseStackConfig(
          { repoURL: "https://github.com/org/manifests", applications: JSON.stringify(items) },
          stack,
        ).applications;

        it("lists both applications, each with keys an applications item has, and a path that builds", function () {
          assert.deepStrictEqual(
            items.map((i) => i.name),
            Object.keys(APPS),
          );
          for (const [i, item] of items.entries()) {
            const unknown = Object.keys(item).filter((k) => !APPLICATION_KEYS.includes(k));
            assert.deepStrictEqual(unknown, [], `${String(item.name)}: keys no applications item has`);
            assert.ok(
              VARIANT_NAMES.includes(item.path as Variant),
              `${String(item.name)}: path ${String(item.path)}`,
            );
            assert.strictEqual(
              appOf(item.path as Variant),
              item.name,
              `${String(item.name)} points at another app`,
            );
            assert.strictEqual(
              resolved[i].database.engine,
              APPS[item.name as AppName].engine,
              `${String(item.name)}: dbEngine`,
            );
            assert.ok(
              !String(item.path).includes(stack === "dev" ? "/prod" : "/dev"),
              `${String(item.name)}: path`,
            );
          }
          assert.strictEqual(
            new Set(resolved.map((a) => a.namespace)).size,
            items.length,
            "shared namespace",
          );
        });

        it("matches each application's manifests: Secret name and keys, host, port, database and user", function () {
          for (const app of resolved) {
            const objects = build(this, app.source.path as Variant);
            const where = `${stack}: ${app.name} at ${app.source.path}`;
            for (const ref of secretReferences(objects)) {
              assert.strictEqual(ref.name, app.database.secretName, `${where}: ${ref.where}`);
              assert.ok(
                (CREDENTIAL_KEYS as readonly unknown[]).includes(ref.key),
                `${where}: ${ref.where} key`,
              );
            }
            const db = app.database;
            assertDatabaseMatches(
              objects,
              db.engine,
              {
                dbHost: db.host,
                dbPort: db.port,
                dbName: db.name,
                dbUser: db.user,
                dbSecretName: db.secretName,
              },
              where,
            );
          }
        });

        it("is what the onboarding guide's pulumi config set --path commands write", () => {
          const guide = readDoc("docs/your-own-manifests.md");
          assert.ok(guide.includes("## Onboard a second service"));
          for (const command of onboardingCommands(stack, items)) {
            assert.ok(guide.includes(command), `docs/your-own-manifests.md does not show: ${command}`);
          }
        });
      });
    }

    it("writes one pulumi config set --path command per key, quoting what the shell would expand", function () {
      const items: ApplicationItem[] = [
        { name: "shop", dbPort: 3306 },
        {
          name: "billing",
          repoURL: "https://github.com/<org>/<repo>",
          targetRevision: "1234",
          syncPrune: false,
        },
      ];
      assert.deepStrictEqual(onboardingCommands("dev", items), [
        "pulumi config set --stack dev --path 'applications[0].name' shop",
        "pulumi config set --stack dev --path 'applications[0].dbPort' 3306",
        "pulumi config set --stack dev --path 'applications[1].name' billing",
        "pulumi config set --stack dev --path 'applications[1].repoURL' 'https://github.com/<org>/<repo>'",
        "pulumi config set --stack dev --path 'applications[1].targetRevision' 1234 --type string",
        "pulumi config set --stack dev --path 'applications[1].syncPrune' false",
      ]);
    });
  });

  describe("the vendored CRD schemas", function () {
    const crdKinds: [string, string][] = [
      [ATLAS.apiVersion, "AtlasSchema"],
      [ATLAS.apiVersion, "AtlasMigration"],
      ["argoproj.io/v1alpha1", "Application"],
      ["argoproj.io/v1alpha1", "AppProject"],
    ];

    it("holds a schema for each Atlas and Argo CD kind, where kubeconform's template looks, and nothing else", function () {
      const expected = crdKinds.map(([v, k]) => schemaFileFor(v, k)).sort();
      assert.deepStrictEqual(expected, [
        "schemas/argoproj.io/application_v1alpha1.json",
        "schemas/argoproj.io/appproject_v1alpha1.json",
        "schemas/db.atlasgo.io/atlasmigration_v1alpha1.json",
        "schemas/db.atlasgo.io/atlasschema_v1alpha1.json",
      ]);
      const onDisk = filesUnder(SCHEMAS_DIR)
        .map((f) => path.relative(MANIFESTS_DIR, f))
        .sort();
      assert.deepStrictEqual(onDisk, expected);
    });

    it("refuses a misspelt field, a missing required field and a wrong type (strict, as kubeconform -strict)", function () {
      const schema = readSchema(ATLAS.apiVersion, "AtlasMigration");
      const valid = {
        apiVersion: ATLAS.apiVersion,
        kind: "AtlasMigration",
        metadata: { name: "x" },
        spec: {
          urlFrom: { secretKeyRef: { name: "db-credentials", key: "url" } },
          dir: { configMapRef: { name: "m" } },
        },
      };
      assert.deepStrictEqual(schemaErrors(schema, valid), []);
      const misspelt = { ...valid, spec: { ...valid.spec, urlfrom: valid.spec.urlFrom } };
      assert.match(schemaErrors(schema, misspelt).join("\n"), /field 'urlfrom' is not allowed/);
      const noDir = { ...valid, spec: { urlFrom: valid.spec.urlFrom } };
      assert.match(schemaErrors(schema, noDir).join("\n"), /required field 'dir' is missing/);
      const noKey = {
        ...valid,
        spec: { ...valid.spec, urlFrom: { secretKeyRef: { name: "db-credentials" } } },
      };
      assert.match(schemaErrors(schema, noKey).join("\n"), /required field 'key' is missing/);
      const wrongType = { ...valid, spec: { ...valid.spec, backoffLimit: "many" } };
      assert.match(
        schemaErrors(schema, wrongType).join("\n"),
        /spec\.backoffLimit: is string, expected integer/,
      );
    });

    it("accepts the Application and AppProject the program renders, and refuses a misspelt field in them", function () {
      const settings = {
        name: "billing",
        argocdNamespace: "argocd",
        namespace: "billing",
        source: {
          repoURL: "https://github.com/org/manifests",
          targetRevision: "main",
          path: "billing/overlays/dev",
        },
      };
      const app = applicationManifest(settings) as unknown as JsonObject;
      const project = appProjectManifest(settings) as unknown as JsonObject;
      const appSchema = readSchema("argoproj.io/v1alpha1", "Application");
      assert.deepStrictEqual(schemaErrors(appSchema, app), []);
      assert.deepStrictEqual(schemaErrors(readSchema("argoproj.io/v1alpha1", "AppProject"), project), []);
      const misspelt = { ...app, spec: { ...(app.spec as JsonObject), syncpolicy: {} } };
      assert.match(schemaErrors(appSchema, misspelt).join("\n"), /field 'syncpolicy' is not allowed/);
    });

    it("come out of scripts/crd-to-json-schema.mjs: strict objects, open where the CRD keeps unknown fields", function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crd-schema-"));
      const crd = {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        spec: {
          group: "example.com",
          names: { kind: "Widget" },
          versions: [
            {
              name: "v1",
              schema: {
                openAPIV3Schema: {
                  type: "object",
                  description: "dropped",
                  properties: {
                    spec: {
                      type: "object",
                      required: ["size"],
                      properties: {
                        size: { type: "integer", description: "dropped too" },
                        port: {
                          "x-kubernetes-int-or-string": true,
                          anyOf: [{ type: "integer" }, { type: "string" }],
                        },
                        note: { type: "string", nullable: true },
                        description: { type: "string" },
                        extra: {
                          type: "object",
                          "x-kubernetes-preserve-unknown-fields": true,
                          properties: { a: { type: "string" } },
                        },
                      },
                    },
                  },
                },
              },
            },
          ],
        },
      };
      fs.writeFileSync(path.join(dir, "crd.json"), JSON.stringify(crd));
      execFileSync(process.execPath, [
        path.join(MANIFESTS_DIR, "scripts", "crd-to-json-schema.mjs"),
        "--out",
        dir,
        path.join(dir, "crd.json"),
      ]);
      const written = fs.readFileSync(path.join(dir, "example.com", "widget_v1.json"), "utf8");
      const schema = JSON.parse(written) as JsonObject;
      assert.ok(!/dropped/.test(written), "descriptions are dropped");
      assert.ok(
        isObject(at(schema, "properties.spec.properties.description")),
        "a field named description stays",
      );
      assert.strictEqual(schema.additionalProperties, false);
      const ok = { spec: { size: 1, port: "http", note: null, description: "d", extra: { a: "x", b: 1 } } };
      assert.deepStrictEqual(schemaErrors(schema, ok), []);
      assert.notDeepStrictEqual(schemaErrors(schema, { spec: { size: 1, colour: "red" } }), []);
      assert.notDeepStrictEqual(schemaErrors(schema, { spec: { port: true, size: 1 } }), []);
      // Laid out as prettier lays out JSON, so the committed files pass `prettier --check`.
      assert.match(written, /^ {6}"required": \["size"\],$/m);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });

  describe("the manifests repository's own CI, .github/workflows/validate.yml", function () {
    const { text, workflow } = readWorkflow();
    const env = workflow.env as JsonObject;
    const jobs = workflow.jobs as Record<string, JsonObject>;
    const steps = (job: string) => (jobs[job].steps ?? []) as JsonObject[];
    const stepUsing = (job: string, action: string) =>
      steps(job).filter((s) => String(s.uses ?? "").startsWith(action));
    const accountFree = ["kustomize", "mysql", "postgres"];

    it("lives in the manifests repository, so it comes along when examples/manifests is copied", function () {
      assert.ok(WORKFLOW_FILE.startsWith(MANIFESTS_DIR + path.sep));
      assert.deepStrictEqual(Object.keys(jobs).sort(), [...accountFree, "atlas-cloud"].sort());
      assert.ok(isObject(workflow.on) && "pull_request" in workflow.on && "push" in workflow.on);
      assert.deepStrictEqual(workflow.permissions, { contents: "read" });
    });

    it("pins every action to a full commit SHA, with the release it is in a comment", function () {
      const uses = [...text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)];
      assert.ok(uses.length >= 10, `only ${uses.length} uses: lines`);
      for (const [, action, comment] of uses) {
        assert.match(action, /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, `${action} is not pinned to a commit`);
        assert.match(comment, /#\s*v\d+(\.\d+)*\s*$/, `${action}: no release comment`);
      }
      for (const step of stepUsing("atlas-cloud", "ariga/atlas-action/")) {
        assert.ok(
          String(step.uses).endsWith(`@${ATLAS_ACTION.commit}`),
          `${String(step.uses)}: another release`,
        );
      }
      for (const job of Object.keys(jobs).filter((j) => j !== "kustomize")) {
        const [setup] = stepUsing(job, "ariga/setup-atlas@");
        assert.ok(setup !== undefined, `${job}: no ariga/setup-atlas`);
        assert.strictEqual(String(setup.uses), `ariga/setup-atlas@${SETUP_ATLAS.commit}`);
        const inputs = Object.keys((setup.with ?? {}) as JsonObject);
        assert.deepStrictEqual(
          inputs.filter((i) => !SETUP_ATLAS.inputs.includes(i)),
          [],
          `${job}: setup-atlas inputs`,
        );
        // Without `version` the action installs whatever Atlas is latest.
        assert.strictEqual(at(setup, "with.version"), "${{ env.ATLAS_VERSION }}", `${job}: Atlas version`);
      }
      for (const key of ["ATLAS_VERSION", "KUSTOMIZE_VERSION", "KUBECONFORM_VERSION"]) {
        assert.match(String(env[key]), /^v\d+\.\d+\.\d+$/, `${key} is not an exact version`);
      }
      assert.match(String(env.KUBERNETES_VERSION), /^\d+\.\d+\.\d+$/);
    });

    it("builds every kustomization an Application may point at, and checks that none is left out", function () {
      assert.deepStrictEqual(words(env.KUSTOMIZATIONS).sort(), [...VARIANT_NAMES].sort());
      const run = steps("kustomize")
        .map((s) => String(s.run ?? ""))
        .join("\n");
      assert.match(run, /for dir in \$KUSTOMIZATIONS/);
      assert.match(run, /kustomize build "\$dir"/);
      assert.ok(run.includes("scripts/check-listed.sh"), "the completeness check does not run");
    });

    it("validates each build with kubeconform against the vendored schemas and Kubernetes' own", function () {
      const run = steps("kustomize")
        .map((s) => String(s.run ?? ""))
        .join("\n");
      assert.ok(run.includes(`-schema-location '${SCHEMA_LOCATION}'`), "the vendored schemas are not used");
      assert.match(run, /-schema-location default/);
      assert.match(run, /kubeconform -strict/);
      assert.match(run, /-kubernetes-version "\$KUBERNETES_VERSION"/);
    });

    it("covers both engines: each migration directory and AtlasSchema in the job of its database", function () {
      for (const engine of ["mysql", "postgres"] as const) {
        const prefix = engine.toUpperCase();
        const apps = Object.values(APPS).filter((a) => a.engine === engine);
        assert.ok(apps.length > 0, `no ${engine} application`);
        assert.deepStrictEqual(
          words(env[`${prefix}_MIGRATIONS`]).sort(),
          apps.flatMap((a) => [...a.migrations]).sort(),
        );
        assert.deepStrictEqual(
          words(env[`${prefix}_SCHEMAS`]).sort(),
          apps.flatMap((a) => [...a.schemaFiles]).sort(),
        );
        const [check] = steps(engine).filter((s) =>
          String(s.run ?? "").includes("scripts/check-database.sh"),
        );
        assert.ok(check !== undefined, `${engine}: scripts/check-database.sh does not run`);
        assert.strictEqual(String(check.run).trim(), `scripts/check-database.sh ${engine}`);
        assert.strictEqual(at(check, "env.MIGRATIONS"), `\${{ env.${prefix}_MIGRATIONS }}`);
        assert.strictEqual(at(check, "env.SCHEMAS"), `\${{ env.${prefix}_SCHEMAS }}`);
        assert.strictEqual(at(check, "env.DB_CONTAINER"), `\${{ job.services.${engine}.id }}`);
        assert.strictEqual(at(check, "env.BASE_SHA"), "${{ github.event.pull_request.base.sha }}");
      }
    });

    it("runs the images the manifests run: the service containers and the Atlas dev databases", function () {
      for (const engine of ["mysql", "postgres"] as const) {
        const app = (Object.keys(APPS) as AppName[]).find((a) => APPS[a].engine === engine)!;
        const variant = variantsOf(app)[0];
        const image = (ctx: Mocha.Context) =>
          containers(databaseDeployment(build(ctx, variant), engine)!).find((c) =>
            c.image.startsWith(ENGINES[engine].image),
          )!.image;
        const service = at(jobs[engine], `services.${engine}`) as JsonObject;
        assert.match(
          String(service.image),
          /^[a-z]+:\d+(\.\d+)+$/,
          `${engine}: service image ${String(service.image)}`,
        );
        const devUrl = String(
          at(
            steps(engine).find((s) => at(s, "env.DEV_URL") !== undefined),
            "env.DEV_URL",
          ),
        );
        const [, devImage, devTag] = /^docker:\/\/([a-z]+)\/([^/]+)\/dev(\?.*)?$/.exec(devUrl) ?? [];
        assert.strictEqual(`${devImage}:${devTag}`, service.image, `${engine}: dev database image`);
        if (HAS_KUBECTL)
          assert.strictEqual(service.image, image(this), `${engine}: the manifests run another image`);
        const matrix = (at(jobs["atlas-cloud"], "strategy.matrix.include") as JsonObject[]).find(
          (m) => m.project === app,
        );
        assert.strictEqual(matrix?.dev_url, devUrl, `atlas-cloud ${app}: dev database`);
      }
    });

    it("asks no secret of the checks that need no account, and runs the Atlas Cloud ones only when enabled", function () {
      for (const job of accountFree) {
        assert.doesNotMatch(JSON.stringify(jobs[job]), /secrets\./, `${job} reads a secret`);
        assert.strictEqual(jobs[job].if, undefined, `${job} is conditional`);
      }
      const cloud = jobs["atlas-cloud"];
      assert.match(String(cloud.if), /vars\.ATLAS_CLOUD_LINT == 'true'/);
      assert.match(String(cloud.if), /head\.repo\.full_name == github\.repository/);
      assert.strictEqual(
        at(stepUsing("atlas-cloud", "ariga/setup-atlas@")[0], "with.cloud-token"),
        "${{ secrets.ATLAS_CLOUD_TOKEN }}",
      );
      assert.deepStrictEqual(cloud.permissions, { contents: "read", "pull-requests": "write" });
      assert.deepStrictEqual(
        (at(cloud, "strategy.matrix.include") as JsonObject[]).map((m) => [m.project, m.dir]),
        (Object.keys(APPS) as AppName[]).map((a) => [a, APPS[a].migrations[0]]),
      );
    });

    it("gives each ariga/atlas-action step only inputs its action.yml declares, and the required ones", function () {
      const atlasSteps = stepUsing("atlas-cloud", "ariga/atlas-action/");
      assert.deepStrictEqual(
        atlasSteps.map((s) => /atlas-action\/([\w/]+)@/.exec(String(s.uses))![1]).sort(),
        ["migrate/lint", "migrate/push", "schema/lint"],
      );
      for (const step of atlasSteps) {
        const action = /atlas-action\/([\w/]+)@/.exec(String(step.uses))![1];
        const inputs = Object.keys((step.with ?? {}) as JsonObject);
        assert.deepStrictEqual(
          inputs.filter((i) => !ATLAS_ACTION.inputs[action].includes(i)),
          [],
          action,
        );
        for (const required of ATLAS_ACTION.required[action] ?? [])
          assert.ok(inputs.includes(required), `${action}: ${required}`);
        assert.ok(inputs.includes("dev-url"), `${action}: no dev-url`);
      }
    });

    it("passes the completeness check as committed, and fails it when an overlay or schema is left out", function () {
      const script = path.join(MANIFESTS_DIR, "scripts", "check-listed.sh");
      const runWith = (overrides: Record<string, string>) =>
        spawnSync("bash", [script], {
          cwd: MANIFESTS_DIR,
          encoding: "utf8",
          env: {
            PATH: process.env.PATH,
            ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])),
            ...overrides,
          },
        });
      const committed = runWith({});
      assert.strictEqual(committed.status, 0, committed.stdout + committed.stderr);
      const left = runWith({
        KUSTOMIZATIONS: words(env.KUSTOMIZATIONS).slice(1).join(" "),
        POSTGRES_MIGRATIONS: "",
        MYSQL_SCHEMAS: "",
      });
      assert.strictEqual(left.status, 1);
      assert.match(left.stdout, new RegExp(`::error file=\\./${VARIANT_NAMES[0]}/kustomization.yaml::`));
      assert.match(left.stdout, /billing\/base\/migrations is not listed/);
      assert.match(left.stdout, /shop\/base\/schema\.yaml is not listed/);
    });

    it("ships its scripts executable and free of bash syntax errors", function () {
      for (const name of ["check-listed.sh", "check-database.sh"]) {
        const file = path.join(MANIFESTS_DIR, "scripts", name);
        assert.ok((fs.statSync(file).mode & 0o111) !== 0, `${name} is not executable`);
        const result = spawnSync("bash", ["-n", file], { encoding: "utf8" });
        assert.strictEqual(result.status, 0, result.stderr);
      }
    });
  });
});
