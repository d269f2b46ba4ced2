package qemu

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// What the benchmarks compare leapboot with: u-root's boot image, and the
// gokrazy kernel, which has the virtio, ext4 and vfat drivers built in (u-root's
// init loads no modules, so both loaders boot on a kernel that needs none).
const (
	URootModule          = "github.com/u-root/u-root"
	URootVersion         = "v0.16.0"
	GokrazyKernelModule  = "github.com/gokrazy/kernel.amd64"
	GokrazyKernelVersion = "v0.0.0-20260705070735-de680abf072b"
)

// GoModule downloads a module version into the Go module cache, outside any
// main module (no go.mod is touched), and returns its directory.
func GoModule(path, version string) (string, error) {
	tmp, err := os.MkdirTemp("", "leapboot-gomod-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "mod", "download", "-json", path+"@"+version)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.Output()
	var m struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &m); jerr != nil || m.Error != "" || m.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %v %s", path, version, err, m.Error)
	}
	return m.Dir, nil
}

// URoot is a writable copy of u-root's source with its image builder built.
type URoot struct {
	Src  string // the module's source tree
	Tool string // the u-root command, which builds images
}

// PrepareURoot copies u-root's module into cache (the module cache is
// read-only, and u-root builds images from inside its own tree) and builds
// the u-root command there. Both are kept for later runs.
func PrepareURoot(cache string) (*URoot, error) {
	base := filepath.Join(cache, "u-root-"+URootVersion)
	u := &URoot{Src: filepath.Join(base, "src"), Tool: filepath.Join(base, "u-root")}
	if _, err := os.Stat(filepath.Join(u.Src, "go.mod")); err != nil {
		dir, err := GoModule(URootModule, URootVersion)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(base, 0o755); err != nil {
			return nil, err
		}
		tmp, err := os.MkdirTemp(base, "copy-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		// CopyFS keeps only the execute bits: the copy is writable.
		if err := os.CopyFS(filepath.Join(tmp, "src"), os.DirFS(dir)); err != nil {
			return nil, fmt.Errorf("copying u-root: %w", err)
		}
		os.RemoveAll(u.Src)
		if err := os.Rename(filepath.Join(tmp, "src"), u.Src); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(u.Tool); err != nil {
		if err := u.run("go", "build", "-o", u.Tool, "."); err != nil {
			return nil, err
		}
	}
	return u, nil
}

func (u *URoot) run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = u.Src
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// BuildBootImage builds u-root's boot-only image into out, an uncompressed
// cpio: core/init as /init and boot/boot as the uinit, no shell and no base
// archive.
func (u *URoot) BuildBootImage(out string) error {
	return u.run(u.Tool, "-o", out, "-base", "/dev/null", "-defaultsh", "", "-initcmd", "init", "-uinitcmd", "boot",
		"./cmds/core/init", "./cmds/boot/boot")
}

// GokrazyKernel downloads the gokrazy kernel module and returns its kernel
// and its modules.builtin directory (the module carries no loadable storage
// modules: they are built in).
func GokrazyKernel() (Kernel, error) {
	dir, err := GoModule(GokrazyKernelModule, GokrazyKernelVersion)
	if err != nil {
		return Kernel{}, err
	}
	k := Kernel{Vmlinuz: filepath.Join(dir, "vmlinuz")}
	mods, _ := filepath.Glob(filepath.Join(dir, "lib/modules/*/modules.builtin"))
	if len(mods) != 1 {
		return k, fmt.Errorf("%s@%s: no lib/modules/*/modules.builtin", GokrazyKernelModule, GokrazyKernelVersion)
	}
	k.Modules = filepath.Dir(mods[0])
	return k, nil
}

// Builtin reports which of the named modules (by file name without .ko,
// "-" and "_" alike) the kernel has built in, from modules.builtin.
func (k Kernel) Builtin(names ...string) (map[string]bool, error) {
	f, err := os.Open(filepath.Join(k.Modules, "modules.builtin"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	norm := func(s string) string { return strings.ReplaceAll(s, "-", "_") }
	have := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		have[norm(strings.TrimSuffix(filepath.Base(sc.Text()), ".ko"))] = true
	}
	got := map[string]bool{}
	for _, n := range names {
		got[n] = have[norm(n)]
	}
	return got, sc.Err()
}

// KernelConfig reads the configuration a bzImage carries (CONFIG_IKCONFIG):
// it unpacks the payload (gzip, xz or zstd) and returns CONFIG_* values;
// options that are "not set" are absent.
func KernelConfig(vmlinuz string) (map[string]string, error) {
	b, err := os.ReadFile(vmlinuz)
	if err != nil {
		return nil, err
	}
	if len(b) < 0x250 || string(b[0x202:0x206]) != "HdrS" {
		return nil, fmt.Errorf("%s: not a bzImage", vmlinuz)
	}
	setup := int(b[0x1f1])
	if setup == 0 {
		setup = 4
	}
	off := (setup+1)*512 + int(binary.LittleEndian.Uint32(b[0x248:]))
	n := int(binary.LittleEndian.Uint32(b[0x24c:]))
	if off < 0 || n <= 0 || off+n > len(b) {
		return nil, fmt.Errorf("%s: payload out of the file", vmlinuz)
	}
	payload := bytes.NewReader(b[off : off+n])
	var r io.Reader
	switch {
	case bytes.HasPrefix(b[off:], []byte{0x28, 0xb5, 0x2f, 0xfd}):
		d, err := zstd.NewReader(payload)
		if err != nil {
			return nil, err
		}
		defer d.Close()
		r = d
	case bytes.HasPrefix(b[off:], []byte{0x1f, 0x8b}):
		if r, err = gzip.NewReader(payload); err != nil {
			return nil, err
		}
	case bytes.HasPrefix(b[off:], []byte("\xfd7zXZ")):
		if r, err = xz.NewReader(payload); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s: payload compression not read here (% x)", vmlinuz, b[off:off+4])
	}
	// Zstd frames end with a checksum the kernel's decompressor skips; what
	// was read before an error is the kernel.
	raw, err := io.ReadAll(r)
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: unpacking the payload: %w", vmlinuz, err)
	}
	start := bytes.Index(raw, []byte("IKCFG_ST"))
	end := bytes.Index(raw, []byte("IKCFG_ED"))
	if start < 0 || end < start {
		return nil, fmt.Errorf("%s: no embedded config (CONFIG_IKCONFIG)", vmlinuz)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw[start+8 : end]))
	if err != nil {
		return nil, err
	}
	text, err := io.ReadAll(zr)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	cfg := map[string]string{}
	for _, line := range strings.Split(string(text), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "CONFIG_") {
			cfg[k] = v
		}
	}
	return cfg, nil
}
