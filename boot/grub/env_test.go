package grub

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/leapboot/leapboot/boot"
)

func TestReadEnv(t *testing.T) {
	pad := func(s string) []byte {
		b := []byte(s)
		for len(b) < 1024 {
			b = append(b, '#')
		}
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want map[string]string
		err  error
	}{
		{"empty block", pad(EnvSignature), map[string]string{}, nil},
		{"plain", pad(EnvSignature + "saved_entry=0\nkernelopts=root=/dev/sda ro\n"), map[string]string{"saved_entry": "0", "kernelopts": "root=/dev/sda ro"}, nil},
		{"escapes", pad(EnvSignature + "a=x\\\\y\nb=line1\\\nline2\nc=\\q\n"), map[string]string{"a": `x\y`, "b": "line1\nline2", "c": "q"}, nil},
		{"comment lines", pad(EnvSignature + "# note\na=1\n"), map[string]string{"a": "1"}, nil},
		{"short block, last value unterminated is dropped", []byte(EnvSignature + "a=1\nb=2"), map[string]string{"a": "1"}, nil},
		{"later wins", pad(EnvSignature + "a=1\na=2\n"), map[string]string{"a": "2"}, nil},
		{"no signature", []byte("a=1\n"), nil, ErrBadEnv},
		{"empty", nil, nil, ErrBadEnv},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadEnv(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestEncodeEnv(t *testing.T) {
	vars := map[string]string{"saved_entry": "Ubuntu>Ubuntu, with Linux", "x": "a\\b\nc", "e": ""}
	b, err := EncodeEnv(vars, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != EnvBlockSize || !bytes.HasPrefix(b, []byte(EnvSignature+"e=\nsaved_entry=")) || b[len(b)-1] != '#' {
		t.Errorf("block %q", b)
	}
	back, err := ReadEnv(b)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range vars {
		if back[k] != v {
			t.Errorf("round trip %s = %q, want %q", k, back[k], v)
		}
	}
	if _, err := EncodeEnv(map[string]string{"a": strings.Repeat("x", 2000)}, 1024); err == nil {
		t.Error("oversized block: no error")
	}
	if _, err := EncodeEnv(map[string]string{"a=b": "x"}, 1024); err == nil {
		t.Error("bad name: no error")
	}
}

func TestUpdateEnvKeepsOrderAndSize(t *testing.T) {
	for _, name := range []string{
		"centos-stream-8-noblscfg/sda1/EFI/centos/grubenv",
		"ubuntu-22.04-cloudimg/rootfs/boot/grub/grubenv",
		"grubby-rhel7.2-stale-saved-entry/grub2/grubenv",
		"centos-stream-8-blscfg-tboot/EFI/centos/grubenv", // 946 bytes
	} {
		old, err := os.ReadFile(filepath.Join("testdata/corpus", name))
		if err != nil {
			t.Fatal(err)
		}
		before, err := ReadEnv(old)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		nb, err := UpdateEnv(old, map[string]string{"saved_entry": "new", "zz": "1"}, []string{"boot_success"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(nb) != len(old) {
			t.Errorf("%s: size %d, want %d", name, len(nb), len(old))
		}
		after, _ := ReadEnv(nb)
		for k, v := range before {
			switch k {
			case "saved_entry", "boot_success":
				continue
			}
			if after[k] != v {
				t.Errorf("%s: %s = %q, want %q", name, k, after[k], v)
			}
		}
		if after["saved_entry"] != "new" || after["zz"] != "1" {
			t.Errorf("%s: after %q", name, after)
		}
		if _, ok := after["boot_success"]; ok {
			t.Errorf("%s: boot_success not removed", name)
		}
		// Unchanged input gives the same bytes when written by grub-editenv
		// (sorted-order files only): check idempotence of our own output.
		again, _ := UpdateEnv(nb, nil, nil)
		if !bytes.Equal(again, nb) {
			t.Errorf("%s: UpdateEnv is not idempotent", name)
		}
	}
}

func TestApplyEnv(t *testing.T) {
	block := func(vars ...string) string {
		s := EnvSignature
		for _, v := range vars {
			s += v + "\n"
		}
		return s + strings.Repeat("#", 1024-len(s))
	}
	tests := []struct {
		name     string
		old      string
		vars     []boot.EnvVar
		want     string
		wantErrs string
	}{
		{"clear next_entry", block("saved_entry=a>b", "next_entry=x"), []boot.EnvVar{{Name: "next_entry"}},
			block("saved_entry=a>b", "next_entry="), ""},
		{"replace in place keeps order", block("a=1", "b=2", "c=3"), []boot.EnvVar{{Name: "b", Value: "two"}},
			block("a=1", "b=two", "c=3"), ""},
		{"new ones go last, in save_env order", block("a=1"), []boot.EnvVar{{Name: "z", Value: "26"}, {Name: "m", Value: "13"}},
			block("a=1", "z=26", "m=13"), ""},
		{"unset removes", block("boot_success=1", "boot_indeterminate=1"),
			[]boot.EnvVar{{Name: "boot_success", Value: "0"}, {Name: "boot_indeterminate", Unset: true}},
			block("boot_success=0"), ""},
		{"unset of a missing one is nothing", block("a=1"), []boot.EnvVar{{Name: "b", Unset: true}}, block("a=1"), ""},
		{"escapes", block("a=1"), []boot.EnvVar{{Name: "a", Value: "x\\y\nz"}}, block("a=x\\\\y\\\nz"), ""},
		{"too small", block("a=1"), []boot.EnvVar{{Name: "big", Value: strings.Repeat("v", 1024)}}, "", "do not fit"},
		{"not a block", "hello", []boot.EnvVar{{Name: "a", Value: "1"}}, "", "invalid environment block"},
	}
	for _, tc := range tests {
		got, err := ApplyEnv([]byte(tc.old), tc.vars)
		if tc.wantErrs != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErrs) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErrs)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %q, %v\nwant %q", tc.name, got, err, tc.want)
		}
		if len(got) != len(tc.old) {
			t.Errorf("%s: size %d, want %d", tc.name, len(got), len(tc.old))
		}
	}
}

// TestEnvChanges runs Debian's header and an entry that calls the
// savedefault function, then computes what booting each entry writes.
func TestEnvChanges(t *testing.T) {
	cfg := `if [ -s $prefix/grubenv ]; then load_env; fi
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="${saved_entry}"
fi
function savedefault {
  if [ -z "${boot_once}" ]; then
    saved_entry="${chosen}"
    save_env saved_entry
  fi
}
menuentry A --id a { linux /vmlinuz; savedefault; }
submenu S --id s { menuentry B --id b { linux /vmlinuz; savedefault; } }
menuentry C --id c { linux /vmlinuz; }
`
	env := func(vars ...string) []byte {
		s := EnvSignature
		for _, v := range vars {
			s += v + "\n"
		}
		return []byte(s + strings.Repeat("#", 1024-len(s)))
	}
	vols := oneVol(cfg, "/vmlinuz")
	mfs := vols[0].FS.(fstest.MapFS)

	// No one-shot entry: booting B saves the submenu path; C saves nothing.
	mfs["boot/grub/grubenv"] = &fstest.MapFile{Data: env("saved_entry=a")}
	m := Evaluate(context.Background(), vols).Menu
	ch, err := EnvChanges(m.Entries[1].EnvUpdates)
	if err != nil || len(ch) != 1 || string(ch[0].New) != string(env("saved_entry=s>b")) || ch[0].Path != "/boot/grub/grubenv" {
		t.Fatalf("B: %+v, %v", ch, err)
	}
	if ch, err := EnvChanges(m.Entries[2].EnvUpdates); err != nil || len(ch) != 0 {
		t.Errorf("C: %+v, %v", ch, err)
	}
	if ch, err := EnvChanges(m.Entries[0].EnvUpdates); err != nil || len(ch) != 0 {
		t.Errorf("A (already saved): %+v, %v", ch, err)
	}

	// A one-shot next_entry: any boot clears it, and savedefault does not
	// save (boot_once) -- except inside a submenu, whose new context sees
	// only exported variables, as in GRUB.
	mfs["boot/grub/grubenv"] = &fstest.MapFile{Data: env("saved_entry=a", "next_entry=c")}
	m = Evaluate(context.Background(), vols).Menu
	if m.Default != 2 {
		t.Errorf("default %d, want 2 (next_entry)", m.Default)
	}
	for k, want := range []string{"saved_entry=a", "saved_entry=s>b", "saved_entry=a"} {
		ch, err := EnvChanges(m.Entries[k].EnvUpdates)
		if err != nil || len(ch) != 1 || string(ch[0].New) != string(env(want, "next_entry=")) {
			t.Errorf("entry %d: %v, want %s and next_entry cleared", k, err, want)
		}
	}

	// A block that cannot take the change: an error naming the line.
	mfs["boot/grub/grubenv"] = &fstest.MapFile{Data: []byte(EnvSignature + "saved_entry=a\n")}
	m = Evaluate(context.Background(), vols).Menu
	if _, err := EnvChanges(m.Entries[1].EnvUpdates); err == nil || !strings.Contains(err.Error(), "grub.cfg:13: save_env") {
		t.Errorf("small block: %v", err)
	}
}

// TestConfigfileEntryWrites: the grubenv writes an entry makes before it
// runs configfile (and those of that file's top level) happen when any
// entry of the menu it shows boots, before that entry's own.
func TestConfigfileEntryWrites(t *testing.T) {
	vols := oneVol("menuentry Other {\n set a=1\n save_env a\n configfile /other.cfg\n}\nmenuentry Plain {\n linux /vmlinuz\n}\n", "/vmlinuz")
	mfs := vols[0].FS.(fstest.MapFS)
	mfs["other.cfg"] = file("set b=2\nsave_env b\nmenuentry Inner {\n set c=3\n save_env c\n linux /vmlinuz\n}\nmenuentry Quiet {\n linux /vmlinuz\n}\n")
	s := EnvSignature + "a=0\n"
	mfs["boot/grub/grubenv"] = &fstest.MapFile{Data: []byte(s + strings.Repeat("#", 1024-len(s)))}
	m := Evaluate(context.Background(), vols).Menu
	if len(m.Entries) != 3 {
		t.Fatalf("entries %q", entryLines(m))
	}
	checkGrubenvAfter(t, m, "a=1\nb=2\nc=3\n", "a=1\nb=2\n", "")
}

// checkGrubenvAfter checks what the one grubenv holds after booting each
// entry of m (its variables, one per line; "" for no change).
func checkGrubenvAfter(t *testing.T, m boot.Menu, want ...string) {
	t.Helper()
	for k, w := range want {
		ch, err := EnvChanges(m.Entries[k].EnvUpdates)
		if err != nil {
			t.Fatalf("%s: %v", m.Entries[k].Title, err)
		}
		got := ""
		if len(ch) == 1 {
			got = strings.TrimRight(strings.TrimPrefix(string(ch[0].New), EnvSignature), "#")
		}
		if got != w {
			t.Errorf("%s: grubenv becomes %q, want %q", m.Entries[k].Title, got, w)
		}
	}
}

// TestSubmenuWrites: a submenu's body runs when the submenu is opened, so
// its grubenv writes come with its entries only, before their own.
func TestSubmenuWrites(t *testing.T) {
	vols := oneVol("submenu S {\n set s=1\n save_env s\n menuentry B {\n set b=2\n save_env b\n linux /vmlinuz\n }\n}\nmenuentry Plain {\n linux /vmlinuz\n}\n", "/vmlinuz")
	s := EnvSignature
	vols[0].FS.(fstest.MapFS)["boot/grub/grubenv"] = &fstest.MapFile{Data: []byte(s + strings.Repeat("#", 1024-len(s)))}
	m := Evaluate(context.Background(), vols).Menu
	if len(m.Entries) != 2 {
		t.Fatalf("entries %q", entryLines(m))
	}
	checkGrubenvAfter(t, m, "s=1\nb=2\n", "")
}
