package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/sources"
	"github.com/leapboot/leapboot/config"
)

// loadConfig reads the config file at path ("" for none), the override on
// the first ESP among vols that has one, and the kernel command line. It
// never fails: problems come back as warnings to show, and a bad file
// means the defaults.
func loadConfig(path string, vols []*boot.Volume, cmdline string) (*config.Config, []string) {
	var warnings []string
	var baked []byte
	if path != "" {
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			baked = b
		case errors.Is(err, fs.ErrNotExist):
		default:
			warnings = append(warnings, fmt.Sprintf("%s: %v: using the built-in defaults", path, err))
		}
	}
	var esp []byte
	espName := config.ESPPath
	for _, v := range vols {
		if v.FS == nil || !v.IsESP() {
			continue
		}
		if b, err := fs.ReadFile(v.FS, config.ESPPath[1:]); err == nil {
			esp, espName = b, v.Name()+":"+config.ESPPath
			break
		}
	}
	c, diags := config.Load(path, baked, espName, esp, cmdline)
	for _, d := range diags {
		warnings = append(warnings, d.String())
	}
	return &c, warnings
}

// readMenu reads the sources the config turns on and applies its policy.
func readMenu(ctx context.Context, cfg *config.Config, vols []*boot.Volume, platform string) boot.Menu {
	m := sources.Read(ctx, vols, sources.WithPlatform(platform), sources.WithOrder(cfg.SourceOrder()...))
	return config.Apply(m, cfg)
}

// runConfig is `leapboot config check FILE...` and `leapboot config show
// [FILE]`.
func runConfig(args []string) int {
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "usage: leapboot config check FILE... | leapboot config show [FILE]")
		return 2
	}
	switch args[0] {
	case "check":
		if len(args) < 2 {
			fmt.Fprintln(os.Stderr, "usage: leapboot config check FILE...")
			return 2
		}
		code := 0
		for _, p := range args[1:] {
			b, err := os.ReadFile(p)
			if err != nil {
				fmt.Fprintln(os.Stderr, "leapboot:", err)
				code = 1
				continue
			}
			_, diags := config.Parse(p, b, config.Defaults())
			for _, d := range diags {
				fmt.Println(d)
				code = 1
			}
		}
		return code
	case "show":
		c := config.Defaults()
		if len(args) > 1 {
			b, err := os.ReadFile(args[1])
			if err != nil {
				fmt.Fprintln(os.Stderr, "leapboot:", err)
				return 1
			}
			var diags []boot.Diagnostic
			c, diags = config.Parse(args[1], b, c)
			for _, d := range diags {
				fmt.Fprintln(os.Stderr, d)
			}
		}
		fmt.Print(c.String())
		return 0
	}
	fmt.Fprintf(os.Stderr, "leapboot config: unknown command %q\n", args[0])
	return 2
}
