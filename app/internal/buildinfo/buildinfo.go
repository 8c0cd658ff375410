// Package buildinfo holds what the release build stamps into the binary.
//
// `cargo xtask dist` sets these with -ldflags -X; the variable names are
// configured in dist.toml ([build.stamp]), so an app may keep them anywhere.
package buildinfo

import (
	"encoding/json"
	"fmt"
	"runtime"
)

// Stamped at link time; the defaults are what a plain `go build` reports.
var (
	Version = "0.0.0-dev"
	Commit  = "unknown"
	Date    = "unknown"
)

// Info describes the running binary.
type Info struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// Get returns the build information of the running binary.
func Get(name string) Info {
	return Info{
		Name:      name,
		Version:   Version,
		Commit:    Commit,
		Date:      Date,
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
	}
}

// String is the one-line form printed by `hello version`.
func (i Info) String() string {
	return fmt.Sprintf("%s %s (commit %s, built %s, %s, %s/%s)",
		i.Name, i.Version, i.Commit, i.Date, i.GoVersion, i.OS, i.Arch)
}

// JSON is the machine-readable form printed by `hello version --json`.
func (i Info) JSON() string {
	b, err := json.Marshal(i)
	if err != nil {
		panic(err) // Info holds only strings.
	}
	return string(b)
}
