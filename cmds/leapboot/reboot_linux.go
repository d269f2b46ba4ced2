package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/kexec"
	"github.com/leapboot/leapboot/boot/sources"
	"github.com/leapboot/leapboot/config"
)

// reuseCmdline is the running kernel's command line made fit for the next
// kernel: like kexec --reuse-cmdline, it drops BOOT_IMAGE=, which named
// the running kernel's file.
func reuseCmdline(running string) string {
	var out []string
	for _, w := range strings.Fields(running) {
		if strings.HasPrefix(w, "BOOT_IMAGE=") {
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// rebootCmdline says how the command line of the chosen entry changes.
type rebootCmdline struct {
	reuse   bool   // take the running kernel's
	running string // /proc/cmdline
	set     string // replace it
	add     string // append words
}

// chooseReboot picks the entry to boot (the menu's default, or the one spec
// names), applies the command-line options and checks it can be loaded.
func chooseReboot(m boot.Menu, spec string, c rebootCmdline) (*boot.Entry, kexec.Plan, error) {
	i := m.Default
	if spec != "" {
		var err error
		if i, err = m.Find(spec); err != nil {
			return nil, kexec.Plan{}, err
		}
	}
	if i < 0 {
		return nil, kexec.Plan{}, fmt.Errorf("no boot entry found; `leapboot list` shows what was read")
	}
	e := m.Entries[i]
	switch {
	case c.reuse:
		e.Cmdline = reuseCmdline(c.running)
	case c.set != "":
		e.Cmdline = c.set
	}
	if c.add != "" {
		e.Cmdline = strings.TrimSpace(e.Cmdline + " " + c.add)
	}
	plan, err := kexec.PlanFor(&e)
	return &e, plan, err
}

func runReboot(args []string) int {
	fl := flag.NewFlagSet("reboot", flag.ContinueOnError)
	dry := fl.Bool("dry-run", false, "print what would be loaded and load nothing")
	reuse := fl.Bool("reuse-cmdline", false, "boot with the running kernel's command line (less BOOT_IMAGE=)")
	cmdline := fl.String("cmdline", "", "boot with this command line instead of the entry's")
	appendArgs := fl.String("append", "", "add these words to the command line")
	force := fl.Bool("force", false, "sync and jump into the new kernel at once, without stopping services")
	syscallName := fl.String("syscall", "", "force kexec_file_load or kexec_load (default: kexec_file_load, kexec_load where the kernel lacks it)")
	platform := fl.String("platform", "", `GRUB's $grub_platform: "efi" or "pc" (default: how this machine booted)`)
	var images, dirs multiFlag
	fl.Var(&images, "image", "read entries from a disk image instead of this system (with --dry-run)")
	fl.Var(&dirs, "dir", "read entries from a directory (one volume) instead of this system")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: leapboot reboot [ENTRY] [--dry-run] [--reuse-cmdline | --cmdline STR | --append STR] [--force]")
		fl.PrintDefaults()
	}
	// Accept the entry before or after the flags.
	var spec string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		spec, args = args[0], args[1:]
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 1 || (fl.NArg() == 1 && spec != "") {
		fl.Usage()
		return 2
	}
	if fl.NArg() == 1 {
		spec = fl.Arg(0)
	}
	if *syscallName != "" && *syscallName != kexec.SyscallFile && *syscallName != kexec.SyscallLegacy {
		fmt.Fprintln(os.Stderr, "leapboot reboot: --syscall takes kexec_file_load or kexec_load")
		return 2
	}
	if *reuse && *cmdline != "" {
		fmt.Fprintln(os.Stderr, "leapboot reboot: --reuse-cmdline and --cmdline exclude each other")
		return 2
	}
	if *platform == "" {
		*platform = hostPlatform()
	}
	ctx := context.Background()
	vols, problems, closeAll, err := gather(ctx, images, dirs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "leapboot reboot:", err)
		return 1
	}
	defer closeAll()
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "leapboot reboot: warning:", p)
	}
	opts := []sources.Option{sources.WithPlatform(*platform)}
	if len(images) == 0 && len(dirs) == 0 {
		// This machine's systemd-boot one-shot and default entries.
		if efi := hostEFIVars(); efi != nil {
			opts = append(opts, sources.WithEFIVars(efi))
		}
	}
	m := sources.Read(ctx, vols, opts...)
	running := ""
	if *reuse {
		b, err := os.ReadFile("/proc/cmdline")
		if err != nil {
			fmt.Fprintln(os.Stderr, "leapboot reboot:", err)
			return 1
		}
		running = string(b)
	}
	e, plan, err := chooseReboot(m, spec, rebootCmdline{reuse: *reuse, running: running, set: *cmdline, add: *appendArgs})
	if err != nil {
		fmt.Fprintln(os.Stderr, "leapboot reboot:", err)
		return 1
	}
	describe(os.Stdout, e, plan)
	if *dry {
		return 0
	}
	plan.Syscall = *syscallName
	how, err := kexec.Load(plan)
	if err != nil {
		fmt.Fprintln(os.Stderr, "leapboot reboot:", err)
		return 1
	}
	fmt.Println("loaded with", how)
	if len(images) == 0 && len(dirs) == 0 {
		cmdline, _ := os.ReadFile("/proc/cmdline")
		cfg, _ := loadConfig(config.Path, vols, string(cmdline))
		saveEnv(e, cfg.Writes.Grubenv, func(format string, args ...any) { fmt.Printf(format+"\n", args...) })
	}
	closeAll() // unmount what discovery mounted; closing again is harmless
	if !*force {
		if _, err := os.Stat("/run/systemd/system"); err == nil {
			fmt.Println("handing over to `systemctl kexec`: services stop, filesystems unmount, then the new kernel starts")
			cmd := exec.Command("systemctl", "kexec")
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintln(os.Stderr, "leapboot reboot: systemctl kexec:", err)
				return 1
			}
			return 0
		}
		fmt.Println("staged; systemd is not running, so nothing stops services for you: run `leapboot reboot --force` to jump now, or `leapboot unload`")
		return 0
	}
	unix.Sync()
	fmt.Println("kexec")
	if err := kexec.Reboot(); err != nil {
		fmt.Fprintln(os.Stderr, "leapboot reboot:", err)
		return 1
	}
	return 0
}

// describe prints the files, sizes and command line of a plan.
func describe(w io.Writer, e *boot.Entry, p kexec.Plan) {
	size := func(f boot.File) string {
		st, err := fs.Stat(f.Volume.FS, strings.TrimPrefix(f.Path, "/"))
		if err != nil {
			return "unreadable: " + err.Error()
		}
		return fmt.Sprintf("%d bytes", st.Size())
	}
	fmt.Fprintf(w, "entry:   %s (%s, %s)\n", strings.Join(e.Menu, " > "), e.Source, e.Origin)
	if p.UKI != nil {
		fmt.Fprintf(w, "uki:     %s on %s (%s), profile %d: its .linux, .ucode and .initrd sections\n", p.UKI.Path, p.UKI.Volume, size(*p.UKI), p.UKIProfile)
	} else {
		fmt.Fprintf(w, "kernel:  %s on %s (%s)\n", p.Kernel.Path, p.Kernel.Volume, size(p.Kernel))
	}
	for _, f := range p.Initrds {
		fmt.Fprintf(w, "initrd:  %s on %s (%s)\n", f.Path, f.Volume, size(f))
	}
	fmt.Fprintf(w, "cmdline: %s\n", p.Cmdline)
}

func runStatus(args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(os.Stderr, "usage: leapboot status")
		return 2
	}
	s := kexec.ReadStatus()
	fmt.Printf("staged kernel:        %v\n", map[bool]string{true: "yes (/sys/kernel/kexec_loaded)", false: "none"}[s.Loaded])
	fmt.Printf("lockdown:             %s\n", orUnknown(s.Lockdown))
	fmt.Printf("secure boot:          %s\n", s.SecureBoot)
	fmt.Printf("kexec_load_disabled:  %v\n", s.LoadDisabled)
	fmt.Printf("running cmdline:      %s\n", s.RunningCmdline)
	return 0
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown (no /sys/kernel/security/lockdown)"
	}
	return s
}

func runUnload(args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(os.Stderr, "usage: leapboot unload")
		return 2
	}
	if err := kexec.Unload(); err != nil && !errors.Is(err, unix.ENOENT) {
		fmt.Fprintln(os.Stderr, "leapboot unload:", err)
		return 1
	}
	fmt.Println("no kernel staged")
	return 0
}
