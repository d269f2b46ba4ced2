package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/config"
	"github.com/leapboot/leapboot/menu"
)

// menuConsoles are the consoles the menu draws on, each with the terminal
// type its device implies.
func menuConsoles(cons []io.ReadWriter) []menu.Console {
	var out []menu.Console
	for _, c := range cons {
		if c, ok := c.(console); ok {
			out = append(out, menu.Console{File: c.File, Term: menu.TermFor(c.File.Name())})
		}
	}
	return out
}

// countDisks is the number of distinct disks the volumes are on.
func countDisks(vols []*boot.Volume) int {
	seen := map[string]bool{}
	for _, v := range vols {
		seen[v.Disk] = true
	}
	return len(seen)
}

// menuOptions are the model's options under the owner's config.
func menuOptions(cfg *config.Config, allowShell bool, vols []*boot.Volume, warnings []string) []menu.Option {
	opts := []menu.Option{
		menu.WithShell(allowShell && cfg.Shell),
		menu.WithDevices(countDisks(vols)),
		menu.WithConfig(cfg.String()),
		menu.WithWarnings(warnings...),
	}
	switch {
	case !cfg.Edit.Allowed:
	case cfg.Edit.Password != "":
		hash := cfg.Edit.Password
		opts = append(opts, menu.WithEdit(true, func(p string) bool { return config.CheckPassword(hash, p) }))
	default:
		opts = append(opts, menu.WithEdit(true, nil))
	}
	return opts
}

// runMenu is `leapboot menu`: the boot menu on this terminal, over this
// system's disks or image files. It cannot boot from here: with --dry-run
// it prints what it would boot.
func runMenu(args []string) int {
	fl := flag.NewFlagSet("menu", flag.ContinueOnError)
	dryRun := fl.Bool("dry-run", false, "print the chosen entry instead of booting it")
	platform := fl.String("platform", "", `GRUB's $grub_platform: "efi" or "pc" (default: how this machine booted)`)
	cfgPath := fl.String("config", "", "the config file (default: none, the built-in defaults)")
	term := fl.String("term", os.Getenv("TERM"), "terminal type (linux, vt220, vt100, xterm)")
	var images, dirs multiFlag
	fl.Var(&images, "image", "a disk image file to read (repeatable)")
	fl.Var(&dirs, "dir", "a directory to read as one volume (repeatable)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if !*dryRun {
		fmt.Fprintln(os.Stderr, "leapboot menu: only --dry-run works on a running system; use `leapboot reboot` to boot an entry")
		return 2
	}
	if *platform == "" {
		*platform = hostPlatform()
	}
	if *term == "" || *term == "screen" || len(*term) > 6 && (*term)[:6] == "screen" || len(*term) > 4 && (*term)[:4] == "tmux" {
		*term = "xterm"
	}
	cfg, warnings := loadConfig(*cfgPath, nil, "")
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "leapboot menu: no terminal:", err)
		return 1
	}
	defer tty.Close()
	ctx := context.Background()
	for {
		vols, problems, closeAll, err := gather(ctx, images, dirs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "leapboot:", err)
			return 1
		}
		m := readMenu(ctx, cfg, vols, *platform)
		for _, p := range problems {
			m.Diagnostics = append(m.Diagnostics, boot.Diagnostic{Message: p.Error()})
		}
		model := menu.New(m, menuOptions(cfg, false, vols, warnings)...)
		act := menu.Run(ctx, model, []menu.Console{{File: tty, Term: *term}}, time.Second)
		closeAll()
		switch act {
		case menu.Boot:
			e := m.Entries[model.Chosen]
			if model.Edited != nil {
				e.Cmdline = *model.Edited
			}
			fmt.Printf("would boot %q (%s)\n", e.Title, e.ID)
			if e.UKI != nil {
				fmt.Printf("  uki:     %s\n", e.UKI)
			} else {
				fmt.Printf("  kernel:  %s\n", e.Kernel)
			}
			for _, i := range e.Initrds {
				fmt.Printf("  initrd:  %s\n", i)
			}
			fmt.Printf("  cmdline: %s\n", e.Cmdline)
			if e.Err != nil {
				fmt.Printf("  cannot boot: %v\n", e.Err)
				return 1
			}
			return 0
		case menu.Rescan:
			continue
		default:
			return 0
		}
	}
}
