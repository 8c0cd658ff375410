package buildinfo

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

func TestStringNamesEverything(t *testing.T) {
	i := Info{Name: "hello", Version: "1.2.3", Commit: "abc", Date: "2026-01-02T03:04:05Z", GoVersion: "go1.26.8", OS: "linux", Arch: "arm64"}
	want := "hello 1.2.3 (commit abc, built 2026-01-02T03:04:05Z, go1.26.8, linux/arm64)"
	if got := i.String(); got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
}

func TestJSONRoundTrips(t *testing.T) {
	i := Get("hello")
	var back Info
	if err := json.Unmarshal([]byte(i.JSON()), &back); err != nil {
		t.Fatal(err)
	}
	if back != i {
		t.Fatalf("round trip changed %+v into %+v", i, back)
	}
	if back.OS != runtime.GOOS || back.Arch != runtime.GOARCH {
		t.Fatalf("platform %s/%s, want %s/%s", back.OS, back.Arch, runtime.GOOS, runtime.GOARCH)
	}
	if !strings.HasPrefix(back.GoVersion, "go") {
		t.Fatalf("go version %q", back.GoVersion)
	}
}
