package kmod

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Loader inserts modules of one tree, each once, dependencies first.
type Loader struct {
	Index *Index
	// Dir is the tree on disk (lib/modules/VERSION).
	Dir    string
	loaded map[string]bool
}

// NewLoader reads the index of the tree at dir.
func NewLoader(dir string) (*Loader, error) {
	ix, err := ReadIndex(os.DirFS(dir))
	if err != nil {
		return nil, err
	}
	return &Loader{Index: ix, Dir: dir, loaded: map[string]bool{}}, nil
}

// Load resolves names (modules or aliases) and inserts what is not loaded
// yet. It returns the modules it inserted and the errors of those that
// failed; one failure does not stop the others.
func (l *Loader) Load(names ...string) (loaded []string, errs []error) {
	var known []string
	for _, n := range names {
		if _, ok := l.Index.Lookup(n); ok {
			known = append(known, n)
		}
	}
	order, err := l.Index.Resolve(known)
	if err != nil {
		return nil, []error{err}
	}
	for _, m := range order {
		if l.loaded[m] {
			continue
		}
		l.loaded[m] = true
		if err := Load(filepath.Join(l.Dir, l.Index.Path[m]), ""); err != nil {
			errs = append(errs, err)
			continue
		}
		loaded = append(loaded, m)
	}
	return loaded, errs
}

// Modaliases returns the modalias of every device below sysDevices
// (normally /sys/devices), each once.
func Modaliases(sysDevices string) []string {
	seen := map[string]bool{}
	var out []string
	filepath.WalkDir(sysDevices, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && d.Type()&fs.ModeSymlink != 0 {
			return fs.SkipDir
		}
		if d.Name() != "modalias" || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		if a := strings.TrimSpace(string(b)); a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
		return nil
	})
	return out
}

// Coldplug loads the modules that the devices present need, as udev would
// at boot: it matches every modalias in /sys/devices against the tree's
// modules.alias, loads the matches, and repeats while loading made new
// devices appear (a host controller brings disks, USB brings storage), up
// to rounds times. settle is how long to wait for new devices after a round.
func (l *Loader) Coldplug(ctx context.Context, rounds int, settle time.Duration) (loaded []string, errs []error) {
	tried := map[string]bool{}
	for r := 0; r < rounds && ctx.Err() == nil; r++ {
		var want []string
		for _, a := range Modaliases("/sys/devices") {
			if tried[a] {
				continue
			}
			tried[a] = true
			want = append(want, l.Index.Match(a)...)
		}
		if len(want) == 0 {
			break
		}
		got, e := l.Load(want...)
		loaded, errs = append(loaded, got...), append(errs, e...)
		if len(got) == 0 {
			break
		}
		select {
		case <-time.After(settle):
		case <-ctx.Done():
		}
	}
	return loaded, errs
}
