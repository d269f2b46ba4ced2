package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leapboot/leapboot/boot"
)

var (
	nvme = &boot.Volume{Device: "/dev/nvme0n1p2", Disk: "/dev/nvme0n1", Label: "root", UUID: "aaaa", FSType: "ext4"}
	usb  = &boot.Volume{Device: "/dev/sda1", Disk: "/dev/sda", Label: "USBSTICK", UUID: "bbbb", FSType: "vfat"}
)

func testMenu() boot.Menu {
	return boot.Menu{Default: 1, Timeout: 5 * time.Second, TimeoutSet: true, Entries: []boot.Entry{
		{ID: "deb", Title: "Debian GNU/Linux", Source: boot.SourceGRUB, Kernel: boot.File{Volume: nvme, Path: "/boot/vmlinuz"}, Cmdline: "BOOT_IMAGE=/boot/vmlinuz root=UUID=aaaa ro quiet"},
		{ID: "deb-rec", Title: "Debian GNU/Linux (recovery mode)", Source: boot.SourceGRUB, Kernel: boot.File{Volume: nvme, Path: "/boot/vmlinuz"}, Cmdline: "BOOT_IMAGE=/boot/vmlinuz root=UUID=aaaa ro single"},
		{ID: "fedora.conf", Title: "Fedora Linux 41", Source: boot.SourceBLS, Kernel: boot.File{Volume: nvme, Path: "/vmlinuz-6.11"}, Version: "6.11", Cmdline: "root=UUID=aaaa quiet splash console=tty0"},
		{ID: "live", Title: "Live USB", Source: boot.SourceSyslinux, Kernel: boot.File{Volume: usb, Path: "/live/vmlinuz"}, Cmdline: "boot=live quiet"},
		{ID: "uki.efi", Title: "Arch (UKI)", Source: boot.SourceUKI, UKI: &boot.File{Volume: nvme, Path: "/EFI/Linux/arch.efi"}},
	}}
}

func ids(m boot.Menu) string {
	var s []string
	for i, e := range m.Entries {
		id := e.ID
		if i == m.Default {
			id = "*" + id
		}
		s = append(s, id)
	}
	return strings.Join(s, " ")
}

func TestApply(t *testing.T) {
	two := 2.0
	for _, tc := range []struct {
		name    string
		edit    func(c *Config)
		want    string // IDs, the default starred
		diag    string
		timeout time.Duration
	}{
		{"defaults change nothing", func(c *Config) {}, "deb *deb-rec fedora.conf live uki.efi", "", 5 * time.Second},
		{"timeout", func(c *Config) { c.Timeout = &two }, "deb *deb-rec fedora.conf live uki.efi", "", 2 * time.Second},
		{"default by ID", func(c *Config) { c.Default = "fedora.conf" }, "deb deb-rec *fedora.conf live uki.efi", "", 5 * time.Second},
		{"default by number", func(c *Config) { c.Default = "1" }, "*deb deb-rec fedora.conf live uki.efi", "", 5 * time.Second},
		{"default by glob", func(c *Config) { c.Default = "Fedora*" }, "deb deb-rec *fedora.conf live uki.efi", "", 5 * time.Second},
		{"default by version", func(c *Config) { c.Default = "6.11" }, "deb deb-rec *fedora.conf live uki.efi", "", 5 * time.Second},
		{"default saved keeps the loader's", func(c *Config) { c.Default = "saved" }, "deb *deb-rec fedora.conf live uki.efi", "", 5 * time.Second},
		{"default ambiguous glob", func(c *Config) { c.Default = "Debian*" }, "deb *deb-rec fedora.conf live uki.efi", `default "Debian*": boot: pattern "Debian*" matches more than one entry`, 5 * time.Second},
		{"default matches nothing", func(c *Config) { c.Default = "windows" }, "deb *deb-rec fedora.conf live uki.efi", `default "windows": boot: no entry matches`, 5 * time.Second},
		{"sources off", func(c *Config) { c.Sources = []string{"bls"} }, "fedora.conf", "2 entries hidden: source grub is off", 5 * time.Second},
		{"uki without bls", func(c *Config) { c.Sources = []string{"uki", "grub"} }, "deb *deb-rec uki.efi", "1 entries hidden: source bls is off", 5 * time.Second},
		{"deny USB by label", func(c *Config) { c.Devices.Deny = []string{"USBSTICK"} }, "deb *deb-rec fedora.conf uki.efi", `1 entries hidden: device /dev/sda1 is denied by "USBSTICK"`, 5 * time.Second},
		{"deny by device glob", func(c *Config) { c.Devices.Deny = []string{"/dev/sd*"} }, "deb *deb-rec fedora.conf uki.efi", "denied", 5 * time.Second},
		{"allow only the NVMe disk", func(c *Config) { c.Devices.Allow = []string{"/dev/nvme0n1"} }, "deb *deb-rec fedora.conf uki.efi", "not in devices.allow", 5 * time.Second},
		{"default hidden: none", func(c *Config) { c.Devices.Allow = []string{"bbbb"} }, "live", "4 entries hidden: device /dev/nvme0n1p2 is not in devices.allow", 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Defaults()
			tc.edit(&c)
			in := testMenu()
			out := Apply(in, &c)
			if got := ids(out); got != tc.want {
				t.Errorf("entries %q, want %q", got, tc.want)
			}
			got := diagText(out.Diagnostics)
			if tc.diag == "" && got != "" || tc.diag != "" && !strings.Contains(got, tc.diag) {
				t.Errorf("diagnostics %q, want %q", got, tc.diag)
			}
			if out.Timeout != tc.timeout {
				t.Errorf("timeout %v", out.Timeout)
			}
			if !reflect.DeepEqual(in, testMenu()) {
				t.Error("Apply changed its input")
			}
		})
	}
}

// TestApplyTimeoutStyle: the owner's timeout_style wins; empty keeps the
// boot loader's (GRUB's timeout_style).
func TestApplyTimeoutStyle(t *testing.T) {
	for _, tc := range []struct{ loader, owner, want string }{
		{"hidden", "", "hidden"},
		{"hidden", "menu", "menu"},
		{"", "countdown", "countdown"},
		{"", "", ""},
	} {
		c := Defaults()
		c.TimeoutStyle = tc.owner
		in := testMenu()
		in.TimeoutStyle = tc.loader
		if got := Apply(in, &c).TimeoutStyle; got != tc.want {
			t.Errorf("loader %q, owner %q: %q, want %q", tc.loader, tc.owner, got, tc.want)
		}
	}
}

func TestApplyCmdline(t *testing.T) {
	c := Defaults()
	c.Cmdline = Cmdline{Append: []string{"console=ttyS0,115200", "ro"}, Remove: []string{"quiet", "console="}}
	out := Apply(testMenu(), &c)
	want := []string{
		"BOOT_IMAGE=/boot/vmlinuz root=UUID=aaaa ro console=ttyS0,115200",
		"BOOT_IMAGE=/boot/vmlinuz root=UUID=aaaa ro single console=ttyS0,115200",
		"root=UUID=aaaa splash console=ttyS0,115200 ro",
		"boot=live console=ttyS0,115200 ro",
		"console=ttyS0,115200 ro",
	}
	for i, e := range out.Entries {
		if e.Cmdline != want[i] {
			t.Errorf("%s: %q, want %q", e.ID, e.Cmdline, want[i])
		}
	}
}

func TestEditCmdline(t *testing.T) {
	for _, tc := range []struct {
		in   string
		edit Cmdline
		want string
	}{
		{"a b c", Cmdline{}, "a b c"},
		{"quiet splash", Cmdline{Remove: []string{"quiet"}}, "splash"},
		{"init=/bin/sh ro", Cmdline{Remove: []string{"init"}}, "ro"},
		{"console=tty0 console=ttyS0 ro", Cmdline{Remove: []string{"console="}}, "ro"},
		{"console=tty0 console=ttyS0 ro", Cmdline{Remove: []string{"console=tty0"}}, "console=ttyS0 ro"},
		{"quietly ro", Cmdline{Remove: []string{"quiet"}}, "quietly ro"},
		{"ro", Cmdline{Append: []string{"ro", "rw"}}, "ro rw"},
		{"", Cmdline{Append: []string{"x"}}, "x"},
	} {
		if got := EditCmdline(tc.in, tc.edit); got != tc.want {
			t.Errorf("EditCmdline(%q, %+v) = %q, want %q", tc.in, tc.edit, got, tc.want)
		}
	}
}

func TestSourceOrder(t *testing.T) {
	c := Config{Sources: []string{"uki", "syslinux", "bls", "grub"}}
	if got := c.SourceOrder(); !reflect.DeepEqual(got, []boot.Source{boot.SourceBLS, boot.SourceSyslinux, boot.SourceGRUB}) {
		t.Errorf("%v", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "timeout = 5", "[edit]\npassword = \"grub.pbkdf2.sha512.1.00.00\"", "sources = [\"grub\"]\n[devices]\ndeny=[\"*\"]", "a = [", "timeout = 1e400", "timeout = nan"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, ds := Parse("f", b, Defaults())
		_ = c.String()
		for _, d := range ds {
			if strings.Contains(d.Message, "\n") {
				t.Errorf("diagnostic of several lines: %q", d.Message)
			}
		}
		if len(ds) == 0 {
			if ps := c.check(); len(ps) > 0 {
				t.Errorf("accepted a config that fails its check: %v", ps)
			}
		}
		ParseCmdline(string(b), c)
	})
}

func TestDenyByBus(t *testing.T) {
	c := Defaults()
	c.Devices.Deny = []string{"bus:usb"}
	usb := &boot.Volume{Device: "/dev/sdb1", Bus: "usb"}
	nvme := &boot.Volume{Device: "/dev/nvme0n1p1", Bus: "nvme"}
	if why := c.deviceDenied(usb); why == "" {
		t.Error("a USB volume is not denied by bus:usb")
	}
	if why := c.deviceDenied(nvme); why != "" {
		t.Errorf("an NVMe volume is denied: %s", why)
	}
}
