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
		m.Entries = append(m.Entries, boot.Entry{ID: string(rune('a' + i)), Title: "entry " + string(rune('a'+i)),
			Source: boot.SourceGRUB, Cmdline: "root=/dev/sda" + string(rune('1'+i)) + " quiet"})
	}
	return m
}

// debianMenu is what Debian's grub.cfg makes: two top-level entries and an
// "Advanced options" submenu with two more; the default is in the submenu.
func debianMenu(def int) boot.Menu {
	adv := "Advanced options for Debian GNU/Linux"
	m := boot.Menu{Default: def, Timeout: 5 * time.Second, Entries: []boot.Entry{
		{ID: "debian", Title: "Debian GNU/Linux", Menu: []string{"Debian GNU/Linux"}, Source: boot.SourceGRUB, Cmdline: "ro quiet"},
		{ID: "adv-6.1", Title: "Debian GNU/Linux, with Linux 6.1", Menu: []string{adv, "Debian GNU/Linux, with Linux 6.1"}, Source: boot.SourceGRUB, Cmdline: "ro quiet"},
		{ID: "adv-6.1-rec", Title: "Debian GNU/Linux, with Linux 6.1 (recovery mode)", Menu: []string{adv, "Debian GNU/Linux, with Linux 6.1 (recovery mode)"}, Source: boot.SourceGRUB, Cmdline: "ro single"},
		{ID: "uefi", Title: "UEFI Firmware Settings", Menu: []string{"UEFI Firmware Settings"}, Source: boot.SourceGRUB, Err: errors.New("fwsetup is not a kernel")},
	}}
	return m
}

func keys(s string) []Input {
	var in []Input
	for _, r := range s {
		switch r {
		case '\r':
			in = append(in, K(KeyEnter))
		case '\x1b':
			in = append(in, K(KeyEsc))
		case '\x7f':
			in = append(in, K(KeyBackspace))
		default:
			in = append(in, R(r))
		}
	}
	return in
}

func TestCountdown(t *testing.T) {
	m := New(menuOf(3, 1, 2*time.Second))
	if a := m.Start(); a != None {
		t.Fatalf("Start = %v", a)
	}
	if a := m.Tick(time.Second); a != None || !strings.Contains(m.StatusLine(), `Booting "entry b" in 1 s`) {
		t.Fatalf("Tick 1 = %v, %q", a, m.StatusLine())
	}
	if a := m.Tick(time.Second); a != Boot || m.Chosen != 1 || m.Edited != nil {
		t.Fatalf("Tick 2 = %v, chosen %d", a, m.Chosen)
	}
}

func TestAnyKeyStopsCountdown(t *testing.T) {
	for _, in := range []Input{K(KeyDown), R('x'), K(KeyOther), K(KeyEsc)} {
		m := New(menuOf(3, 1, 2*time.Second))
		m.Start()
		m.Key(in)
		if a := m.Tick(time.Hour); a != None || m.Counting {
			t.Errorf("%v: countdown goes on", in)
		}
	}
}

func TestZeroTimeoutBootsAtOnce(t *testing.T) {
	m := New(menuOf(2, 1, 0))
	if a := m.Start(); a != Boot || m.Chosen != 1 {
		t.Fatalf("Start = %v, chosen %d", a, m.Chosen)
	}
}

func TestWaitForever(t *testing.T) {
	m := New(menuOf(2, 0, boot.WaitForever))
	m.Start()
	for i := 0; i < 100; i++ {
		if a := m.Tick(time.Hour); a != None {
			t.Fatalf("Tick = %v with no timeout", a)
		}
	}
}

func TestNoDefaultNoCountdown(t *testing.T) {
	m := New(menuOf(2, -1, time.Second))
	if m.Counting || m.Start() != None || m.Tick(time.Hour) != None {
		t.Fatal("a menu without a default counted down")
	}
}

func TestKeys(t *testing.T) {
	for _, tc := range []struct {
		name   string
		menu   boot.Menu
		opts   []Option
		in     []Input
		want   Action
		chosen int
		edited string // "-" for none
	}{
		{"number", menuOf(3, 0, 5*time.Second), nil, keys("2\r"), Boot, 1, "-"},
		{"enter boots the default", menuOf(3, 2, 5*time.Second), nil, keys("\r"), Boot, 2, "-"},
		{"j", menuOf(3, 0, 5*time.Second), nil, keys("j\r"), Boot, 1, "-"},
		{"j stops at the end", menuOf(3, 0, 5*time.Second), nil, keys("jjjjj\r"), Boot, 2, "-"},
		{"k", menuOf(3, 2, 5*time.Second), nil, keys("k\r"), Boot, 1, "-"},
		{"arrows", menuOf(3, 0, 5*time.Second), nil, []Input{K(KeyDown), K(KeyDown), K(KeyUp), K(KeyEnter)}, Boot, 1, "-"},
		{"end", menuOf(5, 0, 5*time.Second), nil, []Input{K(KeyEnd), K(KeyEnter)}, Boot, 4, "-"},
		{"home", menuOf(5, 3, 5*time.Second), nil, []Input{K(KeyHome), K(KeyEnter)}, Boot, 0, "-"},
		{"page down", menuOf(25, 0, 5*time.Second), nil, []Input{K(KeyPgDn), K(KeyEnter)}, Boot, 10, "-"},
		{"page up", menuOf(25, 24, 5*time.Second), nil, []Input{K(KeyPgUp), K(KeyPgUp), K(KeyPgUp), K(KeyEnter)}, Boot, 0, "-"},
		{"backspace in a number", menuOf(3, 0, 5*time.Second), nil, keys("12\x7f\r"), Boot, 0, "-"},
		{"two-digit number", menuOf(12, 0, 5*time.Second), nil, keys("11\r"), Boot, 10, "-"},
		{"no such number", menuOf(3, 0, 5*time.Second), nil, keys("9\r"), None, -1, "-"},
		{"rescan", menuOf(3, 0, 5*time.Second), nil, keys("r"), Rescan, -1, "-"},
		{"shell not allowed", menuOf(3, 0, 5*time.Second), nil, keys("s"), None, -1, "-"},
		{"shell allowed", menuOf(3, 0, 5*time.Second), []Option{WithShell(true)}, keys("s"), Shell, -1, "-"},
		{"edit not allowed", menuOf(3, 0, 5*time.Second), nil, keys("e x\r"), Boot, 0, "-"},
		{"edit appends", menuOf(3, 1, 5*time.Second), []Option{WithEdit(true, nil)}, keys("e single\r"), Boot, 1, "root=/dev/sda2 quiet single"},
		{"edit with cursor keys", menuOf(3, 0, 5*time.Second), []Option{WithEdit(true, nil)},
			append(keys("e"), K(KeyLeft), K(KeyLeft), K(KeyLeft), K(KeyLeft), K(KeyLeft), K(KeyBackspace), R('!'), K(KeyHome), K(KeyDelete), K(KeyEnd), R('.'), K(KeyEnter)),
			Boot, 0, "oot=/dev/sda1!quiet."},
		{"edit: ^A ^K clears", menuOf(3, 0, 5*time.Second), []Option{WithEdit(true, nil)}, append(keys("e"), K(KeyCtrlA), K(KeyCtrlK), R('x'), K(KeyEnter)), Boot, 0, "x"},
		{"edit: ^U", menuOf(3, 0, 5*time.Second), []Option{WithEdit(true, nil)}, append(keys("e"), K(KeyLeft), K(KeyLeft), K(KeyCtrlU), K(KeyEnter)), Boot, 0, "et"},
		{"edit: Esc cancels", menuOf(3, 0, 5*time.Second), []Option{WithEdit(true, nil)}, keys("ex\x1bj\r"), Boot, 1, "-"},
		{"password right", menuOf(3, 0, 5*time.Second), []Option{WithEdit(true, func(p string) bool { return p == "sesame" })}, keys("esesame\r!\r"), Boot, 0, "root=/dev/sda1 quiet!"},
		{"password wrong", menuOf(3, 0, 5*time.Second), []Option{WithEdit(true, func(p string) bool { return p == "sesame" })}, keys("esesam\r!\r"), Boot, 0, "-"},
		{"details and back", menuOf(3, 0, 5*time.Second), nil, keys("dxj\r"), Boot, 1, "-"},
		{"config and back", menuOf(3, 0, 5*time.Second), nil, keys("c\x1bj\r"), Boot, 1, "-"},
		{"submenu: default inside, opens on Enter", debianMenu(2), nil, keys("\r\r"), Boot, 2, "-"},
		{"submenu: by number", debianMenu(0), nil, keys("2\r1\r"), Boot, 1, "-"},
		{"submenu: Esc leaves", debianMenu(0), nil, keys("2\r\x1bj\r"), None, -1, "-"}, // "2\r" opens, Esc back at item 2, j to 3 (broken: Boot of a broken entry is the caller's to refuse)
		{"submenu: Right opens, Left leaves", debianMenu(0), nil, []Input{K(KeyDown), K(KeyRight), K(KeyLeft), K(KeyUp), K(KeyEnter)}, Boot, 0, "-"},
		{"submenu: edit inside", debianMenu(0), []Option{WithEdit(true, nil)}, keys("j\rje 1\r"), Boot, 2, "ro single 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(tc.menu, tc.opts...)
			m.Start()
			a := None
			for _, in := range tc.in {
				if a = m.Key(in); a != None {
					break
				}
			}
			if tc.name == "submenu: Esc leaves" {
				// j lands on the broken UEFI entry; Enter asks to boot it.
				if a != Boot || m.Chosen != 3 {
					t.Errorf("action %v chosen %d, want Boot 3", a, m.Chosen)
				}
				return
			}
			if a != tc.want || m.Chosen != tc.chosen {
				t.Errorf("action %v chosen %d, want %v %d; status %q", a, m.Chosen, tc.want, tc.chosen, m.StatusLine())
			}
			got := "-"
			if m.Edited != nil {
				got = *m.Edited
			}
			if got != tc.edited {
				t.Errorf("edited %q, want %q", got, tc.edited)
			}
			if m.Counting {
				t.Error("countdown still running")
			}
		})
	}
}

func TestWrongPasswordSays(t *testing.T) {
	m := New(menuOf(2, 0, boot.WaitForever), WithEdit(true, func(p string) bool { return p == "right" }))
	for _, in := range keys("ewrong\r") {
		m.Key(in)
	}
	if m.mode != modeList || !strings.Contains(m.StatusLine(), "wrong password") {
		t.Fatalf("mode %v, status %q", m.mode, m.StatusLine())
	}
	if s := m.Render(80, 24).String(); strings.Contains(s, "Edit the command line") {
		t.Fatalf("editor shown after a wrong password:\n%s", s)
	}
}

func TestHiddenStyle(t *testing.T) {
	for _, st := range []TimeoutStyle{StyleHidden, StyleCountdown} {
		m := New(menuOf(2, 1, 3*time.Second), WithTimeoutStyle(st))
		m.Start()
		s := m.Render(80, 24).String()
		if strings.Contains(s, "entry a") {
			t.Errorf("style %d shows the menu:\n%s", st, s)
		}
		if got := strings.Contains(s, "Booting"); got != (st == StyleCountdown) {
			t.Errorf("style %d: countdown shown %v", st, got)
		}
		// The first key shows the menu and does nothing else.
		if a := m.Key(K(KeyEnter)); a != None {
			t.Errorf("style %d: first key = %v", st, a)
		}
		if s := m.Render(80, 24).String(); !strings.Contains(s, "entry a") {
			t.Errorf("style %d: menu not shown after a key:\n%s", st, s)
		}
		if a := m.Tick(time.Hour); a != None {
			t.Errorf("style %d: booted after a key", st)
		}
		// The menu's own style (GRUB's timeout_style) is the default.
		bm := menuOf(2, 1, 3*time.Second)
		bm.TimeoutStyle = map[TimeoutStyle]string{StyleHidden: "hidden", StyleCountdown: "countdown"}[st]
		m2 := New(bm)
		m2.Start()
		if s := m2.Render(80, 24).String(); strings.Contains(s, "entry a") {
			t.Errorf("boot.Menu style %q shows the menu:\n%s", bm.TimeoutStyle, s)
		}
		if s := New(bm, WithTimeoutStyle(StyleMenu)).Render(80, 24).String(); !strings.Contains(s, "entry a") {
			t.Errorf("WithTimeoutStyle(StyleMenu) does not override %q", bm.TimeoutStyle)
		}
		// Untouched, it boots when the time is up.
		m = New(menuOf(2, 1, 3*time.Second), WithTimeoutStyle(st))
		if a := m.Tick(3 * time.Second); a != Boot || m.Chosen != 1 {
			t.Errorf("style %d: Tick = %v %d", st, a, m.Chosen)
		}
	}
}

func TestRenderList(t *testing.T) {
	mm := menuOf(2, 0, 5*time.Second)
	vol := &boot.Volume{Device: "/dev/vda2", Label: "root", FSType: "ext4"}
	mm.Entries[0].Kernel = boot.File{Volume: vol, Path: "/boot/vmlinuz"}
	mm.Entries[1].Err = errors.New("grub: /boot/grub/grub.cfg:7: /boot/vmlinuz: file not found")
	mm.Entries[1].Origin = boot.Origin{Path: "/boot/grub/grub.cfg", Line: 7}
	mm.Diagnostics = []boot.Diagnostic{{Origin: boot.Origin{Path: "/boot/grub/grub.cfg", Line: 3}, Message: "unknown command \"frob\""}}
	m := New(mm, WithDevices(3), WithShell(true), WithEdit(true, nil))
	f := m.Render(80, 24)
	s := f.String()
	for _, want := range []string{"leapboot\n", ">  1) entry a [default]", "grub     root", " 2) entry b ",
		"\n      cannot boot: /boot/vmlinuz: file not found\n", "Type a number", "e edit", "s shell",
		"3 devices, 2 entries, 1 problems", `Booting "entry a" in 5 s.`} {
		if !strings.Contains(s, want) {
			t.Errorf("render lacks %q:\n%s", want, s)
		}
	}
	if len(f.Lines) != 24 {
		t.Errorf("%d lines", len(f.Lines))
	}
	for i, l := range f.Lines {
		if n := len([]rune(l.Text)); n > 80 {
			t.Errorf("line %d is %d wide", i, n)
		}
	}
	if f.Lines[2].Style != Selected {
		t.Errorf("first entry not highlighted: %+v", f.Lines[2])
	}
	m.Key(R('p'))
	if s := m.Render(80, 24).String(); !strings.Contains(s, "/boot/grub/grub.cfg:3: unknown command") {
		t.Errorf("problems view:\n%s", s)
	}
	// Without the shell and editing, they are not offered.
	if s := New(mm).Render(80, 24).String(); strings.Contains(s, "shell") || strings.Contains(s, "edit") {
		t.Errorf("shell or edit offered:\n%s", s)
	}
}

func TestRenderSubmenuAndScroll(t *testing.T) {
	m := New(debianMenu(2))
	s := m.Render(80, 24).String()
	for _, want := range []string{"Advanced options for Debian GNU/Linux > [default]", "2 entries", "cannot boot: fwsetup"} {
		if !strings.Contains(s, want) {
			t.Errorf("lacks %q:\n%s", want, s)
		}
	}
	m.Key(K(KeyEnter))
	s = m.Render(80, 24).String()
	if !strings.Contains(s, "leapboot > Advanced options for Debian GNU/Linux\n") || !strings.Contains(s, ">  2) Debian GNU/Linux, with Linux 6.1 (recovery mode) [default]") {
		t.Errorf("submenu:\n%s", s)
	}
	// 40 entries on 24 rows: the highlighted one is always on screen.
	m = New(menuOf(40, 0, boot.WaitForever))
	for i := 0; i < 39; i++ {
		m.Key(K(KeyDown))
		if s := m.Render(80, 24).String(); !strings.Contains(s, "> "+pad2(i+2)+") ") {
			t.Fatalf("entry %d not shown:\n%s", i+2, s)
		}
	}
}

func pad2(i int) string {
	if i < 10 {
		return " " + string(rune('0'+i))
	}
	return string(rune('0'+i/10)) + string(rune('0'+i%10))
}

func TestRenderDetailsAndEdit(t *testing.T) {
	mm := menuOf(1, 0, boot.WaitForever)
	vol := &boot.Volume{Device: "/dev/vda2", UUID: "1234", FSType: "ext4"}
	e := &mm.Entries[0]
	e.Kernel = boot.File{Volume: vol, Path: "/boot/vmlinuz-6.1"}
	e.Initrds = []boot.File{{Volume: vol, Path: "/boot/initrd.img-6.1"}}
	e.Origin = boot.Origin{Volume: vol, Path: "/boot/grub/grub.cfg", Line: 42}
	e.Cmdline = strings.Repeat("x", 100)
	e.Err = errors.New("initrd missing")
	m := New(mm, WithEdit(true, nil))
	m.Key(R('d'))
	s := m.Render(80, 24).String()
	for _, want := range []string{"Details of entry a", "1234:/boot/grub/grub.cfg:42", "/dev/vda2 (ext4 1234)", "1234:/boot/vmlinuz-6.1", "1234:/boot/initrd.img-6.1", "Broken      initrd missing", "Cmdline     " + strings.Repeat("x", 68) + "\n            xxxx"} {
		if !strings.Contains(s, want) {
			t.Errorf("details lack %q:\n%s", want, s)
		}
	}
	m.Key(K(KeyEsc))
	m.Key(R('e'))
	f := m.Render(80, 24)
	if f.CursorX != 20 || f.CursorY != 4 {
		t.Errorf("cursor at %d,%d, want 20,4 after 100 characters", f.CursorX, f.CursorY)
	}
}

func TestRenderNeverPanics(t *testing.T) {
	ms := []boot.Menu{{Default: -1, Timeout: boot.WaitForever}, menuOf(3, 7, time.Second), debianMenu(1)}
	for _, mm := range ms {
		for _, k := range []string{"", "d", "e", "c", "p", "jjjjd", "2\r", "99\r"} {
			m := New(mm, WithEdit(true, nil))
			for _, in := range keys(k) {
				m.Key(in)
			}
			for _, sz := range [][2]int{{0, 0}, {20, 8}, {80, 24}, {200, 60}} {
				f := m.Render(sz[0], sz[1])
				if len(f.Lines) < sz[1] {
					t.Errorf("%d lines for height %d", len(f.Lines), sz[1])
				}
			}
		}
	}
}

func TestRenderLongErrorWraps(t *testing.T) {
	mm := menuOf(2, 0, boot.WaitForever)
	mm.Entries[0].Err = errors.New("initrd: /boot/initrd-that-is-not-there-and-has-a-very-long-name.img: file does not exist")
	s := New(mm).Render(80, 24).String()
	if !strings.Contains(s, "      cannot boot: initrd: /boot/initrd-that-is-not-there-and-has-a-very-long-na\n                   me.img: file does not exist\n") {
		t.Errorf("not wrapped:\n%s", s)
	}
	mm.Entries[0].Err = errors.New(strings.Repeat("0123456789", 30))
	s = New(mm).Render(80, 24).String()
	if strings.Count(s, "0123") != 16 || !strings.Contains(s, "~\n") {
		t.Errorf("not cut at three rows:\n%s", s)
	}
}
