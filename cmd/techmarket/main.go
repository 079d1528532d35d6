// Command techmarket is the Liuzhou technology-transfer marketplace: one
// binary whose subcommands serve the API, migrate the schema, create the
// first admin and load demo data. main only wires; see run.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "techmarket:", err)
		os.Exit(1)
	}
}

const usage = `usage: techmarket <command> [flags]

commands:
  serve                                   run the HTTP API (migrates first)
  migrate                                 apply pending schema migrations
  admin create --account A --password P [--name N]
                                          create a platform admin
  seed --demo [--password P]              load the demo data set
  reindex                                 rebuild the search indexes from the database
  keys rotate                             add a new access-token signing key to the shared
                                          database (older keys verify until their tokens expire)

configuration comes from TECHMARKET_* environment variables (see README.md).
`

// run is the whole program, parameterised so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, getenv, stdout)
	case "migrate":
		return cmdMigrate(ctx, getenv, stdout)
	case "admin":
		return cmdAdmin(ctx, args[1:], getenv, stdout)
	case "seed":
		return cmdSeed(ctx, args[1:], getenv, stdout)
	case "reindex":
		return cmdReindex(ctx, getenv, stdout)
	case "keys":
		return cmdKeys(ctx, args[1:], getenv, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
