package boot

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Find picks the entry a person named, trying in order: an entry ID, a
// 1-based index into the menu, a title (or a menu path "a>b"), a glob over
// titles and IDs, and a kernel version in `uname -r` form (the entry's
// version, or its kernel file named vmlinuz-VERSION). It is an error when
// nothing matches, or when a glob or version matches more than one entry.
func (m *Menu) Find(spec string) (int, error) {
	if spec == "" {
		return -1, fmt.Errorf("boot: empty entry name")
	}
	for i, e := range m.Entries {
		if e.ID == spec {
			return i, nil
		}
	}
	if n, err := strconv.Atoi(spec); err == nil {
		if n < 1 || n > len(m.Entries) {
			return -1, fmt.Errorf("boot: no entry %d (there are %d)", n, len(m.Entries))
		}
		return n - 1, nil
	}
	for i, e := range m.Entries {
		if e.Title == spec || strings.Join(e.Menu, ">") == spec {
			return i, nil
		}
	}
	one := func(what string, match func(e *Entry) bool) (int, error) {
		found := -1
		for i := range m.Entries {
			if match(&m.Entries[i]) {
				if found >= 0 {
					return -1, fmt.Errorf("boot: %s %q matches more than one entry: %q and %q", what, spec, m.Entries[found].Title, m.Entries[i].Title)
				}
				found = i
			}
		}
		return found, nil
	}
	if strings.ContainsAny(spec, "*?[") {
		if _, err := path.Match(spec, ""); err != nil {
			return -1, fmt.Errorf("boot: bad pattern %q: %w", spec, err)
		}
		i, err := one("pattern", func(e *Entry) bool {
			return Glob(spec, e.Title) || Glob(spec, e.ID)
		})
		if err != nil || i >= 0 {
			return i, err
		}
	}
	// A kernel version usually names several entries (GRUB's top-level
	// entry, its twin under "Advanced options", a recovery entry): the
	// first in menu order is the one a person means.
	for i, e := range m.Entries {
		base := path.Base(e.Kernel.Path)
		if e.Version == spec || base == "vmlinuz-"+spec || base == "vmlinux-"+spec || base == "Image-"+spec || strings.HasPrefix(base, "vmlinuz-"+spec+".") {
			return i, nil
		}
	}
	return -1, fmt.Errorf("boot: no entry matches %q (try an ID, a number, a title, a glob or a kernel version)", spec)
}

// Glob matches name against a shell pattern (*, ?, [...]) in which '*'
// also matches '/', as titles such as "Debian GNU/Linux" need.
func Glob(pattern, name string) bool {
	const slash = "\u2215"
	ok, _ := path.Match(strings.ReplaceAll(pattern, "/", slash), strings.ReplaceAll(name, "/", slash))
	return ok
}
