package syslinux

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/leapboot/leapboot/boot"
)

// kernelType is how syslinux runs a KERNEL: by the file's extension.
func kernelType(kind, kernel string) string {
	if kind != "kernel" {
		return kind
	}
	k := strings.ToLower(kernel)
	switch {
	case strings.HasSuffix(k, ".c32"):
		return "com32"
	case strings.HasSuffix(k, ".com"), strings.HasSuffix(k, ".cbt"):
		return "comboot"
	case strings.HasSuffix(k, ".bss"):
		return "bss"
	case strings.HasSuffix(k, ".bs"), strings.HasSuffix(k, ".bin"):
		return "boot"
	case strings.HasSuffix(k, ".0"):
		return "pxe"
	}
	return "linux"
}

var kindNames = map[string]string{
	"com32": "COM32 module", "comboot": "COMBOOT program", "bss": "boot sector (BSS)", "boot": "boot sector",
	"pxe": "PXE program", "fdimage": "floppy image", "config": "CONFIG (load another config)",
	"localboot": "LOCALBOOT (boot the next device)",
}

// Cmdline builds the kernel command line syslinux passes for a label, and
// the initrds it loads: the label's command "KERNEL [APPEND] [initrd=INITRD]"
// is split into the kernel (first word) and its arguments, the line becomes
// "BOOT_IMAGE=<kernel> <arguments>", and the first "initrd=" on that line
// (a comma-separated list) names the initrds. appendGlobal is used when the
// label has no APPEND of its own; an APPEND of "-" means none.
func Cmdline(kernelLine, labelAppend string, hasAppend bool, appendGlobal, initrd string, hasInitrd bool) (kernel, cmdline string, initrds []string) {
	a := appendGlobal
	if hasAppend {
		a = labelAppend
	}
	if a == "-" {
		a = ""
	}
	cmd := kernelLine
	if a != "" {
		cmd += " " + a
	}
	if hasInitrd {
		cmd += " initrd=" + initrd
	}
	kernel, args := word(cmd)
	cmdline = "BOOT_IMAGE=" + kernel + " " + args
	if i := strings.Index(cmdline, "initrd="); i >= 0 {
		list := cmdline[i+len("initrd="):]
		if j := strings.IndexAny(list, " "); j >= 0 {
			list = list[:j]
		}
		for _, n := range strings.Split(list, ",") {
			if n != "" {
				initrds = append(initrds, n)
			}
		}
	}
	return kernel, cmdline, initrds
}

func (p *parser) exists(name string) error {
	st, err := fs.Stat(p.v.FS, fsPath(name))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: file not found", name)
	case err != nil:
		return fmt.Errorf("%s: %w", name, err)
	case st.IsDir():
		return fmt.Errorf("%s: is a directory", name)
	}
	return nil
}

func (p *parser) finish() boot.Menu {
	m := boot.Menu{Default: -1, Timeout: p.timeout, TimeoutSet: p.timeoutSet}
	seen := map[string]int{}
	byLabel := map[string]int{}
	menuDefault := -1
	for _, r := range p.records {
		l := r.l
		title := stripCaret(l.menuLabel)
		if l.menuLabel == "" {
			title = l.name
		}
		var path []string
		for s := r.menu; s != nil && s != p.root; s = s.parent {
			path = append([]string{s.name()}, path...)
		}
		e := boot.Entry{
			ID: l.name, Title: title, Menu: append(path, title),
			Source: boot.SourceSyslinux, Origin: l.origin,
		}
		if seen[l.name]++; seen[l.name] > 1 {
			e.ID += "#" + strconv.Itoa(seen[l.name])
		} else {
			byLabel[l.name] = len(m.Entries)
		}
		fail := func(err error) {
			if e.Err == nil {
				e.Err = fmt.Errorf("syslinux: %s:%d: label %s: %w", l.origin.Path, l.origin.Line, l.name, err)
			}
		}
		kernel, cmdline, initrds := Cmdline(l.kernel, l.append, l.hasAppend, r.appendNow, l.initrd, l.hasInitrd)
		e.Cmdline = cmdline
		kind := kernelType(l.kind, kernel)
		switch {
		case kind != "linux":
			fail(fmt.Errorf("unsupported: %s %s", kindNames[kind], kernel))
			if kind == "localboot" {
				e.Cmdline = ""
			}
			if kind != "localboot" && kernel != "" {
				e.Kernel = boot.File{Volume: p.v, Path: p.resolve(kernel)}
			}
		case kernel == "":
			fail(errors.New("no kernel"))
		default:
			e.Kernel = boot.File{Volume: p.v, Path: p.resolve(kernel)}
			if err := p.exists(e.Kernel.Path); err != nil {
				fail(err)
			}
			for _, i := range initrds {
				f := boot.File{Volume: p.v, Path: p.resolve(i)}
				e.Initrds = append(e.Initrds, f)
				if err := p.exists(f.Path); err != nil {
					fail(err)
				}
			}
			if l.fdt != "" {
				f := boot.File{Volume: p.v, Path: p.resolve(l.fdt)}
				e.Devicetree = &f
				if err := p.exists(f.Path); err != nil {
					fail(err)
				}
			} else if l.fdtdir != "" {
				p.diag(l.origin, "label %s: FDTDIR %s needs the board's devicetree file name; no devicetree passed", l.name, l.fdtdir)
			}
		}
		if l.isDefault && menuDefault < 0 {
			menuDefault = len(m.Entries)
		}
		m.Entries = append(m.Entries, e)
	}
	find := func(cmd string) int {
		name, _ := word(cmd)
		if i, ok := byLabel[name]; ok && name != "" {
			return i
		}
		return -1
	}
	def := find(p.def)
	if p.def != "" && def < 0 && !p.ui {
		p.diag(p.defOrigin, "DEFAULT %q names no label; syslinux would run it as a command line, which leapboot does not", p.def)
	}
	order := []int{find(p.onTimeout), def, menuDefault}
	if p.ui {
		// A menu UI highlights MENU DEFAULT first.
		order = []int{find(p.onTimeout), menuDefault, def}
	}
	for _, i := range order {
		if i >= 0 {
			m.Default = i
			break
		}
	}
	if m.Default < 0 && len(m.Entries) > 0 {
		m.Default = 0
	}
	m.Diagnostics = p.diags
	return m
}
