package grub

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/leapboot/leapboot/boot"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

// oneVol is a single volume (hd0,gpt1) with a grub.cfg and empty
// placeholder kernels.
func oneVol(cfg string, extra ...string) []*boot.Volume {
	m := fstest.MapFS{"boot/grub/grub.cfg": file(cfg)}
	for _, p := range extra {
		m[strings.TrimPrefix(p, "/")] = file("")
	}
	return []*boot.Volume{{Device: "/dev/vda1", Disk: "/dev/vda", Partition: 1, UUID: "1111", Label: "root", FS: m}}
}

func parse(t *testing.T, vols []*boot.Volume, opts ...Option) boot.Menu {
	t.Helper()
	return Parse(context.Background(), vols, opts...)
}

func diagText(m boot.Menu) string {
	var s []string
	for _, d := range m.Diagnostics {
		s = append(s, d.String())
	}
	return strings.Join(s, "\n")
}

func TestEntries(t *testing.T) {
	tests := []struct {
		name    string
		cfg     string
		files   []string
		titles  []string // Menu paths joined with " > "
		cmdline []string
		initrds [][]string
		errs    []string // substring of Err, "" for none
	}{
		{
			name:    "boot image and args",
			cfg:     "menuentry 'A' {\n linux /vmlinuz root=/dev/sda1 ro\n initrd /initrd.img\n}",
			files:   []string{"/vmlinuz", "/initrd.img"},
			titles:  []string{"A"},
			cmdline: []string{"BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro"},
			initrds: [][]string{{"/initrd.img"}},
			errs:    []string{""},
		},
		{
			name:    "empty variables: unquoted adds nothing, quoted adds an empty argument",
			cfg:     "set e=\nmenuentry A {\n linux /vmlinuz a $e b \"$e\" c\n}",
			files:   []string{"/vmlinuz"},
			titles:  []string{"A"},
			cmdline: []string{"BOOT_IMAGE=/vmlinuz a b  c"},
			errs:    []string{""},
		},
		{
			name:    "argument with a space is quoted, quotes escaped",
			cfg:     "menuentry A {\n linux /vmlinuz 'x=a b' 'q=\"' 'b=\\' 'h=\\x41\\xZ'\n}",
			files:   []string{"/vmlinuz"},
			titles:  []string{"A"},
			cmdline: []string{`BOOT_IMAGE=/vmlinuz "x=a b" q=\" b=\\ h=\x41\\xZ`},
			errs:    []string{""},
		},
		{
			name:    "unquoted \\xHH stays as written (Red Hat's GRUB, CentOS install media); other escapes drop the backslash",
			cfg:     "menuentry A {\n linux /vmlinuz stage2=hd:LABEL=CentOS\\x207\\x20x86_64 \"d=e\\x20f\" h=\\x4 i=\\\\x41 j=\\q\n}",
			files:   []string{"/vmlinuz"},
			titles:  []string{"A"},
			cmdline: []string{`BOOT_IMAGE=/vmlinuz stage2=hd:LABEL=CentOS\x207\x20x86_64 d=e\x20f h=x4 i=\x41 j=q`},
			errs:    []string{""},
		},
		{
			name:    "variables set after the entry are seen when it runs",
			cfg:     "menuentry A {\n linux /vmlinuz $opts\n}\nset opts=quiet",
			files:   []string{"/vmlinuz"},
			titles:  []string{"A"},
			cmdline: []string{"BOOT_IMAGE=/vmlinuz quiet"},
			errs:    []string{""},
		},
		{
			name:    "several initrds in order, missing kernel",
			cfg:     "menuentry A {\n linux /nope\n initrd /b /a\n}",
			files:   []string{"/a", "/b"},
			titles:  []string{"A"},
			cmdline: []string{"BOOT_IMAGE=/nope"},
			initrds: [][]string{{"/b", "/a"}},
			errs:    []string{"linux: /nope: file not found"},
		},
		{
			name:    "missing initrd",
			cfg:     "menuentry A {\n linux /vmlinuz\n initrd /a /missing\n}",
			files:   []string{"/vmlinuz", "/a"},
			titles:  []string{"A"},
			cmdline: []string{"BOOT_IMAGE=/vmlinuz"},
			initrds: [][]string{{"/a", "/missing"}},
			errs:    []string{"initrd: /missing: file not found"},
		},
		{
			name:    "submenu sees only exported variables",
			cfg:     "set a=1\nset b=2\nexport b\nsubmenu S {\n menuentry E {\n  linux /vmlinuz a=$a b=$b\n }\n}",
			files:   []string{"/vmlinuz"},
			titles:  []string{"S > E"},
			cmdline: []string{"BOOT_IMAGE=/vmlinuz a= b=2"},
			errs:    []string{""},
		},
		{
			name:   "unsupported loaders are kept with an error",
			cfg:    "menuentry W {\n chainloader +1\n}\nmenuentry X {\n multiboot /xen.gz\n module /vmlinuz\n}\nmenuentry M {\n linux16 /memtest86+.bin\n}\nmenuentry N {\n echo hi\n}",
			files:  []string{"/xen.gz", "/vmlinuz", "/memtest86+.bin"},
			titles: []string{"W", "X", "M", "N"},
			errs:   []string{"unsupported: chainloader", "unsupported: multiboot", "memtest", "no kernel"},
		},
		{
			name:    "if inside the body, function with positional parameters",
			cfg:     "function k { linux /vmlinuz-$1 n=$# all=$@\n}\nmenuentry A x {\n if [ \"$2\" = x ]; then k 1 2; else k 3; fi\n}",
			files:   []string{"/vmlinuz-1"},
			titles:  []string{"A"},
			cmdline: []string{"BOOT_IMAGE=/vmlinuz-1 n=2 all=1 2"},
			errs:    []string{""},
		},
		{
			name:    "for, while, break, return",
			cfg:     "x=\nfor i in a b c; do x=$x$i; if [ $i = b ]; then break; fi; done\nn=0\nwhile [ $n -lt 3 ]; do increment n; done\nfunction f { return 1; x=bad }\nf\nmenuentry A {\n linux /vmlinuz $x $n $?\n}",
			files:   []string{"/vmlinuz"},
			titles:  []string{"A"},
			cmdline: []string{"BOOT_IMAGE=/vmlinuz ab 3 0"},
			errs:    []string{""},
		},
		{
			name:    "paths never leave the volume; relative paths are invalid",
			cfg:     "menuentry A {\n linux /../../../vmlinuz\n initrd /../x/../../initrd\n}\nmenuentry B {\n linux vmlinuz\n}",
			files:   []string{"/vmlinuz", "/initrd"},
			titles:  []string{"A", "B"},
			cmdline: []string{"BOOT_IMAGE=/../../../vmlinuz", "BOOT_IMAGE=vmlinuz"},
			initrds: [][]string{{"/initrd"}, nil},
			errs:    []string{"", "invalid file name `vmlinuz'"},
		},
		{
			name:    "line continuation, comments, quotes inside words",
			cfg:     "# c\nset p=($root)'/boot'\"/x\" # trailing\nmenuentry \"A\" {\n linux $p/vmlinuz \\\n  quiet # comment\n}",
			files:   []string{"/boot/x/vmlinuz"},
			titles:  []string{"A"},
			cmdline: []string{"BOOT_IMAGE=(hd0,gpt1)/boot/x/vmlinuz quiet"},
			errs:    []string{""},
		},
		{
			name:    "name=value is an assignment of the first expanded word",
			cfg:     "set y=\"a b\"\nx=$y\nz=\"$y\" ignored\nmenuentry A {\n linux /vmlinuz x=$x \"z=$z\"\n}",
			files:   []string{"/vmlinuz"},
			titles:  []string{"A"},
			cmdline: []string{`BOOT_IMAGE=/vmlinuz x=a "z=a b"`},
			errs:    []string{""},
		},
		{
			name:    "$@ and \"$@\" as grub-emu 2.06 expands them",
			cfg:     "function g { set r=\"$r [$#:$1:$2]\"; }\nfunction h { g $@; g \"$@\"; g $*; g \"x$@y\"; shift; g \"$@\"; shift; g \"$@\"; }\nh \"p q\" r\nnosuchcmd\nmenuentry A {\n linux /vmlinuz \"$r\" $?\n}",
			files:   []string{"/vmlinuz"},
			titles:  []string{"A"},
			cmdline: []string{`BOOT_IMAGE=/vmlinuz " [3:p:q] [2:p q:r] [3:p:q] [2:xp q:ry] [1:r:] [1::]" 0`},
			errs:    []string{""},
		},
		{
			name:    "wildcards expand to sorted matches; no match stays as is; quoted stays",
			cfg:     "for s in /systems/* /none/* '/systems/*' (hd0,gpt1)/systems/2*; do r=\"$r $s\"; done\nmenuentry A {\n linux /vmlinuz \"$r\"\n}",
			files:   []string{"/vmlinuz", "/systems/20230101/x", "/systems/20220101/x"},
			titles:  []string{"A"},
			cmdline: []string{`BOOT_IMAGE=/vmlinuz " /systems/20220101 /systems/20230101 /none/* /systems/* (hd0,gpt1)/systems/20220101 (hd0,gpt1)/systems/20230101"`},
			errs:    []string{""},
		},
		{
			name:   "hiddenentry is not listed",
			cfg:    "hiddenentry H --hotkey h {\n linux /vmlinuz\n}\nmenuentry A {\n linux /vmlinuz\n}",
			files:  []string{"/vmlinuz"},
			titles: []string{"A"},
			errs:   []string{""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := parse(t, oneVol(tc.cfg, tc.files...))
			if len(m.Entries) != len(tc.titles) {
				t.Fatalf("got %d entries, want %d; diags:\n%s", len(m.Entries), len(tc.titles), diagText(m))
			}
			for k, e := range m.Entries {
				if got := strings.Join(e.Menu, " > "); got != tc.titles[k] {
					t.Errorf("entry %d: menu %q, want %q", k, got, tc.titles[k])
				}
				if e.Source != boot.SourceGRUB || e.Title != e.Menu[len(e.Menu)-1] {
					t.Errorf("entry %d: source %q title %q", k, e.Source, e.Title)
				}
				if tc.cmdline != nil && e.Cmdline != tc.cmdline[k] {
					t.Errorf("entry %d: cmdline %q, want %q", k, e.Cmdline, tc.cmdline[k])
				}
				if tc.initrds != nil {
					var got []string
					for _, f := range e.Initrds {
						got = append(got, f.Path)
					}
					if strings.Join(got, ",") != strings.Join(tc.initrds[k], ",") {
						t.Errorf("entry %d: initrds %v, want %v", k, got, tc.initrds[k])
					}
				}
				switch want := tc.errs[k]; {
				case want == "" && e.Err != nil:
					t.Errorf("entry %d: unexpected error %v", k, e.Err)
				case want != "" && (e.Err == nil || !strings.Contains(e.Err.Error(), want)):
					t.Errorf("entry %d: error %v, want %q", k, e.Err, want)
				}
			}
		})
	}
}

func TestErrorsWrap(t *testing.T) {
	m := parse(t, oneVol("menuentry A {\n linux /nope\n}\nmenuentry B {\n chainloader +1\n}"))
	if !errors.Is(m.Entries[0].Err, fs.ErrNotExist) {
		t.Errorf("missing kernel: %v is not fs.ErrNotExist", m.Entries[0].Err)
	}
	if !strings.HasPrefix(m.Entries[0].Err.Error(), "grub: /boot/grub/grub.cfg:1: ") {
		t.Errorf("error %q lacks file and line", m.Entries[0].Err)
	}
	if !errors.Is(m.Entries[1].Err, ErrUnsupported) {
		t.Errorf("chainloader: %v is not ErrUnsupported", m.Entries[1].Err)
	}
	if o := m.Entries[1].Origin; o.Path != "/boot/grub/grub.cfg" || o.Line != 4 {
		t.Errorf("origin %v", o)
	}
}

const fourEntries = `
menuentry 'First' --id first { linux /vmlinuz 1; }
submenu 'Sub>menu' --id sub {
  menuentry 'Inner A' --id ia { linux /vmlinuz 2; }
  menuentry 'Inner B' --id ib { linux /vmlinuz 3; }
}
menuentry 'Last' { linux /vmlinuz 4; }
`

func TestDefault(t *testing.T) {
	tests := []struct {
		set  string
		want int
	}{
		{"", 0},
		{"set default=0", 0},
		{"set default=2", 3},
		{"set default=1", 1},
		{"set default=1>1", 2},
		{"set default=0x2", 3},
		{"set default=Last", 3},
		{"set default=first", 0},
		{"set default='sub>ib'", 2},
		{"set default='Sub>>menu>Inner B'", 2},
		{"set default='Sub>>menu'", 1},
		{"set default=nonesuch", 0},
		{"set default=99", 0},
		{"set default=ib", 0}, // not at top level
		{"set default=' 2'", 3},
		{"set default=1_0", 0}, // not a GRUB number, not a title
		{"set default=010", 0}, // octal 8: out of range
	}
	for _, tc := range tests {
		t.Run(tc.set, func(t *testing.T) {
			m := parse(t, oneVol(fourEntries+tc.set, "/vmlinuz"))
			if m.Default != tc.want {
				t.Errorf("default %d, want %d", m.Default, tc.want)
			}
		})
	}
	if m := parse(t, oneVol("set default=1")); m.Default != -1 {
		t.Errorf("no entries: default %d, want -1", m.Default)
	}
}

func TestFallback(t *testing.T) {
	m := parse(t, oneVol("set default=0\nset fallback='1 2'\nmenuentry A { linux /nope; }\nmenuentry B { linux /nope; }\nmenuentry C { linux /vmlinuz; }", "/vmlinuz"))
	if m.Default != 2 {
		t.Errorf("default %d, want 2 (fallback past broken entries)", m.Default)
	}
}

func TestTimeout(t *testing.T) {
	tests := []struct {
		cfg   string
		want  boot.Timeout
		set   bool
		style string
	}{
		{"", boot.WaitForever, false, "menu"},
		{"set timeout=-1", boot.WaitForever, true, "menu"},
		{"set timeout=0", 0, true, "menu"},
		{"timeout=5\ntimeout_style=hidden", 5 * time.Second, true, "hidden"},
		{"set timeout=abc\nset timeout_style=countdown", boot.WaitForever, true, "countdown"},
		{"set timeout=0x10", 16 * time.Second, true, "menu"},
		{"set timeout='7 s'", 7 * time.Second, true, "menu"},
	}
	for _, tc := range tests {
		r := Evaluate(context.Background(), oneVol(tc.cfg+"\nmenuentry A { linux /vmlinuz; }", "/vmlinuz"))
		wantMenu := tc.style
		if !strings.Contains(tc.cfg, "timeout_style") {
			wantMenu = ""
		}
		if r.Menu.TimeoutStyle != wantMenu {
			t.Errorf("%q: Menu.TimeoutStyle %q, want %q", tc.cfg, r.Menu.TimeoutStyle, wantMenu)
		}
		if r.Menu.Timeout != tc.want || r.Menu.TimeoutSet != tc.set || r.TimeoutStyle != tc.style {
			t.Errorf("%q: timeout %v set %v style %q, want %v %v %q", tc.cfg, r.Menu.Timeout, r.Menu.TimeoutSet, r.TimeoutStyle, tc.want, tc.set, tc.style)
		}
	}
}

func TestGrubenvDefault(t *testing.T) {
	env, err := EncodeEnv(map[string]string{"saved_entry": "B", "next_entry": ""}, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := `if [ -s $prefix/grubenv ]; then load_env; fi
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   save_env next_entry
else
   set default="${saved_entry}"
fi
menuentry A { linux /vmlinuz; }
menuentry B { linux /vmlinuz; savedefault; }
`
	vols := oneVol(cfg, "/vmlinuz")
	vols[0].FS.(fstest.MapFS)["boot/grub/grubenv"] = &fstest.MapFile{Data: env}
	r := Evaluate(context.Background(), vols)
	if r.Menu.Default != 1 {
		t.Errorf("saved_entry: default %d, want 1", r.Menu.Default)
	}
	if len(r.EntryEnvWrites[1]) != 1 || r.EntryEnvWrites[1][0].Command != "savedefault" {
		t.Errorf("entry writes %+v", r.EntryEnvWrites)
	}
	env, _ = EncodeEnv(map[string]string{"saved_entry": "B", "next_entry": "A"}, 0)
	vols[0].FS.(fstest.MapFS)["boot/grub/grubenv"] = &fstest.MapFile{Data: env}
	r = Evaluate(context.Background(), vols)
	if r.Menu.Default != 0 {
		t.Errorf("next_entry: default %d, want 0", r.Menu.Default)
	}
	if len(r.EnvWrites) != 1 || len(r.EnvWrites[0].Vars) != 1 || r.EnvWrites[0].Vars[0] != (boot.EnvVar{Name: "next_entry"}) {
		t.Errorf("env writes %+v", r.EnvWrites)
	}
}

func TestLoadEnvWhitelist(t *testing.T) {
	env, _ := EncodeEnv(map[string]string{"a": "1", "b": "2"}, 0)
	vols := oneVol("load_env -f /env b\nmenuentry A { linux /vmlinuz a=$a b=$b; }", "/vmlinuz")
	vols[0].FS.(fstest.MapFS)["env"] = &fstest.MapFile{Data: env}
	m := parse(t, vols)
	if got := m.Entries[0].Cmdline; got != "BOOT_IMAGE=/vmlinuz a= b=2" {
		t.Errorf("cmdline %q", got)
	}
}

// twoVols is an ESP with a stub and a root volume with the real config.
func twoVols() []*boot.Volume {
	esp := fstest.MapFS{
		"EFI/ubuntu/grub.cfg": file("search.fs_uuid 2222 root hd0,gpt2\nset prefix=($root)'/boot/grub'\nconfigfile $prefix/grub.cfg\n"),
	}
	root := fstest.MapFS{
		"boot/grub/grub.cfg": file("set timeout=3\nmenuentry Ubuntu {\n search --no-floppy --fs-uuid --set=root 2222\n linux /boot/vmlinuz root=UUID=2222\n initrd /boot/initrd.img\n}\n"),
		"boot/vmlinuz":       file(""),
		"boot/initrd.img":    file(""),
	}
	return []*boot.Volume{
		{Device: "/dev/vda1", Disk: "/dev/vda", Partition: 1, UUID: "AAAA-BBBB", PartType: boot.PartTypeESP, FS: esp},
		{Device: "/dev/vda2", Disk: "/dev/vda", Partition: 2, UUID: "2222", FS: root},
	}
}

func TestESPStub(t *testing.T) {
	for _, platform := range []string{"efi", "pc"} {
		vols := twoVols()
		r := Evaluate(context.Background(), vols, WithPlatform(platform))
		m := r.Menu
		if len(m.Entries) != 1 {
			t.Fatalf("%s: %d entries, want 1 (the same menu once); diags:\n%s", platform, len(m.Entries), diagText(m))
		}
		e := m.Entries[0]
		if e.Kernel.Volume != vols[1] || e.Kernel.Path != "/boot/vmlinuz" || e.Err != nil {
			t.Errorf("%s: kernel %v err %v", platform, e.Kernel, e.Err)
		}
		if m.Timeout != 3*time.Second || len(r.Configs) != 1 || r.Configs[0].Volume != vols[1] {
			t.Errorf("%s: timeout %v configs %v", platform, m.Timeout, r.Configs)
		}
	}
}

func TestSearch(t *testing.T) {
	mk := func(part int, uuid, label string, files ...string) *boot.Volume {
		m := fstest.MapFS{}
		for _, f := range files {
			m[f] = file("")
		}
		return &boot.Volume{Device: "d", Disk: "/dev/vdb", Partition: part, UUID: uuid, Label: label, FS: m}
	}
	cfgVol := oneVol("")[0]
	vols := []*boot.Volume{cfgVol, mk(1, "u1", "L", "marker"), mk(2, "U2", "L", "marker", "other")}
	tests := []struct{ cmd, want string }{
		{"search --fs-uuid --set=x u2", "hd1,gpt2"},
		{"search -u -s x U1", "hd1,gpt1"},
		{"search --label --set x L", "hd1,gpt1"},
		{"search --label --set=x --hint=hd1,gpt2 L", "hd1,gpt2"},
		{"search --file --set=x /other", "hd1,gpt2"},
		{"search -f --set=x /marker", "hd1,gpt1"},
		{"search -f /marker", "unset"}, // no --set: nothing is set
		{"search.fs_label L x", "hd1,gpt1"},
		{"search.file /other x", "hd1,gpt2"},
		{"search.fs_uuid u1 x", "hd1,gpt1"},
		{"search --fs-uuid --set=x nonesuch", "unset"},
	}
	for _, tc := range tests {
		cfgVol.FS = fstest.MapFS{"boot/grub/grub.cfg": file("x=unset\n" + tc.cmd + "\nmenuentry \"$x\" { true; }")}
		m := parse(t, vols)
		if len(m.Entries) != 1 || m.Entries[0].Title != tc.want {
			t.Errorf("%s: got %+v, want %q; %s", tc.cmd, m.Entries, tc.want, diagText(m))
		}
	}
}

func TestTestCommand(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{"", true}, // GRUB: no arguments is true
		{"a", true},
		{`""`, false},
		{"a = a", true},
		{"a == b", false},
		{"a != b", true},
		{`a \< b`, true},
		{`b \> a`, true},
		{"10 -gt 9", true},
		{"010 -eq 8", true},
		{"0x10 -eq 16", true},
		{"-1 -lt 0", true},
		{"-n x", true},
		{`-n ""`, false},
		{`-z ""`, true},
		{"! a = a", false},
		{"a = b -o c = c", true},
		{"a = a -a b = c", false},
		{"a = b -a b = b -o c = c", true},
		{`\( a = b -o a = a \) -a x = x`, true},
		{"-e /f", true},
		{"-f /f", true},
		{"-s /f", false},
		{"-s /full", true},
		{"-d /dir", true},
		{"-f /dir", false},
		{"-s /dir", false},
		{"-e /nope", false},
		{"-d (hd0,gpt1)", true},
		{"-e (hd9,gpt1)", false},
		{"-e (hd0,gpt1)/f", true},
		{"a4 -pgt a3", true},
	}
	for _, tc := range tests {
		cfg := "if [ " + tc.expr + " ]; then r=yes; else r=no; fi\nif test " + tc.expr + "; then s=yes; else s=no; fi\nmenuentry \"$r$s\" { true; }"
		vols := oneVol(cfg)
		m := vols[0].FS.(fstest.MapFS)
		m["f"] = file("")
		m["full"] = file("x")
		m["dir/x"] = file("")
		menu := parse(t, vols)
		want := "nono"
		if tc.want {
			want = "yesyes"
		}
		if len(menu.Entries) != 1 || menu.Entries[0].Title != want {
			t.Errorf("[ %s ]: got %v, want %s; %s", tc.expr, menu.Entries, want, diagText(menu))
		}
	}
}

func TestSyntaxErrorsSpoilOneStatement(t *testing.T) {
	cfg := "menuentry A { linux /vmlinuz; }\nif true; then\nfi fi\n\"unterminated\nmenuentry B { linux /vmlinuz; }\n"
	m := parse(t, oneVol(cfg, "/vmlinuz"))
	if len(m.Entries) != 1 || m.Entries[0].Title != "A" {
		t.Errorf("entries %v", m.Entries)
	}
	if len(m.Diagnostics) == 0 || m.Diagnostics[0].Origin.Line == 0 {
		t.Errorf("diagnostics %v", m.Diagnostics)
	}
	m = parse(t, oneVol("menuentry A { linux /vmlinuz; }\nfrobnicate x\nmenuentry B { linux /vmlinuz; }", "/vmlinuz"))
	if len(m.Entries) != 2 || !strings.Contains(diagText(m), `:2: unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d entries, %s", len(m.Entries), diagText(m))
	}
}

func TestBlscfg(t *testing.T) {
	m := fstest.MapFS{
		"grub2/grub.cfg":               file("set kernelopts=\"root=/dev/sda2 ro\"\nset tuned_params=\nset tuned_initrd=\nset default=${saved_entry}\nblscfg\n"),
		"loader/entries/m-5.10.0.conf": file("title Linux 5.10\nversion 5.10.0\nlinux /vmlinuz-5.10.0\ninitrd /initramfs-5.10.0.img $tuned_initrd\noptions $kernelopts $tuned_params\n"),
		"loader/entries/m-5.9.0.conf":  file("title Linux 5.9\nversion 5.9.0\nlinux /vmlinuz-5.9.0\noptions $kernelopts\n\ntitle ignored after the blank line\n"),
		"loader/entries/m-6.1.0.conf":  file("title Linux 6.1\nversion 6.1.0\nlinux /vmlinuz-6.1.0\ninitrd /a\ninitrd /b\noptions x\n"),
		"loader/entries/nolinux.conf":  file("title no linux\n"),
		"loader/entries/.hidden.conf":  file("linux /x\n"),
		"vmlinuz-5.10.0":               file(""),
		"initramfs-5.10.0.img":         file(""),
		"vmlinuz-5.9.0":                file(""),
		"vmlinuz-6.1.0":                file(""),
		"a":                            file(""),
		"b":                            file(""),
	}
	vols := []*boot.Volume{{Device: "/dev/vda2", Disk: "/dev/vda", Partition: 2, FS: m}}
	menu := parse(t, vols)
	var got []string
	for _, e := range menu.Entries {
		got = append(got, e.ID+"|"+e.Title+"|"+e.Cmdline)
		if e.Err != nil {
			t.Errorf("%s: %v", e.ID, e.Err)
		}
	}
	want := []string{
		"m-6.1.0|Linux 6.1|BOOT_IMAGE=(hd0,gpt2)/vmlinuz-6.1.0 x",
		"m-5.10.0|Linux 5.10|BOOT_IMAGE=(hd0,gpt2)/vmlinuz-5.10.0 root=/dev/sda2 ro",
		"m-5.9.0|Linux 5.9|BOOT_IMAGE=(hd0,gpt2)/vmlinuz-5.9.0 root=/dev/sda2 ro",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(menu.Entries) == 3 && menu.Entries[1].Version != "5.10.0" {
		t.Errorf("version %q", menu.Entries[1].Version)
	}
	if len(menu.Entries) == 3 && len(menu.Entries[0].Initrds) != 2 {
		t.Errorf("initrds %v", menu.Entries[0].Initrds)
	}
}

func TestVercmp(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"5.10.0", "5.9.0", 1},
		{"1.0~rc1", "1.0", -1},
		{"1.0a", "1.0", 1},
		{"1.0", "1.0.1", -1},
		{"0-rescue-abc", "5.18.0", -1},
		{"010", "9", 1},
		{"a", "1", -1},
	}
	for _, tc := range tests {
		if got := vercmp(tc.a, tc.b); got != tc.want {
			t.Errorf("vercmp(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := vercmp(tc.b, tc.a); got != -tc.want {
			t.Errorf("vercmp(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

func TestConfigfileChain(t *testing.T) {
	vols := twoVols()
	esp := vols[0].FS.(fstest.MapFS)
	esp["EFI/BOOT/grub.cfg"] = file("menuentry stub1 { true; }\nconfigfile /EFI/ubuntu/grub.cfg\nmenuentry never { true; }")
	esp["EFI/ubuntu/grub.cfg"] = file("menuentry stub2 { true; }\nsearch.fs_uuid 2222 root\nset prefix=($root)/boot/grub\nconfigfile $prefix/grub.cfg\n")
	delete(esp, "EFI/ubuntu/grub.cfg")
	esp["EFI/other/grub.cfg"] = file("search.fs_uuid 2222 root\nset prefix=($root)/boot/grub\nconfigfile $prefix/grub.cfg\n")
	esp["EFI/BOOT/grub.cfg"] = file("menuentry stub1 { true; }\nconfigfile /EFI/other/grub.cfg\nmenuentry never { true; }")
	m := parse(t, vols, WithPlatform("efi"))
	if len(m.Entries) != 1 || m.Entries[0].Title != "Ubuntu" {
		var titles []string
		for _, e := range m.Entries {
			titles = append(titles, e.Title)
		}
		t.Errorf("entries %q, want [Ubuntu]; %s", titles, diagText(m))
	}
}

func TestDevices(t *testing.T) {
	vols := []*boot.Volume{
		{Device: "/dev/sda1", Disk: "/dev/sda", Partition: 1, PartType: "0x83"},
		{Device: "/dev/sda5", Disk: "/dev/sda", Partition: 5, PartType: "0x83"},
		{Device: "/dev/sr0", Disk: "/dev/sr0", FSType: "iso9660"},
		{Device: "/dev/vdb2", Disk: "/dev/vdb", Partition: 2, PartType: boot.PartTypeESP},
	}
	d := newDevices(vols)
	names := []string{"hd0,msdos1", "hd0,msdos5", "hd1", "hd2,gpt2"}
	for k, v := range vols {
		if got := d.name(v); got != names[k] {
			t.Errorf("name of %s = %q, want %q", v.Device, got, names[k])
		}
	}
	lookups := map[string]*boot.Volume{
		"hd0,msdos1": vols[0], "(hd0,1)": vols[0], "hd0,gpt5": vols[1], "cd0": vols[2], "(hd1)": vols[2],
		"hd2,gpt2": vols[3], "hd2,2": vols[3], "hd3": nil, "hd0,msdos1,bsd1": vols[0], "lvm/root": nil, "": nil,
	}
	for s, want := range lookups {
		if got := d.lookup(s); got != want {
			t.Errorf("lookup(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestReadBLS(t *testing.T) {
	got := readBLS([]byte("# comment\n  title  A B \r\nlinux\t/vmlinuz x\noptions\t\ta\tb\n\ninitrd /late\n"))
	want := []blsKV{{"title", "A B "}, {"linux\t/vmlinuz", "x"}, {"options", "a\tb"}}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%d: got %q, want %q", k, got[k], want[k])
		}
	}
	// Entries without a version sort before versioned ones; then newest
	// version first; equal versions by file name, newest first.
	es := []*blsEntry{
		{name: "a", keys: []blsKV{{"version", "1.0"}}},
		{name: "b", keys: []blsKV{{"version", "2.0"}}},
		{name: "c"},
		{name: "d", keys: []blsKV{{"version", "2.0"}}},
	}
	sortBLS(es)
	var order []string
	for _, e := range es {
		order = append(order, e.name)
	}
	if strings.Join(order, "") != "cdba" {
		t.Errorf("order %q, want cdba", order)
	}
}

// TestBtrfsSubvolumeLayouts: a btrfs volume is read from its top level, and
// GRUB's config sits inside the subvolume holding /boot.
func TestBtrfsSubvolumeLayouts(t *testing.T) {
	for _, sub := range []string{"@", "@rootfs"} {
		root := fstest.MapFS{
			sub + "/boot/grub/grub.cfg": file("menuentry 'Ubuntu' {\n\tlinux /" + sub + "/boot/vmlinuz root=UUID=1111 ro rootflags=subvol=" + sub + "\n\tinitrd /" + sub + "/boot/initrd.img\n}\n"),
			sub + "/boot/vmlinuz":       file(""),
			sub + "/boot/initrd.img":    file(""),
		}
		vols := []*boot.Volume{{Device: "/dev/vda2", Disk: "/dev/vda", Partition: 2, FSType: "btrfs", UUID: "1111", FS: root}}
		m := Parse(context.Background(), vols)
		if len(m.Entries) != 1 {
			t.Fatalf("%s: %d entries; diags:\n%s", sub, len(m.Entries), diagText(m))
		}
		e := m.Entries[0]
		if e.Kernel.Path != "/"+sub+"/boot/vmlinuz" || e.Err != nil || e.Origin.Path != "/"+sub+"/boot/grub/grub.cfg" {
			t.Errorf("%s: kernel %v origin %v err %v", sub, e.Kernel, e.Origin, e.Err)
		}
	}
}

// TestConfigDirectory: $config_directory is the directory of the file
// being read (grub.cfg, a sourced file), put back after it is read, and
// unset in entry bodies, which run after grub.cfg, as GRUB's normal mode
// does.
func TestConfigDirectory(t *testing.T) {
	vols := oneVol(`set a="$config_directory"
source /boot/grub/sub/x.cfg
set c="$config_directory"
menuentry A { linux /vmlinuz a=$a b=$b c=$c e=$config_directory f=$config_file; }
`, "/vmlinuz")
	vols[0].FS.(fstest.MapFS)["boot/grub/sub/x.cfg"] = file(`set b="$config_directory"`)
	m := parse(t, vols)
	if len(m.Entries) != 1 {
		t.Fatalf("%d entries", len(m.Entries))
	}
	got := m.Entries[0].Cmdline
	dev := "(hd0,gpt1)"
	want := "BOOT_IMAGE=/vmlinuz a=" + dev + "/boot/grub b=" + dev + "/boot/grub/sub c=" + dev + "/boot/grub e= f="
	if got != want {
		t.Errorf("cmdline %q, want %q", got, want)
	}
}
