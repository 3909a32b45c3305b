/**
 * The example manifests repository under examples/manifests: every file parses and holds no credential, each
 * kustomization builds, the sync waves run database < schema < application, the Atlas objects carry what the
 * operator's CRDs require, and every name the manifests share with the Pulumi program (Secret, keys, database
 * host and port) matches the committed stacks. The builds need `kubectl`; everything else runs without it.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { CREDENTIAL_KEYS } from "../components/database-credentials";
import {
  EXAMPLES_DIR,
  MANIFESTS_DIR,
  MIGRATIONS_DIR,
  COMPONENT_LABEL,
  WAVE_BY_COMPONENT,
  VARIANTS,
  type Variant,
  VARIANT_NAMES,
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
} from "./support/manifests";

describe("examples/manifests", function () {
  describe("the files as committed", function () {
    it("parses every YAML file under examples/", function () {
      const files = yamlFiles();
      assert.ok(files.length >= 8, `expected the example's YAML files, found ${files.length}`);
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

    it("flags a Secret, a literal password and a URL with a password (the check above can fail)", function () {
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
      ].join("\n");
      const findings = credentialFindings(text, parseDocuments(text, "sample"), "sample");
      assert.strictEqual(findings.length, 5, findings.join("\n"));
    });

    it("puts every committed object in the wave of its role: database 0, schema 1, application 2", function () {
      const objects = committedObjects();
      for (const o of objects) {
        const component = label(o, COMPONENT_LABEL);
        assert.ok(component !== undefined && component in WAVE_BY_COMPONENT, `${id(o)}: ${COMPONENT_LABEL}`);
        assert.strictEqual(wave(o), WAVE_BY_COMPONENT[component], `wave of ${id(o)} (${component})`);
      }
      for (const kind of ["AtlasSchema", "AtlasMigration"]) {
        const atlas = only(objects, kind, "the committed files");
        assert.strictEqual(label(atlas, COMPONENT_LABEL), "schema", `${kind} role`);
      }
    });

    it("leaves the namespace to Argo CD in every kustomization", function () {
      const kustomizations = filesUnder(MANIFESTS_DIR).filter(
        (f) => path.basename(f) === "kustomization.yaml",
      );
      for (const file of kustomizations) {
        const k = parse(fs.readFileSync(file, "utf8")) as JsonObject;
        assert.strictEqual(k.namespace, undefined, `${relative(file)} sets a namespace`);
      }
    });

    it("tests every kustomization under examples/manifests", function () {
      const dirs = filesUnder(MANIFESTS_DIR)
        .filter((f) => path.basename(f) === "kustomization.yaml")
        .map((f) => path.relative(MANIFESTS_DIR, path.dirname(f)))
        .sort();
      assert.deepStrictEqual(dirs, ["base", ...VARIANT_NAMES].sort());
    });

    it("feeds every migration file, and atlas.sum, to the versioned ConfigMap generator", function () {
      const k = parse(fs.readFileSync(path.join(MANIFESTS_DIR, "versioned", "kustomization.yaml"), "utf8"));
      const generators = at(k, "configMapGenerator");
      assert.ok(Array.isArray(generators) && generators.length === 1, "expected one configMapGenerator");
      const listed = (at(generators[0], "files") as string[]).map((f) => path.normalize(f)).sort();
      const onDisk = fs
        .readdirSync(MIGRATIONS_DIR)
        .map((f) => path.join("migrations", f))
        .sort();
      assert.deepStrictEqual(listed, onDisk);
      for (const name of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f !== "atlas.sum")) {
        assert.match(name, /^\d{14}_[a-z0-9_]+\.sql$/, `${name} is not named <version>_<name>.sql`);
      }
    });

    it("commits the atlas.sum that Atlas computes from the migration files", function () {
      const files = migrationFilesOnDisk();
      assert.ok(files.length >= 2, "expected at least two migration files");
      const committed = fs.readFileSync(path.join(MIGRATIONS_DIR, "atlas.sum"), "utf8");
      const expected = atlasSum(files);
      assert.strictEqual(
        committed,
        expected,
        `migrations/atlas.sum is stale; run \`atlas migrate hash\` there, or write exactly:\n${expected}`,
      );
    });

    it("changes atlas.sum when a migration changes (the check above can fail)", function () {
      const files = migrationFilesOnDisk();
      const edited = files.map((f, i) =>
        i === 0 ? { ...f, data: Buffer.concat([f.data, Buffer.from("\n")]) } : f,
      );
      const renamed = files.map((f, i) => (i === files.length - 1 ? { ...f, name: `9${f.name}` } : f));
      const sums = new Set([atlasSum(files), atlasSum(edited), atlasSum(renamed), atlasSum(files.slice(1))]);
      assert.strictEqual(sums.size, 4);
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
        // The roles are also pinned by kind, so a wrong label cannot move an object into another wave.
        const schema = only(objects, VARIANTS[variant].schemaKind, variant);
        assert.strictEqual(label(schema, COMPONENT_LABEL), "schema", `${variant}: ${id(schema)} role`);
        assert.strictEqual(wave(schema), 1);
        const mysql = objects.find(
          (o) => o.kind === "Deployment" && containers(o).some((c) => c.image.startsWith("mysql:")),
        );
        assert.ok(mysql !== undefined, `${variant}: no MySQL Deployment`);
        assert.strictEqual(wave(mysql), 0, `${variant}: wave of the MySQL Deployment`);
        const apps = objects.filter((o) => o.kind === "Deployment" && o !== mysql);
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
      for (const variant of ["overlays/dev", "overlays/prod"] as const) {
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
      for (const variant of ["overlays/dev", "overlays/prod"] as const) {
        const schema = only(build(this, variant), "AtlasSchema", variant);
        assert.strictEqual(
          at(schema, "spec.policy.lint.destructive.error"),
          VARIANTS[variant].destructiveError,
          `${variant}: spec.policy.lint.destructive.error`,
        );
      }
    });

    it("gives the AtlasMigration a URL from the Secret and the generated migration ConfigMap as its dir", function () {
      const objects = build(this, "versioned");
      assert.strictEqual(
        objects.filter((o) => o.kind === "AtlasSchema").length,
        0,
        "versioned keeps an AtlasSchema",
      );
      const migration = only(objects, "AtlasMigration", "versioned");
      assert.strictEqual(migration.apiVersion, ATLAS.apiVersion);
      const spec = migration.spec as JsonObject;
      const unknown = Object.keys(spec).filter(
        (k) => !(ATLAS.migrationSpecFields as readonly string[]).includes(k),
      );
      assert.deepStrictEqual(unknown, [], "spec fields the CRD does not define");
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
        `spec.dir.configMapRef.name '${name}' matches none of ${configMaps.map(id).join(", ")}`,
      );
      assert.match(
        dir.metadata.name,
        /^myapp-migrations-[a-z0-9]{10}$/,
        "the generated name with its content hash",
      );
      assert.strictEqual(label(dir, COMPONENT_LABEL), "migrations");
    });

    it("ships the migration files byte for byte, with a matching atlas.sum, in that ConfigMap", function () {
      const objects = build(this, "versioned");
      const name = at(only(objects, "AtlasMigration", "versioned"), "spec.dir.configMapRef.name");
      const data = at(
        objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === name),
        "data",
      ) as Record<string, string>;
      const onDisk = fs.readdirSync(MIGRATIONS_DIR).sort();
      assert.deepStrictEqual(Object.keys(data).sort(), onDisk);
      for (const file of onDisk) {
        assert.strictEqual(
          data[file],
          fs.readFileSync(path.join(MIGRATIONS_DIR, file), "utf8"),
          `${file} differs`,
        );
      }
      const shipped = Object.entries(data).map(([n, text]) => ({ name: n, data: Buffer.from(text, "utf8") }));
      assert.strictEqual(data["atlas.sum"], atlasSum(shipped));
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
      const replicas = (variant: Variant) =>
        build(this, variant)
          .filter((o) => label(o, COMPONENT_LABEL) === "application" && o.kind === "Deployment")
          .map((o) => at(o, "spec.replicas"));
      assert.deepStrictEqual(replicas("overlays/dev"), [1]);
      assert.deepStrictEqual(replicas("overlays/prod"), [3]);
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
        // MYSQL_ROOT_PASSWORD, MYSQL_DATABASE, the app's DATABASE_URL and the Atlas object's URL, at least.
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

      it(`serves MySQL as dbHost:dbPort with dbName and dbUser's password, in ${source}`, function () {
        const objects = objectsOf(this);
        const mysql = objects.find(
          (o) => o.kind === "Deployment" && containers(o).some((c) => c.image.startsWith("mysql:")),
        );
        assert.ok(mysql !== undefined, `${source}: no MySQL Deployment`);
        const container = containers(mysql).find((c) => c.image.startsWith("mysql:"))!;
        const env = (container.env ?? []) as JsonObject[];
        const envVar = (name: string) => env.find((e) => e.name === name);
        const port = (at(container, "ports") as JsonObject[])[0];

        for (const [stack, config] of stackConfigs()) {
          const where = `${source} vs ${stack}`;
          // The example runs MySQL, and the image sets only root's password from the Secret.
          assert.strictEqual(config.dbEngine, "mysql", `${where}: dbEngine`);
          assert.strictEqual(
            config.dbUser,
            "root",
            `${where}: dbUser (the example sets MYSQL_ROOT_PASSWORD only)`,
          );

          const service = objects.find((o) => o.kind === "Service" && o.metadata.name === config.dbHost);
          assert.ok(service !== undefined, `${where}: no Service named dbHost '${config.dbHost}'`);
          const ports = at(service, "spec.ports") as JsonObject[];
          assert.deepStrictEqual(
            ports.map((p) => p.port),
            [Number(config.dbPort)],
            `${where}: Service port vs dbPort`,
          );
          const target = ports[0].targetPort;
          assert.ok(target === port.name || target === port.containerPort, `${where}: targetPort ${target}`);
          assert.strictEqual(port.containerPort, Number(config.dbPort), `${where}: containerPort vs dbPort`);
          assert.deepStrictEqual(
            at(service, "spec.selector"),
            at(mysql, "spec.selector.matchLabels"),
            `${where}: the Service does not select the MySQL pods`,
          );

          // The database name comes from the Secret (which holds dbName), or, if spelled out, must be dbName.
          const database = envVar("MYSQL_DATABASE");
          assert.ok(database !== undefined, `${where}: MYSQL_DATABASE is not set`);
          if ("value" in database) {
            assert.strictEqual(database.value, config.dbName, `${where}: MYSQL_DATABASE vs dbName`);
          } else {
            assert.strictEqual(
              at(database, "valueFrom.secretKeyRef.key"),
              "database",
              `${where}: MYSQL_DATABASE`,
            );
          }
          assert.strictEqual(
            at(envVar("MYSQL_ROOT_PASSWORD"), "valueFrom.secretKeyRef.key"),
            "password",
            `${where}: MYSQL_ROOT_PASSWORD`,
          );
        }
      });
    }
  });
});
