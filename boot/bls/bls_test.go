package bls

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
	"github.com/leapboot/leapboot/boot/uki/ukitest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// render prints a menu in a stable, reviewable form.
func render(m boot.Menu) string {
	var b strings.Builder
	for i, e := range m.Entries {
		mark := " "
		if i == m.Default {
			mark = "*"
		}
		fmt.Fprintf(&b, "%s%d id=%q\n", mark, i, e.ID)
		fmt.Fprintf(&b, "   title=%q source=%s origin=%s\n", e.Title, e.Source, e.Origin)
		if e.Version != "" {
			fmt.Fprintf(&b, "   version=%q\n", e.Version)
		}
		if !e.Kernel.IsZero() {
			fmt.Fprintf(&b, "   kernel=%s\n", e.Kernel)
		}
		for _, f := range e.Initrds {
			fmt.Fprintf(&b, "   initrd=%s\n", f)
		}
		if e.Devicetree != nil {
			fmt.Fprintf(&b, "   devicetree=%s\n", e.Devicetree)
		}
		if e.UKI != nil {
			fmt.Fprintf(&b, "   uki=%s\n", e.UKI)
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

func corpusVolume(dir, partType string) *boot.Volume { return boottest.CorpusVolume(dir, partType) }

func golden(t *testing.T, name, got string) {
	t.Helper()
	boottest.Golden(t, filepath.Join("testdata", name+".golden"), got, *update)
}

// TestCorpus checks real configurations against goldens (checked by hand
// against the files) and the order and default against bootctl 252.
func TestCorpus(t *testing.T) {
	cases := []struct {
		name     string
		partType string
	}{
		{"arch-systemd-boot-2018", boot.PartTypeESP},
		{"arch-cachyos-systemd-boot-sortkey-template", boot.PartTypeESP},
		{"fedora-32-bls", boot.PartTypeESP},
		{"bls-spec-example", boot.PartTypeESP},
		{"petitboot-fcos38-ppc64le-blscfg", ""}, // a /boot file system, not marked
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join("testdata", "corpus", c.name)
			m := Parse(context.Background(), []*boot.Volume{corpusVolume(dir, c.partType)})
			golden(t, c.name, render(m))
			abs, _ := filepath.Abs(dir)
			want, _, wantDef, _ := bootctlList(t, abs)
			var got []string
			for _, e := range m.Entries {
				got = append(got, e.ID)
			}
			if strings.Join(got, " ") != strings.Join(want, " ") || m.Default != wantDef {
				t.Errorf("bootctl lists %v default %d; leapboot %v default %d", want, wantDef, got, m.Default)
			}
		})
	}
}

func efivar(s string) *fstest.MapFile {
	b := []byte{7, 0, 0, 0}
	for _, r := range s + "\x00" {
		b = append(b, byte(r), byte(r>>8))
	}
	return &fstest.MapFile{Data: b}
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func ids(m boot.Menu) string {
	var s []string
	for i, e := range m.Entries {
		x := e.ID
		if i == m.Default {
			x = "*" + x
		}
		s = append(s, x)
	}
	return strings.Join(s, " ")
}

func TestParseTable(t *testing.T) {
	esp := func(files fstest.MapFS) *boot.Volume {
		return &boot.Volume{Device: "esp", PartType: boot.PartTypeESP, FS: files}
	}
	entry := func(extra string) *fstest.MapFile { return file("title T\nlinux /k\n" + extra) }
	tests := []struct {
		name     string
		vols     []*boot.Volume
		opts     []Option
		want     string          // IDs in order, default starred
		check    func(boot.Menu) // more checks
		wantDiag string          // a substring of some diagnostic
	}{
		{
			name: "empty",
			vols: []*boot.Volume{esp(fstest.MapFS{})},
			want: "",
		},
		{
			name: "architecture filters",
			vols: []*boot.Volume{esp(fstest.MapFS{"k": file("K"),
				"loader/entries/a.conf": entry("architecture aa64\n"),
				"loader/entries/b.conf": entry("architecture X64\n"),
				"loader/entries/c.conf": entry("")})},
			want: "*c.conf b.conf",
		},
		{
			name: "architecture option",
			opts: []Option{WithArchitecture("aa64")},
			vols: []*boot.Volume{esp(fstest.MapFS{"k": file("K"),
				"loader/entries/a.conf": entry("architecture aa64\n"),
				"loader/entries/b.conf": entry("architecture x64\n")})},
			want: "*a.conf",
		},
		{
			name: "efi only and missing files are kept with errors",
			vols: []*boot.Volume{esp(fstest.MapFS{"k": file("K"),
				"loader/entries/a.conf":     file("title A\nefi /EFI/shell.efi\n"),
				"loader/entries/b.conf":     file("title B\nlinux /nope\ninitrd /nope.img\n"),
				"loader/entries/c.conf":     file("title C\n"),
				"loader/entries/d.conf":     file("title D\nlinux /k\ndevicetree /dtb\n"),
				"loader/entries/.x.conf":    entry(""),
				"loader/entries/auto-.conf": entry(""),
				"loader/entries/notconf":    entry("")})},
			want: "*d.conf c.conf b.conf a.conf",
			check: func(m boot.Menu) {
				for _, e := range m.Entries {
					if e.Err == nil {
						t.Errorf("%s: no error", e.ID)
					}
				}
				if e := m.Entries[3]; !strings.Contains(e.Err.Error(), "unsupported: EFI program") {
					t.Errorf("efi entry error: %v", e.Err)
				}
				if e := m.Entries[2]; !strings.Contains(e.Err.Error(), "/nope: file not found") {
					t.Errorf("missing kernel error: %v", e.Err)
				}
			},
		},
		{
			name: "options joined, initrds in order, counters stripped",
			vols: []*boot.Volume{esp(fstest.MapFS{"k": file("K"), "i1": file("1"), "i2": file("2"),
				"loader/entries/x+3-1.conf": file("# c\n  title\tX  \nlinux /k\ninitrd /i1\noptions a  b\r\ninitrd /i2\noptions c\nfoo bar\n")})},
			want: "*x.conf",
			check: func(m boot.Menu) {
				e := m.Entries[0]
				if e.Cmdline != "a  b c" || len(e.Initrds) != 2 || e.Initrds[1].Path != "/i2" || e.Title != "X" ||
					e.Origin.Path != "/loader/entries/x+3-1.conf" || e.Origin.Line != 2 || e.Err != nil {
					t.Errorf("entry %+v", e)
				}
			},
			wantDiag: `esp:/loader/entries/x+3-1.conf:8: unknown key "foo", ignored`,
		},
		{
			name: "bad boot counter entries go last",
			vols: []*boot.Volume{esp(fstest.MapFS{"k": file("K"),
				"loader/entries/a+0-3.conf": entry("sort-key a\n"),
				"loader/entries/b+1.conf":   entry(""),
				"loader/entries/c.conf":     entry("")})},
			want: "*c.conf b.conf a.conf",
		},
		{
			name: "ESP, XBOOTLDR and root /boot merged; plain /loader ignored on root",
			vols: []*boot.Volume{
				esp(fstest.MapFS{"k": file("K"), "loader/entries/esp.conf": entry("")}),
				{Device: "xbootldr", PartType: boot.PartTypeXBOOTLDR, FS: fstest.MapFS{"k": file("K"),
					"loader/entries/x.conf": entry("")}},
				{Device: "root", FS: fstest.MapFS{"boot/k": file("K"),
					"boot/loader/entries/root.conf": entry(""),
					"loader/entries/ignored.conf":   entry("")}},
			},
			want: "*x.conf root.conf esp.conf",
			check: func(m boot.Menu) {
				for _, e := range m.Entries {
					if e.Err != nil {
						t.Errorf("%s: %v", e.ID, e.Err)
					}
				}
				if k := m.Entries[1].Kernel; k.Path != "/boot/k" || k.Volume.Device != "root" {
					t.Errorf("root entry kernel %v", k)
				}
			},
		},
		{
			name: "plain directory volume reads both places",
			vols: []*boot.Volume{{Device: "dir", FS: fstest.MapFS{"k": file("K"),
				"loader/entries/a.conf":      entry(""),
				"boot/loader/entries/b.conf": entry(""),
				"loader/loader.conf":         file("default a.conf\ntimeout menu-force\n")}}},
			want: "b.conf *a.conf",
			check: func(m boot.Menu) {
				if m.Timeout != boot.WaitForever || !m.TimeoutSet {
					t.Errorf("timeout %v %v", m.Timeout, m.TimeoutSet)
				}
			},
		},
		{
			name: "loader.conf timeout and bad values",
			vols: []*boot.Volume{esp(fstest.MapFS{"k": file("K"), "loader/entries/a.conf": entry(""),
				"loader/loader.conf": file("timeout 7\ntimeout -1\ndefault @foo\neditor maybe\nfancy 1\n")})},
			want: "*a.conf",
			check: func(m boot.Menu) {
				if m.Timeout != 7*time.Second {
					t.Errorf("timeout %v", m.Timeout)
				}
			},
			wantDiag: `loader.conf:2: bad timeout value "-1", ignored`,
		},
		{
			name: "EFI variables: one-shot beats default beats loader.conf",
			opts: []Option{WithEFIVars(fstest.MapFS{
				"LoaderEntryOneShot-" + LoaderGUID: efivar("B.conf"),
				"LoaderEntryDefault-" + LoaderGUID: efivar("c.conf"),
			})},
			vols: []*boot.Volume{esp(fstest.MapFS{"k": file("K"), "loader/entries/a.conf": entry(""),
				"loader/entries/b.conf": entry(""), "loader/entries/c.conf": entry(""),
				"loader/loader.conf": file("default a.conf\n")})},
			want: "c.conf *b.conf a.conf",
		},
		{
			name: "EFI variables: default, then @saved",
			opts: []Option{WithEFIVars(fstest.MapFS{
				"LoaderEntryDefault-" + LoaderGUID:    efivar("@saved"),
				"LoaderEntryLastBooted-" + LoaderGUID: efivar("a.conf"),
				"LoaderConfigTimeout-" + LoaderGUID:   efivar("menu-hidden"),
			})},
			vols: []*boot.Volume{esp(fstest.MapFS{"k": file("K"), "loader/entries/a.conf": entry(""),
				"loader/entries/b.conf": entry(""), "loader/loader.conf": file("timeout 5\n")})},
			want: "b.conf *a.conf",
			check: func(m boot.Menu) {
				if m.Timeout != 0 || !m.TimeoutSet {
					t.Errorf("timeout %v", m.Timeout)
				}
			},
		},
		{
			name: "loader.conf @saved",
			opts: []Option{WithEFIVars(fstest.MapFS{"LoaderEntryLastBooted-" + LoaderGUID: efivar("a.conf")})},
			vols: []*boot.Volume{esp(fstest.MapFS{"k": file("K"), "loader/entries/a.conf": entry(""),
				"loader/entries/b.conf": entry(""), "loader/loader.conf": file("default @saved\n")})},
			want: "b.conf *a.conf",
		},
		{
			name: "uki key and Type #2 images",
			vols: []*boot.Volume{esp(fstest.MapFS{
				"EFI/Linux/u.efi":       {Data: ukitest.UKI("ID=t\nPRETTY_NAME=\"T OS\"\nVERSION_ID=2\n", "ro quiet", []byte("K"), nil)},
				"EFI/Linux/x.EFI":       {Data: []byte("MZ not really")},
				"EFI/Linux/y.efi":       {Data: ukitest.Build(ukitest.Section{Name: ".text", Data: []byte("a program")})},
				"loader/entries/k.conf": file("title K\nuki /EFI/Linux/u.efi\n"),
				"loader/entries/o.conf": file("title O\nuki /EFI/Linux/u.efi\noptions mine\n"),
			})},
			want: "*u.efi x.EFI o.conf k.conf",
			check: func(m boot.Menu) {
				u, x, o, k := m.Entries[0], m.Entries[1], m.Entries[2], m.Entries[3]
				if u.Source != boot.SourceUKI || u.UKI == nil || u.UKI.Path != "/EFI/Linux/u.efi" || u.Cmdline != "ro quiet" ||
					u.Title != "T OS" || u.Version != "2" || u.Err != nil {
					t.Errorf("type 2 entry %+v", u)
				}
				if x.Err == nil {
					t.Errorf("broken UKI has no error")
				}
				if o.Cmdline != "mine" || k.Cmdline != "ro quiet" || k.UKI == nil || k.Err != nil || !k.Kernel.IsZero() {
					t.Errorf("uki-key entries %+v / %+v", o, k)
				}
			},
		},
		{
			name: "multi-profile UKI gives one entry per profile",
			vols: []*boot.Volume{esp(fstest.MapFS{
				"EFI/Linux/m.efi": {Data: ukitest.Build(
					ukitest.Section{Name: ".osrel", Data: []byte("ID=m\nNAME=M\nVERSION_ID=1\n")},
					ukitest.Section{Name: ".linux", Data: []byte("K")},
					ukitest.Section{Name: ".cmdline", Data: []byte("base")},
					ukitest.Section{Name: ".profile", Data: []byte("ID=a\nTITLE=Normal\n")},
					ukitest.Section{Name: ".profile", Data: []byte("ID=reset\n")},
					ukitest.Section{Name: ".cmdline", Data: []byte("base reset")},
				)},
			})},
			want: "*m.efi@1 m.efi@0",
			check: func(m boot.Menu) {
				if e := m.Entries[0]; e.Title != "M (reset)" || e.Cmdline != "base reset" {
					t.Errorf("profile 1: %q %q", e.Title, e.Cmdline)
				}
				if e := m.Entries[1]; e.Title != "M (Normal)" || e.Cmdline != "base" {
					t.Errorf("profile 0: %q %q", e.Title, e.Cmdline)
				}
			},
		},
		{
			name: "uki key without a title shows the UKI's name; same file on two volumes",
			vols: []*boot.Volume{
				esp(fstest.MapFS{
					"EFI/Linux/u.efi":       {Data: ukitest.UKI("ID=t\nPRETTY_NAME=\"T OS\"\n", "ro", []byte("K"), nil)},
					"loader/entries/n.conf": file("uki /EFI/Linux/u.efi\n"),
				}),
				{Device: "xbootldr", PartType: boot.PartTypeXBOOTLDR, FS: fstest.MapFS{"k": file("K"),
					"loader/entries/n.conf": file("title X\nlinux /k\n")}},
			},
			want: "*u.efi n.conf n.conf#2",
			check: func(m boot.Menu) {
				// Same title, no version or machine-id: the ID disambiguates.
				got := m.Entries[0].Title + "|" + m.Entries[1].Title + "|" + m.Entries[2].Title
				if got != "T OS (u.efi)|T OS (n.conf)|X" {
					t.Errorf("titles %q", got)
				}
			},
		},
		{
			name: "volume without FS is skipped",
			vols: []*boot.Volume{nil, {Device: "broken"}},
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Parse(context.Background(), tt.vols, tt.opts...)
			if got := ids(m); got != tt.want {
				t.Errorf("entries %q, want %q\n%s", got, tt.want, render(m))
			}
			if tt.check != nil && len(m.Entries) > 0 {
				tt.check(m)
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

func TestParseLine(t *testing.T) {
	tests := []struct {
		in, key, value string
		ok             bool
	}{
		{"title Foo Bar", "title", "Foo Bar", true},
		{"\t options \t a  b \t", "options", "a  b", true},
		{"# comment", "", "", false},
		{"   # comment", "", "", false},
		{"", "", "", false},
		{"linux", "linux", "", true},
		{`title "Quoted"`, "title", "Quoted", true},
		{`options a="b c"`, "options", `a="b c"`, true},
		{`title "`, "title", `"`, true},
	}
	for _, tt := range tests {
		k, v, ok := ParseLine(tt.in)
		if k != tt.key || v != tt.value || ok != tt.ok {
			t.Errorf("ParseLine(%q) = %q, %q, %v", tt.in, k, v, ok)
		}
	}
	kvs := ParseKeyValues([]byte("a 1\r\nb 2\rc 3\n\n#x\nd"))
	got := fmt.Sprint(kvs)
	if got != "[{1 a 1} {2 b 2} {3 c 3} {6 d }]" {
		t.Errorf("ParseKeyValues: %s", got)
	}
}

func TestSplitCounter(t *testing.T) {
	tests := []struct {
		in, id string
		c      counter
	}{
		{"a.conf", "a.conf", counter{}},
		{"a+3.conf", "a.conf", counter{3, 0, true}},
		{"a+3-1.conf", "a.conf", counter{3, 1, true}},
		{"a+b+0-4.conf", "a+b.conf", counter{0, 4, true}},
		{"a+3-.conf", "a+3-.conf", counter{}},
		{"a+x.conf", "a+x.conf", counter{}},
		{"a+3-1-2.conf", "a+3-1-2.conf", counter{}},
		{"a+99999999999.conf", "a+99999999999.conf", counter{}},
		{"u+1-2.EFI", "u.EFI", counter{1, 2, true}},
	}
	for _, tt := range tests {
		suffix := ".conf"
		if strings.HasSuffix(strings.ToLower(tt.in), ".efi") {
			suffix = ".efi"
		}
		id, c := splitCounter(tt.in, suffix)
		if id != tt.id || c != tt.c {
			t.Errorf("splitCounter(%q) = %q, %+v; want %q, %+v", tt.in, id, c, tt.id, tt.c)
		}
	}
}

func TestParseLoaderConf(t *testing.T) {
	c := ParseLoaderConf([]byte("default fedora-*\ntimeout menu-hidden\neditor no\ntimeout 99999999999\n"))
	if c.Default != "fedora-*" || c.TimeoutMode != TimeoutMenuHidden || c.Editor || len(c.Problems) != 1 {
		t.Errorf("%+v", c)
	}
	c = ParseLoaderConf([]byte("timeout menu-disabled\n"))
	if c.TimeoutMode != TimeoutMenuDisabled || !c.Editor {
		t.Errorf("%+v", c)
	}
}

func TestDecodeEFIString(t *testing.T) {
	if s, err := DecodeEFIString(efivar("abc.conf").Data); err != nil || s != "abc.conf" {
		t.Errorf("%q %v", s, err)
	}
	if _, err := DecodeEFIString([]byte{1, 2}); err == nil {
		t.Error("short variable accepted")
	}
	if _, err := DecodeEFIString([]byte{1, 2, 3, 4, 'a'}); err == nil {
		t.Error("odd length accepted")
	}
	if s, _ := DecodeEFIString([]byte{7, 0, 0, 0, 'x', 0}); s != "x" {
		t.Errorf("no NUL: %q", s)
	}
}

func FuzzEntryFile(f *testing.F) {
	for _, s := range []string{"title A\nlinux /k\ninitrd /i\noptions a\noptions b\n", "# c\n\tversion 1\r\nsort-key x", "\"\n\x00 \t"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		vol := &boot.Volume{Device: "esp", PartType: boot.PartTypeESP, FS: fstest.MapFS{
			"loader/entries/a.conf": {Data: b}, "loader/entries/b+1-1.conf": {Data: b}, "loader/loader.conf": {Data: b}}}
		m := Parse(context.Background(), []*boot.Volume{vol}, WithEFIVars(fstest.MapFS{
			"LoaderEntryDefault-" + LoaderGUID: {Data: b}}))
		if len(m.Entries) > 2 {
			t.Fatalf("%d entries from 2 files", len(m.Entries))
		}
		for _, d := range m.Diagnostics {
			if strings.Contains(d.Message, "\n") {
				t.Fatalf("diagnostic with a newline: %q", d.Message)
			}
		}
	})
}

func FuzzLoaderConf(f *testing.F) {
	f.Add([]byte("default a*\ntimeout 3\neditor no\n"))
	f.Add([]byte("timeout menu-force\ndefault @saved"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := ParseLoaderConf(b)
		if c.TimeoutMode == TimeoutSeconds && c.Timeout < 0 {
			t.Fatalf("negative timeout %v", c.Timeout)
		}
	})
}

func TestReadLoaderConf(t *testing.T) {
	vols := []*boot.Volume{
		{Device: "root", FS: fstest.MapFS{"boot/loader/loader.conf": file("editor no\n")}},
		{Device: "esp", PartType: boot.PartTypeESP, FS: fstest.MapFS{"loader/loader.conf": file("editor 0\ntimeout 4\n")}},
	}
	c, where, ok := ReadLoaderConf(vols)
	if !ok || where.Volume.Device != "esp" || c.Editor || c.Timeout != 4*time.Second {
		t.Errorf("%+v %v %v", c, where, ok)
	}
	c, where, ok = ReadLoaderConf(vols[:1])
	if !ok || where.Path != "/boot/loader/loader.conf" || c.Editor {
		t.Errorf("plain volume: %+v %v %v", c, where, ok)
	}
	if c, _, ok := ReadLoaderConf(nil); ok || !c.Editor {
		t.Errorf("none: %+v %v", c, ok)
	}
}

// TestManyProblems: 200 entry files of 1 MiB whose every line repeats a
// key made 14 million diagnostics (31 s, 10 GB). The entry bytes read
// altogether and the problems listed are bounded now, and said so.
func TestManyProblems(t *testing.T) {
	fsys := fstest.MapFS{"vmlinuz": &fstest.MapFile{Data: []byte("k")}}
	body := "title T\nlinux /vmlinuz\n" + strings.Repeat("linux /vmlinuz\n", (1<<20-100)/15)
	for k := range 200 {
		fsys[fmt.Sprintf("loader/entries/e%05d.conf", k)] = &fstest.MapFile{Data: []byte(body)}
	}
	v := &boot.Volume{Device: "/dev/sda1", Disk: "/dev/sda", Partition: 1, FSType: "vfat", FS: fsys}
	m := Parse(context.Background(), []*boot.Volume{v})
	if n := len(m.Entries); n == 0 || n >= 200 {
		t.Errorf("%d entries: want the first ones read, not all 200", n)
	}
	if len(m.Diagnostics) != boot.MaxDiagnostics || m.Diagnostics[boot.MaxDiagnostics-1].Message != "too many diagnostics; the rest are dropped" {
		t.Errorf("%d diagnostics", len(m.Diagnostics))
	}
	// The bound on bytes is said too (when problems leave room for it).
	fsys = fstest.MapFS{"vmlinuz": &fstest.MapFile{Data: []byte("k")}}
	body = "title T\nlinux /vmlinuz\n#" + strings.Repeat("x", 1<<20-100) + "\n"
	for k := range 20 {
		fsys[fmt.Sprintf("loader/entries/e%05d.conf", k)] = &fstest.MapFile{Data: []byte(body)}
	}
	v.FS = fsys
	m = Parse(context.Background(), []*boot.Volume{v})
	if len(m.Entries) != 17 || len(m.Diagnostics) != 1 || !strings.Contains(m.Diagnostics[0].Message, "bytes of entry files read; this one and the rest of /loader/entries are not read") {
		t.Errorf("%d entries, diagnostics %+v", len(m.Entries), m.Diagnostics)
	}
}
