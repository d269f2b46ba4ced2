package qemu

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

const (
	ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	ovmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
)

// ovmf returns QEMU arguments that boot through OVMF, with a private copy of
// its variable store.
func ovmf(b testing.TB) []string {
	b.Helper()
	vars := filepath.Join(b.TempDir(), "vars.fd")
	data, err := os.ReadFile(ovmfVars)
	if err != nil {
		b.Fatalf("%v: install ovmf (qemu/setup.sh bench does)", err)
	}
	if err := os.WriteFile(vars, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return []string{"-drive", "if=pflash,format=raw,readonly=on,file=" + ovmfCode, "-drive", "if=pflash,format=raw,file=" + vars}
}

// firmwareDisk is the demo system installed the classic way: GRUB as the
// ESP's \EFI\BOOT\BOOTX64.EFI (grub-mkstandalone), booting the demo
// kernel and initrd from the ext4 partition at once.
func firmwareDisk(b testing.TB) string {
	b.Helper()
	dir := b.TempDir()
	const uuid = "f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9"
	cfg := write2(b, filepath.Join(dir, "grub.cfg"), fmt.Sprintf(`set timeout=0
set default=0
insmod part_gpt
insmod ext2
search --no-floppy --fs-uuid --set=root %s
menuentry 'Demo (firmware path)' {
	linux /boot/vmlinuz console=ttyS0 demo.entry=firmware
	initrd /boot/initrd.img
}
`, uuid))
	efi := filepath.Join(dir, "BOOTX64.EFI")
	out, err := exec.Command("grub-mkstandalone", "-O", "x86_64-efi", "-o", efi,
		"--modules=part_gpt ext2 linux search normal configfile", "--locales=", "--fonts=", "--themes=",
		"boot/grub/grub.cfg="+cfg).CombinedOutput()
	if err != nil {
		b.Fatalf("grub-mkstandalone: %v\n%s (install grub-efi-amd64-bin: qemu/setup.sh bench does)", err, out)
	}
	initrd := filepath.Join(dir, "initrd.img")
	if err := TestInitrd(initrd, demo.DemoInit, "firmware"); err != nil {
		b.Fatal(err)
	}
	img := filepath.Join(dir, "disk.img")
	if err := BuildDisk(img, []Part{
		{Name: "ESP", Type: "ef00", FS: "vfat", SizeMiB: 40, UUID: "5EED0003", Files: map[string]string{"/EFI/BOOT/BOOTX64.EFI": efi}},
		{Name: "root", Type: "8300", FS: "ext4", SizeMiB: 40, UUID: uuid, Files: map[string]string{
			"/boot/vmlinuz": demo.Kernel.Vmlinuz, "/boot/initrd.img": initrd}},
	}); err != nil {
		b.Fatal(err)
	}
	return img
}

func write2(b testing.TB, p, s string) string {
	b.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkFastReboot compares, on the same QEMU machine (OVMF, TCG), the
// time from `leapboot reboot --force` to the next kernel's /init with the
// time a firmware reboot takes to get there: reset, OVMF, the disk's
// GRUB, the kernel, /init. Both are measured in one run; the ratio is
// fast/firmware (goal ≤ 0.3).
func BenchmarkFastReboot(b *testing.B) {
	disk := firmwareDisk(b)
	fw := ovmf(b)
	initramfs := systemInitramfs(b)
	var fast, firmware time.Duration
	for i := 0; i < b.N; i++ {
		// Firmware path: a reset is a new start of the same machine.
		o := Options{Disks: []Disk{{Path: disk, ReadOnly: true}}, Extra: fw}
		start := time.Now()
		vm := boot(b, o)
		if _, err := vm.Expect(`DEMO: initrds=firmware`, 5*time.Minute); err != nil {
			b.Fatal(err)
		}
		firmware += time.Since(start)
		vm.Kill()

		// Fast path: the running system (booted by OVMF from -kernel)
		// kexecs the demo disk's default entry.
		o = demo.Options("demo.exec=reboot,--force")
		o.Initrd, o.Extra = initramfs, fw
		vm = boot(b, o)
		if _, err := vm.Expect(`SYSTEM: running leapboot`, 5*time.Minute); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		if _, err := vm.Expect(`DEMO: initrds=grub-1`, 5*time.Minute); err != nil {
			b.Fatal(err)
		}
		fast += time.Since(start)
		vm.Kill()
	}
	n := float64(b.N)
	b.ReportMetric(fast.Seconds()/n, "fast-s")
	b.ReportMetric(firmware.Seconds()/n, "firmware-s")
	b.ReportMetric(fast.Seconds()/firmware.Seconds(), "fast/firmware")
}

// BenchmarkProbeScalingQEMU boots leapboot with 1, 8 and 32 disks of 4
// FAT partitions each (virtio-scsi, leapboot.log_level=debug) and reports,
// per size, the median of three boots taken in turn (1, 8, 32, after one
// discarded boot), and the ratio 32-disk/1-disk (goal ≤ 3×) of:
//   - probe: what the issue calls probing, from disk.Scan's start to every
//     device identified (sysfs enumeration, partition tables, superblocks),
//     from Scan's "identified … after=" debug line;
//   - mount: Scan's start to every filesystem mounted read-only and its top
//     directory listed ("mounted all … after=");
//   - menu: from the end of device settling to the menu being ready (the
//     above, plus reading every source's configuration from every volume),
//     from the kernel log's timestamps of "loaded N modules" and "N volumes".
func BenchmarkProbeScalingQEMU(b *testing.B) {
	img := filepath.Join(b.TempDir(), "four.img")
	var parts []Part
	for p := 0; p < 4; p++ {
		parts = append(parts, Part{Name: fmt.Sprint("p", p), Type: "8300", FS: "vfat", SizeMiB: 2})
	}
	if err := BuildDisk(img, parts); err != nil {
		b.Fatal(err)
	}
	initramfs := coldplugInitramfs(b)
	type figures struct{ probe, mount, menu time.Duration }
	measure := func(n int) figures {
		o := demo.Options("leapboot.timeout=-1 leapboot.log_level=debug")
		o.Initrd = initramfs
		o.Disks = nil
		for i := 0; i < n; i++ {
			o.Disks = append(o.Disks, Disk{Path: img, Bus: "scsi", ReadOnly: true})
		}
		vm := boot(b, o)
		defer vm.Kill()
		start, err := vm.Expect(`\[\s*([0-9.]+)\] leapboot: loaded \d+ modules`, 5*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		ident, err := vm.Expect(`msg=identified devices=(\d+) after=(\S+)\s`, 5*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		mounted, err := vm.Expect(`msg="mounted all" filesystems=(\d+) after=(\S+)\s`, 5*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		end, err := vm.Expect(`\[\s*([0-9.]+)\] leapboot: (\d+) volumes`, 5*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if ident[1] != fmt.Sprint(5*n) || mounted[1] != fmt.Sprint(4*n) || end[2] != fmt.Sprint(4*n) {
			b.Fatalf("%d disks: %s devices identified, %s mounted, %s volumes", n, ident[1], mounted[1], end[2])
		}
		var f figures
		if f.probe, err = time.ParseDuration(ident[2]); err != nil {
			b.Fatal(err)
		}
		if f.mount, err = time.ParseDuration(mounted[2]); err != nil {
			b.Fatal(err)
		}
		var s, e float64
		fmt.Sscan(start[1], &s)
		fmt.Sscan(end[1], &e)
		f.menu = time.Duration((e - s) * float64(time.Second))
		return f
	}
	sizes := []int{1, 8, 32}
	got := map[int][]figures{}
	measure(1) // warm-up: the host's caches of QEMU, the kernel, the initramfs
	for round := 0; round < 3*b.N; round++ {
		for _, n := range sizes {
			got[n] = append(got[n], measure(n))
		}
	}
	median := func(n int, pick func(figures) time.Duration) time.Duration {
		var ds []time.Duration
		for _, f := range got[n] {
			ds = append(ds, pick(f))
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	for _, fig := range []struct {
		name string
		pick func(figures) time.Duration
	}{
		{"probe", func(f figures) time.Duration { return f.probe }},
		{"mount", func(f figures) time.Duration { return f.mount }},
		{"menu", func(f figures) time.Duration { return f.menu }},
	} {
		m := map[int]time.Duration{}
		for _, n := range sizes {
			m[n] = median(n, fig.pick)
			b.ReportMetric(m[n].Seconds()*1e3, fmt.Sprintf("ms/%s-%d", fig.name, n))
		}
		b.ReportMetric(m[32].Seconds()/m[1].Seconds(), fig.name+"-32/1")
	}
}
