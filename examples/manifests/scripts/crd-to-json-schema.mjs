#!/usr/bin/env node
// Turns CustomResourceDefinitions into the JSON schemas kubeconform validates custom resources with, one file per
// kind and version, at the path kubeconform's schema-location template
//   schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json
// expands to (group as in apiVersion, kind in lower case; yannh/kubeconform v0.7.0, pkg/registry/registry.go,
// schemaPath).
//
// The conversion follows kubeconform's own scripts/openapi2jsonschema.py (v0.7.0): each version's
// openAPIV3Schema is taken as it is, every object that lists `properties` gets `additionalProperties: false`
// unless it says otherwise (the root too, as with DENY_ROOT_ADDITIONAL_PROPERTIES, so a misspelt field fails),
// and `format: int-or-string` becomes "string or integer". Two Kubernetes extensions are honoured on top:
// an object marked `x-kubernetes-preserve-unknown-fields` keeps accepting unknown fields, and `nullable: true`
// also admits null.
//
// Usage (the CRD files at the versions the platform pins; YAML needs the `yaml` npm package, JSON needs nothing):
//   node scripts/crd-to-json-schema.mjs --out schemas <crd.yaml|crd.json>...
import fs from "node:fs";
import path from "node:path";

function usage(message) {
  console.error(`${message}\nusage: node scripts/crd-to-json-schema.mjs --out <dir> <crd.yaml|crd.json>...`);
  process.exit(2);
}

async function readDocuments(file) {
  const text = fs.readFileSync(file, "utf8");
  if (file.endsWith(".json")) {
    const doc = JSON.parse(text);
    return doc.kind === "List" || Array.isArray(doc.items) ? doc.items : [doc];
  }
  let yaml;
  try {
    yaml = await import("yaml");
  } catch {
    usage(`${file}: reading YAML needs the 'yaml' package (npm install --no-save yaml), or pass JSON`);
  }
  return yaml.parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) usage(`${file}: ${d.errors[0].message}`);
    return d.toJS();
  });
}

/** The openAPIV3Schema of a CRD version, as a JSON schema kubeconform can compile and apply strictly. */
export function toJsonSchema(node) {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== "object") return node;
  if (node.format === "int-or-string") return { oneOf: [{ type: "string" }, { type: "integer" }] };
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "properties" || key === "patternProperties" || key === "definitions") {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchema(v)]));
    } else if (key === "nullable" || key === "description") {
      continue;
    } else {
      out[key] = toJsonSchema(value);
    }
  }
  if (node.nullable === true && typeof out.type === "string") out.type = [out.type, "null"];
  if (
    "properties" in node &&
    !("additionalProperties" in node) &&
    !node["x-kubernetes-preserve-unknown-fields"]
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/**
 * JSON text laid out as prettier lays out JSON (printWidth 110), so the committed files pass `prettier --check`
 * as they come out of this script: objects one key a line, arrays of plain values on one line when they fit.
 */
export function formatJson(value, indent = "", prefix = 0) {
  const inner = indent + "  ";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every((v) => v === null || typeof v !== "object")) {
      const flat = `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
      // The line also holds the indentation, the key and a trailing comma.
      if (indent.length + prefix + flat.length + 1 <= 110) return flat;
    }
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    const lines = entries.map(([k, v]) => {
      const key = `${JSON.stringify(k)}: `;
      return inner + key + formatJson(v, inner, key.length);
    });
    return `{\n${lines.join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

async function main(argv) {
  const outIndex = argv.indexOf("--out");
  if (outIndex === -1 || argv[outIndex + 1] === undefined) usage("missing --out <dir>");
  const out = argv[outIndex + 1];
  const files = argv.filter((_, i) => i !== outIndex && i !== outIndex + 1);
  if (files.length === 0) usage("no CRD files given");
  for (const file of files) {
    const crds = (await readDocuments(file)).filter((d) => d && d.kind === "CustomResourceDefinition");
    if (crds.length === 0) usage(`${file}: no CustomResourceDefinition in it`);
    for (const crd of crds) {
      for (const version of crd.spec.versions ?? []) {
        const schema = version.schema?.openAPIV3Schema;
        if (schema === undefined) continue;
        const target = path.join(
          out,
          crd.spec.group,
          `${crd.spec.names.kind.toLowerCase()}_${version.name}.json`,
        );
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, formatJson(toJsonSchema(schema)) + "\n");
        console.log(`${file} -> ${target}`);
      }
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main(process.argv.slice(2));
}
