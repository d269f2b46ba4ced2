package menu

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leapboot/leapboot/boot"
)

// FuzzModel: titles, submenu paths and command lines come from disks, and
// keys from a person; no mix of them may panic the menu or draw outside
// the screen.
func FuzzModel(f *testing.F) {
	f.Add("Debian GNU/Linux", "Advanced>Debian 6.1", "ro quiet", "2\rje x\r", 80, 24)
	f.Add("\x1b[2J\x00", ">>", "", "dcpq\x1b\x1b\x1b", 20, 8)
	f.Add("ä漢字🙂", "a>b>c>d", strings.Repeat("x", 300), "e\x01\x0b\x15\r", 200, 60)
	f.Fuzz(func(t *testing.T, title, path, cmdline, keys string, w, h int) {
		if w > 400 || h > 200 {
			return
		}
		m := boot.Menu{Default: len(title) % 4, Timeout: 5}
		for i := 0; i < 3; i++ {
			e := boot.Entry{ID: title, Title: title, Cmdline: cmdline, Source: boot.SourceGRUB}
			if i > 0 && path != "" {
				e.Menu = append(strings.Split(path, ">"), title)
			}
			if i == 2 {
				e.Err = errors.New(cmdline)
			}
			m.Entries = append(m.Entries, e)
		}
		md := New(m, WithEdit(true, nil), WithShell(true), WithWarnings(title))
		md.Start()
		for _, r := range keys {
			var in Input
			switch r {
			case '\r':
				in = K(KeyEnter)
			case '\x1b':
				in = K(KeyEsc)
			case 1:
				in = K(KeyCtrlA)
			case 0x0b:
				in = K(KeyCtrlK)
			case 0x15:
				in = K(KeyCtrlU)
			case 2:
				in = K(KeyLeft)
			case 6:
				in = K(KeyRight)
			case 0x0e:
				in = K(KeyDown)
			case 0x10:
				in = K(KeyUp)
			case 0x7f:
				in = K(KeyBackspace)
			default:
				in = R(r)
			}
			a := md.Key(in)
			if a == Boot && (md.Chosen < 0 || md.Chosen >= len(m.Entries)) {
				t.Fatalf("Boot of entry %d", md.Chosen)
			}
			fr := md.Render(w, h)
			for _, l := range fr.Lines {
				if n := utf8.RuneCountInString(l.Text); n > max(w, 20) {
					t.Fatalf("line of %d runes on a screen %d wide: %q", n, w, l.Text)
				}
				if strings.ContainsAny(l.Text, "\x1b\x00\r\n") {
					t.Fatalf("control character drawn: %q", l.Text)
				}
			}
		}
	})
}
