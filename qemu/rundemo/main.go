// Command rundemo is `make run`: it builds leapboot, its initramfs and the
// demo disk, then boots them in QEMU with the serial console on this
// terminal. Quit QEMU with Ctrl-A then X.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/leapboot/leapboot/qemu"
)

func main() {
	kernel := flag.String("kernel", "", "kernel to boot (default: the one qemu/fetch-kernel.sh fetched)")
	modules := flag.String("modules", "", "its modules tree, lib/modules/VERSION (default: the fetched one; none with -kernel)")
	dir := flag.String("dir", ".cache/demo", "where to build the demo")
	extra := flag.String("append", "", "more kernel parameters for leapboot's kernel")
	flag.Parse()
	if err := run(*kernel, *modules, *dir, *extra); err != nil {
		fmt.Fprintln(os.Stderr, "rundemo:", err)
		os.Exit(1)
	}
}

func run(kernel, modules, dir, extra string) error {
	var k qemu.Kernel
	if kernel != "" {
		k = qemu.Kernel{Vmlinuz: kernel, Modules: modules}
	} else {
		var err error
		if k, err = qemu.FindKernel(); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	dir, _ = filepath.Abs(dir)
	fmt.Println("building the demo in", dir)
	d, err := qemu.BuildDemo(dir, k)
	if err != nil {
		return err
	}
	// quiet keeps the kernel's log off the menu's screen.
	o := d.Options(strings.TrimSpace("quiet " + extra))
	fmt.Println("booting QEMU (TCG: about 5 s to the menu). Quit with Ctrl-A then X.")
	fmt.Println("qemu-system-x86_64", o.Args())
	cmd := exec.Command("qemu-system-x86_64", o.Args()...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}
