package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing/fstest"
	"time"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/grub"
)

// runGrubCheck evaluates GRUB configs the way leapboot reads them and
// prints every diagnostic with file:line and the menu tree.
func runGrubCheck(args []string) int {
	fl := flag.NewFlagSet("grub-check", flag.ContinueOnError)
	platform := fl.String("platform", "pc", `$grub_platform: "efi" or "pc"`)
	var images, dirs multiFlag
	fl.Var(&images, "image", "a disk image to read (repeatable)")
	fl.Var(&dirs, "dir", "a directory to read as one volume (repeatable)")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: leapboot grub-check [--platform efi|pc] (FILE | --image IMG... | --dir DIR...)")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	var vols []*boot.Volume
	switch {
	case fl.NArg() == 1 && len(images) == 0 && len(dirs) == 0:
		b, err := os.ReadFile(fl.Arg(0))
		if err != nil {
			fmt.Fprintln(os.Stderr, "leapboot grub-check:", err)
			return 1
		}
		// The file alone, as /boot/grub/grub.cfg of a volume: the
		// entries' kernels are then missing, which the check says.
		vols = []*boot.Volume{{Device: fl.Arg(0), FSType: "file", FS: fstest.MapFS{"boot/grub/grub.cfg": {Data: b, Mode: 0o644}}}}
	case fl.NArg() == 0 && (len(images) > 0 || len(dirs) > 0):
		v, _, closeAll, err := gather(context.Background(), images, dirs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "leapboot grub-check:", err)
			return 1
		}
		defer closeAll()
		vols = v
	default:
		fl.Usage()
		return 2
	}
	res := grub.Evaluate(context.Background(), vols, grub.WithPlatform(*platform))
	printGrubCheck(os.Stdout, res)
	if len(res.Menu.Diagnostics) > 0 {
		return 1
	}
	return 0
}

func printGrubCheck(w io.Writer, res *grub.Result) {
	m := res.Menu
	for _, c := range res.Configs {
		fmt.Fprintf(w, "config: %s\n", c)
	}
	for _, d := range m.Diagnostics {
		fmt.Fprintf(w, "%s\n", d)
	}
	switch {
	case m.Timeout < 0:
		fmt.Fprintf(w, "timeout: none (waits), style %s\n", res.TimeoutStyle)
	default:
		fmt.Fprintf(w, "timeout: %v, style %s\n", m.Timeout.Round(time.Second/10), res.TimeoutStyle)
	}
	var shown []string // submenu path already printed
	for i, e := range m.Entries {
		path := e.Menu
		if len(path) == 0 {
			path = []string{e.Title}
		}
		common := 0
		for common < len(shown) && common < len(path)-1 && shown[common] == path[common] {
			common++
		}
		for d := common; d < len(path)-1; d++ {
			fmt.Fprintf(w, "%s%s >\n", strings.Repeat("  ", d), path[d])
		}
		shown = path[:len(path)-1]
		mark := " "
		if i == m.Default {
			mark = "*"
		}
		ind := strings.Repeat("  ", len(path)-1)
		fmt.Fprintf(w, "%s%s %s  [%s] (%s)\n", ind, mark, path[len(path)-1], e.ID, e.Origin)
		fmt.Fprintf(w, "%s    linux  %s\n", ind, e.Kernel)
		for _, f := range e.Initrds {
			fmt.Fprintf(w, "%s    initrd %s\n", ind, f)
		}
		fmt.Fprintf(w, "%s    cmdline %s\n", ind, e.Cmdline)
		if e.Err != nil {
			fmt.Fprintf(w, "%s    error: %v\n", ind, e.Err)
		}
	}
}
