//go:build !tiny

package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/leapboot/leapboot/images"
	"github.com/leapboot/leapboot/images/rom"
)

func runImage(args []string) int {
	fl := flag.NewFlagSet("image", flag.ContinueOnError)
	out := fl.String("o", "", "output file (required)")
	comp := fl.String("compress", "gzip", "compression: gzip, xz, zstd, lz4 (the kernel's legacy format) or none")
	initBin := fl.String("init", "", "the leapboot binary to use as /init (default: "+InitName+" next to this program, the slim build of make build, else this program)")
	modDir := fl.String("modules-dir", "", "modules tree, lib/modules/VERSION with depmod's files")
	mods := fl.String("modules", "", "comma-separated modules, aliases or sets (storage, nvme, usb, fs, input, console, boot) loaded at start, with their dependencies")
	onDemand := fl.String("modules-on-demand", "", "comma-separated modules, aliases or sets loaded only when a device or filesystem needs them (coldplug)")
	fwDir := fl.String("firmware-dir", images.FirmwareDir, "add the firmware files the modules declare from this directory (\"\" for none)")
	rescue := fl.Bool("rescue", false, "add a rescue shell and tools (busybox)")
	busybox := fl.String("busybox", "/bin/busybox", "the statically linked busybox for --rescue (Debian: busybox-static)")
	ukiOut := fl.Bool("uki", false, "write a unified kernel image (EFI application: --stub, --kernel, the initramfs and --cmdline) instead of the initramfs")
	kernel := fl.String("kernel", "", "the kernel (bzImage) for --uki")
	stub := fl.String("stub", "/usr/lib/systemd/boot/efi/linuxx64.efi.stub", "systemd's UKI stub for --uki (Debian: systemd-boot-efi)")
	cmdline := fl.String("cmdline", "console=ttyS0 console=tty0", "the kernel command line built into --uki")
	romOut := fl.Bool("rom", false, "write a LinuxBoot flash image: --firmware (OVMF) with the --uki image in place of its UEFI Shell")
	firmware := fl.String("firmware", "/usr/share/OVMF/OVMF_CODE_4M.fd", "the OVMF firmware image for --rom (Debian: ovmf)")
	romSize := fl.Int64("rom-size", rom.DefaultSize, "bytes of the --rom flash image")
	var files multiFlag
	fl.Var(&files, "file", "DST=SRC: add host file SRC at DST (repeatable)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fl.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "leapboot image: -o FILE is required and no arguments are taken")
		return 2
	}
	if (*ukiOut || *romOut) && *kernel == "" {
		fmt.Fprintln(os.Stderr, "leapboot image: --uki and --rom need --kernel")
		return 2
	}
	c, err := images.ParseCompression(*comp)
	if err != nil {
		fmt.Fprintln(os.Stderr, "leapboot image:", err)
		return 2
	}
	if *initBin == "" {
		var slim bool
		if *initBin, slim, err = defaultInit(); err != nil {
			fmt.Fprintln(os.Stderr, "leapboot image:", err)
			return 1
		}
		if !slim {
			fmt.Fprintf(os.Stderr, "leapboot image: no %s next to this program: /init is this full build (larger; make build writes both)\n", InitName)
		}
	}
	opts := []images.Option{images.WithInit(*initBin), images.WithCompression(c)}
	if *mods != "" || *onDemand != "" {
		if *modDir == "" {
			fmt.Fprintln(os.Stderr, "leapboot image: --modules and --modules-on-demand need --modules-dir")
			return 2
		}
		opts = append(opts, images.WithModules(*modDir, splitList(*mods)...), images.WithOnDemandModules(splitList(*onDemand)...))
		if *fwDir != "" {
			opts = append(opts, images.WithFirmware(*fwDir))
		}
	}
	if *rescue {
		opts = append(opts, images.WithRescue(*busybox))
	}
	for _, f := range files {
		dst, src, ok := strings.Cut(f, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "leapboot image: --file %q: want DST=SRC\n", f)
			return 2
		}
		opts = append(opts, images.WithFile(dst, src))
	}
	var buf bytes.Buffer
	rep, err := images.Build(&buf, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "leapboot image:", err)
		return 1
	}
	data := buf.Bytes()
	if *ukiOut || *romOut {
		if data, err = buildUKI(*stub, *kernel, *cmdline, data); err != nil {
			fmt.Fprintln(os.Stderr, "leapboot image:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "%s: UKI of %d bytes: stub %s, kernel %s, cmdline %q\n", *out, len(data), *stub, *kernel, *cmdline)
	}
	if *romOut {
		fw, err := os.ReadFile(*firmware)
		if err != nil {
			fmt.Fprintln(os.Stderr, "leapboot image:", err, "(the firmware is in Debian's ovmf)")
			return 1
		}
		var flash bytes.Buffer
		romRep, err := rom.Build(&flash, fw, data, rom.WithSize(*romSize))
		if err != nil {
			fmt.Fprintln(os.Stderr, "leapboot image:", err)
			return 1
		}
		data = flash.Bytes()
		fmt.Fprintf(os.Stderr, "%s: flash image of %d bytes from %s (QEMU: -bios); DXE volume %d bytes, %d free; %d drivers (%d bytes) removed\n",
			*out, romRep.Size, *firmware, romRep.DXEFV, romRep.DXEFVFree, len(romRep.Removed), romRep.RemovedBytes)
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "leapboot image:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "%s: initramfs %d bytes (%s); uncompressed: binary %d, modules %d (%d), firmware %d (%d), tools %d, other %d\n",
		*out, rep.Compressed, c, rep.Binary, rep.Modules, len(rep.ModuleNames), rep.Firmware, len(rep.FirmwareFiles), rep.Tools, rep.Other)
	if len(rep.FirmwareMissing) > 0 {
		fmt.Fprintf(os.Stderr, "declared firmware not in %s (left out): %s\n", *fwDir, strings.Join(rep.FirmwareMissing, ", "))
	}
	if len(rep.Missing) > 0 {
		fmt.Fprintf(os.Stderr, "not in this kernel's tree (left out): %s\n", strings.Join(rep.Missing, ", "))
	}
	return 0
}

// buildUKI puts the initramfs into a unified kernel image.
func buildUKI(stubPath, kernelPath, cmdline string, initramfs []byte) ([]byte, error) {
	stub, err := os.ReadFile(stubPath)
	if err != nil {
		return nil, fmt.Errorf("%w (the stub is in Debian's systemd-boot-efi)", err)
	}
	kernel, err := os.ReadFile(kernelPath)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = images.BuildUKI(&b, stub, kernel, images.WithUKIInitrd(initramfs), images.WithUKICmdline(cmdline))
	return b.Bytes(), err
}

func splitList(s string) []string {
	var out []string
	for _, w := range strings.Split(s, ",") {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}
