// Package teav1 is a compile-only stand-in for github.com/vito/tuist/teav1
// (a bubbletea v1 adapter); see the parent stub package for why.
package teav1

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vito/tuist"
)

// Wrap hosts a bubbletea v1 model as a tuist component.
type Wrap struct {
	tuist.Compo
	Model tea.Model
}

func New(m tea.Model) *Wrap              { return &Wrap{Model: m} }
func (w *Wrap) Render(ctx tuist.Context) {}

func (w *Wrap) OnQuit(fn func()) {}
