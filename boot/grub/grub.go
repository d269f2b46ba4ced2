package grub

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/leapboot/leapboot/boot"
)

// Limits bound the work a hostile config can cause. Zero fields take the
// defaults from DefaultLimits.
type Limits struct {
	// Steps is the budget of statements, commands and loop iterations for
	// one config file's top level (including what it sources).
	Steps int
	// EntrySteps is the budget for evaluating one menu entry's body.
	EntrySteps int
	// TotalSteps bounds all work of one Parse call.
	TotalSteps int
	// Depth bounds nested function calls, source, configfile and submenus.
	Depth int
	// Nesting bounds syntactic nesting (if inside while inside …).
	Nesting int
	// Statements bounds the statements parsed from one file.
	Statements int
	// FileSize is the largest file read (configs, grubenv, BLS entries).
	FileSize int64
	// ValueSize bounds one variable's value or one expanded word.
	ValueSize int
	// Entries bounds the menu entries (and recorded env writes).
	Entries int
	// EnvWrites bounds the grubenv writes kept for all entries together:
	// each entry keeps the writes that happen before it boots (the
	// config's top level, an enclosing submenu or configfile, its own
	// body), so a few thousand top-level save_env lines and a few
	// thousand entries would otherwise keep millions. An entry past the
	// bound gets an error instead of its writes.
	EnvWrites int
	// Diagnostics bounds the diagnostics kept.
	Diagnostics int
}

// DefaultLimits are generous for real configs (the largest known
// grub.cfg, a NixOS ISO's, is 32 KB and needs a few thousand steps).
func DefaultLimits() Limits {
	return Limits{
		Steps:       200000,
		EntrySteps:  20000,
		TotalSteps:  2000000,
		Depth:       32,
		Nesting:     128,
		Statements:  100000,
		FileSize:    4 << 20,
		ValueSize:   64 << 10,
		Entries:     2000,
		EnvWrites:   20000,
		Diagnostics: 500,
	}
}

type options struct {
	platform string
	limits   Limits
}

// Option configures Parse.
type Option func(*options)

// WithPlatform sets $grub_platform: "efi" or "pc" (the default). On
// "efi" the ESP stubs /EFI/*/grub.cfg are read first, as firmware
// would start GRUB from there.
func WithPlatform(p string) Option {
	return func(o *options) { o.platform = p }
}

// WithLimits replaces the limits; zero fields keep their defaults.
func WithLimits(l Limits) Option {
	return func(o *options) {
		d := DefaultLimits()
		pick := func(v, def int) int {
			if v > 0 {
				return v
			}
			return def
		}
		o.limits = Limits{
			Steps:       pick(l.Steps, d.Steps),
			EntrySteps:  pick(l.EntrySteps, d.EntrySteps),
			TotalSteps:  pick(l.TotalSteps, d.TotalSteps),
			Depth:       pick(l.Depth, d.Depth),
			Nesting:     pick(l.Nesting, d.Nesting),
			Statements:  pick(l.Statements, d.Statements),
			FileSize:    d.FileSize,
			ValueSize:   pick(l.ValueSize, d.ValueSize),
			Entries:     pick(l.Entries, d.Entries),
			EnvWrites:   pick(l.EnvWrites, d.EnvWrites),
			Diagnostics: pick(l.Diagnostics, d.Diagnostics),
		}
		if l.FileSize > 0 {
			o.limits.FileSize = l.FileSize
		}
	}
}

// Result is everything Evaluate finds.
type Result struct {
	Menu boot.Menu
	// TimeoutStyle is $timeout_style of the menu shown: "menu" (GRUB's
	// default when unset), "countdown" or "hidden".
	TimeoutStyle string
	// EnvWrites are the save_env/savedefault calls made while reading the
	// configs (not those inside entries; see EntryEnvWrites).
	EnvWrites []EnvWrite
	// EntryEnvWrites are the writes each entry makes when booted, by
	// index into Menu.Entries.
	EntryEnvWrites map[int][]EnvWrite
	// Configs are the config files whose menus were used.
	Configs []boot.File
}

// Parse reads the GRUB configs on vols and returns the menu GRUB would
// show. It never fails: problems are diagnostics and broken entries.
func Parse(ctx context.Context, vols []*boot.Volume, opts ...Option) boot.Menu {
	return Evaluate(ctx, vols, opts...).Menu
}

// standard config locations GRUB's core loads from $prefix.
// On btrfs the volume is the top-level subvolume, and GRUB's prefix is
// inside the subvolume that holds /boot: "@" (Ubuntu, Debian), "@rootfs",
// or "@boot" mounted at /boot.
var configPaths = []string{"/boot/grub/grub.cfg", "/grub/grub.cfg", "/boot/grub2/grub.cfg", "/grub2/grub.cfg",
	"/@/boot/grub/grub.cfg", "/@/boot/grub2/grub.cfg", "/@rootfs/boot/grub/grub.cfg", "/@rootfs/boot/grub2/grub.cfg",
	"/@boot/grub/grub.cfg", "/@boot/grub2/grub.cfg"}

type candidate struct {
	vol     *boot.Volume
	path    string // the file, as a path on vol
	prefix  string // its directory, as GRUB names it
	cmdpath string
	// relative is set for a config in a btrfs default subvolume that is
	// not the top level: SUSE's GRUB core reads it with
	// btrfs_relative_path=y, as paths relative to that subvolume.
	relative bool
}

// candidates lists the configs GRUB's core would load. On "efi" the ESP
// stubs of all volumes come first (the firmware starts GRUB from an ESP);
// a volume with a stub is not read at its standard path.
func candidates(vols []*boot.Volume, platform string) []candidate {
	var stubs, std []candidate
	for _, v := range vols {
		if v == nil || v.FS == nil {
			continue
		}
		var found []candidate
		if platform == "efi" {
			if des, err := fs.ReadDir(v.FS, "EFI"); err == nil {
				var boots []candidate
				for _, de := range des {
					if !de.IsDir() {
						continue
					}
					p := "/EFI/" + de.Name() + "/grub.cfg"
					if fi, err := fs.Stat(v.FS, fsName(p)); err != nil || fi.IsDir() {
						continue
					}
					c := candidate{vol: v, path: p, prefix: "/EFI/" + de.Name(), cmdpath: "/EFI/" + de.Name()}
					if strings.EqualFold(de.Name(), "boot") {
						boots = append(boots, c)
					} else {
						found = append(found, c)
					}
				}
				found = append(found, boots...)
			}
		}
		if len(found) > 0 {
			stubs = append(stubs, found...)
			continue
		}
		atTop := false
		for _, p := range configPaths {
			if fi, err := fs.Stat(v.FS, fsName(p)); err == nil && !fi.IsDir() {
				std = append(std, candidate{vol: v, path: p, prefix: path.Dir(p)})
				atTop = true
				break
			}
		}
		if !atTop && v.FSType == "btrfs" && v.BtrfsDefault != "" {
			// No config at the top level: SUSE's GRUB core reads its prefix
			// in the default subvolume, relative to it.
			for _, p := range []string{"/boot/grub2/grub.cfg", "/boot/grub/grub.cfg"} {
				top := cleanPath(v.BtrfsDefault + p)
				if fi, err := fs.Stat(v.FS, fsName(top)); err == nil && !fi.IsDir() {
					std = append(std, candidate{vol: v, path: top, prefix: path.Dir(p), relative: true})
					break
				}
			}
		}
	}
	return append(stubs, std...)
}

// Evaluate is Parse with the details: timeout style, env writes and the
// configs used.
func Evaluate(ctx context.Context, vols []*boot.Volume, opts ...Option) *Result {
	o := options{platform: "pc", limits: DefaultLimits()}
	for _, f := range opts {
		f(&o)
	}
	if o.platform != "efi" {
		o.platform = "pc"
	}
	i := &interp{
		ctx:       ctx,
		o:         o,
		vols:      vols,
		devs:      newDevices(vols),
		loaded:    map[fileKey]bool{},
		funcs:     map[string][]node{},
		stepLimit: o.limits.TotalSteps,
	}
	res := &Result{EntryEnvWrites: map[int][]EnvWrite{}}
	var menus []boot.Menu
	first := true
	used := map[fileKey]bool{}
	for _, c := range candidates(vols, o.platform) {
		if i.loaded[fileKey{c.vol, c.path}] {
			continue
		}
		if ctx.Err() != nil {
			i.diags = append(i.diags, boot.Diagnostic{Message: "cancelled: " + ctx.Err().Error()})
			break
		}
		m, style, file := i.runConfig(c)
		cfgWrites := i.saves
		res.EnvWrites = append(res.EnvWrites, cfgWrites...)
		if len(m.Entries) == 0 {
			continue
		}
		if used[fileKey(file)] {
			// The same menu reached again (two ESP stubs, or a stub and
			// the config itself): listed once.
			continue
		}
		used[fileKey(file)] = true
		if first {
			res.TimeoutStyle = style
			first = false
		}
		res.Configs = append(res.Configs, boot.File{Volume: file.vol, Path: file.path})
		base := 0
		for _, mm := range menus {
			base += len(mm.Entries)
		}
		for k, w := range i.entryWrites {
			res.EntryEnvWrites[base+k] = w
		}
		for k := range m.Entries {
			if len(cfgWrites) > 0 && !i.keepWrites(len(cfgWrites)) {
				if m.Entries[k].Err == nil {
					m.Entries[k].Err = i.tooManyWrites(m.Entries[k].Origin)
				}
				continue
			}
			m.Entries[k].EnvUpdates = envUpdates(append(append([]EnvWrite{}, cfgWrites...), i.entryWrites[k]...))
		}
		menus = append(menus, m)
	}
	// Merge also makes IDs unique ("#2" suffixes), as the owner's config
	// selects entries by ID.
	out := boot.Merge(menus...)
	if !out.TimeoutSet {
		out.Timeout = boot.WaitForever // GRUB waits when timeout is unset
	}
	if len(out.Entries) == 0 {
		out.Default = -1
	}
	out.Diagnostics = append(i.diags, out.Diagnostics...)
	out.TimeoutStyle = res.TimeoutStyle
	if res.TimeoutStyle == "" {
		res.TimeoutStyle = "menu"
	}
	res.Menu = out
	return res
}

// envUpdates turns the save_env calls GRUB makes for an entry into the
// updates the boot stage applies. savedefault without a function of that
// name is an unknown command to GRUB 2 and changes nothing.
func envUpdates(ws []EnvWrite) []boot.EnvUpdate {
	var out []boot.EnvUpdate
	for _, w := range ws {
		if w.Command != "save_env" {
			continue
		}
		out = append(out, boot.EnvUpdate{Volume: w.Volume, Path: w.Path, Vars: w.Vars, Origin: w.Origin, Err: w.Err})
	}
	return out
}

// runConfig runs one config file from the top, as GRUB's core hands it
// to normal mode, and turns its menu into entries.
func (i *interp) runConfig(c candidate) (boot.Menu, string, srcRef) {
	i.entryWrites = nil
	i.entryIndex = 0
	i.saves = nil
	i.inherited = nil
	i.funcs = map[string][]node{}
	i.countItems = 0
	i.btrfsMounts = nil
	top := &envContext{vars: map[string]*variable{}, menu: &menuList{}}
	i.cur = top
	i.args = nil
	i.depth = 0
	i.replaced = nil
	i.abortMsg = ""
	i.boot = nil
	dev := i.devs.name(c.vol)
	i.initVars(dev, c)
	b, err := readCapped(c.vol.FS, c.path, i.o.limits.FileSize)
	if err != nil {
		i.file = srcRef{vol: c.vol, path: c.path}
		i.diag(0, "%v", err)
		return boot.Menu{Default: -1}, "", srcRef{}
	}
	budget := min(i.o.limits.Steps, i.o.limits.TotalSteps-i.steps)
	i.stepLimit = i.steps + max(budget, 0)
	i.runFile(c.vol, c.path, b)
	// Normal mode unsets them once the file is read (they were unset
	// before it); entry bodies run after that.
	delete(top.vars, "config_file")
	delete(top.vars, "config_directory")
	result := &menuResult{ctx: top, file: srcRef{vol: c.vol, path: c.path}}
	if i.replaced != nil {
		result = i.replaced
		i.replaced = nil
	}
	i.abortMsg = ""
	i.cur = result.ctx
	m := i.buildMenu(result)
	style := result.ctx.vars["timeout_style"]
	s := ""
	if style != nil {
		s = style.val
	}
	return m, s, result.file
}

// initVars sets what GRUB's core and normal mode set before grub.cfg runs.
func (i *interp) initVars(dev string, c candidate) {
	set := func(k, v string) {
		i.cur.vars[k] = &variable{val: v, exported: true}
	}
	set("root", dev)
	set("prefix", "("+dev+")"+c.prefix)
	set("config_directory", "("+dev+")"+c.prefix)
	set("config_file", "("+dev+")"+path.Join(c.prefix, path.Base(c.path)))
	if c.relative {
		set("btrfs_relative_path", "y")
	}
	if c.cmdpath != "" {
		set("cmdpath", "("+dev+")"+c.cmdpath)
	} else {
		disk, _, _ := strings.Cut(dev, ",")
		set("cmdpath", "("+disk+")")
	}
	set("grub_platform", i.o.platform)
	set("grub_cpu", map[string]string{"efi": "x86_64", "pc": "i386"}[i.o.platform])
	for _, f := range []string{
		"feature_chainloader_bpb", "feature_ntldr", "feature_platform_search_hint",
		"feature_default_font_path", "feature_all_video_module", "feature_menuentry_id",
		"feature_menuentry_options", "feature_200_final", "feature_nativedisk_cmd",
		"feature_timeout_style",
	} {
		set(f, "y")
	}
}

// flatItem is one menu item in GRUB's numbering, for default lookup.
type flatItem struct {
	title, id string
	entry     int // index into entries, or -1 for a submenu
	children  []flatItem
}

// buildMenu evaluates the items of a finished menu: each entry body as
// GRUB runs it when the entry is chosen, each submenu in a new context.
func (i *interp) buildMenu(r *menuResult) boot.Menu {
	m := boot.Menu{Default: -1}
	var tree []flatItem
	i.flatten(r.ctx, nil, nil, &m, &tree, 0)
	vars := r.ctx.vars
	get := func(k string) (string, bool) {
		if v, ok := vars[k]; ok {
			return v.val, true
		}
		return "", false
	}
	// Timeout: unset waits; GRUB's number parser has no minus sign, so
	// -1 (or any non-number) also waits.
	m.Timeout = boot.WaitForever
	if t, ok := get("timeout"); ok {
		m.TimeoutSet = true
		if n, _, ok := strtoul(t); ok && n < 1<<31 {
			m.Timeout = time.Duration(n) * time.Second
		}
	}
	if len(m.Entries) == 0 {
		return m
	}
	def, _ := get("default")
	m.Default = resolveDefault(tree, def)
	if m.Default < 0 {
		m.Default = firstEntry(tree)
	}
	if m.Default >= 0 && m.Entries[m.Default].Err != nil {
		if fb, ok := get("fallback"); ok {
			for _, f := range strings.Fields(fb) {
				if k := resolveDefault(tree, f); k >= 0 && m.Entries[k].Err == nil {
					m.Default = k
					break
				}
			}
		}
	}
	return m
}

func firstEntry(tree []flatItem) int {
	for _, t := range tree {
		if t.entry >= 0 {
			return t.entry
		}
		if k := firstEntry(t.children); k >= 0 {
			return k
		}
	}
	return -1
}

// menuentryEq compares an entry's title or id with one component of a
// default spec, as GRUB's menuentry_eq does: the spec ends at a single
// '>', and ">>" stands for a literal '>'.
func menuentryEq(id, spec string) (bool, string) {
	a, b := 0, 0
	for {
		if b < len(spec) && spec[b] == '>' && (b+1 >= len(spec) || spec[b+1] != '>') {
			return a == len(id), spec[b+1:]
		}
		if b < len(spec) && spec[b] == '>' {
			b++
		}
		if a == len(id) || b == len(spec) {
			return a == len(id) && b == len(spec), ""
		}
		if id[a] != spec[b] {
			return false, ""
		}
		a++
		b++
	}
}

// resolveDefault finds the entry a default value names: a number (GRUB
// counts a submenu as one item), a title or an id, and "a>b" paths into
// submenus. It returns -1 if nothing matches.
func resolveDefault(tree []flatItem, spec string) int {
	if spec == "" {
		return -1
	}
	idx := -1
	rest := ""
	if n, tail, ok := strtoul(spec); ok && n < 1<<31 && (tail == "" || tail[0] == '>') {
		idx = int(n)
		rest = strings.TrimPrefix(tail, ">")
	} else {
		for k, t := range tree {
			if ok, r := menuentryEq(t.title, spec); ok {
				idx, rest = k, r
				break
			}
			if t.id != "" {
				if ok, r := menuentryEq(t.id, spec); ok {
					idx, rest = k, r
					break
				}
			}
		}
	}
	if idx < 0 || idx >= len(tree) {
		return -1
	}
	t := tree[idx]
	if t.entry >= 0 {
		return t.entry
	}
	if rest != "" {
		if k := resolveDefault(t.children, rest); k >= 0 {
			return k
		}
	}
	return firstEntry(t.children)
}

// flatten turns the items of ctx's menu into entries. Submenus run their
// body in a child context (only exported variables pass) to make their
// own items.
func (i *interp) flatten(ctx *envContext, path, ids []string, m *boot.Menu, tree *[]flatItem, depth int) {
	if ctx.menu == nil {
		return
	}
	for _, it := range ctx.menu.items {
		if it.submenu {
			ft := flatItem{title: it.title, id: it.id, entry: -1}
			if depth >= i.o.limits.Depth {
				i.file = srcRef{vol: it.origin.Volume, path: it.origin.Path}
				i.diag(it.origin.Line, "submenu %q: nesting deeper than %d levels", it.title, i.o.limits.Depth)
				*tree = append(*tree, ft)
				continue
			}
			if !i.chargeCopy(len(ctx.vars)) {
				i.file = srcRef{vol: it.origin.Volume, path: it.origin.Path}
				i.diag(it.origin.Line, "submenu %q: %s", it.title, i.copyRefused(len(ctx.vars)))
				*tree = append(*tree, ft)
				continue
			}
			child := ctx.child()
			// The body's grubenv writes happen when the submenu is
			// opened: before any of its entries boots, and only then.
			saved := i.saves
			i.saves = nil
			if _, repl := i.runBody(child, it, ids, nil); repl != nil {
				// configfile in a submenu: its menu is the submenu.
				child = repl.ctx
			}
			outer := i.inherited
			inherited, ok := i.inherit(i.saves)
			i.saves = saved
			if !ok {
				i.file = srcRef{vol: it.origin.Volume, path: it.origin.Path}
				i.diag(it.origin.Line, "submenu %q: %s", it.title, i.copyRefused(len(outer)))
				*tree = append(*tree, ft)
				continue
			}
			i.inherited = inherited
			i.flatten(child, append(append([]string{}, path...), it.title), append(append([]string{}, ids...), itemID(it)), m, &ft.children, depth+1)
			i.inherited = outer
			*tree = append(*tree, ft)
			continue
		}
		e, repl := i.evalEntry(ctx, it, path, ids)
		if repl != nil {
			// The entry runs configfile: what it shows is a submenu.
			ft := flatItem{title: it.title, id: it.id, entry: -1}
			if depth >= i.o.limits.Depth {
				i.file = srcRef{vol: it.origin.Volume, path: it.origin.Path}
				i.diag(it.origin.Line, "menuentry %q: configfile menus nest deeper than %d levels", it.title, i.o.limits.Depth)
			} else if inherited, ok := i.inherit(repl.writes); !ok {
				i.file = srcRef{vol: it.origin.Volume, path: it.origin.Path}
				i.diag(it.origin.Line, "menuentry %q: %s", it.title, i.copyRefused(len(i.inherited)))
			} else {
				outer := i.inherited
				i.inherited = inherited
				i.flatten(repl.ctx, append(append([]string{}, path...), it.title), append(append([]string{}, ids...), itemID(it)), m, &ft.children, depth+1)
				i.inherited = outer
			}
			*tree = append(*tree, ft)
			continue
		}
		*tree = append(*tree, flatItem{title: it.title, id: it.id, entry: len(m.Entries)})
		m.Entries = append(m.Entries, e)
	}
}

// runBody runs a menu item's body in ctx with the item's arguments as
// positional parameters and a fresh entry budget.
func (i *interp) runBody(ctx *envContext, it *menuItem, ids []string, b *bootState) (ctl, *menuResult) {
	saved := i.cur
	i.cur = ctx
	i.args = append([]string{""}, it.args...)
	i.boot = b
	i.file = srcRef{vol: it.origin.Volume, path: it.origin.Path}
	i.abortMsg = ""
	i.replaced = nil
	i.depth = 0
	outer := i.stepLimit
	total := i.o.limits.TotalSteps
	remaining := total - i.steps
	if remaining <= 0 {
		remaining = 0
	}
	i.stepLimit = i.steps + min(i.o.limits.EntrySteps, remaining)
	// $chosen is the path of ids (an entry's id defaults to its title),
	// as grub-emu 2.06 shows.
	i.set("chosen", strings.Join(append(append([]string{}, ids...), itemID(it)), ">"))
	c := i.execList(it.body)
	i.stepLimit = outer
	i.boot = nil
	i.cur = saved
	repl := i.replaced
	i.replaced = nil
	return c, repl
}

// evalEntry runs an entry's body as GRUB does when it is chosen and
// returns the entry it boots; or, when the body runs configfile before
// loading a kernel, the menu that file makes.
func (i *interp) evalEntry(ctx *envContext, it *menuItem, path, ids []string) (boot.Entry, *menuResult) {
	e := boot.Entry{
		ID:      it.id,
		Title:   it.title,
		Menu:    append(append([]string{}, path...), it.title),
		Source:  boot.SourceGRUB,
		Origin:  it.origin,
		Version: it.version,
	}
	if e.ID == "" {
		e.ID = it.title
	}
	b := &bootState{}
	savedWrites := i.saves
	i.saves = nil
	var (
		c    ctl
		repl *menuResult
	)
	if i.chargeCopy(len(ctx.vars)) {
		run := ctx.clone()
		run.menu = &menuList{} // menuentry while booting adds nothing visible
		c, repl = i.runBody(run, it, ids, b)
	} else {
		c, i.abortMsg = ctlAbort, i.copyRefused(len(ctx.vars))
	}
	if repl != nil && len(repl.ctx.menu.items) > 0 {
		repl.writes = i.saves
		i.saves = savedWrites
		return boot.Entry{}, repl
	}
	tooMany := false
	if n := len(i.inherited) + len(i.saves); n > 0 {
		if i.keepWrites(n) {
			if i.entryWrites == nil {
				i.entryWrites = map[int][]EnvWrite{}
			}
			i.entryWrites[i.entryIndex] = append(slices.Clone(i.inherited), i.saves...)
		} else {
			tooMany = true
		}
	}
	i.entryIndex++
	i.saves = savedWrites
	wrap := func(err error) error {
		return fmt.Errorf("grub: %s:%d: %w", it.origin.Path, it.origin.Line, err)
	}
	if b.linux {
		e.Kernel = b.kernel
		e.Cmdline = b.cmdline
		e.Initrds = b.initrds
		e.Devicetree = b.dtb
	}
	switch {
	case c == ctlAbort && i.abortMsg != "":
		e.Err = wrap(fmt.Errorf("%s", i.abortMsg))
	case b.configfile != "" && !b.linux:
		err := b.configErr
		if err == nil {
			err = errors.New("its menu has no entries")
		}
		e.Err = wrap(fmt.Errorf("configfile %s: %w", b.configfile, err))
	case b.unsupported != "":
		e.Err = wrap(fmt.Errorf("%w: %s: leapboot boots only Linux kernels", ErrUnsupported, b.unsupported))
	case !b.linux:
		e.Err = wrap(ErrNoKernel)
	case b.kernelErr != nil:
		e.Err = wrap(fmt.Errorf("linux: %w", b.kernelErr))
	case b.initrdErr != nil:
		e.Err = wrap(fmt.Errorf("initrd: %w", b.initrdErr))
	case b.dtbErr != nil:
		e.Err = wrap(fmt.Errorf("devicetree: %w", b.dtbErr))
	}
	if tooMany && e.Err == nil {
		e.Err = i.tooManyWrites(it.origin)
	}
	i.abortMsg = ""
	return e, nil
}

// chargeCopy charges copying n variables (the menu's context, copied for
// each entry and submenu evaluated) against the total step budget, and
// says whether it fits: a config that sets 50,000 variables and lists
// 2,000 entries would otherwise copy 100 million (30 s and GBs).
func (i *interp) chargeCopy(n int) bool {
	if i.steps+n > i.o.limits.TotalSteps {
		return false
	}
	i.steps += n
	return true
}

func (i *interp) copyRefused(n int) string {
	return fmt.Sprintf("%v (%d steps): the menu's %d variables or grubenv writes are not copied for it", errBudget, i.o.limits.TotalSteps, n)
}

// inherit returns the writes inherited by the entries under a submenu or
// configfile entry whose body made ws, charging the copy like chargeCopy
// (2,000 submenus under a body of 2,000 writes would copy 4 million).
func (i *interp) inherit(ws []EnvWrite) ([]EnvWrite, bool) {
	if len(ws) == 0 {
		return i.inherited, true
	}
	if !i.chargeCopy(len(i.inherited) + len(ws)) {
		return nil, false
	}
	return append(slices.Clone(i.inherited), ws...), true
}

// keepWrites charges n kept grubenv writes against Limits.EnvWrites and
// says whether they fit.
func (i *interp) keepWrites(n int) bool {
	if i.writesKept+n > i.o.limits.EnvWrites {
		return false
	}
	i.writesKept += n
	return true
}

func (i *interp) tooManyWrites(o boot.Origin) error {
	return fmt.Errorf("grub: %s:%d: more than %d grubenv writes to keep for the whole menu; this entry's are not kept, so it is not booted", o.Path, o.Line, i.o.limits.EnvWrites)
}

func itemID(it *menuItem) string {
	if it.id != "" {
		return it.id
	}
	return it.title
}
