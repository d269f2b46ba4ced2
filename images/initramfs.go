// Package images builds what people boot leapboot from: a newc cpio
// initramfs holding /init (the leapboot binary), the few directories and
// device nodes an initramfs needs, kernel modules with their dependencies,
// the firmware those modules declare, and extra files. The archive is
// written through u-root's pkg/cpio and compressed with klauspost/compress
// (gzip, zstd), ulikunitz/xz or pierrec/lz4 (the kernel's legacy LZ4
// format); two builds of the same inputs are byte-identical.
//
// It also wraps an initramfs and a kernel into a unified kernel image
// (BuildUKI, uki.go): systemd's stub is read with debug/pe, and the new
// section headers are written by hand, because no well-kept Go library
// writes PE files and objcopy is an external tool whose output depends on
// its version.
package images

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/u-root/u-root/pkg/cpio"
	"github.com/ulikunitz/xz"

	"github.com/leapboot/leapboot/boot/kmod"
)

// Compression is how the cpio archive is compressed.
type Compression string

// The compressions the Linux kernel can unpack an initramfs from.
const (
	None Compression = "none"
	Gzip Compression = "gzip"
	XZ   Compression = "xz"
	Zstd Compression = "zstd"
	LZ4  Compression = "lz4" // the legacy format of `lz4 -l`, the one the kernel reads
)

// ParseCompression checks a --compress value.
func ParseCompression(s string) (Compression, error) {
	switch c := Compression(s); c {
	case None, Gzip, XZ, Zstd, LZ4:
		return c, nil
	}
	return "", fmt.Errorf("images: unknown compression %q (want none, gzip, xz, zstd or lz4)", s)
}

// ModulesOrderFile lists, one per line, the module files /init loads in order.
const ModulesOrderFile = kmod.OrderFile

type options struct {
	busybox     string
	binary      string
	compression Compression
	firmware    fs.FS
	modulesDir  string
	modules     []string
	onDemand    []string
	files       map[string]string // archive path -> host path
	contents    map[string][]byte
}

// Option configures Build.
type Option func(*options)

// WithInit sets the host path of the leapboot binary that becomes /init.
func WithInit(binary string) Option { return func(o *options) { o.binary = binary } }

// WithCompression sets the compression (default gzip).
func WithCompression(c Compression) Option { return func(o *options) { o.compression = c } }

// WithModules adds the named modules (names or aliases) and everything they
// depend on from the modules tree dir (lib/modules/VERSION, with depmod's
// files in it). The tree's version is kept, so the kernel finds them.
func WithModules(dir string, names ...string) Option {
	return func(o *options) { o.modulesDir, o.modules = dir, append(o.modules, names...) }
}

// WithFirmware adds, from the firmware directory dir (usually
// FirmwareDir), the firmware files the image's modules declare (modinfo's
// "firmware=" entries) at lib/firmware. Declared files dir lacks are left
// out and reported (Report.FirmwareMissing): most drivers ask for firmware
// for hardware variants a machine does not have.
func WithFirmware(dir string) Option {
	return func(o *options) { o.firmware = os.DirFS(dir) }
}

// WithFirmwareFS is WithFirmware with the firmware directory as an fs.FS.
func WithFirmwareFS(fsys fs.FS) Option { return func(o *options) { o.firmware = fsys } }

// WithOnDemandModules adds modules (names, aliases or set names, see
// ModuleSets) that /init loads only when a device needs them (coldplug by
// modalias) or a filesystem of their type is found. Names the tree lacks
// are left out and reported. Use with WithModules, which names the tree.
func WithOnDemandModules(names ...string) Option {
	return func(o *options) { o.onDemand = append(o.onDemand, names...) }
}

// ModuleSets are named groups of modules for WithOnDemandModules and
// WithModules; "boot" is all of them.
var ModuleSets = map[string][]string{
	"storage": {"virtio_pci", "virtio_blk", "virtio_scsi", "ahci", "ata_piix", "ata_generic", "sd_mod", "sr_mod", "mmc_block", "sdhci_pci", "sdhci_acpi"},
	"nvme":    {"nvme"},
	"usb":     {"xhci_pci", "ehci_pci", "ohci_pci", "uhci_hcd", "usb_storage", "uas"},
	"fs":      {"ext4", "vfat", "xfs", "btrfs", "isofs", "squashfs", "nls_cp437", "nls_ascii", "nls_utf8", "nls_iso8859_1"},
	"input":   {"usbhid", "hid_generic", "atkbd"},
	"console": {"virtio_console"},
}

func expandSets(names []string) []string {
	var out []string
	for _, n := range names {
		if n == "boot" {
			for _, s := range []string{"storage", "nvme", "usb", "fs", "input", "console"} {
				out = append(out, ModuleSets[s]...)
			}
			continue
		}
		if set, ok := ModuleSets[n]; ok {
			out = append(out, set...)
			continue
		}
		out = append(out, n)
	}
	return out
}

// WithRescue adds a rescue shell and tools: the statically linked busybox
// at path (Debian's busybox-static) as /bin/busybox, with /bin/sh and the
// usual tools linked to it.
func WithRescue(busybox string) Option { return func(o *options) { o.busybox = busybox } }

// RescueTools are the busybox applets a rescue image links in /bin.
var RescueTools = []string{"sh", "ash", "ls", "cat", "less", "vi", "grep", "sed", "awk", "find", "head", "tail",
	"hexdump", "cp", "mv", "rm", "ln", "mkdir", "rmdir", "mount", "umount", "dmesg", "ip", "ps", "kill",
	"free", "df", "du", "lsmod", "insmod", "blkid", "fdisk", "dd", "sync", "poweroff", "reboot", "uname",
	"echo", "env", "sleep", "chroot", "stat", "md5sum", "sha256sum"}

// WithFile adds the host file src at archive path dst.
func WithFile(dst, src string) Option {
	return func(o *options) { o.files[dst] = src }
}

// WithContents adds a file with the given bytes at archive path dst.
func WithContents(dst string, b []byte) Option {
	return func(o *options) { o.contents[dst] = b }
}

// Report says what went into an image and how big each part is.
type Report struct {
	Binary      int64 // uncompressed bytes
	Modules     int64
	Firmware    int64
	Tools       int64    // the rescue shell
	Other       int64    // extra files
	ModuleNames []string // every module in the image
	Missing     []string // on-demand modules the tree does not have
	// FirmwareFiles are the firmware files in the image (under
	// lib/firmware); FirmwareMissing the declared ones the firmware
	// directory lacks, each as "NAME (module, ...)".
	FirmwareFiles   []string
	FirmwareMissing []string
	Uncompressed    int64 // the cpio archive
	Compressed      int64
}

// Build writes the initramfs to w.
func Build(w io.Writer, opts ...Option) (Report, error) {
	o := options{compression: Gzip, files: map[string]string{}, contents: map[string][]byte{}}
	for _, opt := range opts {
		opt(&o)
	}
	var rep Report
	recs := []cpio.Record{
		cpio.Directory("dev", 0o755),
		cpio.CharDev("dev/console", 0o600, 5, 1),
		cpio.CharDev("dev/null", 0o666, 1, 3),
		cpio.Directory("etc", 0o755),
		cpio.Directory("lib", 0o755),
		cpio.Directory("lib/modules", 0o755),
		cpio.Directory("mnt", 0o755),
		cpio.Directory("proc", 0o555),
		cpio.Directory("run", 0o755),
		cpio.Directory("sys", 0o555),
		cpio.Directory("tmp", 0o1777),
	}
	if o.binary == "" {
		return rep, fmt.Errorf("images: no init binary given")
	}
	b, err := os.ReadFile(o.binary)
	if err != nil {
		return rep, fmt.Errorf("images: %w", err)
	}
	if err := checkStatic(b); err != nil {
		return rep, fmt.Errorf("images: %s: %w: build it with CGO_ENABLED=0 (make build does)", o.binary, err)
	}
	rep.Binary = int64(len(b))
	recs = append(recs, cpio.StaticRecord(b, cpio.Info{Name: "init", Mode: cpio.S_IFREG | 0o755}))

	if o.busybox != "" {
		b, err := os.ReadFile(o.busybox)
		if err != nil {
			return rep, fmt.Errorf("images: rescue: %w (install busybox-static)", err)
		}
		if err := checkStatic(b); err != nil {
			return rep, fmt.Errorf("images: rescue: %s: %w: use a static busybox (Debian: busybox-static)", o.busybox, err)
		}
		rep.Tools = int64(len(b))
		recs = append(recs, cpio.Directory("bin", 0o755), cpio.StaticRecord(b, cpio.Info{Name: "bin/busybox", Mode: cpio.S_IFREG | 0o755}))
		for _, t := range RescueTools {
			recs = append(recs, cpio.Symlink("bin/"+t, "busybox"))
		}
	}
	if len(o.modules) > 0 || len(o.onDemand) > 0 {
		if o.modulesDir == "" {
			return rep, fmt.Errorf("images: modules given but no modules tree")
		}
		m, err := moduleRecords(o.modulesDir, expandSets(o.modules), expandSets(o.onDemand))
		if err != nil {
			return rep, err
		}
		recs = append(recs, m.recs...)
		rep.Modules, rep.ModuleNames, rep.Missing = m.size, m.names, m.missing
		if o.firmware != nil {
			frecs, err := firmwareRecords(o.firmware, m.firmware, &rep)
			if err != nil {
				return rep, err
			}
			recs = append(recs, frecs...)
		}
	}
	for dst, src := range o.files {
		b, err := os.ReadFile(src)
		if err != nil {
			return rep, fmt.Errorf("images: %w", err)
		}
		o.contents[dst] = b
	}
	for dst, b := range o.contents {
		st := os.FileMode(0o644)
		if fi, err := os.Stat(o.files[dst]); err == nil && o.files[dst] != "" {
			st = fi.Mode().Perm()
		}
		recs = append(recs, cpio.StaticRecord(b, cpio.Info{Name: strings.TrimPrefix(path.Clean("/"+dst), "/"), Mode: cpio.S_IFREG | uint64(st)}))
		rep.Other += int64(len(b))
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Name < recs[j].Name })

	var raw bytes.Buffer
	cw := cpio.Newc.Writer(&raw)
	for i := range recs {
		recs[i] = cpio.MakeReproducible(recs[i])
	}
	if err := cpio.WriteRecordsAndDirs(cw, recs); err != nil {
		return rep, fmt.Errorf("images: cpio: %w", err)
	}
	if err := cpio.WriteTrailer(cw); err != nil {
		return rep, fmt.Errorf("images: cpio: %w", err)
	}
	rep.Uncompressed = int64(raw.Len())
	cw2 := &countWriter{w: w}
	if err := compress(cw2, raw.Bytes(), o.compression); err != nil {
		return rep, err
	}
	rep.Compressed = cw2.n
	return rep, nil
}

// moduleRecords returns the archive records for the modules: the files of
// always (loaded at start, listed in ModulesOrderFile) and onDemand, their
// dependencies, and a depmod index of just those modules.
var errDynamic = fmt.Errorf("dynamically linked, and the initramfs has no dynamic loader")

// checkStatic refuses an ELF program that needs a dynamic loader: the
// initramfs has none, and the kernel would fail to start /init with a bare
// "error -2". Files that are not ELF (tests, scripts) pass.
func checkStatic(b []byte) error {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errDynamic
		}
	}
	return nil
}

type modules struct {
	recs     []cpio.Record
	names    []string
	missing  []string // on-demand names the tree lacks
	size     int64
	firmware map[string][]string // module -> declared firmware
}

func moduleRecords(dir string, always, onDemand []string) (m modules, err error) {
	ix, err := kmod.ReadIndex(os.DirFS(dir))
	if err != nil {
		return m, fmt.Errorf("images: modules %s: %w", dir, err)
	}
	order, err := ix.Resolve(always)
	if err != nil {
		return m, fmt.Errorf("images: modules %s: %w", dir, err)
	}
	var present []string
	for _, n := range onDemand {
		if _, ok := ix.Lookup(n); ok {
			present = append(present, n)
		} else {
			m.missing = append(m.missing, n)
		}
	}
	all, err := ix.Resolve(append(append([]string{}, always...), present...))
	if err != nil {
		return m, fmt.Errorf("images: modules %s: %w", dir, err)
	}
	m.names, m.firmware = all, map[string][]string{}
	base := path.Join("lib/modules", path.Base(dir))
	for _, n := range all {
		rel := ix.Path[n]
		b, err := os.ReadFile(path.Join(dir, rel))
		if err != nil {
			return m, fmt.Errorf("images: %w", err)
		}
		if m.firmware[n], err = moduleFirmware(rel, b); err != nil {
			return m, fmt.Errorf("images: module %w", err)
		}
		m.size += int64(len(b))
		m.recs = append(m.recs, cpio.StaticRecord(b, cpio.Info{Name: path.Join(base, rel), Mode: cpio.S_IFREG | 0o644}))
	}
	for name, b := range ix.Filter(all).Files() {
		m.recs = append(m.recs, cpio.StaticRecord(b, cpio.Info{Name: path.Join(base, name), Mode: cpio.S_IFREG | 0o644}))
	}
	var list strings.Builder
	for _, n := range order {
		fmt.Fprintf(&list, "/%s\n", path.Join(base, ix.Path[n]))
	}
	m.recs = append(m.recs, cpio.StaticRecord([]byte(list.String()), cpio.Info{Name: strings.TrimPrefix(ModulesOrderFile, "/"), Mode: cpio.S_IFREG | 0o644}))
	return m, nil
}

// firmwareRecords adds the declared firmware found in fsys under
// lib/firmware, and fills the report's firmware fields.
func firmwareRecords(fsys fs.FS, declared map[string][]string, rep *Report) ([]cpio.Record, error) {
	names, by := firmwareNames(declared)
	found, missing, err := findFirmware(fsys, names)
	if err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	var recs []cpio.Record
	for _, f := range found {
		recs = append(recs, cpio.StaticRecord(f.data, cpio.Info{Name: path.Join("lib/firmware", f.name), Mode: cpio.S_IFREG | 0o644}))
		rep.Firmware += int64(len(f.data))
		rep.FirmwareFiles = append(rep.FirmwareFiles, f.name)
	}
	rep.FirmwareMissing = describeMissing(missing, by)
	return recs, nil
}

func compress(w io.Writer, b []byte, c Compression) error {
	var zw io.WriteCloser
	var err error
	switch c {
	case None:
		_, err = w.Write(b)
		return err
	case Gzip:
		zw, err = gzip.NewWriterLevel(w, gzip.BestCompression)
	case XZ:
		// The kernel's xz decoder knows CRC32 and no other check.
		zw, err = xz.WriterConfig{CheckSum: xz.CRC32, DictCap: 1 << 20}.NewWriter(w)
	case Zstd:
		zw, err = zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedBestCompression),
			zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20))
	case LZ4:
		if err := writeLZ4Legacy(w, b); err != nil {
			return fmt.Errorf("images: lz4: %w", err)
		}
		return nil
	default:
		return fmt.Errorf("images: unknown compression %q", c)
	}
	if err != nil {
		return fmt.Errorf("images: %s: %w", c, err)
	}
	if _, err := zw.Write(b); err != nil {
		return fmt.Errorf("images: %s: %w", c, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("images: %s: %w", c, err)
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
