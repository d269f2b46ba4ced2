package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
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
// says so: the image builder and reading files inside image files.
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
	var stderr bytes.Buffer
	cmd = exec.Command(bin, "image", "-o", filepath.Join(dir, "out.cpio"))
	cmd.Stderr = &stderr
	var ee *exec.ExitError
	if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "slim /init build") {
		t.Errorf("image in the tiny build: %v, %q", err, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "out.cpio")); err == nil {
		t.Error("the tiny build wrote an image")
	}

	gz, err := os.Open("../../boot/disk/probe/testdata/images/fat32-nolabel.img.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "fat.img")
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "list", "--image", img).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "vfat") || !strings.Contains(string(out), "needs the full leapboot build") {
		t.Errorf("list --image in the tiny build: %v\n%s", err, out)
	}
}
