package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"example.com/hello/internal/buildinfo"
)

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestGreeting(t *testing.T) {
	srv := httptest.NewServer(Handler(buildinfo.Get("hello")))
	defer srv.Close()
	if code, body := get(t, srv, "/"); code != 200 || body != "hello, world\n" {
		t.Fatalf("GET / = %d %q", code, body)
	}
	if code, body := get(t, srv, "/?name=gopher"); code != 200 || body != "hello, gopher\n" {
		t.Fatalf("GET /?name=gopher = %d %q", code, body)
	}
	if code, _ := get(t, srv, "/nope"); code != 404 {
		t.Fatalf("GET /nope = %d, want 404", code)
	}
}

func TestVersionEndpoint(t *testing.T) {
	info := buildinfo.Info{Name: "hello", Version: "9.9.9", Commit: "c0ffee"}
	srv := httptest.NewServer(Handler(info))
	defer srv.Close()
	code, body := get(t, srv, "/version")
	var got buildinfo.Info
	if err := json.Unmarshal([]byte(body), &got); err != nil || code != 200 {
		t.Fatalf("GET /version = %d %q (%v)", code, body, err)
	}
	if got != info {
		t.Fatalf("GET /version = %+v, want %+v", got, info)
	}
}
