package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tinyTags are the tags of the slim /init build (Makefile GOFLAGS_INIT,
// qemu.InitBuildFlags).
const tinyTags = "tiny,tcell_minimal"

// TestTinyDeps: the slim /init build links none of the host-only code, so
// nothing drags it back in unnoticed (images once pulled fiano into /init
// through one constant).
func TestTinyDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", tinyTags, "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list gave %d packages", len(deps))
	}
	for _, d := range deps {
		for _, bad := range []string{"github.com/diskfs/", "github.com/linuxboot/fiano", "github.com/leapboot/leapboot/images",
			"github.com/gdamore/tcell/v2/terminfo/extended", "github.com/gdamore/tcell/v2/terminfo/dynamic"} {
			if strings.HasPrefix(d, bad) {
				t.Errorf("the tiny build links %s", d)
			}
		}
	}
}

// TestTinyBinary builds the slim /init and checks that what it leaves out
// says so, and that it still answers version.
func TestTinyBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "leapboot-init")
	cmd := exec.Command("go", "build", "-trimpath", "-tags", tinyTags, "-gcflags=all=-l", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	for _, args := range [][]string{{"image", "-o", filepath.Join(dir, "out.cpio")}, {"list", "--image", "disk.img"}, {"reboot", "--dry-run"}} {
		var stderr bytes.Buffer
		cmd = exec.Command(bin, args...)
		cmd.Stderr = &stderr
		var ee *exec.ExitError
		if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "not in this slim /init build") {
			t.Errorf("%s in the tiny build: %v, %q", args[0], err, stderr.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out.cpio")); err == nil {
		t.Error("the tiny build wrote an image")
	}
	if out, err := exec.Command(bin, "version").Output(); err != nil || !strings.HasPrefix(string(out), "leapboot ") {
		t.Errorf("version: %q, %v", out, err)
	}
}
