package bleve

import (
	"fmt"
	"testing"
	"time"
)

// WaitMerged blocks until scorch has persisted and merged the segments of
// a bulk load, so that latency measurements do not compete with background
// merging. For tests only.
func (e *Engine) WaitMerged(tb testing.TB, timeout time.Duration) {
	tb.Helper()
	state := func() string {
		e.mu.RLock()
		defer e.mu.RUnlock()
		s := ""
		for _, k := range kinds {
			m, _ := e.indexes[k].StatsMap()["index"].(map[string]any)
			s += fmt.Sprint(m["num_root_memorysegments"], m["num_root_filesegments"], m["num_files_on_disk"], m["num_recs_to_persist"], ";")
		}
		return s
	}
	deadline := time.Now().Add(timeout)
	last, same := "", 0
	for time.Now().Before(deadline) {
		s := state()
		if s == last {
			same++
			if same >= 4 {
				return
			}
		} else {
			last, same = s, 0
		}
		time.Sleep(500 * time.Millisecond)
	}
	tb.Logf("index still merging after %v: %s", timeout, last)
}

// FailStep makes the named step of an index swap fail ("close new", "set
// old aside", "move new in", "open new", "reopen old"). For tests only.
func (e *Engine) FailStep(fn func(step string) error) { e.failStep = fn }

// SetTermAtATime turns the term-at-a-time MatchAny walk on or off, to
// measure it against bleve's disjunction. For tests only; not safe while
// searches run.
func SetTermAtATime(on bool) { termAtATime = on }
