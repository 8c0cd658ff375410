// apkcheck reads .apk files with go-apk, the Go implementation of apk that
// Chainguard's apko installs packages with, and prints what it found as JSON:
// the package as apk reads its .PKGINFO, whether the data part's SHA-256 is
// the `datahash` it names, whether its version parses as an apk version, and
// every entry of the data part (go-apk checks each file's SHA-1 record as it
// expands). Any error (a layout apk would refuse) exits 1.
//
// Used by xtask's tests only (built from this folder by `go build`).
package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/chainguard-dev/go-apk/pkg/apk"
	"github.com/chainguard-dev/go-apk/pkg/expandapk"
)

type entry struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Mode  int64  `json:"mode"`
	Owner string `json:"owner"`
	Link  string `json:"link,omitempty"`
	Size  int64  `json:"size"`
	SHA1  string `json:"sha1,omitempty"`
}

type report struct {
	Package       *apk.Package `json:"package"`
	Signed        bool         `json:"signed"`
	DataHashOK    bool         `json:"datahash_ok"`
	VersionParses bool         `json:"version_parses"`
	Control       []string     `json:"control"`
	Entries       []entry      `json:"entries"`
}

func check(path string) (*report, error) {
	ctx := context.Background()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	exp, err := expandapk.ExpandApk(ctx, f, "")
	if err != nil {
		return nil, fmt.Errorf("expanding: %w", err)
	}
	defer exp.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	pkg, err := apk.ParsePackage(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("reading .PKGINFO: %w", err)
	}
	r := &report{Package: pkg, Signed: exp.Signed}
	r.DataHashOK = pkg.DataHash == hex.EncodeToString(exp.PackageHash)
	_, verr := apk.ParseVersion(pkg.Version)
	r.VersionParses = verr == nil

	control, err := os.Open(exp.ControlFile)
	if err != nil {
		return nil, err
	}
	defer control.Close()
	cz, err := gzip.NewReader(control)
	if err != nil {
		return nil, err
	}
	ct := tar.NewReader(cz)
	for {
		h, err := ct.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("control part: %w", err)
		}
		r.Control = append(r.Control, h.Name)
	}

	data, err := exp.PackageData()
	if err != nil {
		return nil, err
	}
	defer data.Close()
	dt := tar.NewReader(data)
	for {
		h, err := dt.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("data part: %w", err)
		}
		kind := map[byte]string{tar.TypeReg: "file", tar.TypeDir: "dir", tar.TypeSymlink: "symlink"}[h.Typeflag]
		if kind == "" {
			kind = string(h.Typeflag)
		}
		r.Entries = append(r.Entries, entry{
			Name: h.Name, Type: kind, Mode: h.Mode, Owner: h.Uname + ":" + h.Gname,
			Link: h.Linkname, Size: h.Size, SHA1: h.PAXRecords["APK-TOOLS.checksum.SHA1"],
		})
	}
	return r, nil
}

func main() {
	out := map[string]*report{}
	for _, path := range os.Args[1:] {
		r, err := check(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			os.Exit(1)
		}
		out[path] = r
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
