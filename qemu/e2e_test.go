package qemu

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leapboot/leapboot/images"
)

// These tests boot for real: Debian's kernel with the leapboot initramfs,
// the demo disk (GPT, FAT ESP, ext4), and a kexec into the same kernel with
// a demo initrd whose /init prints which initrd it came from and its
// /proc/cmdline. They need qemu-system-x86_64 and the kernel that
// `make kernel` fetches; without them they fail, they never skip.

var demo *Demo

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "leapboot-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
			fmt.Fprintln(os.Stderr, "qemu e2e: qemu-system-x86_64 is missing: run `make deps` (qemu/setup.sh)")
			return 1
		}
		k, err := FindKernel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "qemu e2e:", err)
			return 1
		}
		if demo, err = BuildDemo(dir, k); err != nil {
			fmt.Fprintln(os.Stderr, "qemu e2e: building the demo:", err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// boot starts the demo VM and returns it; the VM dies with the test.
func boot(t testing.TB, o Options) *VM {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	// The whole console goes to a file kept when the test fails.
	log, err := os.CreateTemp("", "leapboot-serial-*.log")
	if err != nil {
		t.Fatal(err)
	}
	o.Log = log
	vm, err := Start(ctx, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		vm.Kill()
		cancel()
		log.Close()
		if t.Failed() {
			t.Logf("serial console (last 60 lines; all of it in %s):\n%s", log.Name(), vm.Tail(60))
		} else {
			os.Remove(log.Name())
		}
	})
	return vm
}

const (
	bootTimeout = 4 * time.Minute // TCG: about 15 s on a quiet machine; minutes when other work starves it
)

// expectBooted waits for the demo system and checks what it reports.
func expectBooted(t *testing.T, vm *VM, want DemoEntry) {
	t.Helper()
	got, err := vm.Expect(`DEMO: initrds=([^\r\n]*)\r?\n`, bootTimeout)
	if err != nil {
		t.Fatalf("the demo system did not start: %v", err)
	}
	if got[1] != want.Initrds {
		t.Errorf("booted with initrds %q, want %q (entry %q)", got[1], want.Initrds, want.Title)
	}
	got, err = vm.Expect(`DEMO: cmdline=([^\r\n]*)\r?\n`, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got[1] != want.Cmdline {
		t.Errorf("booted with cmdline\n  %q\nwant\n  %q", got[1], want.Cmdline)
	}
}

// TestBootDefaultTimeoutZero: with the timeout forced to 0 the default
// entry (GRUB's default=0 on the ext4 partition) boots at once.
func TestBootDefaultTimeoutZero(t *testing.T) {
	vm := boot(t, demo.Options("leapboot.timeout=0"))
	if _, err := vm.Expect(`leapboot: kexec`, bootTimeout); err != nil {
		t.Fatal(err)
	}
	expectBooted(t, vm, demo.Entries[0])
	if strings.Contains(vm.Output(), "Type a number") {
		t.Error("the menu waited for input with timeout 0")
	}
}

// TestBootPickByKey: keys typed on the serial console pick an entry.
func TestBootPickByKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys string
		want int
	}{
		{"second GRUB entry", "2\r", 1},
		{"BLS entry on the ESP, moving with j", "jjjj\r", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm := boot(t, demo.Options(""))
			if _, err := vm.Expect(`Booting "`+regexp.QuoteMeta(demo.Entries[0].Title)+`" in \d+ s`, bootTimeout); err != nil {
				t.Fatal(err)
			}
			if err := vm.Send(tc.keys); err != nil {
				t.Fatal(err)
			}
			expectBooted(t, vm, demo.Entries[tc.want])
		})
	}
}

// TestFailedKexecReturnsToMenu: a corrupt kernel makes kexec_file_load fail;
// leapboot says why, stays in the menu, and the next choice boots. The
// entry with a missing initrd is shown broken and refuses to boot.
func TestFailedKexecReturnsToMenu(t *testing.T) {
	vm := boot(t, demo.Options(""))
	if _, err := vm.Expect(`cannot boot: .*initrd-that-is-not-there.img`, bootTimeout); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Expect(`Booting "`, bootTimeout); err != nil {
		t.Fatal(err)
	}
	vm.Send("3\r")
	if _, err := vm.Expect(`boot "Demo: corrupt kernel[^"]*" failed: kexec: kexec_file_load: exec format error \(the file is not a kernel image`, bootTimeout); err != nil {
		t.Fatal(err)
	}
	vm.Send("4\r")
	if _, err := vm.Expect(`boot "Demo: missing initrd[^"]*" failed: .*cannot boot`, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	vm.Send("1\r")
	expectBooted(t, vm, demo.Entries[0])
}

// TestCompressions: the kernel unpacks the initramfs in every compression
// `leapboot image` writes (xz must use CRC32: the kernel knows no other).
func TestCompressions(t *testing.T) {
	for _, c := range []images.Compression{images.XZ, images.Zstd, images.LZ4, images.None} {
		t.Run(string(c), func(t *testing.T) {
			initramfs := filepath.Join(t.TempDir(), "initramfs")
			var b bytes.Buffer
			if _, err := images.Build(&b, images.WithInit(demo.Init), images.WithCompression(c),
				images.WithModules(demo.Kernel.Modules, BootModules...)); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(initramfs, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			o := demo.Options("")
			o.Initrd = initramfs
			vm := boot(t, o)
			if _, err := vm.Expect(`leapboot: loaded (\d+) modules, [1-9]\d* block devices`, bootTimeout); err != nil {
				t.Fatal(err)
			}
			if _, err := vm.Expect(`Booting "`, bootTimeout); err != nil {
				t.Fatal(err)
			}
		})
	}
}
