package grub

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/leapboot/leapboot/boot"
)

// hostile runs a config that must end with a diagnostic containing want,
// quickly, and still list the good entry A defined before the trouble.
func hostile(t *testing.T, name, cfg, want string) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		start := time.Now()
		vols := oneVol("menuentry A { linux /vmlinuz; }\n"+cfg, "/vmlinuz")
		vols[0].FS.(fstest.MapFS)["boot/grub/big.cfg"] = file("#" + strings.Repeat("x", 1<<20))
		vols[0].FS.(fstest.MapFS)["loader/entries/x.conf"] = file("title X\nlinux /vmlinuz\n")
		m := Parse(context.Background(), vols)
		// A bound that catches a loop without end, not a benchmark: cases
		// take milliseconds to a second on a quiet machine.
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("took %v", d)
		}
		if !strings.Contains(diagText(m), want) {
			t.Errorf("no diagnostic %q; got:\n%s", want, diagText(m))
		}
		if len(m.Entries) == 0 || m.Entries[0].Title != "A" || m.Entries[0].Err != nil {
			t.Errorf("entry A lost: %+v", m.Entries)
		}
		if len(m.Diagnostics) > DefaultLimits().Diagnostics {
			t.Errorf("%d diagnostics", len(m.Diagnostics))
		}
	})
}

func TestHostileConfigs(t *testing.T) {
	hostile(t, "while true", "while true; do true; done", "step budget exhausted")
	hostile(t, "until false", "until false; do\n x=1\ndone", "step budget exhausted")
	hostile(t, "source loop", "source $prefix/grub.cfg", "recursion deeper than")
	hostile(t, "configfile loop", "configfile $prefix/grub.cfg", "recursion deeper than")
	hostile(t, "function recursion", "function f { f; }\nf", "recursion deeper than")
	hostile(t, "mutual recursion", "function f { g; }\nfunction g { f; }\nf", "recursion deeper than")
	hostile(t, "deep nesting", strings.Repeat("if true; then\n", 10000)+strings.Repeat("fi\n", 10000), "nesting deeper than")
	hostile(t, "deep braces", strings.Repeat("{ ", 10000)+strings.Repeat("} ", 10000), "nesting deeper than")
	hostile(t, "doubling value", "x=aaaaaaaa\nwhile true; do x=$x$x$x$x; done", "step budget exhausted")
	hostile(t, "many statements", strings.Repeat("true\n", 200000), "more than")
	hostile(t, "entry loop", "menuentry B { while true; do true; done; }", "step budget exhausted")
	hostile(t, "many entries", "for i in 1 2 3 4 5 6 7 8 9 10; do for j in 1 2 3 4 5 6 7 8 9 10; do for k in 1 2 3 4 5 6 7 8 9 10; do menuentry x$i$j$k { linux /vmlinuz; }; done; done; done", "")
	hostile(t, "sourcing a big comment in a loop", "while true; do source $prefix/big.cfg; done", "step budget exhausted")
	hostile(t, "blscfg in a loop", "while true; do blscfg; done", "step budget exhausted")
	hostile(t, "deep submenus", strings.Repeat("submenu s {\n", 100)+strings.Repeat("}\n", 100), "")
	hostile(t, "entries that configfile their own file", strings.Repeat("menuentry B { configfile $prefix/grub.cfg; }\n", 30), "nest deeper than")
}

func TestEntryBudgetIsolated(t *testing.T) {
	cfg := "menuentry A { while true; do true; done; }\nmenuentry B { linux /vmlinuz; }"
	m := Parse(context.Background(), oneVol(cfg, "/vmlinuz"))
	if len(m.Entries) != 2 || m.Entries[0].Err == nil || m.Entries[1].Err != nil {
		t.Fatalf("entries %+v", m.Entries)
	}
	if !strings.Contains(m.Entries[0].Err.Error(), "step budget") {
		t.Errorf("err %v", m.Entries[0].Err)
	}
}

// bigFS serves one huge grub.cfg and counts the bytes read from it.
type bigFS struct {
	size int64
	read *int64
}

func (b bigFS) Open(name string) (fs.File, error) {
	if name == "boot/grub/grub.cfg" {
		return &bigFile{fs: b}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

type bigFile struct {
	fs  bigFS
	off int64
}

func (f *bigFile) Stat() (fs.FileInfo, error) { return bigInfo{size: f.fs.size}, nil }
func (f *bigFile) Close() error               { return nil }

func (f *bigFile) Read(p []byte) (int, error) {
	if f.off >= f.fs.size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), f.fs.size-f.off)
	for k := range p[:n] {
		p[k] = '#'
	}
	f.off += n
	*f.fs.read += n
	return int(n), nil
}

type bigInfo struct{ size int64 }

func (b bigInfo) Name() string       { return "grub.cfg" }
func (b bigInfo) Size() int64        { return b.size }
func (b bigInfo) Mode() fs.FileMode  { return 0o644 }
func (b bigInfo) ModTime() time.Time { return time.Time{} }
func (b bigInfo) IsDir() bool        { return false }
func (b bigInfo) Sys() any           { return nil }

func TestHugeConfigNotRead(t *testing.T) {
	var read int64
	vols := []*boot.Volume{{Device: "/dev/vda1", Disk: "/dev/vda", Partition: 1, FS: bigFS{size: 100 << 20, read: &read}}}
	m := Parse(context.Background(), vols)
	if read > DefaultLimits().FileSize {
		t.Errorf("read %d bytes of a 100 MB config", read)
	}
	if !strings.Contains(diagText(m), "larger than the size limit") {
		t.Errorf("diagnostics: %s", diagText(m))
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := Parse(ctx, oneVol("while true; do true; done"))
	if !strings.Contains(diagText(m), "cancel") {
		t.Errorf("diagnostics: %s", diagText(m))
	}
}

// TestManyEnvWrites: every entry keeps its own copy of the grubenv writes
// that happen before it boots, so a config of a few thousand top-level
// save_env lines and a few thousand entries (83 KB) kept 4 million writes
// and allocated 1.6 GB. Limits.EnvWrites bounds them for the whole menu;
// the entries past the bound are not booted, with an error that says why.
func TestManyEnvWrites(t *testing.T) {
	var b strings.Builder
	b.WriteString("set a=1\n")
	for range 1990 {
		b.WriteString("save_env a\n")
	}
	for range 1990 {
		b.WriteString("menuentry E { linux /vmlinuz; }\n")
	}
	vols := oneVol(b.String(), "/vmlinuz")
	s := EnvSignature
	vols[0].FS.(fstest.MapFS)["boot/grub/grubenv"] = &fstest.MapFile{Data: []byte(s + strings.Repeat("#", 1024-len(s)))}
	m := Evaluate(context.Background(), vols).Menu
	if len(m.Entries) != 1990 {
		t.Fatalf("%d entries", len(m.Entries))
	}
	kept, refused := 0, 0
	for _, e := range m.Entries {
		kept += len(e.EnvUpdates)
		switch {
		case e.Err == nil && len(e.EnvUpdates) == 1990:
		case e.Err != nil && len(e.EnvUpdates) == 0 && strings.Contains(e.Err.Error(), "grub.cfg:") && strings.Contains(e.Err.Error(), "grubenv writes"):
			refused++
		default:
			t.Fatalf("entry %q: %d writes, %v", e.Title, len(e.EnvUpdates), e.Err)
		}
	}
	if limit := DefaultLimits().EnvWrites; kept > limit || refused == 0 || refused == len(m.Entries) {
		t.Errorf("%d writes kept (limit %d), %d entries refused", kept, limit, refused)
	}
}

// TestManyVariables: each entry is evaluated in a copy of the menu's
// variables, so a config that sets 50,000 of them and lists 1,990 entries
// (686 KB) copied 100 million variables: 30 s and 5.6 GB. Copies are
// charged to the total step budget now; the entries past it are errors
// that name their line, and the first ones still boot.
func TestManyVariables(t *testing.T) {
	var b strings.Builder
	for k := range 50000 {
		fmt.Fprintf(&b, "set v%d=x\n", k)
	}
	for range 1990 {
		b.WriteString("menuentry E { linux /vmlinuz; }\nsubmenu S { menuentry F { linux /vmlinuz; } }\n")
	}
	vols := oneVol(b.String(), "/vmlinuz")
	m := Evaluate(context.Background(), vols).Menu
	good, refused := 0, 0
	for _, e := range m.Entries {
		switch {
		case e.Err == nil:
			good++
		case strings.Contains(e.Err.Error(), "grub.cfg:") && strings.Contains(e.Err.Error(), "step budget exhausted"):
			refused++
		default:
			t.Fatalf("entry %q: %v", e.Title, e.Err)
		}
	}
	if good == 0 || refused == 0 || m.Entries[0].Err != nil {
		t.Errorf("%d entries booted, %d refused; first: %v", good, refused, m.Entries[0].Err)
	}
	if !strings.Contains(diagText(m), "submenu \"S\": step budget exhausted") {
		t.Errorf("no diagnostic for the submenus past the budget:\n%s", diagText(m))
	}
}

// TestLimitsSaySo: what the limits leave out is said: BLS entries past
// Limits.Entries, and grubenv writes past it.
func TestLimitsSaySo(t *testing.T) {
	vols := oneVol("set a=1\nblscfg\n"+strings.Repeat("save_env a\n", 2001), "/vmlinuz")
	fsys := vols[0].FS.(fstest.MapFS)
	for k := range 2001 {
		fsys[fmt.Sprintf("loader/entries/e%05d.conf", k)] = file(fmt.Sprintf("title E%d\nlinux /vmlinuz\n", k))
	}
	m := Evaluate(context.Background(), vols).Menu
	d := diagText(m)
	for _, want := range []string{
		"grub.cfg:2: blscfg: more than 2000 entries in /loader/entries; the rest are ignored",
		"grub.cfg:2003: save_env: more than 2000 grubenv writes at once; this one is not kept",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("no diagnostic %q:\n%s", want, d)
		}
	}
}

// countFS counts the lookups made on a volume.
type countFS struct {
	fs.FS
	n *int
}

func (c countFS) Open(name string) (fs.File, error) { *c.n++; return c.FS.Open(name) }

func (c countFS) Stat(name string) (fs.FileInfo, error) { *c.n++; return fs.Stat(c.FS, name) }

// TestSearchManyVolumes: a loop of `search --file` looks at every volume
// each time; one step per search let 200,000 of them read 32 volumes each
// (6.4 million lookups, seconds on real disks). Each volume a search
// reads now costs steps of its own.
func TestSearchManyVolumes(t *testing.T) {
	vols := oneVol("menuentry A { linux /vmlinuz; }\nwhile true; do search --file --set=r /nope; done\n", "/vmlinuz")
	lookups := 0
	for k := range 31 {
		vols = append(vols, &boot.Volume{Device: fmt.Sprintf("/dev/sdb%d", k+1), Disk: "/dev/sdb", Partition: k + 1, FSType: "ext4",
			FS: countFS{fstest.MapFS{"a/b": &fstest.MapFile{}}, &lookups}})
	}
	m := Evaluate(context.Background(), vols).Menu
	if !strings.Contains(diagText(m), "step budget exhausted") {
		t.Errorf("no budget diagnostic:\n%s", diagText(m))
	}
	if max := DefaultLimits().Steps / 16; lookups > max {
		t.Errorf("%d lookups, want at most %d", lookups, max)
	}
}

// TestFileTestsCost: each file lookup (test -f, linux, source …) costs
// statCost steps, so a loop of them stops after Steps/statCost lookups
// instead of one per step.
func TestFileTestsCost(t *testing.T) {
	vols := oneVol("menuentry A { linux /vmlinuz; }\nwhile true; do test -f /vmlinuz; done\n", "/vmlinuz")
	lookups := 0
	vols[0].FS = countFS{vols[0].FS, &lookups}
	m := Evaluate(context.Background(), vols).Menu
	if !strings.Contains(diagText(m), "step budget exhausted") {
		t.Errorf("no budget diagnostic:\n%s", diagText(m))
	}
	if max := DefaultLimits().Steps / statCost; lookups > max+100 {
		t.Errorf("%d lookups, want at most %d", lookups, max)
	}
}

// TestManyInheritedWrites: the entries under a submenu inherit its body's
// grubenv writes; copying them for many submenus is charged to the step
// budget too.
func TestManyInheritedWrites(t *testing.T) {
	inner := strings.Repeat("submenu T { save_env a; menuentry E { linux /vmlinuz; } }\n", 1000)
	cfg := "submenu S {\n set a=1\n" + strings.Repeat(" save_env a\n", 1000) + inner + "}\n"
	m := Evaluate(context.Background(), oneVol(cfg, "/vmlinuz"), WithLimits(Limits{TotalSteps: 200000})).Menu
	if !strings.Contains(diagText(m), "grubenv writes are not copied") {
		t.Errorf("no diagnostic for the submenus past the budget:\n%s", diagText(m))
	}
	if len(m.Entries) == 0 {
		t.Error("no entry kept")
	}
}
