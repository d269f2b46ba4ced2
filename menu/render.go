package menu

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/leapboot/leapboot/boot"
)

// Style is how a line is drawn.
type Style int

// The styles. Drivers map them to terminal attributes; on a terminal
// without colours Selected is reverse video.
const (
	Normal Style = iota
	Title
	Selected
	Error
	Dim
)

// Line is one screen row.
type Line struct {
	Text  string
	Style Style
}

// Frame is a whole screen: exactly the rows asked for, none wider than the
// width, and where the cursor goes (CursorY < 0: hidden).
type Frame struct {
	Lines            []Line
	CursorX, CursorY int
}

// String is the frame as plain text, one row a line, for tests.
func (f Frame) String() string {
	var b strings.Builder
	for _, l := range f.Lines {
		b.WriteString(strings.TrimRight(l.Text, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// Help texts on the list screen.
const (
	helpKeys = "Type a number and Enter, or move with arrows/j/k and press Enter. Esc: back."
)

func (m *Model) helpCommands() string {
	s := "d details  c config  p problems  r rescan"
	if m.opt.allowEdit {
		s = "e edit  " + s
	}
	if m.opt.allowShell {
		s += "  s shell"
	}
	return s
}

// Render draws the model on a w×h screen.
func (m *Model) Render(w, h int) Frame {
	w, h = max(w, 20), max(h, 8)
	f := Frame{CursorY: -1}
	put := func(y int, s string, st Style) {
		if y >= 0 && y < h {
			f.Lines[y] = Line{clip(s, w), st}
		}
	}
	f.Lines = make([]Line, h)
	put(h-1, m.StatusLine(), Normal)
	if m.Counting && m.opt.style != StyleMenu {
		if m.opt.style == StyleHidden {
			put(h-1, "", Normal)
		}
		return f
	}
	var body []Line
	var head string
	switch m.mode {
	case modeList:
		m.renderList(&f, w, h)
		return f
	case modeEdit:
		e := m.Menu.Entries[m.Selected()]
		put(0, "Edit the command line of "+e.Title, Title)
		put(1, "Enter boots it once, Esc cancels. Arrows, Home/End, Backspace, Delete, ^K ^U.", Dim)
		rows := wrap(string(m.edit), w)
		for i, r := range rows {
			put(3+i, r, Normal)
		}
		f.CursorX, f.CursorY = m.cursor%w, 3+m.cursor/w
		if f.CursorY >= h-1 {
			f.CursorY = h - 2
		}
		return f
	case modePassword:
		put(0, "Editing needs the password", Title)
		put(2, "Password: "+strings.Repeat("*", len(m.pass)), Normal)
		put(4, "Enter checks it, Esc cancels.", Dim)
		f.CursorX, f.CursorY = min(10+len(m.pass), w-1), 2
		return f
	case modeDetails:
		e := &m.Menu.Entries[m.Selected()]
		head = "Details of " + e.Title
		body = details(e, w)
	case modeConfig:
		head = "Effective configuration"
		if m.opt.config == "" {
			body = append(body, Line{Text: "(the built-in defaults)"})
		}
		for _, l := range strings.Split(strings.TrimRight(m.opt.config, "\n"), "\n") {
			for _, r := range wrap(l, w) {
				body = append(body, Line{Text: r})
			}
		}
	case modeProblems:
		head = "Problems"
		p := m.Problems()
		if len(p) == 0 {
			body = append(body, Line{Text: "None."})
		}
		for _, s := range p {
			for i, r := range wrap(s, w-2) {
				pre := "  "
				if i == 0 {
					pre = "! "
				}
				body = append(body, Line{Text: pre + r, Style: Error})
			}
		}
	}
	put(0, head, Title)
	area := h - 4
	m.scroll = min(m.scroll, max(len(body)-area, 0))
	for i := 0; i < area && m.scroll+i < len(body); i++ {
		l := body[m.scroll+i]
		put(2+i, l.Text, l.Style)
	}
	put(h-2, "Arrows scroll; any other key goes back.", Dim)
	return f
}

func (m *Model) renderList(f *Frame, w, h int) {
	put := func(y int, s string, st Style) { f.Lines[y] = Line{clip(s, w), st} }
	head := "leapboot"
	if p := m.Path(); len(p) > 0 {
		head += " > " + strings.Join(p, " > ")
	}
	put(0, head, Title)
	l := m.cur()
	type row struct {
		Line
		item int
	}
	var rows []row
	if len(m.Menu.Entries) == 0 {
		rows = append(rows, row{Line{Text: "  No boot entries found. r rescans."}, -1})
	}
	volw := 0
	for _, c := range l.n.children {
		if c.entry >= 0 {
			if v := volumeOf(&m.Menu.Entries[c.entry]); v != nil {
				volw = max(volw, min(utf8.RuneCountInString(v.Name()), 14))
			}
		}
	}
	for i, c := range l.n.children {
		mark := "  "
		st := Normal
		if i == l.sel {
			mark, st = "> ", Selected
		}
		title, right := c.title, ""
		var e *boot.Entry
		if c.entry >= 0 {
			e = &m.Menu.Entries[c.entry]
			vol := ""
			if v := volumeOf(e); v != nil {
				vol = clip(v.Name(), volw)
			}
			right = strings.TrimRight(fmt.Sprintf(" %-8s %-*s", e.Source, volw, vol), " ")
			right = pad(right, 10+volw)
		} else {
			title += " >"
			right = fmt.Sprintf(" %d entries", countEntries(c))
		}
		if c.hasDef {
			title += " [default]"
		}
		left := fmt.Sprintf("%s%2d) ", mark, i+1)
		room := w - utf8.RuneCountInString(left) - utf8.RuneCountInString(right)
		if room < 10 {
			right, room = "", w-utf8.RuneCountInString(left)
		}
		text := left + pad(clip(title, room), room) + right
		rows = append(rows, row{Line{text, st}, i})
		if e != nil && e.Err != nil {
			// Up to three rows; d shows all of it.
			const lead = "      cannot boot: "
			n := utf8.RuneCountInString(lead)
			parts := wrap(brokenText(e), w-n)
			for k, p := range parts {
				switch {
				case k == 0:
					p = lead + p
				case k == 2 && len(parts) > 3:
					p = strings.Repeat(" ", n) + clip(p+"~", w-n)
				case k > 2:
					continue
				default:
					p = strings.Repeat(" ", n) + p
				}
				rows = append(rows, row{Line{p, Error}, i})
			}
		}
	}
	area := h - 7
	first, last := 0, 0
	for j, r := range rows {
		if r.item == l.sel {
			if first == 0 || rows[first].item != l.sel {
				first = j
			}
			last = j
		}
	}
	top := 0
	if last >= area {
		top = last - area + 1
	}
	_ = first
	for j := 0; j < area && top+j < len(rows); j++ {
		put(2+j, rows[top+j].Text, rows[top+j].Style)
	}
	if top > 0 {
		put(1, "  (more above)", Dim)
	}
	if top+area < len(rows) {
		put(2+area, "  (more below)", Dim)
	}
	put(h-4, helpKeys, Dim)
	put(h-3, m.helpCommands(), Dim)
	probs := len(m.Problems())
	info := fmt.Sprintf("%d devices, %d entries, %d problems", m.opt.devices, len(m.Menu.Entries), probs)
	st := Dim
	if probs > 0 {
		info += " (p shows them)"
		st = Error
	}
	put(h-2, info, st)
}

// brokenText is why an entry cannot boot, without the "grub: FILE:LINE: "
// its parser put first: the list has no room for it, and d shows it.
func brokenText(e *boot.Entry) string {
	msg := e.Err.Error()
	if e.Origin.Path != "" {
		prefix := fmt.Sprintf("%s: %s:%d: ", e.Source, e.Origin.Path, e.Origin.Line)
		msg = strings.TrimPrefix(msg, prefix)
	}
	return msg
}

func volumeOf(e *boot.Entry) *boot.Volume {
	switch {
	case e.UKI != nil && e.UKI.Volume != nil:
		return e.UKI.Volume
	case e.Kernel.Volume != nil:
		return e.Kernel.Volume
	}
	return e.Origin.Volume
}

func countEntries(n *node) int {
	if n.entry >= 0 {
		return 1
	}
	c := 0
	for _, k := range n.children {
		c += countEntries(k)
	}
	return c
}

func details(e *boot.Entry, w int) []Line {
	var out []Line
	field := func(name, val string, st Style) {
		const ind = 12
		rows := wrap(val, w-ind)
		if len(rows) == 0 {
			rows = []string{""}
		}
		for i, r := range rows {
			label := ""
			if i == 0 {
				label = name
			}
			out = append(out, Line{fmt.Sprintf("%-*s%s", ind, label, r), st})
		}
	}
	field("ID", e.ID, Normal)
	if len(e.Menu) > 1 {
		field("Menu", strings.Join(e.Menu, " > "), Normal)
	}
	field("Source", string(e.Source), Normal)
	field("Config", e.Origin.String(), Normal)
	field("Volume", volumeOf(e).String(), Normal)
	if e.UKI != nil {
		field("UKI", e.UKI.String(), Normal)
	}
	if !e.Kernel.IsZero() {
		field("Kernel", e.Kernel.String(), Normal)
	}
	for _, i := range e.Initrds {
		field("Initrd", i.String(), Normal)
	}
	if e.Devicetree != nil {
		field("Devicetree", e.Devicetree.String(), Normal)
	}
	if e.Version != "" {
		field("Version", e.Version, Normal)
	}
	field("Cmdline", e.Cmdline, Normal)
	if e.Err != nil {
		field("Broken", e.Err.Error(), Error)
	}
	return out
}

// clip cuts s to at most w runes, ending in "~" when it was cut. Control
// characters become '?': a title from a disk must not move the cursor.
func clip(s string, w int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	r := []rune(s)
	return string(r[:w-1]) + "~"
}

func pad(s string, w int) string {
	if n := utf8.RuneCountInString(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// wrap cuts s into rows of w runes.
func wrap(s string, w int) []string {
	r := []rune(s)
	var out []string
	for len(r) > w {
		out = append(out, clip(string(r[:w]), w))
		r = r[w:]
	}
	return append(out, clip(string(r), w))
}
