package menu

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leapboot/leapboot/boot"
)

// pty opens a pseudo-terminal: the menu gets the terminal side, the test
// types on and reads from the other, as a person on a serial line does.
func pty(t testing.TB) (term, ctl *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(int(ctl.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ctl.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	term, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { term.Close(); ctl.Close() })
	return term, ctl
}

// output collects what a terminal was sent.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) read(f *os.File) {
	b := make([]byte, 4096)
	for {
		n, err := f.Read(b)
		o.mu.Lock()
		o.buf.Write(b[:n])
		o.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (o *output) text() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

func (o *output) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Len()
}

// screen is what a terminal shows after all the output so far.
func (o *output) screen() string {
	v := newVT(80, 24)
	v.write(o.text())
	return v.String()
}

// wait waits until the screen shows re.
func (o *output) wait(t testing.TB, re string) {
	t.Helper()
	rx := regexp.MustCompile(re)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if rx.MatchString(o.screen()) {
			return
		}
	}
	t.Fatalf("%q not shown; the screen is\n%s", re, o.screen())
}

// TestRunTwoConsoles: the menu is drawn on two terminals of different
// types at once, a key typed on either one drives it, and escape sequences
// (arrows, End) are decoded.
func TestRunTwoConsoles(t *testing.T) {
	t1, c1 := pty(t)
	t2, c2 := pty(t)
	var o1, o2 output
	go o1.read(c1)
	go o2.read(c2)
	m := New(debianMenu(0), WithEdit(true, nil))
	done := make(chan Action)
	go func() {
		done <- Run(context.Background(), m, []Console{{File: t1, Term: "vt220"}, {File: t2, Term: "linux"}}, 50*time.Millisecond)
	}()
	o1.wait(t, `Booting "Debian GNU/Linux" in \d s`)
	o2.wait(t, `Booting "Debian GNU/Linux" in \d s`)
	// Down arrow on the serial one (VT220 sends CSI B), Enter opens the
	// submenu; down arrow on the other (SS3 B, application mode), then e,
	// End, a word, Enter.
	c1.WriteString("\x1b[B\r")
	o2.wait(t, `leapboot > Advanced options`)
	c2.WriteString("\x1bOBe")
	o1.wait(t, `Edit the command line`)
	c1.WriteString("\x1b[4~ x=1\r")
	select {
	case a := <-done:
		if a != Boot || m.Chosen != 2 || m.Edited == nil || *m.Edited != "ro single x=1" {
			t.Fatalf("action %v, chosen %d, edited %v", a, m.Chosen, m.Edited)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the menu did not return")
	}
	// The terminals are given back: their modes restored.
	if tio, err := unix.IoctlGetTermios(int(t1.Fd()), unix.TCGETS); err != nil || tio.Lflag&unix.ICANON == 0 {
		t.Errorf("terminal left in raw mode")
	}
}

// TestRunCountdownBoots: untouched, the default boots when the time is up.
func TestRunCountdownBoots(t *testing.T) {
	t1, c1 := pty(t)
	go (&output{}).read(c1)
	m := New(menuOf(3, 2, 150*time.Millisecond))
	if a := Run(context.Background(), m, []Console{{File: t1}}, 50*time.Millisecond); a != Boot || m.Chosen != 2 {
		t.Fatalf("Run = %v, chosen %d", a, m.Chosen)
	}
}

func TestTermFor(t *testing.T) {
	for dev, want := range map[string]string{"/dev/tty0": "linux", "/dev/tty1": "linux", "/dev/console": "linux",
		"/dev/ttyS0": "vt220", "/dev/ttyAMA0": "vt220", "/dev/hvc0": "vt220", "/dev/ttyUSB0": "vt220"} {
		if got := TermFor(dev); got != want {
			t.Errorf("TermFor(%s) = %s, want %s", dev, got, want)
		}
	}
}

// BenchmarkArrowKey reports the bytes sent to a VT220 for one arrow key
// on a full menu: tcell redraws only the two rows whose highlight moved.
func BenchmarkArrowKey(b *testing.B) {
	term, ctl := pty(b)
	var o output
	go o.read(ctl)
	mm := menuOf(15, 0, boot.WaitForever)
	m := New(mm)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Action)
	go func() { done <- Run(ctx, m, []Console{{File: term, Term: "vt220"}}, time.Hour) }()
	settle := func() {
		last := -1
		for o.len() != last {
			last = o.len()
			time.Sleep(20 * time.Millisecond)
		}
	}
	settle()
	full := o.len()
	b.ResetTimer()
	before := o.len()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			ctl.WriteString("\x1b[B")
		} else {
			ctl.WriteString("\x1b[A")
		}
		settle()
	}
	b.StopTimer()
	perKey := float64(o.len()-before) / float64(b.N)
	b.ReportMetric(perKey, "bytes/key")
	b.ReportMetric(float64(full), "bytes/fullscreen")
	cancel()
	<-done
	if perKey > float64(full)/4 {
		b.Errorf("an arrow key sent %.0f bytes; the whole screen is %d", perKey, full)
	}
	if !strings.Contains(o.text(), "entry a") {
		b.Error("menu not drawn")
	}
}

// TestRunNoConsoleStillBoots: with no console that works, the countdown
// still boots the default.
func TestRunNoConsoleStillBoots(t *testing.T) {
	m := New(menuOf(2, 1, 100*time.Millisecond))
	if a := Run(context.Background(), m, []Console{{File: os.NewFile(^uintptr(0), "/nonexistent/tty")}}, 20*time.Millisecond); a != Boot || m.Chosen != 1 {
		t.Fatalf("Run = %v, chosen %d", a, m.Chosen)
	}
	if a := Run(context.Background(), New(menuOf(2, 1, boot.WaitForever)), nil, time.Millisecond); a != None {
		t.Fatalf("Run without consoles or countdown = %v", a)
	}
}

// TestRunLFIsEnter: "4\n" (a CR the console's own mode turned into LF
// before the menu set raw mode) picks entry 4.
func TestRunLFIsEnter(t *testing.T) {
	t1, c1 := pty(t)
	go (&output{}).read(c1)
	m := New(menuOf(5, 0, boot.WaitForever))
	c1.WriteString("4\n")
	if a := Run(context.Background(), m, []Console{{File: t1, Term: "vt220"}}, time.Second); a != Boot || m.Chosen != 3 {
		t.Fatalf("Run = %v, chosen %d", a, m.Chosen)
	}
}
