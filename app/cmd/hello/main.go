// Command hello is the example app that `cargo xtask dist` ships.
//
//	hello version [--json]     print name, version, commit, build date, Go version, OS/arch
//	hello serve [--addr ADDR]  serve a greeting over HTTP (default 127.0.0.1:8080)
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"

	"example.com/hello/internal/buildinfo"
	"example.com/hello/internal/server"
)

const name = "hello"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "version":
		fs := flag.NewFlagSet("version", flag.ContinueOnError)
		fs.SetOutput(stderr)
		asJSON := fs.Bool("json", false, "print as JSON")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		info := buildinfo.Get(name)
		if *asJSON {
			fmt.Fprintln(stdout, info.JSON())
		} else {
			fmt.Fprintln(stdout, info.String())
		}
		return 0
	case "serve":
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(stderr)
		addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		fmt.Fprintf(stderr, "%s: listening on http://%s\n", name, *addr)
		if err := http.ListenAndServe(*addr, server.Handler(buildinfo.Get(name))); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 1
		}
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "%s: unknown command %q\n", name, args[0])
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage:\n  %[1]s version [--json]\n  %[1]s serve [--addr ADDR]\n", name)
}
