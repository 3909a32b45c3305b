// The provider's own main package embeds a schema that its release build generates and that its module
// leaves out, so this one serves the same provider with the schema that gen/ writes beside it.
package main

import (
	_ "embed"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	// build.sh runs each binary it builds once before it marks the component built.
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		fmt.Println(version.Version)
		return
	}
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
