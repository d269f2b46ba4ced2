package qemu

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/leapboot/leapboot/images"
)

// BootModules are the modules the leapboot initramfs carries for QEMU's
// virtio disks with GPT, ext4 and FAT (dependencies and ext4's crc32c
// soft dependency are added by images.WithModules).
var BootModules = []string{"virtio_pci", "virtio_blk", "ext4", "vfat", "nls_cp437", "nls_ascii"}

// Kernel is a kernel and its modules tree.
type Kernel struct {
	Vmlinuz string
	Modules string // lib/modules/VERSION, depmod run
}

// FindKernel locates the kernel fetched by qemu/fetch-kernel.sh under the
// repository's .cache/kernel, or the one $LEAPBOOT_KERNEL_DIR names.
func FindKernel() (Kernel, error) {
	dir := os.Getenv("LEAPBOOT_KERNEL_DIR")
	if dir == "" {
		root, err := RepoRoot()
		if err != nil {
			return Kernel{}, err
		}
		dir = filepath.Join(root, ".cache/kernel")
	}
	k := Kernel{Vmlinuz: filepath.Join(dir, "vmlinuz")}
	mods, _ := filepath.Glob(filepath.Join(dir, "lib/modules/*/modules.dep"))
	if len(mods) != 1 {
		return k, fmt.Errorf("no kernel modules tree in %s: run `make kernel` (qemu/fetch-kernel.sh)", dir)
	}
	k.Modules = filepath.Dir(mods[0])
	if _, err := os.Stat(k.Vmlinuz); err != nil {
		return k, fmt.Errorf("no kernel: %w: run `make kernel` (qemu/fetch-kernel.sh)", err)
	}
	return k, nil
}

// RepoRoot is the directory holding go.mod.
func RepoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// GoBuild builds a static binary of the package pkg into out; flags go
// before the package (InitBuildFlags for the slim /init).
func GoBuild(pkg, out string, flags ...string) error {
	args := append(append([]string{"build", "-trimpath", "-ldflags=-s -w"}, flags...), "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// TestInitrd writes an initrd whose /init is the demoinit binary and which
// carries /entries/NAME, so the booted system can say which initrd it got.
func TestInitrd(out, demoinit, name string) error {
	var b bytes.Buffer
	if _, err := images.Build(&b, images.WithInit(demoinit), images.WithContents("entries/"+name, []byte(name+"\n"))); err != nil {
		return err
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}

// DemoEntry is one entry of the demo disk and what booting it must show
// (nothing for the broken ones).
type DemoEntry struct {
	Title   string
	Initrds string // what demoinit prints after "initrds="
	Cmdline string // what demoinit prints after "cmdline="
}

// Demo is the demo set-up: a leapboot initramfs and a GPT disk with a FAT
// ESP holding a BLS entry and an ext4 partition holding /boot/grub/grub.cfg.
type Demo struct {
	Initramfs string
	Disk      string
	Leapboot  string // the full leapboot build: the host tool (list --image, image)
	Init      string // the slim /init build (InitBuildFlags) inside the demo initramfs
	DemoInit  string // the /init of the demo initrds
	Kernel    Kernel
	RootUUID  string
	Entries   []DemoEntry // in menu order; the first is the default
}

// The demo disk's identities.
const (
	DemoRootUUID = "6c1a2f8e-0d3b-4b7a-9c55-2f1e8d7a4b10"
	DemoESPID    = "1234ABCD"
	DemoESPPart  = "e5b00001-0000-4000-8000-000000000001"
	DemoRootPart = "e5b00001-0000-4000-8000-000000000002"
)

// InitBuildFlags build the slim /init as `make build` builds
// out/leapboot-init (keep them in step with the Makefile's GOFLAGS_INIT):
// no image mode or image builder, tcell's base terminal types, no inlining.
var InitBuildFlags = []string{"-tags", "tiny,tcell_minimal", "-gcflags=all=-l"}

// BuildDemo builds the leapboot binaries (full and slim /init), the demo initrds, the leapboot
// initramfs and the demo disk into dir.
func BuildDemo(dir string, k Kernel) (*Demo, error) {
	leapboot := filepath.Join(dir, "leapboot")
	initBin := filepath.Join(dir, "leapboot-init")
	demoinit := filepath.Join(dir, "demoinit")
	if err := GoBuild("github.com/leapboot/leapboot/cmds/leapboot", leapboot); err != nil {
		return nil, err
	}
	if err := GoBuild("github.com/leapboot/leapboot/cmds/leapboot", initBin, InitBuildFlags...); err != nil {
		return nil, err
	}
	if err := GoBuild("github.com/leapboot/leapboot/qemu/demoinit", demoinit); err != nil {
		return nil, err
	}
	for _, n := range []string{"grub-1", "grub-2", "bls"} {
		if err := TestInitrd(filepath.Join(dir, "initrd-"+n+".img"), demoinit, n); err != nil {
			return nil, err
		}
	}
	d := &Demo{Initramfs: filepath.Join(dir, "leapboot.cpio.gz"), Disk: filepath.Join(dir, "demo.img"), Leapboot: leapboot, Init: initBin, DemoInit: demoinit, Kernel: k, RootUUID: DemoRootUUID}
	var b bytes.Buffer
	opts := []images.Option{images.WithInit(initBin)}
	if k.Modules != "" {
		opts = append(opts, images.WithModules(k.Modules, BootModules...))
	}
	if _, err := images.Build(&b, opts...); err != nil {
		return nil, err
	}
	if err := os.WriteFile(d.Initramfs, b.Bytes(), 0o644); err != nil {
		return nil, err
	}

	grubCfg := fmt.Sprintf(`# leapboot demo: a grub.cfg as grub-mkconfig would write it, cut down.
set default=0
set timeout=5

menuentry 'Demo: Debian-style entry (GRUB, ext4)' --id demo-grub {
	search --no-floppy --fs-uuid --set=root %[1]s
	linux /boot/vmlinuz root=UUID=%[1]s ro console=ttyS0 demo.entry=grub-1
	initrd /boot/initrd-grub-1.img
}
menuentry 'Demo: second entry (GRUB)' --id demo-grub-2 {
	linux /boot/vmlinuz console=ttyS0 demo.entry=grub-2 quiet
	initrd /boot/initrd-grub-2.img
}
menuentry 'Demo: corrupt kernel (kexec fails, the menu stays)' --id demo-corrupt {
	linux /boot/vmlinuz-corrupt console=ttyS0
}
menuentry 'Demo: missing initrd (shown as broken)' --id demo-missing {
	linux /boot/vmlinuz console=ttyS0
	initrd /boot/initrd-that-is-not-there.img
}
`, DemoRootUUID)
	blsEntry := "title Demo: Boot Loader Spec entry (ESP)\nlinux /demo/vmlinuz\ninitrd /demo/initrd-bls.img\noptions console=ttyS0 demo.entry=bls\n"
	loaderConf := "default demo-bls.conf\ntimeout 5\n"
	files := map[string][]byte{"grub.cfg": []byte(grubCfg), "vmlinuz-corrupt": corruptKernel(), "demo-bls.conf": []byte(blsEntry), "loader.conf": []byte(loaderConf)}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			return nil, err
		}
	}
	err := BuildDisk(d.Disk, []Part{
		{Name: "ESP", Type: "ef00", FS: "vfat", SizeMiB: 40, UUID: DemoESPID, Label: "ESP", PartUUID: DemoESPPart, Files: map[string]string{
			"/loader/loader.conf":           filepath.Join(dir, "loader.conf"),
			"/loader/entries/demo-bls.conf": filepath.Join(dir, "demo-bls.conf"),
			"/demo/vmlinuz":                 k.Vmlinuz,
			"/demo/initrd-bls.img":          filepath.Join(dir, "initrd-bls.img"),
		}},
		{Name: "root", Type: "8300", FS: "ext4", SizeMiB: 48, UUID: DemoRootUUID, Label: "demo-root", PartUUID: DemoRootPart, Files: map[string]string{
			"/boot/grub/grub.cfg":     filepath.Join(dir, "grub.cfg"),
			"/boot/vmlinuz":           k.Vmlinuz,
			"/boot/vmlinuz-corrupt":   filepath.Join(dir, "vmlinuz-corrupt"),
			"/boot/initrd-grub-1.img": filepath.Join(dir, "initrd-grub-1.img"),
			"/boot/initrd-grub-2.img": filepath.Join(dir, "initrd-grub-2.img"),
		}},
	})
	if err != nil {
		return nil, err
	}
	d.Entries = []DemoEntry{
		{"Demo: Debian-style entry (GRUB, ext4)", "grub-1", "BOOT_IMAGE=/boot/vmlinuz root=UUID=" + DemoRootUUID + " ro console=ttyS0 demo.entry=grub-1"},
		{"Demo: second entry (GRUB)", "grub-2", "BOOT_IMAGE=/boot/vmlinuz console=ttyS0 demo.entry=grub-2 quiet"},
		{Title: "Demo: corrupt kernel (kexec fails, the menu stays)"},
		{Title: "Demo: missing initrd (shown as broken)"},
		{"Demo: Boot Loader Spec entry (ESP)", "bls", "console=ttyS0 demo.entry=bls"},
	}
	return d, nil
}

// Options returns the VM options that boot the demo; extra is appended to
// the kernel command line.
func (d *Demo) Options(extra string) Options {
	return Options{
		Kernel: d.Kernel.Vmlinuz, Initrd: d.Initramfs,
		Append: strings.TrimSpace("console=ttyS0 panic=-1 " + extra),
		Disks:  []Disk{{Path: d.Disk, ReadOnly: true}},
	}
}

// corruptKernel looks like a bzImage to a quick check (the "HdrS" magic at
// 0x202) but is not one, so only kexec_file_load finds out.
func corruptKernel() []byte {
	b := bytes.Repeat([]byte("not a kernel "), 1000)
	copy(b[0x1fe:], "\x55\xaa\xeb\x66HdrS\x00\x01")
	return b
}
