package menu

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/gdamore/tcell/v2/terminfo"
	_ "github.com/gdamore/tcell/v2/terminfo/l/linux" // the VGA/framebuffer console
	_ "github.com/gdamore/tcell/v2/terminfo/v/vt100" // the least a serial terminal does
	_ "github.com/gdamore/tcell/v2/terminfo/v/vt220" // serial consoles
	_ "github.com/gdamore/tcell/v2/terminfo/x/xterm" // terminal emulators
	"golang.org/x/sys/unix"
)

// Console is one terminal the menu runs on.
type Console struct {
	// File is the terminal device (or, in tests, one end of a pipe).
	File *os.File
	// Term is the terminfo name: "linux", "vt220", "vt100" or "xterm".
	// Empty picks one from the device name (TermFor).
	Term string
}

// TermFor picks the terminal type for a console device: "linux" for the
// virtual consoles (tty0, tty1, ...), "vt220" for serial lines, which have no
// TERM and, on the other end, usually a VT220-compatible emulator.
func TermFor(dev string) string {
	name := dev[strings.LastIndexByte(dev, '/')+1:]
	if name == "console" || (strings.HasPrefix(name, "tty") && len(name) > 3 && name[3] >= '0' && name[3] <= '9') {
		return "linux"
	}
	return "vt220"
}

// Run draws the model on every console and feeds it the keys typed on any
// of them until it asks for Boot, Shell or Rescan. The countdown ticks
// every tick; without any usable console it still runs, and Run returns
// None at once only when there is neither a console nor a countdown, or
// when ctx ends. It leaves the terminals as it found them (screens
// cleared, modes restored).
func Run(ctx context.Context, m *Model, consoles []Console, tick time.Duration) Action {
	if act := m.Start(); act != None {
		return act
	}
	events := make(chan tcell.Event, 64)
	var screens []tcell.Screen
	for _, c := range consoles {
		s, err := newScreen(c)
		if err != nil {
			continue
		}
		screens = append(screens, s)
		go func(s tcell.Screen) {
			for {
				ev := s.PollEvent()
				if ev == nil {
					return
				}
				select {
				case events <- ev:
				case <-ctx.Done():
					return
				}
			}
		}(s)
	}
	defer func() {
		for _, s := range screens {
			s.Fini()
			if t, ok := s.Tty(); ok {
				t.Close()
			}
		}
	}()
	if len(screens) == 0 {
		// No terminal to show the menu on: the countdown still boots the
		// default, as a headless machine needs.
		if !m.Counting {
			return None
		}
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return None
			case <-t.C:
				if act := m.Tick(tick); act != None {
					return act
				}
			}
		}
	}
	// Within one view only the changed cells are sent; a new view (a
	// submenu, the editor, details) is sent whole, which also repairs a
	// serial terminal that lost a few bytes.
	view := -1
	draw := func() {
		full := m.view() != view
		view = m.view()
		for _, s := range screens {
			w, h := s.Size()
			paint(s, m.Render(w, h))
			if full {
				s.Sync()
			} else {
				s.Show()
			}
		}
	}
	draw()
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		act := None
		select {
		case <-ctx.Done():
			return None
		case ev := <-events:
			switch ev := ev.(type) {
			case *tcell.EventKey:
				in, ok := decode(ev)
				if !ok {
					continue
				}
				act = m.Key(in)
			case *tcell.EventResize:
				for _, s := range screens {
					s.Sync()
				}
			case *tcell.EventError:
				// A console went away; the others go on.
				continue
			default:
				continue
			}
		case <-t.C:
			if !m.Counting {
				continue
			}
			act = m.Tick(tick)
		}
		if act != None {
			return act
		}
		draw()
	}
}

// newScreen starts tcell on a console.
func newScreen(c Console) (tcell.Screen, error) {
	if c.File == nil {
		return nil, errors.New("menu: no console")
	}
	name := c.Term
	if name == "" {
		name = TermFor(c.File.Name())
	}
	ti, err := terminfo.LookupTerminfo(name)
	if err != nil {
		return nil, err
	}
	// A file of our own: the caller's may be in blocking mode (after
	// File.Fd), where a read deadline cannot stop tcell's reader and Fini
	// would wait for a key forever.
	f, err := os.OpenFile(c.File.Name(), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	s, err := tcell.NewTerminfoScreenFromTtyTerminfo(&tty{f: f}, ti)
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := s.Init(); err != nil {
		f.Close()
		return nil, err
	}
	s.SetStyle(tcell.StyleDefault)
	return s, nil
}

var styles = map[Style]tcell.Style{
	Normal:   tcell.StyleDefault,
	Title:    tcell.StyleDefault.Bold(true),
	Selected: tcell.StyleDefault.Reverse(true),
	Error:    tcell.StyleDefault.Foreground(tcell.ColorRed),
	Dim:      tcell.StyleDefault,
}

// paint puts a frame into tcell's cell buffer; Show then sends only the
// cells that changed.
func paint(s tcell.Screen, f Frame) {
	w, h := s.Size()
	for y := 0; y < h; y++ {
		var l Line
		if y < len(f.Lines) {
			l = f.Lines[y]
		}
		st := styles[l.Style]
		x := 0
		for _, r := range l.Text {
			if x >= w {
				break
			}
			s.SetContent(x, y, r, nil, st)
			x++
		}
		for ; x < w; x++ {
			// A selected row is highlighted across the screen.
			fill := tcell.StyleDefault
			if l.Style == Selected {
				fill = st
			}
			s.SetContent(x, y, ' ', nil, fill)
		}
	}
	if f.CursorY >= 0 {
		s.ShowCursor(f.CursorX, f.CursorY)
	} else {
		s.HideCursor()
	}
}

// decode turns tcell's key event into the model's Input.
func decode(ev *tcell.EventKey) (Input, bool) {
	switch ev.Key() {
	case tcell.KeyRune:
		return R(ev.Rune()), true
	case tcell.KeyUp:
		return K(KeyUp), true
	case tcell.KeyDown:
		return K(KeyDown), true
	case tcell.KeyLeft:
		return K(KeyLeft), true
	case tcell.KeyRight:
		return K(KeyRight), true
	case tcell.KeyHome:
		return K(KeyHome), true
	case tcell.KeyEnd:
		return K(KeyEnd), true
	case tcell.KeyPgUp:
		return K(KeyPgUp), true
	case tcell.KeyPgDn:
		return K(KeyPgDn), true
	case tcell.KeyEnter, tcell.KeyLF, tcell.KeyCtrlJ:
		// ^J too: a key typed while no menu runs (between a failed boot
		// and the next menu) meets the console's own mode, which turns
		// CR into LF, and tcell reports a lone LF as ^J.
		return K(KeyEnter), true
	case tcell.KeyEscape:
		return K(KeyEsc), true
	case tcell.KeyBackspace, tcell.KeyBackspace2:
		return K(KeyBackspace), true
	case tcell.KeyDelete:
		return K(KeyDelete), true
	case tcell.KeyTab:
		return K(KeyTab), true
	case tcell.KeyCtrlA:
		return K(KeyCtrlA), true
	case tcell.KeyCtrlE:
		return K(KeyCtrlE), true
	case tcell.KeyCtrlK:
		return K(KeyCtrlK), true
	case tcell.KeyCtrlU:
		return K(KeyCtrlU), true
	}
	return K(KeyOther), true
}

// tty is tcell's view of a console: raw mode while the menu runs, reads
// that a deadline can interrupt, and 80x24 when the device does not know
// its size (a serial line).
type tty struct {
	f     *os.File
	saved *unix.Termios
}

// control runs fn on the file descriptor without File.Fd, which would put
// the file in blocking mode.
func (t *tty) control(fn func(fd int)) {
	if rc, err := t.f.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { fn(int(fd)) })
	}
}

func (t *tty) Start() error {
	t.control(func(fd int) {
		tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
		if err != nil {
			return
		}
		saved := *tio
		t.saved = &saved
		tio.Lflag &^= unix.ICANON | unix.ECHO | unix.ISIG | unix.IEXTEN
		tio.Iflag &^= unix.IXON | unix.ICRNL | unix.INLCR | unix.IGNCR
		tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
		_ = unix.IoctlSetTermios(fd, unix.TCSETS, tio)
	})
	_ = t.f.SetReadDeadline(time.Time{})
	return nil
}

func (t *tty) Stop() error {
	if t.saved != nil {
		t.control(func(fd int) { _ = unix.IoctlSetTermios(fd, unix.TCSETS, t.saved) })
	}
	return nil
}

func (t *tty) Drain() error {
	_ = t.f.SetReadDeadline(time.Now())
	return nil
}

func (t *tty) NotifyResize(func()) {}

func (t *tty) WindowSize() (tcell.WindowSize, error) {
	ws := tcell.WindowSize{Width: 80, Height: 24}
	t.control(func(fd int) {
		if sz, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ); err == nil && sz.Col > 0 && sz.Row > 0 {
			ws.Width, ws.Height = int(sz.Col), int(sz.Row)
		}
	})
	return ws, nil
}

func (t *tty) Read(b []byte) (int, error)  { return t.f.Read(b) }
func (t *tty) Write(b []byte) (int, error) { return t.f.Write(b) }

func (t *tty) Close() error { return t.f.Close() }
