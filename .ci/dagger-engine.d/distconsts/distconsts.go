// Package distconsts is a local stand-in for Dagger's nested module
// github.com/dagger/dagger/engine/distconsts.
//
// That nested module is not part of the github.com/dagger/dagger module zip
// and the Go module proxy reachable here serves no version of it, so
// .ci/dagger-engine copies this directory into the extracted dagger source
// tree (where dagger's go.mod replaces the module with ./engine/distconsts).
//
// Only the identifiers referenced by github.com/dagger/dagger are defined.
// The paths below are the ones the engine hard-codes and that
// .ci/dagger-engine provisions on the host; the image references only matter
// for features (terminal, module SDKs, integration tests) that an offline
// engine does not use.
package distconsts

// Engine process layout.
const (
	EngineContainerName   = "dagger-engine.dev"
	DefaultEngineSockAddr = "unix:///run/dagger/engine.sock"
	EngineDefaultStateDir = "/var/lib/dagger"
	RuncPath              = "/usr/local/bin/runc"
	DaggerInitPath        = "/usr/local/bin/dagger-init"

	EngineContainerBuiltinContentDir = "/usr/local/share/dagger/content"
	EngineCustomCACertsDir           = "/usr/local/share/ca-certificates"
)

// Environment variables naming the digests of SDKs built into the engine image.
const (
	GoSDKManifestDigestEnvName         = "DAGGER_GO_SDK_MANIFEST_DIGEST"
	PythonSDKManifestDigestEnvName     = "DAGGER_PYTHON_SDK_MANIFEST_DIGEST"
	TypescriptSDKManifestDigestEnvName = "DAGGER_TYPESCRIPT_SDK_MANIFEST_DIGEST"
)

// Default image references (not pulled by anything this project runs).
const (
	AlpineVersion = "3.22.1"
	AlpineImage   = "alpine:" + AlpineVersion
	GolangVersion = "1.26.8"
	GolangImage   = "golang:" + GolangVersion + "-alpine"
	BusyboxImage  = "busybox:1.37.0"
)

// OCIVersionAnnotation is the image annotation holding the engine version.
const OCIVersionAnnotation = "org.opencontainers.image.version"
