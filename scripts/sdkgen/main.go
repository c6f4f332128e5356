// Command pulumi-sdkgen binds a package schema as the Pulumi CLI does (metaschema and semantic
// checks) and writes the package's SDK with Pulumi's own code generators: what
// `pulumi package gen-sdk` makes through a language host, for languages whose host the Go
// module proxy does not serve here. Built by scripts/pulumi_cli.py against the CLI's pkg/v3.
//
// Usage: pulumi-sdkgen <schema.json> <python|nodejs|go> <out dir>
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	pythongen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"

	"github.com/blang/semver"
)

// noPackages loads no other package: the schema refers to none.
type noPackages struct{}

func (noPackages) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %q, which this generator does not load", pkg)
}

func (l noPackages) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, nil)
}

func (l noPackages) LoadPackageReference(pkg string, v *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("the schema refers to package %q, which this generator does not load", pkg)
}

func (l noPackages) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return l.LoadPackageReference(d.Name, nil)
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: pulumi-sdkgen <schema.json> <python|nodejs|go> <out dir>")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	check(err)
	var spec schema.PackageSpec
	check(json.Unmarshal(raw, &spec))
	pkg, diags, err := schema.BindSpec(spec, noPackages{}, schema.ValidationOptions{})
	check(err)
	if diags.HasErrors() {
		fmt.Fprintln(os.Stderr, diags.Error())
		os.Exit(1)
	}
	var files map[string][]byte
	switch os.Args[2] {
	case "python":
		files, err = pythongen.GeneratePackage("recall-zoom", pkg, nil, noPackages{})
	case "go":
		files, err = gogen.GeneratePackage("recall-zoom", pkg, nil)
	case "nodejs":
		files, err = nodejsgen.GeneratePackage("recall-zoom", pkg, nil, nil, true, noPackages{})
	default:
		err = fmt.Errorf("unknown language %q", os.Args[2])
	}
	check(err)
	for name, content := range files {
		path := filepath.Join(os.Args[3], name)
		check(os.MkdirAll(filepath.Dir(path), 0o755))
		check(os.WriteFile(path, content, 0o644))
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
