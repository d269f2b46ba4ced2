// Package syslinux lists the boot entries of SYSLINUX, EXTLINUX and
// ISOLINUX configurations (syslinux.cfg, extlinux.conf, isolinux.cfg) the
// way syslinux's own config reader would show and boot them: LABEL blocks
// with KERNEL/LINUX, APPEND, INITRD and MENU LABEL, global APPEND, DEFAULT,
// ONTIMEOUT, MENU DEFAULT, TIMEOUT, INCLUDE and MENU INCLUDE, MENU BEGIN/END
// submenus, and FDT/FDTDIR for U-Boot's extlinux.
//
// The format is line-oriented keywords with syslinux-specific state rules
// (a label's APPEND replaces the global one, INITRD becomes an initrd= word
// after the APPEND, the first initrd= on the final command line is the one
// loaded, relative paths resolve against the main config's directory even
// inside included files). No Go library implements those rules, and
// u-root's pkg/boot/syslinux is a line-based switch that drops errors, so
// the reader is written here, following syslinux 6's readconfig.c and
// execute.c behaviour (learned from, not copied).
//
// The command line matches what syslinux hands the kernel:
// "BOOT_IMAGE=<kernel as written> <arguments>", where the arguments keep any
// initrd= words.
package syslinux

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/leapboot/leapboot/boot"
)

// ConfigPaths are the places a config is looked for on each volume, in
// order; the first one found is used.
var ConfigPaths = []string{
	"/extlinux.conf", "/extlinux/extlinux.conf", "/boot/extlinux/extlinux.conf",
	"/syslinux.cfg", "/syslinux/syslinux.cfg", "/boot/syslinux/syslinux.cfg",
	"/isolinux/isolinux.cfg", "/isolinux.cfg", "/boot/isolinux/isolinux.cfg",
}

// Limits on what one config may pull in. Real configs (install media
// included) are a few KiB in a handful of files; without the bounds on
// labels and on the text read altogether (and boot.AppendDiagnostic's on
// problems), an extlinux.conf that includes
// a 1 MiB file of labels 255 times made 14 million entries (3 minutes,
// tens of GB).
const (
	maxFileSize   = 1 << 20
	maxLineLen    = 4096 // syslinux's MAX_LINE
	maxTotalBytes = 2 << 20
	maxLabels     = 2000
)

// Option configures Parse.
type Option func(*options)

type options struct {
	maxDepth int
	maxFiles int
}

// WithIncludeLimits bounds INCLUDE nesting depth and the total number of
// files one config may read (defaults 16 and 256).
func WithIncludeLimits(depth, files int) Option {
	return func(o *options) { o.maxDepth, o.maxFiles = depth, files }
}

// Parse reads the first syslinux config found on each volume and merges the
// menus in volume order.
func Parse(ctx context.Context, vols []*boot.Volume, opts ...Option) boot.Menu {
	var menus []boot.Menu
	for _, v := range vols {
		if v == nil || v.FS == nil || ctx.Err() != nil {
			continue
		}
		for _, p := range ConfigPaths {
			st, err := fs.Stat(v.FS, fsPath(p))
			if err != nil || st.IsDir() {
				continue
			}
			menus = append(menus, ParseConfig(ctx, v, p, opts...))
			break
		}
	}
	if len(menus) == 0 {
		return boot.Menu{Default: -1}
	}
	return boot.Merge(menus...)
}

// ParseConfig reads one config file on a volume; relative paths resolve
// against its directory.
func ParseConfig(ctx context.Context, v *boot.Volume, file string, opts ...Option) boot.Menu {
	o := options{maxDepth: 16, maxFiles: 256}
	for _, f := range opts {
		f(&o)
	}
	file = path.Clean("/" + file)
	p := &parser{ctx: ctx, o: o, v: v, dir: path.Dir(file), root: &submenu{}}
	p.menu = p.root
	p.parseFile(file, nil, boot.Origin{})
	p.record()
	return p.finish()
}

func fsPath(p string) string { return boot.FSPath(p) }

// label is a LABEL block being read (syslinux's struct labeldata).
type label struct {
	name        string
	kernel      string // the KERNEL/LINUX/… value, may include arguments
	kind        string // "kernel" (type by extension), "linux", "localboot", "com32", …
	append      string
	hasAppend   bool
	initrd      string
	hasInitrd   bool
	menuLabel   string
	fdt, fdtdir string
	hide        bool
	disabled    bool
	isDefault   bool
	action      string // "" (boot) or "exit", "goto", "quit"
	origin      boot.Origin
}

type submenu struct {
	tag, label, title string
	parent            *submenu
}

// name is what the parent menu shows for a submenu: its MENU LABEL, else
// its MENU TITLE, else the MENU BEGIN tag.
func (m *submenu) name() string {
	switch {
	case m.label != "":
		return m.label
	case m.title != "":
		return m.title
	}
	return m.tag
}

type record struct {
	l    label
	menu *submenu
	// appendNow is the global APPEND when the label was recorded.
	appendNow string
}

type parser struct {
	ctx  context.Context
	o    options
	v    *boot.Volume
	dir  string
	root *submenu
	menu *submenu

	cur          *label
	globalAppend string
	def          string
	defOrigin    boot.Origin
	ui           bool
	onTimeout    string
	timeout      boot.Timeout
	timeoutSet   bool

	stack   []string // include stack, for loops
	files   int
	bytes   int  // config text read, all files together
	tooMany bool // more than maxLabels labels: said once
	records []record
	diags   []boot.Diagnostic
}

func (p *parser) diag(o boot.Origin, format string, args ...any) {
	p.diags = boot.AppendDiagnostic(p.diags, boot.MaxDiagnostics, boot.Diagnostic{Origin: o, Message: fmt.Sprintf(format, args...)})
}

// resolve makes a path absolute on the volume, relative to the config's
// directory.
func (p *parser) resolve(name string) string {
	if strings.HasPrefix(name, "/") {
		return path.Clean(name)
	}
	return path.Clean(p.dir + "/" + name)
}

func (p *parser) parseFile(file string, from *boot.Origin, at boot.Origin) {
	if p.ctx.Err() != nil {
		return
	}
	for _, f := range p.stack {
		if f == file {
			p.diag(at, "include loop: %s includes itself; ignored", file)
			return
		}
	}
	if len(p.stack) >= p.o.maxDepth {
		p.diag(at, "includes nested more than %d deep; %s ignored", p.o.maxDepth, file)
		return
	}
	if p.files >= p.o.maxFiles {
		p.diag(at, "more than %d config files read; %s ignored", p.o.maxFiles, file)
		return
	}
	p.files++
	data, err := readFile(p.v.FS, file)
	if err != nil {
		if from == nil {
			p.diag(boot.Origin{Volume: p.v, Path: file}, "cannot read config: %v", err)
		} else {
			// syslinux silently skips includes it cannot open.
			p.diag(at, "include %s: %v", file, err)
		}
		return
	}
	if p.bytes += len(data); p.bytes > maxTotalBytes {
		p.diag(at, "more than %d bytes of config read; %s ignored", maxTotalBytes, file)
		return
	}
	p.stack = append(p.stack, file)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()

	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		if p.ctx.Err() != nil {
			return
		}
		o := boot.Origin{Volume: p.v, Path: file, Line: i + 1}
		line := lines[i]
		if j := strings.IndexByte(line, '\r'); j >= 0 {
			line = line[:j]
		}
		if len(line) > maxLineLen {
			p.diag(o, "line longer than %d bytes; syslinux would split it", maxLineLen)
		}
		kw, rest := word(line)
		if kw == "" || kw[0] == '#' {
			continue
		}
		if strings.EqualFold(kw, "text") {
			// "TEXT HELP" … "ENDTEXT": help text, not keywords.
			for i+1 < len(lines) {
				i++
				if k, _ := word(lines[i]); strings.EqualFold(strings.TrimRight(k, "\r"), "endtext") {
					break
				}
			}
			continue
		}
		p.keyword(strings.ToLower(kw), rest, o)
	}
}

func readFile(fsys fs.FS, name string) ([]byte, error) {
	b, err := boot.ReadFile(fsys, name, maxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("file not found")
	}
	return b, err
}

// word splits off the first space-separated word; rest has no leading space.
func word(s string) (w, rest string) {
	s = strings.TrimLeft(s, " \t\f\v")
	i := strings.IndexAny(s, " \t\f\v")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t\f\v")
}

// kernelKinds are the keywords that set a label's kernel and its type.
var kernelKinds = map[string]bool{
	"kernel": true, "linux": true, "boot": true, "bss": true, "pxe": true, "fdimage": true,
	"comboot": true, "com32": true, "config": true, "localboot": true,
}

// ignored are keywords that change nothing leapboot shows or boots.
var ignored = map[string]bool{
	"say": true, "path": true, "prompt": true, "implicit": true, "allowoptions": true, "noescape": true,
	"nocomplete": true, "nohalt": true, "totaltimeout": true, "display": true, "serial": true,
	"console": true, "font": true, "kbdmap": true, "onerror": true, "ipappend": true, "sysappend": true,
	"f0": true, "f1": true, "f2": true, "f3": true, "f4": true, "f5": true, "f6": true, "f7": true,
	"f8": true, "f9": true, "f10": true, "f11": true, "f12": true, "fdtoverlays": true, "ui_args": true,
}

func (p *parser) keyword(kw, rest string, o boot.Origin) {
	switch {
	case kw == "menu":
		p.menuKeyword(rest, o)
	case kw == "label":
		p.record()
		p.cur = &label{name: rest, kernel: rest, kind: "kernel", origin: o}
	case kernelKinds[kw]:
		if p.cur == nil {
			p.diag(o, "%s outside a LABEL; ignored", strings.ToUpper(kw))
			return
		}
		p.cur.kernel, p.cur.kind = rest, kw
	case kw == "append":
		if p.cur != nil {
			p.cur.append, p.cur.hasAppend = rest, true
		} else {
			p.globalAppend = rest
		}
	case kw == "initrd":
		if p.cur == nil {
			p.diag(o, "INITRD outside a LABEL; ignored")
			return
		}
		p.cur.initrd, p.cur.hasInitrd = rest, true
	case kw == "fdt" || kw == "devicetree":
		if p.cur != nil {
			p.cur.fdt = rest
		}
	case kw == "fdtdir" || kw == "devicetreedir":
		if p.cur != nil {
			p.cur.fdtdir = rest
		}
	case kw == "default":
		p.def, p.defOrigin = rest, o
		if k, _ := word(rest); strings.HasSuffix(strings.ToLower(k), ".c32") {
			p.ui = true
		}
	case kw == "ui":
		p.ui = true
	case kw == "ontimeout":
		p.onTimeout = rest
	case kw == "timeout":
		n, err := strconv.Atoi(strings.TrimSpace(rest))
		if err != nil || n < 0 {
			p.diag(o, "bad TIMEOUT %q; ignored", rest)
			return
		}
		n = min(n, 35996) // syslinux's maximum, about an hour
		if n == 0 {
			p.timeout = boot.WaitForever
		} else {
			p.timeout = boot.Timeout(n) * 100 * time.Millisecond
		}
		p.timeoutSet = true
	case kw == "include":
		file, _ := word(rest)
		p.parseFile(p.resolve(file), &o, o)
	case ignored[kw]:
	default:
		p.diag(o, "unknown keyword %q; ignored", kw)
	}
}

func (p *parser) menuKeyword(rest string, o boot.Origin) {
	kw, arg := word(rest)
	switch strings.ToLower(kw) {
	case "label":
		if p.cur != nil {
			p.cur.menuLabel = arg
		} else if p.menu != p.root {
			p.menu.label = stripCaret(arg)
		}
	case "title":
		if p.cur == nil {
			p.menu.title = arg
		}
	case "default":
		if p.cur != nil {
			p.cur.isDefault = true
		}
	case "hide":
		if p.cur != nil {
			p.cur.hide = true
		}
	case "disable", "disabled":
		if p.cur != nil {
			p.cur.disabled = true
		}
	case "separator":
		p.record()
	case "exit", "goto", "quit":
		if p.cur != nil {
			p.cur.action = strings.ToLower(kw)
		}
	case "begin":
		p.record()
		m := &submenu{tag: arg, parent: p.menu}
		p.menu = m
	case "end":
		p.record()
		if p.menu.parent != nil {
			p.menu = p.menu.parent
		} else {
			p.diag(o, "MENU END without MENU BEGIN; ignored")
		}
	case "include":
		file, tag := word(arg)
		if tag != "" {
			p.record()
			p.menu = &submenu{tag: tag, parent: p.menu}
		}
		p.parseFile(p.resolve(file), &o, o)
		if tag != "" {
			p.record()
			p.menu = p.menu.parent
		}
	}
	// Everything else (colours, geometry, messages, passwords) is display only.
}

// record files the label being read, as syslinux's record() does.
func (p *parser) record() {
	if p.cur == nil {
		return
	}
	l := *p.cur
	p.cur = nil
	if l.hide || l.disabled || l.action != "" {
		return // not shown, or not bootable (a menu action)
	}
	if len(p.records) >= maxLabels {
		if !p.tooMany {
			p.tooMany = true
			p.diag(l.origin, "more than %d labels; the rest are ignored", maxLabels)
		}
		return
	}
	p.records = append(p.records, record{l: l, menu: p.menu, appendNow: p.globalAppend})
}

func stripCaret(s string) string { return strings.ReplaceAll(s, "^", "") }
