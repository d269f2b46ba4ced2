// Command leapboot is a boot loader that runs as /init in an initramfs: it
// finds the disks, reads the boot entries the installed systems left there
// (GRUB, Boot Loader Spec, UKIs, syslinux), shows a menu and kexecs the
// chosen kernel. On a running system it lists what would boot.
//
// Usage:
//
//	leapboot                      as PID 1: the boot loader
//	leapboot list [--json] [--image FILE]... [--dir DIR]...
//	leapboot image -o FILE [--compress gzip|xz|zstd|none] [--modules-dir DIR --modules a,b,...]
//	leapboot reboot [ENTRY] [--dry-run] [--reuse-cmdline | --cmdline STR | --append STR] [--force]
//	leapboot menu --dry-run [--image FILE]...
//	leapboot config check FILE... | passwd
//	leapboot status | unload | version
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

const usage = `usage:
  leapboot list [--json] [--platform efi|pc] [--image FILE]... [--dir DIR]...
      what would boot: from this system's block devices (needs root),
      from disk image files, or from directories (one volume each)
  leapboot image -o FILE [--compress gzip|xz|zstd|none] [--init BINARY]
                 [--modules-dir /lib/modules/VERSION --modules a,b,...] [--file DST=SRC]...
      build a leapboot initramfs
  leapboot reboot [ENTRY] [--dry-run] [--reuse-cmdline | --cmdline STR | --append STR] [--force]
      fast reboot: load the entry the boot loader would boot next (or ENTRY: an ID,
      a number, a title, a glob or a kernel version) and kexec it, through
      "systemctl kexec" when systemd runs, at once with --force
  leapboot grub-check [--platform efi|pc] (FILE | --image IMG... | --dir DIR...)
      evaluate GRUB configs as leapboot does: every diagnostic with file:line,
      then the menu tree with each entry's kernel, initrds and command line
  leapboot status
      staged kernel, lockdown, Secure Boot, kexec_load_disabled, running cmdline
  leapboot unload
      drop a staged kernel
  leapboot menu --dry-run [--config FILE] [--image FILE]... [--dir DIR]...
      the boot menu on this terminal; prints the chosen entry
  leapboot config check FILE... | leapboot config show [FILE]
      validate config files (file:line errors) or print the effective config
  leapboot passwd
      hash a password for edit.password in /etc/leapboot.toml
  leapboot init
      run as the boot loader (what /init does as PID 1)
  leapboot version
`

var version = "dev"

func main() {
	if os.Getpid() == 1 || filepath.Base(os.Args[0]) == "init" {
		os.Exit(runInit(os.Args[1:]))
	}
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var code int
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "init":
		code = runInit(args)
	case "version":
		fmt.Println("leapboot", version)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		run, ok := commands[cmd]
		switch {
		case ok:
			code = run(args)
		case slimBuild:
			fmt.Fprintf(os.Stderr, "leapboot: %q is not in this slim /init build (-tags tiny), which only boots: use the full leapboot (make build: out/leapboot)\n", cmd)
			code = 2
		default:
			fmt.Fprintf(os.Stderr, "leapboot: unknown command %q\n%s", cmd, usage)
			code = 2
		}
	}
	os.Exit(code)
}

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }
