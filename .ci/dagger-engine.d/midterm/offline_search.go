package midterm

// Search API that github.com/dagger/dagger v0.21.8 expects from
// github.com/vito/midterm v0.2.5-0.20260312180916-3c2add750bea.
//
// The Go module proxy reachable from this machine refuses that pseudo-version
// but serves v0.2.4, which lacks the search API. .ci/dagger-engine builds
// Dagger against a copy of v0.2.4 with this file added. Search is used only
// by Dagger's interactive TUI (log search), which the offline build does not
// use, so these are inert: no matches are ever found.

// SearchMatch is one search hit in the terminal's content.
type SearchMatch struct {
	Row int
	Col int
	Len int
}

// Search looks for query in the terminal content and returns the number of
// matches (always 0 here).
func (v *Terminal) Search(query string) int { return 0 }

// SearchClear drops the current search.
func (v *Terminal) SearchClear() {}

// SearchSetCurrent marks match idx as current and returns its row and column
// (-1, -1 when there is no such match).
func (v *Terminal) SearchSetCurrent(idx int) (int, int) { return -1, -1 }

// SearchMatches iterates over the current matches (none).
func (v *Terminal) SearchMatches(yield func(int, SearchMatch) bool) {}

// SearchMatchRows returns the rows holding matches (none).
func (v *Terminal) SearchMatchRows() []int { return nil }
