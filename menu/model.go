// Package menu shows the boot menu and returns what the user chose.
//
// The menu is a pure state machine (Model: keys and clock ticks in, actions
// out) that tests drive without a terminal, and a small driver (Run) that
// draws it on every console at once and feeds it the bytes typed on any of
// them.
package menu

import (
	"fmt"
	"strings"
	"time"

	"github.com/leapboot/leapboot/boot"
)

// Action is what the model asks its driver to do.
type Action int

// The actions.
const (
	None   Action = iota
	Redraw        // the whole menu changed
	Status        // only the status line changed
	Boot          // boot Model.Chosen
	Shell         // open the rescue shell
	Rescan        // look for devices again
)

// Model is the menu's state.
type Model struct {
	Menu boot.Menu
	// Sel is the highlighted entry; Typed the digits typed so far.
	Sel   int
	Typed string
	// Left is the time before the default boots; Counting is false once
	// the user pressed a key or when the menu waits forever.
	Left     time.Duration
	Counting bool
	// Chosen is the entry to boot when Key or Tick returned Boot.
	Chosen int
	// Message is shown on the status line (for example a failed boot).
	Message    string
	AllowShell bool
}

// New returns the model for a menu.
func New(m boot.Menu, allowShell bool) *Model {
	md := &Model{Menu: m, Sel: m.Default, AllowShell: allowShell, Chosen: -1}
	if md.Sel < 0 {
		md.Sel = 0
	}
	if m.Timeout >= 0 && m.Default >= 0 && len(m.Entries) > 0 {
		md.Left, md.Counting = m.Timeout, true
	}
	return md
}

// Start reports an action to take before any input: an immediate boot
// when the timeout is zero.
func (m *Model) Start() Action {
	if m.Counting && m.Left <= 0 {
		return m.boot(m.Menu.Default)
	}
	return Redraw
}

func (m *Model) boot(i int) Action {
	if i < 0 || i >= len(m.Menu.Entries) {
		return None
	}
	m.Chosen, m.Counting = i, false
	return Boot
}

// Tick advances the countdown by d.
func (m *Model) Tick(d time.Duration) Action {
	if !m.Counting {
		return None
	}
	m.Left -= d
	if m.Left <= 0 {
		return m.boot(m.Menu.Default)
	}
	return Status
}

// Key handles one input byte.
func (m *Model) Key(b byte) Action {
	m.Counting = false
	n := len(m.Menu.Entries)
	switch {
	case b >= '0' && b <= '9':
		if len(m.Typed) < 4 {
			m.Typed += string(b)
		}
		return Status
	case b == '\r' || b == '\n':
		if m.Typed != "" {
			var i int
			fmt.Sscan(m.Typed, &i)
			m.Typed = ""
			if i < 1 || i > n {
				m.Message = fmt.Sprintf("no entry %d", i)
				return Status
			}
			return m.boot(i - 1)
		}
		return m.boot(m.Sel)
	case b == 0x7f || b == 0x08:
		if m.Typed != "" {
			m.Typed = m.Typed[:len(m.Typed)-1]
		}
		return Status
	case b == 'j' && n > 0:
		m.Sel = (m.Sel + 1) % n
		return Redraw
	case b == 'k' && n > 0:
		m.Sel = (m.Sel + n - 1) % n
		return Redraw
	case b == 'r':
		return Rescan
	case b == 's' && m.AllowShell:
		return Shell
	}
	return Status
}

// Render draws the whole menu as text lines ending in "\r\n".
func (m *Model) Render() string {
	var b strings.Builder
	b.WriteString("\r\nleapboot\r\n\r\n")
	if len(m.Menu.Entries) == 0 {
		b.WriteString("  No boot entries found.\r\n")
	}
	for i, e := range m.Menu.Entries {
		mark := " "
		if i == m.Sel {
			mark = ">"
		}
		title := strings.Join(e.Menu, " > ")
		if title == "" {
			title = e.Title
		}
		extra := ""
		if i == m.Menu.Default {
			extra = " [default]"
		}
		fmt.Fprintf(&b, "%s %2d) %s (%s)%s\r\n", mark, i+1, title, e.Source, extra)
		if e.Err != nil {
			fmt.Fprintf(&b, "       cannot boot: %v\r\n", e.Err)
		}
	}
	for _, d := range m.Menu.Diagnostics {
		fmt.Fprintf(&b, "  ! %s\r\n", d)
	}
	help := "Type a number and Enter, or Enter for the highlighted entry; j/k move; r rescans"
	if m.AllowShell {
		help += "; s opens a shell"
	}
	b.WriteString("\r\n" + help + ".\r\n")
	b.WriteString(m.StatusLine())
	return b.String()
}

// StatusLine is the last line: countdown, typed digits, messages. It starts
// with "\r" and clears to the end of the line so it can be redrawn alone.
func (m *Model) StatusLine() string {
	var s []string
	if m.Message != "" {
		s = append(s, m.Message)
	}
	if m.Counting {
		sec := (m.Left + time.Second - 1) / time.Second
		s = append(s, fmt.Sprintf("Booting %q in %d s.", m.Menu.Entries[m.Menu.Default].Title, sec))
	}
	if m.Typed != "" {
		s = append(s, "Entry: "+m.Typed)
	}
	return "\r" + strings.Join(s, " ") + "\x1b[K"
}
