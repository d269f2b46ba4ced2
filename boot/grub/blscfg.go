package grub

import (
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/leapboot/leapboot/boot"
)

// blsEntry is one /loader/entries/*.conf file as Fedora's blscfg reads it.
type blsEntry struct {
	name string // file name without .conf: the entry id
	path string
	keys []blsKV
}

type blsKV struct{ key, val string }

func (e *blsEntry) get(k string) (string, bool) {
	for _, kv := range e.keys {
		if kv.key == k {
			return kv.val, true
		}
	}
	return "", false
}

func (e *blsEntry) all(k string) []string {
	var out []string
	for _, kv := range e.keys {
		if kv.key == k {
			out = append(out, kv.val)
		}
	}
	return out
}

// readBLS parses an entry file the way rhboot/grub2's blscfg.c does:
// leading blanks are skipped, '#' lines ignored, the key ends at the
// first space (else the first tab), and reading stops at the first line
// with no separator or nothing after it.
func readBLS(b []byte) []blsKV {
	var out []blsKV
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		line = strings.TrimLeft(line, " \t")
		if strings.HasPrefix(line, "#") {
			continue
		}
		sep := strings.IndexByte(line, ' ')
		if sep < 0 {
			sep = strings.IndexByte(line, '\t')
		}
		if sep < 0 || sep+1 >= len(line) {
			break
		}
		val := strings.TrimLeft(line[sep+1:], " \t")
		out = append(out, blsKV{line[:sep], val})
	}
	return out
}

// vercmp is rpm's version comparison, as blscfg.c uses it: 1 if a is
// newer, -1 if b is newer, 0 if equal.
func vercmp(a, b string) int {
	if a == b {
		return 0
	}
	isAlnum := func(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isAlpha := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' {
			j++
		}
		ta := i < len(a) && a[i] == '~'
		tb := j < len(b) && b[j] == '~'
		if ta || tb {
			if !ta {
				return 1
			}
			if !tb {
				return -1
			}
			i++
			j++
			continue
		}
		if i >= len(a) || j >= len(b) {
			break
		}
		si, sj := i, j
		num := isDigit(a[i])
		if num {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
		}
		sa, sb := a[si:i], b[sj:j]
		if sb == "" {
			if num {
				return 1
			}
			return -1
		}
		if num {
			sa = strings.TrimLeft(sa, "0")
			sb = strings.TrimLeft(sb, "0")
			if len(sa) != len(sb) {
				if len(sa) > len(sb) {
					return 1
				}
				return -1
			}
		}
		if c := strings.Compare(sa, sb); c != 0 {
			return c
		}
	}
	ea, eb := i >= len(a), j >= len(b)
	switch {
	case ea && eb:
		return 0
	case ea:
		return -1
	}
	return 1
}

// blsCmp orders entries as blscfg.c's bls_cmp does.
func blsCmp(e0, e1 *blsEntry) int {
	v0, ok0 := e0.get("version")
	v1, ok1 := e1.get("version")
	if ok0 && !ok1 {
		return -1
	}
	if !ok0 && ok1 {
		return 1
	}
	if r := vercmp(v0, v1); r != 0 {
		return r
	}
	return vercmp(e0.name, e1.name)
}

// sortBLS puts entries in the order blscfg adds them: it sorts with
// bls_cmp and then walks the list backwards, so the newest comes first.
func sortBLS(entries []*blsEntry) {
	sort.SliceStable(entries, func(a, b int) bool { return blsCmp(entries[a], entries[b]) > 0 })
}

// expandSimple expands $name and ${name} the way blscfg's expand_val does
// (no quoting, no splitting).
func (i *interp) expandSimple(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	lx := newLexer(s)
	var b strings.Builder
	for lx.pos < len(s) {
		if s[lx.pos] == '$' {
			if name, ok := lx.variable(); ok {
				b.WriteString(i.get(name))
				continue
			}
		}
		b.WriteByte(s[lx.pos])
		lx.pos++
	}
	return b.String()
}

// cmdBlscfg implements Fedora/RHEL's blscfg: it reads the BLS entries in
// $blsdir (default /loader/entries, falling back to /boot/loader/entries)
// on $root and adds one menu entry per file that has a "linux" key,
// newest version first. Each entry's body is what blscfg generates:
//
//	load_video; set gfxpayload=keep; insmod gzio
//	linux ($root)<linux> <options>
//	initrd ($root)<initrd> …
//
// so $kernelopts and friends are expanded when the entry runs.
func cmdBlscfg(i *interp, argv []string) (ctl, error) {
	root := i.get("root")
	v := i.devs.lookup(root)
	if v == nil || v.FS == nil {
		return ctlNone, &noDeviceError{name: "(" + root + ")"}
	}
	dirs := []string{"/loader/entries", "/boot/loader/entries"}
	if d := i.get("blsdir"); d != "" {
		dirs = []string{cleanPath(d)}
	}
	var entries []*blsEntry
	for _, dir := range dirs {
		dir = i.btrfsPath(v, dir)
		des, err := fs.ReadDir(v.FS, fsName(dir))
		if err != nil {
			continue
		}
		for _, de := range des {
			n := de.Name()
			if strings.HasPrefix(n, ".") || len(n) <= 5 || !strings.HasSuffix(n, ".conf") || de.IsDir() {
				continue
			}
			p := path.Join(dir, n)
			b, err := readCapped(v.FS, p, min(i.o.limits.FileSize, 1<<20))
			if err != nil {
				i.diag(i.line, "blscfg: %s: %v", p, err)
				continue
			}
			if !i.charge(1 + len(b)/256) {
				return ctlAbort, errBudget
			}
			entries = append(entries, &blsEntry{name: strings.TrimSuffix(n, ".conf"), path: p, keys: readBLS(b)})
			if len(entries) >= i.o.limits.Entries {
				i.diag(i.line, "blscfg: more than %d entries in %s; the rest are ignored", i.o.limits.Entries, dir)
				break
			}
		}
		if len(entries) > 0 {
			break
		}
	}
	sortBLS(entries)
	if i.cur.menu == nil {
		i.cur.menu = &menuList{}
	}
	for _, e := range entries {
		linux, ok := e.get("linux")
		if !ok {
			i.diag(i.line, "blscfg: %s has no linux key; skipped", e.path)
			continue
		}
		title, ok := e.get("title")
		if ok {
			title = i.expandSimple(title)
		} else {
			title = linux
		}
		var src strings.Builder
		src.WriteString("load_video\nset gfxpayload=keep\ninsmod gzio\n")
		src.WriteString("linux ($root)" + linux)
		if opts, ok := e.get("options"); ok {
			src.WriteString(" " + opts)
		}
		src.WriteString("\n")
		if initrds := e.all("initrd"); len(initrds) > 0 {
			src.WriteString("initrd")
			for _, r := range initrds {
				src.WriteString(" ($root)" + r)
			}
			src.WriteString("\n")
		}
		if dt, ok := e.get("devicetree"); ok {
			src.WriteString("devicetree ($root)" + dt + "\n")
		}
		body, errs := parseAll(src.String(), i.o.limits.Nesting, i.o.limits.Statements)
		for _, se := range errs {
			i.diag(i.line, "blscfg: %s: %s", e.path, se.msg)
		}
		if i.countItems >= i.o.limits.Entries {
			break
		}
		i.countItems++
		i.cur.menu.items = append(i.cur.menu.items, &menuItem{
			title:  title,
			id:     e.name,
			args:   []string{title},
			body:   body,
			origin: boot.Origin{Volume: v, Path: e.path, Line: 1},
		})
		if ver, ok := e.get("version"); ok {
			i.cur.menu.items[len(i.cur.menu.items)-1].version = ver
		}
	}
	return ctlNone, nil
}
