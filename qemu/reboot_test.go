package qemu

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leapboot/leapboot/images"
)

// systemInitramfs is "a running system": the demoinit as /init, the
// virtio/ext4/vfat modules, and leapboot at /bin/leapboot, which demoinit
// runs with the arguments in demo.exec=.
func systemInitramfs(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "system.cpio.gz")
	var b bytes.Buffer
	if _, err := images.Build(&b, images.WithInit(demo.DemoInit), images.WithModules(demo.Kernel.Modules, BootModules...),
		images.WithFile("bin/leapboot", demo.Leapboot), images.WithContents("entries/system", []byte("system\n"))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFastReboot: `leapboot reboot` on a running system with the demo disk
// as its /boot.
func TestFastReboot(t *testing.T) {
	initramfs := systemInitramfs(t)
	for _, tc := range []struct {
		name, exec, syscall string
		want                func(cmdline string) DemoEntry
	}{
		{"default entry", "reboot,--force", "kexec_file_load", func(string) DemoEntry { return demo.Entries[0] }},
		{"second entry with the running cmdline", "reboot,--force,--reuse-cmdline,2", "kexec_file_load", func(running string) DemoEntry {
			e := demo.Entries[1]
			e.Cmdline = running
			return e
		}},
		// The fallback for kernels without kexec_file_load, forced here.
		{"legacy kexec_load", "reboot,--force,--syscall,kexec_load", "kexec_load", func(string) DemoEntry { return demo.Entries[0] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := demo.Options("demo.exec=" + tc.exec)
			o.Initrd = initramfs
			vm := boot(t, o)
			if _, err := vm.Expect(`loaded with `+tc.syscall+`\r?\n`, bootTimeout); err != nil {
				t.Fatal(err)
			}
			expectBooted(t, vm, tc.want(o.Append))
		})
	}
	t.Run("lockdown", func(t *testing.T) {
		o := demo.Options("lockdown=integrity demo.exec=reboot,--force")
		o.Initrd = initramfs
		vm := boot(t, o)
		got, err := vm.Expect(`leapboot reboot: (kexec: [^\r\n]*)\r?\n`, bootTimeout)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got[1], "operation not permitted") || !strings.Contains(got[1], "locked down (lockdown=integrity") {
			t.Errorf("error = %q, want the lockdown explanation", got[1])
		}
		if _, err := vm.Expect(`SYSTEM: leapboot returned: exit status 1`, bootTimeout); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(vm.Output(), "DEMO: initrds=") {
			t.Error("a kernel was started under lockdown")
		}
	})
}
