package syslinux

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/boottest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func render(m boot.Menu) string {
	var b strings.Builder
	for i, e := range m.Entries {
		mark := " "
		if i == m.Default {
			mark = "*"
		}
		fmt.Fprintf(&b, "%s%d id=%q menu=%q\n", mark, i, e.ID, e.Menu)
		fmt.Fprintf(&b, "   title=%q origin=%s\n", e.Title, e.Origin)
		if !e.Kernel.IsZero() {
			fmt.Fprintf(&b, "   kernel=%s\n", e.Kernel)
		}
		for _, f := range e.Initrds {
			fmt.Fprintf(&b, "   initrd=%s\n", f)
		}
		if e.Devicetree != nil {
			fmt.Fprintf(&b, "   devicetree=%s\n", e.Devicetree)
		}
		fmt.Fprintf(&b, "   cmdline=%q\n", e.Cmdline)
		if e.Err != nil {
			fmt.Fprintf(&b, "   err=%v\n", e.Err)
		}
	}
	fmt.Fprintf(&b, "default=%d timeout=%v timeoutSet=%v\n", m.Default, m.Timeout, m.TimeoutSet)
	for _, d := range m.Diagnostics {
		fmt.Fprintf(&b, "diag: %s\n", d)
	}
	return b.String()
}

func TestCorpus(t *testing.T) {
	for _, name := range []string{
		"petitboot-syn-syslinux-include", "debian-10-installer-iso-isolinux", "qubes-3.2-install-iso-isolinux",
		"ubuntu-10.04-iso-isolinux", "debian-9-live-iso", "fedora-27-workstation-live-iso",
	} {
		t.Run(name, func(t *testing.T) {
			v := boottest.CorpusVolume(filepath.Join("testdata", "corpus", name), "")
			boottest.Golden(t, filepath.Join("testdata", name+".golden"), render(Parse(context.Background(), []*boot.Volume{v})), *update)
		})
	}
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestCmdline(t *testing.T) {
	tests := []struct {
		kernel, app string
		hasApp      bool
		global      string
		initrd      string
		hasInitrd   bool
		wantK       string
		want        string
		wantInitrds string
	}{
		{"/vmlinuz", "root=/dev/sda", true, "console=ttyS0", "", false, "/vmlinuz", "BOOT_IMAGE=/vmlinuz root=/dev/sda", ""},
		{"/vmlinuz", "", false, "console=ttyS0", "", false, "/vmlinuz", "BOOT_IMAGE=/vmlinuz console=ttyS0", ""},
		{"/vmlinuz", "-", true, "console=ttyS0", "", false, "/vmlinuz", "BOOT_IMAGE=/vmlinuz ", ""},
		{"vmlinuz", "ro", true, "", "a.img,b.img", true, "vmlinuz", "BOOT_IMAGE=vmlinuz ro initrd=a.img,b.img", "a.img b.img"},
		// initrd= in APPEND comes first on the line, so it wins over INITRD.
		{"vmlinuz", "initrd=x.gz quiet", true, "", "y.gz", true, "vmlinuz", "BOOT_IMAGE=vmlinuz initrd=x.gz quiet initrd=y.gz", "x.gz"},
		{"vmlinuz quiet", "ro", true, "", "", false, "vmlinuz", "BOOT_IMAGE=vmlinuz quiet ro", ""},
		{"/k", "", false, "", "i", true, "/k", "BOOT_IMAGE=/k initrd=i", "i"},
	}
	for _, tt := range tests {
		k, c, i := Cmdline(tt.kernel, tt.app, tt.hasApp, tt.global, tt.initrd, tt.hasInitrd)
		if k != tt.wantK || c != tt.want || strings.Join(i, " ") != tt.wantInitrds {
			t.Errorf("Cmdline(%q, %q, …) = %q, %q, %q; want %q, %q, %q", tt.kernel, tt.app, k, c, i, tt.wantK, tt.want, tt.wantInitrds)
		}
	}
}

func ids(m boot.Menu) string {
	var s []string
	for i, e := range m.Entries {
		x := strings.Join(e.Menu, "/")
		if e.ID != e.Title {
			x = e.ID + "=" + x
		}
		if i == m.Default {
			x = "*" + x
		}
		s = append(s, x)
	}
	return strings.Join(s, " ")
}

func TestParseTable(t *testing.T) {
	tests := []struct {
		name     string
		fs       fstest.MapFS
		want     string
		timeout  time.Duration
		check    func(*testing.T, boot.Menu)
		wantDiag string
	}{
		{
			name: "extlinux with fdt, relative paths and menu labels",
			fs: fstest.MapFS{
				"boot/extlinux/extlinux.conf": file("TIMEOUT 30\nDEFAULT b\nLABEL a\n  MENU LABEL ^Alpha\n  LINUX ../vmlinuz\n  FDT dtbs/x.dtb\n  APPEND ro\nLABEL b\n  KERNEL /boot/vmlinuz\n  FDTDIR /dtbs\n"),
				"boot/vmlinuz":                file("K"), "boot/extlinux/dtbs/x.dtb": file("D"),
			},
			want:    "a=Alpha *b",
			timeout: 3 * time.Second,
			check: func(t *testing.T, m boot.Menu) {
				a := m.Entries[0]
				if a.Kernel.Path != "/boot/vmlinuz" || a.Devicetree == nil || a.Devicetree.Path != "/boot/extlinux/dtbs/x.dtb" ||
					a.Err != nil || a.Cmdline != "BOOT_IMAGE=../vmlinuz ro" {
					t.Errorf("a = %+v", a)
				}
			},
			wantDiag: "FDTDIR /dtbs needs the board's devicetree",
		},
		{
			name: "submenus, hidden and menu-action labels, ONTIMEOUT",
			fs: fstest.MapFS{
				"syslinux.cfg": file("UI menu.c32\nONTIMEOUT c\nTIMEOUT 0\nLABEL a\nKERNEL k\nMENU DEFAULT\n" +
					"MENU BEGIN adv\n MENU TITLE Advanced\n LABEL back\n  MENU EXIT\n LABEL c\n  KERNEL k\n MENU BEGIN\n  MENU LABEL Deeper ^x\n  LABEL d\n   KERNEL k\n MENU END\nMENU END\n" +
					"LABEL hidden\n MENU HIDE\n KERNEL k\nMENU SEPARATOR\nLABEL dis\n MENU DISABLE\nLABEL e\n TEXT HELP\nLABEL notalabel\n ENDTEXT\n KERNEL k\n"),
				"k": file("K"),
			},
			want:    "a *Advanced/c Advanced/Deeper x/d e",
			timeout: boot.WaitForever,
		},
		{
			name: "UI highlights MENU DEFAULT over DEFAULT",
			fs:   fstest.MapFS{"isolinux/isolinux.cfg": file("default vesamenu.c32\nlabel a\nkernel /k\nlabel b\nkernel /k\nmenu default\n"), "k": file("K")},
			want: "a *b",
		},
		{
			name: "without a UI, DEFAULT wins; duplicates get a suffix",
			fs:   fstest.MapFS{"syslinux.cfg": file("default a\nlabel a\nkernel /k\nlabel b\nkernel /k\nmenu default\nlabel a\nkernel /k2\n"), "k": file("K")},
			want: "*a b a#2=a",
		},
		{
			name: "unsupported kernels and missing files are kept with errors",
			fs: fstest.MapFS{"extlinux.conf": file("LABEL m\nKERNEL mboot.c32\nAPPEND xen.gz --- vmlinuz\nLABEL hd\nLOCALBOOT 0x80\nLABEL f\nFDIMAGE /f.img\nLABEL n\nKERNEL /nope\nINITRD /i1,/i2\n" +
				"LABEL cfg\nCONFIG other.cfg\nLABEL nk\nLINUX\n")},
			want: "*m hd f n cfg nk",
			check: func(t *testing.T, m boot.Menu) {
				for _, e := range m.Entries {
					if e.Err == nil {
						t.Errorf("%s: no error", e.ID)
					}
				}
				if !strings.Contains(m.Entries[0].Err.Error(), "unsupported: COM32 module mboot.c32") {
					t.Errorf("m: %v", m.Entries[0].Err)
				}
				if n := m.Entries[3]; len(n.Initrds) != 2 || !strings.Contains(n.Err.Error(), "/nope: file not found") {
					t.Errorf("n: %+v", n)
				}
			},
		},
		{
			name: "include loop is bounded",
			fs: fstest.MapFS{
				"syslinux/syslinux.cfg": file("INCLUDE a.cfg\nLABEL main\nKERNEL /k\n"),
				"syslinux/a.cfg":        file("LABEL a\nKERNEL /k\nINCLUDE b.cfg\n"),
				"syslinux/b.cfg":        file("INCLUDE a.cfg\nINCLUDE /syslinux/syslinux.cfg\nINCLUDE missing.cfg\n"),
				"k":                     file("K"),
			},
			want:     "*a main",
			wantDiag: "include loop: /syslinux/a.cfg includes itself",
		},
		{
			name: "MENU INCLUDE with a title makes a submenu",
			fs: fstest.MapFS{
				"syslinux.cfg": file("MENU INCLUDE sub.cfg Sub Menu\nLABEL top\nKERNEL /k\n"),
				"sub.cfg":      file("LABEL in\nKERNEL /k\n"),
				"k":            file("K"),
			},
			want: "*Sub Menu/in top",
		},
		{
			name:     "unknown keyword and bad timeout",
			fs:       fstest.MapFS{"syslinux.cfg": file("FROBNICATE 1\nTIMEOUT x\nSAY hello\nLABEL a\nKERNEL /k\n"), "k": file("K")},
			want:     "*a",
			wantDiag: `syslinux.cfg:1: unknown keyword "frobnicate"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &boot.Volume{Device: "v", FS: tt.fs}
			m := Parse(context.Background(), []*boot.Volume{v})
			if got := ids(m); got != tt.want {
				t.Errorf("entries %q, want %q\n%s", got, tt.want, render(m))
			}
			if tt.timeout != 0 && m.Timeout != tt.timeout {
				t.Errorf("timeout %v, want %v", m.Timeout, tt.timeout)
			}
			if tt.check != nil && len(m.Entries) > 0 {
				tt.check(t, m)
			}
			if tt.wantDiag != "" {
				found := false
				for _, d := range m.Diagnostics {
					found = found || strings.Contains(d.String(), tt.wantDiag)
				}
				if !found {
					t.Errorf("no diagnostic %q in\n%s", tt.wantDiag, render(m))
				}
			}
		})
	}
}

func TestConfigOrder(t *testing.T) {
	fsys := fstest.MapFS{
		"boot/syslinux/syslinux.cfg": file("LABEL s\nKERNEL /k\n"),
		"extlinux/extlinux.conf":     file("LABEL e\nKERNEL /k\n"),
	}
	m := Parse(context.Background(), []*boot.Volume{{Device: "v", FS: fsys}, nil, {Device: "empty"}})
	if ids(m) != "*e" {
		t.Errorf("got %q", ids(m))
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"DEFAULT a\nLABEL a\nKERNEL /k\nAPPEND initrd=/i,/j ro\n",
		"MENU BEGIN x\nMENU LABEL y\nLABEL b\nMENU END\nMENU END\nTEXT HELP\n",
		"INCLUDE syslinux.cfg\nMENU INCLUDE syslinux.cfg t\nLABEL\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v := &boot.Volume{Device: "v", FS: fstest.MapFS{"syslinux.cfg": {Data: b}, "k": {Data: []byte("K")}}}
		m := Parse(context.Background(), []*boot.Volume{v}, WithIncludeLimits(4, 20))
		if len(m.Entries) > 0 && (m.Default < 0 || m.Default >= len(m.Entries)) {
			t.Fatalf("default %d of %d entries", m.Default, len(m.Entries))
		}
	})
}

// TestManyLabels: an extlinux.conf that includes a 1 MiB file of labels
// 255 times made 14 million entries (3 minutes, tens of GB). Labels, the
// config text read altogether and the problems listed are bounded now,
// and the parser says what it left out.
func TestManyLabels(t *testing.T) {
	parse := func(conf string) (boot.Menu, string) {
		fsys := fstest.MapFS{
			"boot/extlinux/extlinux.conf": &fstest.MapFile{Data: []byte(conf)},
			"b.cfg":                       &fstest.MapFile{Data: []byte(strings.Repeat("LABEL x\nKERNEL /k\n", (1<<20-100)/19))},
			"k":                           &fstest.MapFile{Data: []byte("k")},
		}
		v := &boot.Volume{Device: "/dev/sda1", Disk: "/dev/sda", Partition: 1, FSType: "ext4", FS: fsys}
		m := Parse(context.Background(), []*boot.Volume{v})
		var text []string
		for _, d := range m.Diagnostics {
			text = append(text, d.Message)
		}
		return m, strings.Join(text, "\n")
	}
	m, diags := parse(strings.Repeat("INCLUDE /b.cfg\n", 255))
	if len(m.Entries) != maxLabels {
		t.Errorf("%d entries, want %d", len(m.Entries), maxLabels)
	}
	for _, want := range []string{"more than 2000 labels; the rest are ignored", "bytes of config read; /b.cfg ignored"} {
		if !strings.Contains(diags, want) {
			t.Errorf("no diagnostic %q", want)
		}
	}
	// One problem per line, 600 times.
	m, diags = parse(strings.Repeat("KERNEL /k\n", 600))
	if len(m.Diagnostics) != boot.MaxDiagnostics || !strings.HasSuffix(diags, "too many diagnostics; the rest are dropped") {
		t.Errorf("%d diagnostics, ending %q", len(m.Diagnostics), diags[max(0, len(diags)-80):])
	}
}
