// Command rundemo is `make run`: it builds leapboot, its initramfs and the
// demo disk, then boots them in QEMU with the serial console on this
// terminal. Quit QEMU with Ctrl-A then X. With -uefi (`make run-uefi`)
// OVMF boots leapboot as a unified kernel image from an ESP instead; with
// -rom (`make run-rom`) the UKI is inside a LinuxBoot flash image made from
// OVMF, which is QEMU's whole firmware.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/leapboot/leapboot/images"
	"github.com/leapboot/leapboot/images/rom"
	"github.com/leapboot/leapboot/qemu"
)

// Debian's OVMF (package ovmf) and systemd's UKI stub (systemd-boot-efi).
const (
	ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	ovmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
	ukiStub  = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
)

func main() {
	kernel := flag.String("kernel", "", "kernel to boot (default: the one qemu/fetch-kernel.sh fetched)")
	modules := flag.String("modules", "", "its modules tree, lib/modules/VERSION (default: the fetched one; none with -kernel)")
	dir := flag.String("dir", ".cache/demo", "where to build the demo")
	extra := flag.String("append", "", "more kernel parameters for leapboot's kernel")
	uefi := flag.Bool("uefi", false, "boot through OVMF: leapboot as a UKI, \\EFI\\BOOT\\BOOTX64.EFI on an ESP")
	romFlag := flag.Bool("rom", false, "boot a flash image: OVMF with leapboot's UKI in place of the UEFI Shell, as -bios")
	flag.Parse()
	mode := ""
	switch {
	case *uefi:
		mode = "uefi"
	case *romFlag:
		mode = "rom"
	}
	if err := run(*kernel, *modules, *dir, *extra, mode); err != nil {
		fmt.Fprintln(os.Stderr, "rundemo:", err)
		os.Exit(1)
	}
}

func run(kernel, modules, dir, extra, mode string) error {
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
	switch mode {
	case "uefi":
		if o, err = uefiOptions(d, dir, o); err != nil {
			return err
		}
	case "rom":
		if o, err = romOptions(d, dir, o); err != nil {
			return err
		}
	}
	fmt.Println("booting QEMU (TCG: about 5 s to the menu). Quit with Ctrl-A then X.")
	fmt.Println("qemu-system-x86_64", o.Args())
	cmd := exec.Command("qemu-system-x86_64", o.Args()...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}

// uefiOptions turns the demo's options into an OVMF boot of a UKI holding
// the same kernel, initramfs and command line, on an ESP before the demo
// disk.
func uefiOptions(d *qemu.Demo, dir string, o qemu.Options) (qemu.Options, error) {
	stub, err := os.ReadFile(ukiStub)
	if err != nil {
		return o, fmt.Errorf("%w: install systemd-boot-efi", err)
	}
	kernel, err := os.ReadFile(o.Kernel)
	if err != nil {
		return o, err
	}
	initramfs, err := os.ReadFile(o.Initrd)
	if err != nil {
		return o, err
	}
	var b bytes.Buffer
	if err := images.BuildUKI(&b, stub, kernel, images.WithUKIInitrd(initramfs), images.WithUKICmdline(o.Append)); err != nil {
		return o, err
	}
	efi := filepath.Join(dir, "leapboot.efi")
	if err := os.WriteFile(efi, b.Bytes(), 0o644); err != nil {
		return o, err
	}
	esp := filepath.Join(dir, "uefi-esp.img")
	if err := qemu.BuildDisk(esp, []qemu.Part{{Name: "ESP", Type: "ef00", FS: "vfat", SizeMiB: 40,
		Files: map[string]string{"/EFI/BOOT/BOOTX64.EFI": efi}}}); err != nil {
		return o, err
	}
	vars, err := os.ReadFile(ovmfVars)
	if err != nil {
		return o, fmt.Errorf("%w: install ovmf", err)
	}
	varsCopy := filepath.Join(dir, "OVMF_VARS.fd")
	if err := os.WriteFile(varsCopy, vars, 0o644); err != nil {
		return o, err
	}
	o.Kernel, o.Initrd, o.Append = "", "", ""
	o.Disks = append([]qemu.Disk{{Path: esp, ReadOnly: true}}, o.Disks...)
	o.Extra = append(o.Extra, "-drive", "if=pflash,format=raw,readonly=on,file="+ovmfCode, "-drive", "if=pflash,format=raw,file="+varsCopy)
	return o, nil
}

// romOptions boots the demo from a flash image: OVMF with a UKI (the
// kernel, the slim /init with qemu.BootModules, xz) in place of its Shell, as
// QEMU's -bios.
func romOptions(d *qemu.Demo, dir string, o qemu.Options) (qemu.Options, error) {
	stub, err := os.ReadFile(ukiStub)
	if err != nil {
		return o, fmt.Errorf("%w: install systemd-boot-efi", err)
	}
	firmware, err := os.ReadFile(ovmfCode)
	if err != nil {
		return o, fmt.Errorf("%w: install ovmf", err)
	}
	kernel, err := os.ReadFile(o.Kernel)
	if err != nil {
		return o, err
	}
	var initramfs, uki, flash bytes.Buffer
	opts := []images.Option{images.WithInit(d.Init), images.WithCompression(images.XZ)}
	if d.Kernel.Modules != "" {
		opts = append(opts, images.WithModules(d.Kernel.Modules, qemu.BootModules...))
	}
	if _, err := images.Build(&initramfs, opts...); err != nil {
		return o, err
	}
	if err := images.BuildUKI(&uki, stub, kernel, images.WithUKIInitrd(initramfs.Bytes()), images.WithUKICmdline(o.Append)); err != nil {
		return o, err
	}
	fmt.Println("building the flash image (LZMA: a minute or two)")
	rep, err := rom.Build(&flash, firmware, uki.Bytes())
	if err != nil {
		return o, err
	}
	p := filepath.Join(dir, "leapboot.rom")
	if err := os.WriteFile(p, flash.Bytes(), 0o644); err != nil {
		return o, err
	}
	fmt.Printf("%s: %d bytes; UKI %d bytes in OVMF's %d-byte DXE volume, %d bytes free\n", p, rep.Size, rep.Payload, rep.DXEFV, rep.DXEFVFree)
	o.Kernel, o.Initrd, o.Append = "", "", ""
	o.Extra = append(o.Extra, "-bios", p)
	return o, nil
}
