package grub

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
