package disk

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// Bounds of a nameCache: a directory with more names than maxListedNames
// is not kept (its lookups go to the kernel), nor more than maxListedDirs
// directories per volume.
const (
	maxListedNames = 4096
	maxListedDirs  = 256
)

// nameCache keeps the names in the directories of one read-only volume,
// to answer lookups of names that are not there without asking the kernel
// (a negative lookup costs a system call, and on FAT a directory read).
// Only absence is answered from it: a name that is there is looked up as
// before, so what a lookup finds never depends on the cache.
type nameCache struct {
	// fat is set for FAT volumes: the kernel also finds a long name by its
	// short 8.3 name, which listings do not show.
	fat  bool
	mu   sync.Mutex
	dirs map[string]map[string]bool // directory (volume-relative, "." for the top) → folded names; nil: not kept
}

// absent reports whether name is surely not in the directory dir (relative
// to the volume at root). It is false whenever it cannot be sure: a name
// some filesystem might match without listing it (FAT's short ~ aliases,
// trailing dots, non-ASCII names folded by ext4 casefolding), or a
// directory that could not be listed or is too large.
func (c *nameCache) absent(root, dir, name string) bool {
	if !plainName(name) {
		return false
	}
	names := c.list(root, dir)
	return names != nil && !names[fold(name)]
}

// list returns the folded names in dir, reading them the first time.
func (c *nameCache) list(root, dir string) map[string]bool {
	if dir == "" {
		dir = "."
	}
	c.mu.Lock()
	names, ok := c.dirs[dir]
	full := len(c.dirs) >= maxListedDirs
	c.mu.Unlock()
	if ok || full {
		return names
	}
	names = readNames(filepath.Join(root, dir), c.fat)
	c.mu.Lock()
	if c.dirs == nil {
		c.dirs = map[string]map[string]bool{}
	}
	c.dirs[dir] = names
	c.mu.Unlock()
	return names
}

// readNames reads the names in a directory, folded, or nil. With fat,
// each long name's short 8.3 form (without a ~N tail, as mounts with
// nonumtail and other tools write them) is added too.
func readNames(dir string, fat bool) map[string]bool {
	// O_DIRECTORY and O_NONBLOCK: a FIFO where a directory should be
	// must not block the boot waiting for a writer.
	f, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	list, err := f.Readdirnames(maxListedNames + 1)
	if err != nil && !(errors.Is(err, io.EOF) && len(list) == 0) || len(list) > maxListedNames {
		return nil // unreadable or too large (an empty one reads as io.EOF)
	}
	names := make(map[string]bool, len(list))
	for _, n := range list {
		if !ascii(n) {
			// Unicode case folding (ext4 casefold: "ß" is "ss") or a
			// FAT short alias may find a plain name under another.
			return nil
		}
		// ISO 9660 without Rock Ridge lists "name" for "NAME.;1" and
		// finds it by either; keep the bare form too.
		if i := strings.LastIndexByte(n, ';'); i >= 0 {
			names[fold(strings.TrimRight(n[:i], "."))] = true
		}
		names[fold(n)] = true
		if fat {
			names[fold(shortName(n))] = true
		}
	}
	return names
}

// shortName is the basis of FAT's 8.3 name for a long name: spaces and
// leading dots dropped, at most 8 characters before the last dot and 3
// after it, characters FAT does not allow in short names as "_".
func shortName(n string) string {
	n = strings.TrimLeft(strings.ReplaceAll(n, " ", ""), ".")
	base, ext := n, ""
	if i := strings.LastIndexByte(n, '.'); i >= 0 {
		base, ext = n[:i], n[i+1:]
	}
	clean := func(s string, max int) string {
		var b strings.Builder
		for i := 0; i < len(s) && b.Len() < max; i++ {
			c := s[i]
			if c == '.' {
				continue
			}
			if strings.IndexByte("+,;=[]", c) >= 0 {
				c = '_'
			}
			b.WriteByte(c)
		}
		return b.String()
	}
	base, ext = clean(base, 8), clean(ext, 3)
	if ext == "" {
		return base
	}
	return base + "." + ext
}

// plainName reports whether every filesystem leapboot mounts finds name
// exactly when its listing shows it, up to ASCII case: letters, digits and
// ".-_@+", not ending in a dot (FAT drops trailing dots).
func plainName(name string) bool {
	if name == "" || name[len(name)-1] == '.' {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == '_', c == '@', c == '+':
		default:
			return false
		}
	}
	return true
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// fold is name in ASCII lower case (FAT, ISO 9660 without Rock Ridge and
// casefolded ext4 directories match names without regard to case).
func fold(name string) string { return strings.ToLower(name) }
