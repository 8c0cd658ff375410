// Package tuist is a compile-only stand-in for github.com/vito/tuist, the
// terminal UI toolkit behind Dagger's interactive ("tty") progress frontend.
//
// The Go module proxy reachable from this machine refuses every version of
// github.com/vito/tuist, so .ci/dagger-engine replaces it with this package.
// It declares just the API that github.com/dagger/dagger v0.21.8 compiles
// against. Nothing here draws anything: the offline build only ever uses
// Dagger's plain progress frontend (the CLI is patched so that "tty"
// progress falls back to "plain", and DAGGER_PROGRESS=plain is exported).
// Calling into the interactive UI panics with a message saying so.
package tuist

import (
	"context"
	"io"
	"time"

	uv "github.com/charmbracelet/ultraviolet"
)

const unavailable = "tuist: the interactive terminal UI is not part of this offline Dagger build; use --progress=plain"

// Context is the handle passed to component callbacks.
type Context struct {
	context.Context
	Width  int
	Height int

	screenHeight int
	out          *[]string
}

func (ctx Context) ScreenHeight() int { return ctx.screenHeight }
func (ctx Context) Line(l string) {
	if ctx.out != nil {
		*ctx.out = append(*ctx.out, l)
	}
}
func (ctx Context) Lines(ls ...string) {
	if ctx.out != nil {
		*ctx.out = append(*ctx.out, ls...)
	}
}

func (ctx Context) Recycle() []string                                     { return nil }
func (ctx Context) Resize(w, h int) Context                               { ctx.Width, ctx.Height = w, h; return ctx }
func (ctx Context) SetFocus(Component)                                    {}
func (ctx Context) ShowOverlay(Component, *OverlayOptions) *OverlayHandle { return &OverlayHandle{} }
func (ctx Context) AddInputListener(InputListener) func()                 { return func() {} }
func (ctx Context) RequestRender(bool)                                    {}
func (ctx Context) HasKittyKeyboard() bool                                { return false }
func (ctx Context) HasOverlay() bool                                      { return false }
func (ctx Context) EnableMouse()                                          {}
func (ctx Context) DisableMouse()                                         {}
func (ctx Context) Dispatch(fn func())                                    { fn() }

// InputListener intercepts input before the focused component sees it.
type InputListener func(ctx Context, ev uv.Event) bool

// CursorPos is a cursor position relative to a component's output.
type CursorPos struct{ Row, Col int }

// RenderResult is what Render returns.
type RenderResult struct {
	Lines  []string
	Cursor *CursorPos
}

// Compo is embedded by every component.
type Compo struct{}

func (c *Compo) Update()       {}
func (c *Compo) compo() *Compo { return c }
func (c *Compo) RenderChildResult(ctx Context, child Component) RenderResult {
	var lines []string
	ctx.out = &lines
	child.Render(ctx)
	return RenderResult{Lines: lines}
}
func (c *Compo) RenderChild(ctx Context, child Component) {
	ctx.Lines(c.RenderChildResult(ctx, child).Lines...)
}
func (c *Compo) RenderChildInline(ctx Context, child Component) string {
	s := ""
	for _, l := range c.RenderChildResult(ctx, child).Lines {
		s += l
	}
	return s
}

// Component is implemented by all components (they embed Compo).
type Component interface {
	compo() *Compo
	Render(ctx Context)
}

type Interactive interface {
	Component
	HandleKeyPress(ctx Context, ev uv.KeyPressEvent) bool
}

type Pasteable interface {
	HandlePaste(ctx Context, ev uv.PasteEvent) bool
}

type MouseEvent struct {
	uv.MouseEvent
	Row int
	Col int
}

type MouseEnabled interface {
	Component
	HandleMouse(ctx Context, ev MouseEvent) bool
}

type Hoverable interface {
	SetHovered(ctx Context, hovered bool)
}
type Focusable interface {
	SetFocused(ctx Context, focused bool)
}
type Mounter interface{ OnMount(ctx Context) }
type Dismounter interface{ OnDismount() }

// Container stacks children vertically.
type Container struct {
	Compo
	Children []Component
}

func (c *Container) AddChild(comp Component) { c.Children = append(c.Children, comp) }
func (c *Container) RemoveChild(comp Component) {
	for i, ch := range c.Children {
		if ch == comp {
			c.Children = append(c.Children[:i], c.Children[i+1:]...)
			return
		}
	}
}
func (c *Container) Clear() { c.Children = nil }
func (c *Container) Render(ctx Context) {
	for _, ch := range c.Children {
		c.RenderChild(ctx, ch)
	}
}

// Overlays.
type SizeValue struct{ abs int }

func SizeAbs(n int) SizeValue { return SizeValue{abs: n} }

type OverlayAnchor int

const (
	AnchorCenter OverlayAnchor = iota
	AnchorTopLeft
	AnchorTopRight
	AnchorBottomLeft
	AnchorBottomRight
)

type OverlayMargin struct{ Top, Right, Bottom, Left int }

type OverlayOptions struct {
	Width     SizeValue
	MaxHeight SizeValue
	Anchor    OverlayAnchor
	Margin    OverlayMargin
}

type OverlayHandle struct{}

func (h *OverlayHandle) Remove()                    {}
func (h *OverlayHandle) Hide()                      {}
func (h *OverlayHandle) SetHidden(bool)             {}
func (h *OverlayHandle) IsHidden() bool             { return true }
func (h *OverlayHandle) SetOptions(*OverlayOptions) {}

// Terminal and TUI.
type Terminal interface{}

func NewStdTerminal() Terminal { panic(unavailable) }

type TUI struct{ Container }

func New(Terminal) *TUI { panic(unavailable) }

func (t *TUI) SetShowHardwareCursor(bool) {}
func (t *TUI) SetDebugWriter(io.Writer)   {}
func (t *TUI) RenderLines() []string      { return nil }
func (t *TUI) Exec(fn func(in io.Reader, out io.Writer, errOut io.Writer) error) error {
	return fn(nil, io.Discard, io.Discard)
}
func (t *TUI) Start() error                                          { return nil }
func (t *TUI) Stop()                                                 {}
func (t *TUI) SetFocus(Component)                                    {}
func (t *TUI) ShowOverlay(Component, *OverlayOptions) *OverlayHandle { return &OverlayHandle{} }
func (t *TUI) RequestRender(bool)                                    {}
func (t *TUI) Dispatch(fn func())                                    { fn() }

// Spinner.
type Spinner struct {
	Compo
	Epoch time.Time
}

func NewSpinner() *Spinner            { return &Spinner{} }
func (s *Spinner) Render(ctx Context) {}

// TextInput.
type TextInput struct {
	Compo
	Prompt         string
	OnSubmit       func(ctx Context, value string) bool
	KeyInterceptor func(ctx Context, ev uv.KeyPressEvent) bool
}

func (t *TextInput) InsertRune(rune) {}

func NewTextInput(prompt string) *TextInput { return &TextInput{} }
func (t *TextInput) Render(ctx Context)     {}
func (t *TextInput) Value() string          { return "" }
func (t *TextInput) SetValue(string)        {}

// Completion.
type Completion struct {
	Label       string
	Detail      string
	Description string
	Insert      string
}

type CompletionResult struct {
	Items       []Completion
	ReplaceFrom int
}

type CompletionMenu struct{ Compo }

func NewCompletionMenu(input *TextInput, complete func(input string, cursorPos int) CompletionResult) *CompletionMenu {
	return &CompletionMenu{}
}
func (m *CompletionMenu) Render(ctx Context)                                   {}
func (m *CompletionMenu) HandleKeyPress(ctx Context, ev uv.KeyPressEvent) bool { return false }
