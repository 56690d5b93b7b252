// composecheck loads a compose file with compose-go (the loader of `docker compose` itself):
// schema validation, anchors and merges, interpolation, depends_on consistency. No Docker needed.
//
//	go run ./tests/ops/composecheck deploy/compose/docker-compose.yml
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: composecheck FILE")
		os.Exit(2)
	}
	file, _ := filepath.Abs(os.Args[1])
	opts, err := cli.NewProjectOptions([]string{file}, cli.WithWorkingDirectory(filepath.Dir(file)),
		cli.WithName("rujukan"), cli.WithResolvedPaths(true))
	if err == nil {
		var project interface{ ServiceNames() []string }
		p, lerr := opts.LoadProject(context.Background())
		err = lerr
		if err == nil {
			project = p
			names := project.ServiceNames()
			sort.Strings(names)
			for _, name := range names {
				svc, _ := p.GetService(name)
				deps := make([]string, 0, len(svc.DependsOn))
				for dep, cfg := range svc.DependsOn {
					deps = append(deps, dep+":"+cfg.Condition)
				}
				sort.Strings(deps)
				fmt.Printf("composecheck: %-17s healthcheck=%-5v depends_on=%v\n", name, svc.HealthCheck != nil, deps)
			}
			fmt.Printf("composecheck: %s is valid (%d services)\n", os.Args[1], len(names))
			return
		}
	}
	fmt.Fprintf(os.Stderr, "composecheck: %v\n", err)
	os.Exit(1)
}
