// Writes schema-embed.json (the module's schema.json with "version" set) and terraform-mapping-embed.json
// (compacted) into the directory given, as the provider's release build does before it compiles.
package main

import (
	"bytes"
	"encoding/json"
	"log"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 4 {
		log.Fatal("usage: gen MODULE_DIR VERSION OUT_DIR")
	}
	if os.Args[1] == "" {
		// What `go list -m -f {{.Dir}}` prints for a module that is not in the module cache yet.
		log.Fatal("gen: MODULE_DIR is empty: download the provider module first (go mod download)")
	}
	src := filepath.Join(os.Args[1], "cmd", "pulumi-resource-kubernetes")
	version, out := os.Args[2], os.Args[3]

	var schema map[string]json.RawMessage
	read(filepath.Join(src, "schema.json"), &schema)
	quoted, _ := json.Marshal(version)
	schema["version"] = quoted
	write(filepath.Join(out, "schema-embed.json"), schema)

	var mapping json.RawMessage
	read(filepath.Join(src, "terraform-mapping.json"), &mapping)
	var compact bytes.Buffer
	if err := json.Compact(&compact, mapping); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "terraform-mapping-embed.json"), compact.Bytes(), 0o600); err != nil {
		log.Fatal(err)
	}
}

func read(path string, into any) {
	data, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := json.Unmarshal(data, into); err != nil {
		log.Fatalf("%s: %v", path, err)
	}
}

func write(path string, value any) {
	data, err := json.Marshal(value)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		log.Fatal(err)
	}
}
