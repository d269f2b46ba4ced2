// Package kmod resolves and loads Linux kernel modules.
//
// Resolution is pure: it reads a modules tree's modules.dep, modules.softdep,
// modules.alias and modules.builtin (as written by depmod) and answers, for a
// list of wanted module names, the files to load in a safe order. The image
// builder uses it to pick what goes into the initramfs; /init uses Load to
// insert them with finit_module.
//
// u-root's pkg/kmodule resolves hard dependencies only and takes the tree from
// uname; we need softdeps (ext4 wants crc32c first), aliases (crypto-crc32c
// names crc32c_generic or crc32c_intel) and a tree given as an fs.FS, so this
// small package does it.
package kmod

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Name normalises a module name: base name, no .ko suffix, '-' as '_'.
func Name(s string) string {
	s = path.Base(s)
	for _, ext := range []string{".xz", ".zst", ".gz"} {
		s = strings.TrimSuffix(s, ext)
	}
	s = strings.TrimSuffix(s, ".ko")
	return strings.ReplaceAll(s, "-", "_")
}

// Index is what depmod knows about one modules tree (lib/modules/VERSION).
type Index struct {
	// Path maps a module name to its file, relative to the tree.
	Path map[string]string
	// Deps maps a module name to the names it needs loaded first.
	Deps map[string][]string
	// SoftPre maps a module name to the module names or aliases it would
	// like loaded first (modules.softdep "pre:").
	SoftPre map[string][]string
	// Alias is the list of (pattern, module) pairs of modules.alias.
	Alias []Alias
	// Builtin holds the names of modules compiled into the kernel.
	Builtin map[string]bool
}

// Alias is one line of modules.alias.
type Alias struct{ Pattern, Module string }

// ReadIndex reads the depmod files of the tree at the root of fsys.
// modules.dep is required; the others are optional.
func ReadIndex(fsys fs.FS) (*Index, error) {
	ix := &Index{Path: map[string]string{}, Deps: map[string][]string{}, SoftPre: map[string][]string{}, Builtin: map[string]bool{}}
	f, err := fsys.Open("modules.dep")
	if err != nil {
		return nil, fmt.Errorf("kmod: %w (run depmod -b on the tree)", err)
	}
	err = eachLine(f, "modules.dep", func(line string) error {
		mod, deps, ok := strings.Cut(line, ":")
		if !ok {
			return fmt.Errorf("no ':'")
		}
		n := Name(mod)
		ix.Path[n] = mod
		for _, d := range strings.Fields(deps) {
			ix.Deps[n] = append(ix.Deps[n], Name(d))
		}
		return nil
	})
	f.Close()
	if err != nil {
		return nil, err
	}
	if f, err := fsys.Open("modules.softdep"); err == nil {
		err = eachLine(f, "modules.softdep", func(line string) error {
			w := strings.Fields(line)
			if len(w) < 2 || w[0] != "softdep" {
				return nil
			}
			n, pre := Name(w[1]), false
			for _, x := range w[2:] {
				switch x {
				case "pre:":
					pre = true
				case "post:":
					pre = false
				default:
					if pre {
						ix.SoftPre[n] = append(ix.SoftPre[n], x)
					}
				}
			}
			return nil
		})
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	if f, err := fsys.Open("modules.alias"); err == nil {
		err = eachLine(f, "modules.alias", func(line string) error {
			w := strings.Fields(line)
			if len(w) == 3 && w[0] == "alias" {
				ix.Alias = append(ix.Alias, Alias{w[1], Name(w[2])})
			}
			return nil
		})
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	if f, err := fsys.Open("modules.builtin"); err == nil {
		err = eachLine(f, "modules.builtin", func(line string) error {
			ix.Builtin[Name(line)] = true
			return nil
		})
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return ix, nil
}

func eachLine(r io.Reader, name string, fn func(string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("kmod: %s:%d: %w", name, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("kmod: %s: %w", name, err)
	}
	return nil
}

// Lookup finds the module a name or alias stands for. An exact module name
// wins; among aliases, a "_generic" implementation is preferred because it
// works on every CPU (crc32c_intel fails on CPUs without SSE4.2, such as
// QEMU's TCG default).
func (ix *Index) Lookup(name string) (string, bool) {
	n := Name(name)
	if _, ok := ix.Path[n]; ok || ix.Builtin[n] {
		return n, true
	}
	var cands []string
	for _, a := range ix.Alias {
		if ok, _ := path.Match(a.Pattern, name); ok {
			cands = append(cands, a.Module)
		}
	}
	if len(cands) == 0 {
		return "", false
	}
	sort.SliceStable(cands, func(i, j int) bool {
		return strings.HasSuffix(cands[i], "_generic") && !strings.HasSuffix(cands[j], "_generic")
	})
	return cands[0], true
}

// Resolve returns the module names to load, dependencies (hard and soft)
// before the modules that need them, each once, builtin modules left out.
// A wanted name that is neither a module, an alias nor builtin is an error;
// a soft dependency that cannot be found is skipped, as modprobe does.
func (ix *Index) Resolve(wanted []string) ([]string, error) {
	var out []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(n string, depth int) error
	visit = func(n string, depth int) error {
		if depth > 64 {
			return fmt.Errorf("kmod: dependency chain too deep at %s", n)
		}
		switch state[n] {
		case 1:
			return nil // a cycle: depmod never writes one, but do not loop
		case 2:
			return nil
		}
		state[n] = 1
		for _, s := range ix.SoftPre[n] {
			if m, ok := ix.Lookup(s); ok {
				if err := visit(m, depth+1); err != nil {
					return err
				}
			}
		}
		for _, d := range ix.Deps[n] {
			if err := visit(d, depth+1); err != nil {
				return err
			}
		}
		state[n] = 2
		if !ix.Builtin[n] {
			out = append(out, n)
		}
		return nil
	}
	for _, w := range wanted {
		m, ok := ix.Lookup(w)
		if !ok {
			return nil, fmt.Errorf("kmod: no module or alias %q in modules.dep", w)
		}
		if err := visit(m, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Match returns the modules whose modules.alias patterns match a device's
// modalias, in modules.alias order, each once.
func (ix *Index) Match(modalias string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range ix.Alias {
		if seen[a.Module] {
			continue
		}
		if ok, _ := path.Match(a.Pattern, modalias); ok {
			seen[a.Module] = true
			out = append(out, a.Module)
		}
	}
	return out
}

// Filter returns an index holding only the given modules: what an image
// that carries just those modules needs.
func (ix *Index) Filter(names []string) *Index {
	keep := map[string]bool{}
	for _, n := range names {
		keep[n] = true
	}
	out := &Index{Path: map[string]string{}, Deps: map[string][]string{}, SoftPre: map[string][]string{}, Builtin: ix.Builtin}
	for n := range keep {
		if p, ok := ix.Path[n]; ok {
			out.Path[n] = p
			out.Deps[n] = ix.Deps[n]
		}
		if s, ok := ix.SoftPre[n]; ok {
			out.SoftPre[n] = s
		}
	}
	for _, a := range ix.Alias {
		if keep[a.Module] {
			out.Alias = append(out.Alias, a)
		}
	}
	return out
}

// Files renders the index as depmod's text files (modules.dep,
// modules.softdep, modules.alias, modules.builtin), sorted, so that
// ReadIndex reads the same index back.
func (ix *Index) Files() map[string][]byte {
	var dep, soft, alias, builtin strings.Builder
	names := make([]string, 0, len(ix.Path))
	for n := range ix.Path {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var deps []string
		for _, d := range ix.Deps[n] {
			deps = append(deps, ix.Path[d])
		}
		fmt.Fprintf(&dep, "%s:", ix.Path[n])
		if len(deps) > 0 {
			fmt.Fprintf(&dep, " %s", strings.Join(deps, " "))
		}
		dep.WriteString("\n")
		if s := ix.SoftPre[n]; len(s) > 0 {
			fmt.Fprintf(&soft, "softdep %s pre: %s\n", n, strings.Join(s, " "))
		}
	}
	for _, a := range ix.Alias {
		fmt.Fprintf(&alias, "alias %s %s\n", a.Pattern, a.Module)
	}
	var bs []string
	for n := range ix.Builtin {
		bs = append(bs, n)
	}
	sort.Strings(bs)
	for _, n := range bs {
		fmt.Fprintf(&builtin, "%s.ko\n", n)
	}
	return map[string][]byte{
		"modules.dep": []byte(dep.String()), "modules.softdep": []byte(soft.String()),
		"modules.alias": []byte(alias.String()), "modules.builtin": []byte(builtin.String()),
	}
}
