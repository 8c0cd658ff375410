// Package server is the tiny HTTP service behind `hello serve`.
package server

import (
	"fmt"
	"net/http"

	"example.com/hello/internal/buildinfo"
)

// Handler serves a greeting at / and the build information at /version.
func Handler(info buildinfo.Info) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("name")
		if name == "" {
			name = "world"
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "hello, %s\n", name)
	})
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, info.JSON())
	})
	return mux
}
