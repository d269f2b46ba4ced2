package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/disk"
	"github.com/leapboot/leapboot/boot/kexec"
	"github.com/leapboot/leapboot/boot/kmod"
	"github.com/leapboot/leapboot/config"
	"github.com/leapboot/leapboot/menu"
)

// kernelArgs is what /init takes from the kernel command line.
type kernelArgs struct {
	consoles []string      // device paths, in cmdline order
	settle   time.Duration // leapboot.settle=SECONDS
	probe    time.Duration // leapboot.probe_timeout=SECONDS, per device
	timeout  *time.Duration
}

// parseCmdline reads console= and leapboot.* parameters.
func parseCmdline(cmdline string) (kernelArgs, []string) {
	ka := kernelArgs{settle: 3 * time.Second, probe: 2 * time.Second}
	var warn []string
	seen := map[string]bool{}
	for _, w := range strings.Fields(cmdline) {
		k, v, _ := strings.Cut(w, "=")
		switch k {
		case "console":
			name, _, _ := strings.Cut(v, ",")
			if name == "" || strings.ContainsAny(name, "/.") {
				continue
			}
			dev := "/dev/" + name
			if !seen[dev] {
				seen[dev] = true
				ka.consoles = append(ka.consoles, dev)
			}
		case "leapboot.settle", "leapboot.timeout", "leapboot.probe_timeout":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < -1 || f > 86400 {
				warn = append(warn, fmt.Sprintf("ignoring %s: want seconds", w))
				continue
			}
			d := time.Duration(f * float64(time.Second))
			switch {
			case k == "leapboot.settle":
				ka.settle = d
			case k == "leapboot.probe_timeout":
				if d > 0 {
					ka.probe = d
				}
			default:
				if f < 0 {
					d = boot.WaitForever
				}
				ka.timeout = &d
			}
		}
	}
	return ka, warn
}

// console is one terminal the menu runs on.
type console struct {
	*os.File
}

func openConsoles(paths []string) []io.ReadWriter {
	if len(paths) == 0 {
		paths = []string{"/dev/console"}
	}
	var out []io.ReadWriter
	for _, p := range paths {
		f, err := os.OpenFile(p, os.O_RDWR|unix.O_NOCTTY, 0)
		if err != nil {
			continue
		}
		if t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
			t.Lflag &^= unix.ICANON | unix.ECHO | unix.ISIG
			t.Iflag &^= unix.IXON
			t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
			unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t)
		}
		out = append(out, console{f})
	}
	if len(out) == 0 {
		out = append(out, console{os.Stdout})
	}
	return out
}

// consoleLogger logs at level ("error", "warn", "info", "debug") and above
// on every console.
func consoleLogger(cons []io.ReadWriter, level string) *slog.Logger {
	var l slog.Level
	switch level {
	case "error":
		l = slog.LevelError
	case "warn":
		l = slog.LevelWarn
	case "debug":
		l = slog.LevelDebug
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(consoleWriter(cons), &slog.HandlerOptions{Level: l}))
}

// consoleWriter writes to every console, "\n" as "\r\n" for raw terminals.
type consoleWriter []io.ReadWriter

func (w consoleWriter) Write(p []byte) (int, error) {
	b := bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n"))
	for _, c := range w {
		c.Write(b)
	}
	return len(p), nil
}

// say prints a line on every console and in the kernel log, so it carries
// a kernel timestamp.
func say(cons []io.ReadWriter, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, c := range cons {
		io.WriteString(c, "leapboot: "+msg+"\r\n")
	}
	if k, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0); err == nil {
		io.WriteString(k, "leapboot: "+msg+"\n")
		k.Close()
	}
}

func mountBase() []error {
	var errs []error
	for _, m := range []struct{ src, dir, typ, data string }{
		{"proc", "/proc", "proc", ""},
		{"sysfs", "/sys", "sysfs", ""},
		{"securityfs", "/sys/kernel/security", "securityfs", ""}, // the lockdown state; optional
		{"devtmpfs", "/dev", "devtmpfs", "mode=0755"},
		{"tmpfs", "/tmp", "tmpfs", "mode=1777"},
		{"tmpfs", "/run", "tmpfs", "mode=0755"},
	} {
		os.MkdirAll(m.dir, 0o755)
		if err := unix.Mount(m.src, m.dir, m.typ, unix.MS_NOSUID, m.data); err != nil && !errors.Is(err, unix.EBUSY) && m.typ != "securityfs" {
			errs = append(errs, fmt.Errorf("mount %s: %w", m.dir, err))
		}
	}
	return errs
}

// loadModules loads the modules the image always loads, then those the
// devices present need (coldplug). It returns the loader for the modules
// filesystems need later, or nil when the image has no modules.
func loadModules(ctx context.Context) (*kmod.Loader, []string, []error) {
	deps, _ := filepath.Glob("/lib/modules/*/modules.dep")
	if len(deps) != 1 {
		return nil, nil, nil
	}
	l, err := kmod.NewLoader(filepath.Dir(deps[0]))
	if err != nil {
		return nil, nil, []error{err}
	}
	var names []string
	if b, err := os.ReadFile(kmod.OrderFile); err == nil {
		for _, p := range strings.Fields(string(b)) {
			names = append(names, kmod.Name(p))
		}
	}
	loaded, errs := l.Load(names...)
	more, errs2 := l.Coldplug(ctx, 4, 100*time.Millisecond)
	return l, append(loaded, more...), append(errs, errs2...)
}

// settle waits until block devices have appeared and none has been added
// for quiet, or until the limit.
func settle(limit, quiet time.Duration) int {
	deadline := time.Now().Add(limit)
	last, stable := -1, time.Now()
	for {
		ents, _ := os.ReadDir("/sys/class/block")
		n := 0
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), "ram") && !strings.HasPrefix(e.Name(), "loop") {
				n++
			}
		}
		if n != last {
			last, stable = n, time.Now()
		}
		if (n > 0 && time.Since(stable) >= quiet) || time.Now().After(deadline) {
			return n
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func runInit(args []string) int {
	start := time.Now()
	baseErrs := mountBase()
	cmdline, _ := os.ReadFile("/proc/cmdline")
	ka, warns := parseCmdline(string(cmdline))
	cons := openConsoles(ka.consoles)
	say(cons, "start")
	for _, e := range baseErrs {
		say(cons, "warning: %v", e)
	}
	for _, w := range warns {
		say(cons, "warning: %s", w)
	}
	ctx := context.Background()
	loader, loaded, errs := loadModules(ctx)
	for _, e := range errs {
		say(cons, "warning: %v", e)
	}
	// USB mass storage waits a second (usb-storage's delay_use) before it
	// scans a new device: give it that long to show its disks.
	quiet := 200 * time.Millisecond
	for _, m := range loaded {
		if m == "usb_storage" || m == "uas" {
			quiet = 1500 * time.Millisecond
		}
	}
	ndev := settle(ka.settle, quiet)
	say(cons, "loaded %d modules, %d block devices, %v", len(loaded), ndev, time.Since(start).Round(time.Millisecond))
	// The log level comes from the baked-in config and leapboot.log_level=
	// (the ESP's copy is read later, with the disks).
	early, _ := loadConfig(config.Path, nil, string(cmdline))
	scanOpts := []disk.Option{disk.WithTimeout(ka.probe), disk.WithLogger(consoleLogger(cons, early.LogLevel))}
	if loader != nil {
		scanOpts = append(scanOpts, disk.WithModuleLoader(func(names ...string) {
			_, errs := loader.Load(names...)
			for _, e := range errs {
				say(cons, "warning: %v", e)
			}
		}))
	}

	hp := &hotplug{cons: cons, loader: loader}
	if events, err := disk.Watch(ctx); err != nil {
		say(cons, "warning: devices added later will not be noticed: %v", err)
	} else {
		hp.events = events
	}

	_, shellErr := exec.LookPath("/bin/sh")
	for {
		// A panic must never end PID 1: the kernel would panic with it.
		func() {
			defer func() {
				if r := recover(); r != nil {
					say(cons, "internal error: %v; starting over", r)
					time.Sleep(time.Second)
				}
			}()
			bootMenu(ctx, cons, ka, shellErr == nil, scanOpts, hp)
		}()
	}
}

// hotplug handles devices added while the menu is shown: it loads their
// drivers (a USB stick needs usb_storage, then sd_mod) and, when a block
// device appears, has the menu rescan, keeping what is left of the
// countdown.
type hotplug struct {
	cons   []io.ReadWriter
	loader *kmod.Loader
	events <-chan disk.Uevent
	// The countdown carried over a rescan.
	carried bool
	left    time.Duration
	stopped bool
}

// load loads the drivers a new device's modalias asks for.
func (h *hotplug) load(ev disk.Uevent) {
	if h.loader == nil || ev.Modalias == "" {
		return
	}
	got, errs := h.loader.Load(h.loader.Index.Match(ev.Modalias)...)
	if len(got) > 0 {
		say(h.cons, "loaded %s for a new device", strings.Join(got, ", "))
	}
	for _, e := range errs {
		say(h.cons, "warning: %v", e)
	}
}

// drain handles the events that came before a scan, which sees their
// devices anyway.
func (h *hotplug) drain() {
	for h.events != nil {
		select {
		case ev, ok := <-h.events:
			if !ok {
				h.events = nil
				return
			}
			h.load(ev)
		default:
			return
		}
	}
}

// watch cancels the menu when a block device appears, until ctx ends.
func (h *hotplug) watch(ctx context.Context, cancel func()) {
	if h.events == nil {
		return
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-h.events:
				if !ok {
					return
				}
				h.load(ev)
				if ev.Block != "" {
					say(h.cons, "new device %s: rescanning", ev.Block)
					cancel()
					return
				}
			}
		}
	}()
}

// bootMenu scans, shows the menu and boots; it returns to rescan.
func bootMenu(ctx context.Context, cons []io.ReadWriter, ka kernelArgs, allowShell bool, scanOpts []disk.Option, hp *hotplug) {
	{
		hp.drain()
		scanned, err := disk.Scan(ctx, scanOpts...)
		var vols []*boot.Volume
		var m boot.Menu
		if err == nil {
			vols = scanned.Volumes
		}
		cmdline, _ := os.ReadFile("/proc/cmdline")
		cfg, warnings := loadConfig(config.Path, vols, string(cmdline))
		if err != nil {
			m = boot.Menu{Default: -1, Timeout: boot.WaitForever}
			m.Diagnostics = append(m.Diagnostics, boot.Diagnostic{Message: err.Error()})
			scanned = &disk.Scanned{}
		} else {
			m = readMenu(ctx, cfg, vols, hostPlatform())
			for _, p := range scanned.Problems {
				m.Diagnostics = append(m.Diagnostics, boot.Diagnostic{Message: p.Error()})
			}
		}
		for _, w := range warnings {
			say(cons, "warning: %s", w)
		}
		if !m.TimeoutSet {
			m.Timeout = boot.WaitForever
		}
		if ka.timeout != nil {
			m.Timeout = *ka.timeout
		}
		say(cons, "%d volumes, %d entries", len(vols), len(m.Entries))
		model := menu.New(m, menuOptions(cfg, allowShell, vols, warnings)...)
		if hp.carried {
			// A rescan for a new device keeps the countdown where it was.
			if hp.stopped {
				model.Stop()
			} else if model.Counting && hp.left < model.Left {
				model.Left = hp.left
			}
			hp.carried = false
		}
		mctx, cancel := context.WithCancel(ctx)
		defer cancel()
		hp.watch(mctx, cancel)
	menuLoop:
		for {
			switch menu.Run(mctx, model, menuConsoles(cons), time.Second) {
			case menu.Boot:
				e := m.Entries[model.Chosen]
				if model.Edited != nil {
					e.Cmdline = *model.Edited // this boot only
				}
				err := bootEntry(cons, &e, scanned, cfg.Writes.Grubenv, cfg.Kexec)
				// Only a failure comes back.
				model.Message = fmt.Sprintf("boot %q failed: %v", e.Title, err)
				say(cons, "%s", model.Message)
				model.Stop()
			case menu.Shell:
				shell(cons)
			case menu.Rescan, menu.None:
				if mctx.Err() != nil && ctx.Err() == nil {
					// A new block device: let its partitions appear.
					hp.carried, hp.left, hp.stopped = true, model.Left, !model.Counting
					settle(time.Second, 300*time.Millisecond)
				}
				scanned.Close()
				break menuLoop
			}
		}
	}
}

func bootEntry(cons []io.ReadWriter, e *boot.Entry, scanned *disk.Scanned, writeEnv bool, kexecCall string) error {
	plan, err := kexec.PlanFor(e)
	if err != nil {
		return err
	}
	plan.Syscall = kexecCall
	say(cons, "loading %s", e.Title)
	how, err := kexec.Load(plan)
	if err != nil {
		return err
	}
	say(cons, "loaded with %s", how)
	saveEnv(e, writeEnv, func(format string, args ...any) { say(cons, format, args...) })
	if err := scanned.Close(); err != nil {
		say(cons, "warning: %v", err)
	}
	unix.Sync()
	say(cons, "kexec")
	err = kexec.Reboot()
	// reboot(KEXEC) does not return on success.
	kexec.Unload()
	return err
}

func shell(cons []io.ReadWriter) {
	c, ok := cons[0].(console)
	if !ok {
		return
	}
	cmd := exec.Command("/bin/sh")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.File, c.File, c.File
	cmd.Env = append(os.Environ(), "PATH=/bin:/sbin:/usr/bin:/usr/sbin")
	cmd.Dir = filepath.Clean("/")
	if err := cmd.Run(); err != nil {
		say(cons, "shell: %v", err)
	}
}
