package menu

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leapboot/leapboot/boot"
)

func menuOf(n, def int, timeout time.Duration) boot.Menu {
	m := boot.Menu{Default: def, Timeout: timeout}
	for i := 0; i < n; i++ {
		m.Entries = append(m.Entries, boot.Entry{ID: string(rune('a' + i)), Title: "entry " + string(rune('a'+i)), Source: boot.SourceGRUB})
	}
	return m
}

func TestCountdown(t *testing.T) {
	m := New(menuOf(3, 1, 2*time.Second), false)
	if a := m.Start(); a != Redraw {
		t.Fatalf("Start = %v", a)
	}
	if a := m.Tick(time.Second); a != Status || !strings.Contains(m.StatusLine(), "in 1 s") {
		t.Fatalf("Tick 1 = %v, %q", a, m.StatusLine())
	}
	if a := m.Tick(time.Second); a != Boot || m.Chosen != 1 {
		t.Fatalf("Tick 2 = %v, chosen %d", a, m.Chosen)
	}
}

func TestZeroTimeoutBootsAtOnce(t *testing.T) {
	m := New(menuOf(2, 1, 0), false)
	if a := m.Start(); a != Boot || m.Chosen != 1 {
		t.Fatalf("Start = %v, chosen %d", a, m.Chosen)
	}
}

func TestWaitForever(t *testing.T) {
	m := New(menuOf(2, 0, boot.WaitForever), false)
	m.Start()
	for i := 0; i < 100; i++ {
		if a := m.Tick(time.Hour); a != None {
			t.Fatalf("Tick = %v with no timeout", a)
		}
	}
}

func TestKeys(t *testing.T) {
	for _, tc := range []struct {
		keys   string
		want   Action
		chosen int
	}{
		{"2\r", Boot, 1},
		{"\r", Boot, 0},
		{"j\r", Boot, 1},
		{"kk\r", Boot, 1},
		{"12\x7f\r", Boot, 0},
		{"9\r", Status, -1},
		{"r", Rescan, -1},
		{"s", Status, -1}, // shell not allowed
	} {
		m := New(menuOf(3, 0, 5*time.Second), false)
		m.Start()
		var a Action
		for i := 0; i < len(tc.keys); i++ {
			a = m.Key(tc.keys[i])
		}
		if a != tc.want || m.Chosen != tc.chosen {
			t.Errorf("keys %q: action %v chosen %d, want %v %d", tc.keys, a, m.Chosen, tc.want, tc.chosen)
		}
		if m.Counting {
			t.Errorf("keys %q: countdown still running", tc.keys)
		}
	}
	m := New(menuOf(1, 0, 5*time.Second), true)
	if a := m.Key('s'); a != Shell {
		t.Errorf("s with shell allowed = %v", a)
	}
}

func TestRenderShowsErrors(t *testing.T) {
	mm := menuOf(2, 0, 5*time.Second)
	mm.Entries[1].Err = errors.New("/boot/vmlinuz: file not found")
	mm.Diagnostics = []boot.Diagnostic{{Origin: boot.Origin{Path: "/boot/grub/grub.cfg", Line: 3}, Message: "unknown command \"frob\""}}
	s := New(mm, false).Render()
	for _, want := range []string{"1) entry a (grub) [default]", "cannot boot: /boot/vmlinuz: file not found", "/boot/grub/grub.cfg:3: unknown command"} {
		if !strings.Contains(s, want) {
			t.Errorf("render lacks %q:\n%s", want, s)
		}
	}
}
