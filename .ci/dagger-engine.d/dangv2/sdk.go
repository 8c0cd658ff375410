// Package dangv2 replaces github.com/dagger/dagger/core/sdk/dang/v2 in the
// offline build made by .ci/dagger-engine.
//
// The upstream package evaluates Dagger modules written in Dang v2 and needs
// github.com/vito/dang/v2, which the Go module proxy reachable from this
// machine refuses to serve. Only modules whose dagger.json pins an engine
// version >= v0.21.5 and use the Dang SDK reach this code; they get a clear
// error. Container pipelines driven by an SDK (Rust, Go, ...) never do.
package dangv2

import (
	"context"
	"errors"

	"github.com/dagger/dagger/core"
	"github.com/dagger/dagger/dagql"
)

var errUnavailable = errors.New("the Dang v2 module SDK is not included in this offline Dagger build (github.com/vito/dang/v2 is not available from the Go module proxy)")

// Impl is the Dang v2 implementation behind the dang SDK's version dispatch.
type Impl struct{}

func (Impl) ModuleTypes(
	ctx context.Context,
	deps *core.SchemaBuilder,
	src dagql.ObjectResult[*core.ModuleSource],
	scopedMod dagql.ObjectResult[*core.Module],
) (dagql.ObjectResult[*core.Module], error) {
	return dagql.ObjectResult[*core.Module]{}, errUnavailable
}

func (Impl) Runtime(
	ctx context.Context,
	deps *core.SchemaBuilder,
	source dagql.ObjectResult[*core.ModuleSource],
) (core.ModuleRuntime, error) {
	return nil, errUnavailable
}
