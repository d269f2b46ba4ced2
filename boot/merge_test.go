package boot

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMerge(t *testing.T) {
	grub := Menu{Entries: []Entry{{ID: "a"}, {ID: "b"}}, Default: -1}
	bls := Menu{Entries: []Entry{{ID: "a"}, {ID: "c"}}, Default: 1, Timeout: 3 * time.Second, TimeoutSet: true,
		Diagnostics: []Diagnostic{{Message: "x"}}}
	m := Merge(grub, bls)
	var ids []string
	for _, e := range m.Entries {
		ids = append(ids, e.ID)
	}
	if got, want := ids, []string{"a", "b", "a#2", "c"}; !equal(got, want) {
		t.Errorf("ids = %v, want %v", got, want)
	}
	if m.Default != 3 {
		t.Errorf("default = %d, want 3", m.Default)
	}
	if !m.TimeoutSet || m.Timeout != 3*time.Second {
		t.Errorf("timeout = %v/%v", m.Timeout, m.TimeoutSet)
	}
	if len(m.Diagnostics) != 1 {
		t.Errorf("diagnostics = %v", m.Diagnostics)
	}
	if d := Merge(Menu{Entries: []Entry{{ID: "z"}}, Default: -1}); d.Default != 0 {
		t.Errorf("no default anywhere: default = %d, want 0", d.Default)
	}
	if d := Merge(); d.Default != -1 || d.DefaultEntry() != nil {
		t.Errorf("empty merge: default = %d", d.Default)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMergeTimeoutStyle(t *testing.T) {
	a := Menu{Default: -1}
	b := Menu{Default: -1, TimeoutStyle: "hidden", Timeout: 0, TimeoutSet: true}
	c := Menu{Default: -1, TimeoutStyle: "countdown"}
	if got := Merge(a, b, c).TimeoutStyle; got != "hidden" {
		t.Errorf("style %q, want the first menu's that has one (hidden)", got)
	}
	if got := Merge(a).TimeoutStyle; got != "" {
		t.Errorf("style %q, want unset", got)
	}
}

// TestMergeUniqueIDs: a renamed entry's new ID may be another entry's own
// ("x#2" after two "x"); that one is renamed too, so IDs stay unique.
func TestMergeUniqueIDs(t *testing.T) {
	m := Merge(Menu{Entries: []Entry{{ID: "x"}, {ID: "x"}}, Default: -1}, Menu{Entries: []Entry{{ID: "x#2"}, {ID: "x"}, {ID: "x#2"}}, Default: -1})
	var ids []string
	for _, e := range m.Entries {
		ids = append(ids, e.ID)
	}
	if got, want := strings.Join(ids, " "), "x x#2 x#2#2 x#3 x#2#3"; got != want {
		t.Errorf("IDs %q, want %q", got, want)
	}
}

func TestAppendDiagnostic(t *testing.T) {
	var ds []Diagnostic
	for k := range 10 {
		ds = AppendDiagnostic(ds, 4, Diagnostic{Message: strconv.Itoa(k)})
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.Message)
	}
	if want := "0|1|2|too many diagnostics; the rest are dropped"; strings.Join(got, "|") != want {
		t.Errorf("%q, want %q", strings.Join(got, "|"), want)
	}
}
