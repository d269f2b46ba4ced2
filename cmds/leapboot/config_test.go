package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/config"
	"github.com/leapboot/leapboot/menu"
)

func twoEntries() boot.Menu {
	return boot.Menu{Default: 0, Timeout: 5 * time.Second, Entries: []boot.Entry{
		{ID: "a", Title: "A", Source: boot.SourceGRUB, Cmdline: "ro quiet"},
		{ID: "b", Title: "B", Source: boot.SourceGRUB, Cmdline: "ro"},
	}}
}

// TestBadConfigBootsWithDefaults: a config file with an error is not used
// at all; the menu still counts down to the default and shows the warning.
func TestBadConfigBootsWithDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "leapboot.toml")
	os.WriteFile(p, []byte("timeout = 0\n[edit]\nallowed = false\nshell = nope\n"), 0o644)
	cfg, warnings := loadConfig(p, nil, "")
	if !reflect.DeepEqual(*cfg, config.Defaults()) {
		t.Errorf("config %+v, want the defaults", *cfg)
	}
	if w := strings.Join(warnings, "\n"); !strings.Contains(w, p+":4:") || !strings.Contains(w, "using the built-in defaults") {
		t.Errorf("warnings %q", w)
	}
	m := menu.New(config.Apply(twoEntries(), cfg), menuOptions(cfg, true, nil, warnings)...)
	s := m.Render(80, 24).String()
	if !strings.Contains(s, `Booting "A" in 5 s. warning: `) || !strings.Contains(s, "problems (p shows them)") {
		t.Errorf("screen:\n%s", s)
	}
	// p shows the whole warning (and stops the countdown: a new model boots).
	m.Key(menu.R('p'))
	if s := m.Render(80, 24).String(); !strings.Contains(s, p+":4:") || !strings.Contains(s, "using the built-in defaults") {
		t.Errorf("problems:\n%s", s)
	}
	m = menu.New(config.Apply(twoEntries(), cfg), menuOptions(cfg, true, nil, warnings)...)
	if m.Tick(5*time.Second) != menu.Boot || m.Chosen != 0 {
		t.Error("the default did not boot")
	}
}

func TestMissingConfigIsDefaults(t *testing.T) {
	cfg, warnings := loadConfig(filepath.Join(t.TempDir(), "none.toml"), nil, "")
	if len(warnings) != 0 || !reflect.DeepEqual(*cfg, config.Defaults()) {
		t.Errorf("%+v %q", *cfg, warnings)
	}
}

// TestShellNotAllowed: with shell = false the shell is neither offered
// nor reachable, whatever is typed.
func TestShellNotAllowed(t *testing.T) {
	p := filepath.Join(t.TempDir(), "leapboot.toml")
	os.WriteFile(p, []byte("shell = false\n"), 0o644)
	cfg, _ := loadConfig(p, nil, "")
	m := menu.New(twoEntries(), menuOptions(cfg, true, nil, nil)...)
	if s := m.Render(80, 24).String(); strings.Contains(s, "shell") {
		t.Errorf("shell offered:\n%s", s)
	}
	for _, in := range []menu.Input{menu.R('s'), menu.R('S'), menu.K(menu.KeyEsc), menu.R('s'), menu.R('p'), menu.R('s'), menu.K(menu.KeyEsc), menu.R('c'), menu.R('s'), menu.R('d'), menu.R('s')} {
		if a := m.Key(in); a == menu.Shell {
			t.Fatalf("%v opened the shell", in)
		}
	}
	// And with it allowed by the config but no /bin/sh in the image, too.
	m = menu.New(twoEntries(), menuOptions(&config.Config{Shell: true, TimeoutStyle: "menu"}, false, nil, nil)...)
	if m.Key(menu.R('s')) == menu.Shell {
		t.Error("shell without /bin/sh")
	}
}

// TestPasswordProtectedEdit: the hash in the config guards the editor.
func TestPasswordProtectedEdit(t *testing.T) {
	h, err := config.HashPassword("sesame")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "leapboot.toml")
	os.WriteFile(p, []byte("[edit]\nallowed = true\npassword = \""+h+"\"\n"), 0o644)
	cfg, warnings := loadConfig(p, nil, "")
	if len(warnings) > 0 {
		t.Fatal(warnings)
	}
	typeIn := func(m *menu.Model, s string) menu.Action {
		a := menu.None
		for _, r := range s {
			if r == '\r' {
				a = m.Key(menu.K(menu.KeyEnter))
			} else {
				a = m.Key(menu.R(r))
			}
		}
		return a
	}
	m := menu.New(twoEntries(), menuOptions(cfg, false, nil, nil)...)
	if a := typeIn(m, "esesam\r x\r"); a != menu.Boot || m.Edited != nil {
		t.Errorf("wrong password: action %v, edited %v", a, m.Edited)
	}
	if !strings.Contains(m.Render(80, 24).String(), "wrong password") {
		t.Error("no message for a wrong password")
	}
	m = menu.New(twoEntries(), menuOptions(cfg, false, nil, nil)...)
	if a := typeIn(m, "esesame\r x\r"); a != menu.Boot || m.Edited == nil || *m.Edited != "ro quiet x" {
		t.Errorf("right password: action %v, edited %v", a, m.Edited)
	}
}

func TestESPOverride(t *testing.T) {
	p := filepath.Join(t.TempDir(), "leapboot.toml")
	os.WriteFile(p, []byte("[override]\nesp = true\n"), 0o644)
	esp := &boot.Volume{Device: "/dev/vda1", Label: "ESP", PartType: boot.PartTypeESP,
		FS: fstest.MapFS{"leapboot/leapboot.toml": {Data: []byte("timeout = 9\n")}}}
	cfg, warnings := loadConfig(p, []*boot.Volume{esp}, "")
	if len(warnings) > 0 || cfg.Timeout == nil || *cfg.Timeout != 9 {
		t.Errorf("%+v %q", cfg, warnings)
	}
}
