// Package menu shows the boot menu and returns what the user chose.
//
// The menu is a pure state machine (Model: keys and clock ticks in, actions
// out, and a Frame of text lines to show) that tests drive without a
// terminal, and a driver (Run) that draws the frame with tcell on every
// console at once and feeds the model the keys typed on any of them. tcell
// decodes the escape sequences and redraws only the cells that changed, so
// an arrow key costs a few bytes on a serial line.
package menu

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/leapboot/leapboot/boot"
)

// Action is what the model asks its driver to do.
type Action int

// The actions.
const (
	None   Action = iota // keep showing the menu
	Boot                 // boot Model.Chosen (with Model.Edited, when set)
	Shell                // open the rescue shell
	Rescan               // look for devices again
)

func (a Action) String() string {
	switch a {
	case Boot:
		return "Boot"
	case Shell:
		return "Shell"
	case Rescan:
		return "Rescan"
	}
	return "None"
}

// Key is a decoded key press.
type Key int

// The keys the model knows. KeyRune carries a printable character.
const (
	KeyRune Key = iota
	KeyUp
	KeyDown
	KeyLeft
	KeyRight
	KeyHome
	KeyEnd
	KeyPgUp
	KeyPgDn
	KeyEnter
	KeyEsc
	KeyBackspace
	KeyDelete
	KeyTab
	KeyCtrlA // start of line (line editor)
	KeyCtrlE // end of line
	KeyCtrlK // delete to end of line
	KeyCtrlU // delete to start of line
	KeyOther // any other key: it only stops the countdown
)

// Input is one key press.
type Input struct {
	Key  Key
	Rune rune // for KeyRune
}

// R is the Input for a printable character.
func R(r rune) Input { return Input{Key: KeyRune, Rune: r} }

// K is the Input for a special key.
func K(k Key) Input { return Input{Key: k} }

// TimeoutStyle says what is shown while the countdown runs, as GRUB's
// timeout_style does.
type TimeoutStyle int

// The timeout styles.
const (
	StyleMenu      TimeoutStyle = iota // the menu, with the countdown on the status line
	StyleCountdown                     // only the countdown, until a key is pressed
	StyleHidden                        // a blank screen, until a key is pressed
)

// ParseTimeoutStyle reads GRUB's timeout_style words; anything else,
// "" included, is the menu.
func ParseTimeoutStyle(s string) TimeoutStyle {
	switch s {
	case "hidden":
		return StyleHidden
	case "countdown":
		return StyleCountdown
	}
	return StyleMenu
}

// Option configures a Model.
type Option func(*options)

type options struct {
	allowShell bool
	allowEdit  bool
	password   func(string) bool
	config     string
	devices    int
	warnings   []string
	style      TimeoutStyle
}

// WithShell offers the rescue shell ('s'). Without it the shell cannot be
// reached from the menu at all.
func WithShell(allow bool) Option { return func(o *options) { o.allowShell = allow } }

// WithEdit allows editing the command line ('e'); check, when not nil,
// asks for a password first and allows the edit only when it returns true.
func WithEdit(allow bool, check func(password string) bool) Option {
	return func(o *options) { o.allowEdit, o.password = allow, check }
}

// WithConfig is the effective configuration 'c' shows.
func WithConfig(text string) Option { return func(o *options) { o.config = text } }

// WithDevices is the number of block devices found, for the status line.
func WithDevices(n int) Option { return func(o *options) { o.devices = n } }

// WithWarnings are problems to show besides the menu's diagnostics (a bad
// config file, for example): they are counted on the status line and the
// first is shown at once.
func WithWarnings(w ...string) Option {
	return func(o *options) { o.warnings = append(o.warnings, w...) }
}

// WithTimeoutStyle sets what the countdown shows, instead of the menu's
// own boot.Menu.TimeoutStyle.
func WithTimeoutStyle(s TimeoutStyle) Option { return func(o *options) { o.style = s } }

// mode is what the screen shows.
type mode int

const (
	modeList mode = iota
	modeEdit
	modePassword
	modeDetails
	modeConfig
	modeProblems
)

// node is a menu item: an entry (entry >= 0) or a submenu.
type node struct {
	title    string
	entry    int
	children []*node
	hasDef   bool // the default entry is here or below
}

// level is one open (sub)menu and its highlighted item.
type level struct {
	n   *node
	sel int
}

// Model is the menu's state. Its fields are read by drivers and tests; only
// the methods change them.
type Model struct {
	Menu boot.Menu
	// Chosen is the entry (an index into Menu.Entries) to boot when Key or
	// Tick returned Boot; Edited, when not nil, is the command line the user
	// typed for this one boot.
	Chosen int
	Edited *string
	// Message is shown on the status line (for example a failed boot).
	Message string
	// Left is the time before the default boots; Counting is false once a
	// key was pressed or when the menu waits forever.
	Left     time.Duration
	Counting bool

	opt    options
	stack  []level
	typed  string
	mode   mode
	edit   []rune
	cursor int
	pass   []rune
	scroll int // first line shown in the text views
}

// New returns the model for a menu.
func New(m boot.Menu, opts ...Option) *Model {
	md := &Model{Menu: m, Chosen: -1}
	md.opt.style = ParseTimeoutStyle(m.TimeoutStyle)
	for _, o := range opts {
		o(&md.opt)
	}
	root := &node{entry: -1}
	for i, e := range m.Entries {
		cur := root
		if len(e.Menu) > 1 {
			for _, t := range e.Menu[:len(e.Menu)-1] {
				var sub *node
				if k := len(cur.children); k > 0 && cur.children[k-1].entry < 0 && cur.children[k-1].title == t {
					sub = cur.children[k-1]
				} else {
					sub = &node{title: t, entry: -1}
					cur.children = append(cur.children, sub)
				}
				if i == m.Default {
					sub.hasDef = true
				}
				cur = sub
			}
		}
		cur.children = append(cur.children, &node{title: e.Title, entry: i, hasDef: i == m.Default})
	}
	md.stack = []level{{n: root}}
	for j, c := range root.children {
		if c.hasDef {
			md.stack[0].sel = j
		}
	}
	if m.Timeout >= 0 && m.DefaultEntry() != nil {
		md.Left, md.Counting = m.Timeout, true
	}
	if len(md.opt.warnings) > 0 {
		md.Message = "warning: " + md.opt.warnings[0]
	}
	return md
}

// Start reports an action to take before any input: an immediate boot
// when the timeout is zero.
func (m *Model) Start() Action {
	if m.Counting && m.Left <= 0 {
		return m.boot(m.Menu.Default, nil)
	}
	return None
}

func (m *Model) boot(i int, edited *string) Action {
	if i < 0 || i >= len(m.Menu.Entries) {
		return None
	}
	m.Chosen, m.Edited, m.Counting = i, edited, false
	return Boot
}

// Tick advances the countdown by d.
func (m *Model) Tick(d time.Duration) Action {
	if !m.Counting {
		return None
	}
	m.Left -= d
	if m.Left <= 0 {
		return m.boot(m.Menu.Default, nil)
	}
	return None
}

// Stop stops the countdown (after a failed boot, for example).
func (m *Model) Stop() { m.Counting = false }

func (m *Model) cur() *level { return &m.stack[len(m.stack)-1] }

// view identifies what the screen shows (the mode, the open submenu, and
// whether the countdown hides the menu), so a driver knows when all of it
// changed.
func (m *Model) view() int {
	v := int(m.mode)*1000 + len(m.stack)
	if m.Counting && m.opt.style != StyleMenu {
		v = -2
	}
	return v
}

// Selected returns the highlighted entry's index, or -1 when a submenu (or
// nothing) is highlighted.
func (m *Model) Selected() int {
	l := m.cur()
	if l.sel < 0 || l.sel >= len(l.n.children) {
		return -1
	}
	return l.n.children[l.sel].entry
}

// Path is the titles of the open submenus.
func (m *Model) Path() []string {
	var p []string
	for _, l := range m.stack[1:] {
		p = append(p, l.n.title)
	}
	return p
}

// Key handles one key press.
func (m *Model) Key(in Input) Action {
	wasHidden := m.Counting && m.opt.style != StyleMenu
	m.Counting = false
	if wasHidden {
		// The first key only shows the menu, as GRUB's hidden styles do.
		return None
	}
	switch m.mode {
	case modeEdit:
		return m.editKey(in)
	case modePassword:
		return m.passwordKey(in)
	case modeDetails, modeConfig, modeProblems:
		return m.viewKey(in)
	}
	return m.listKey(in)
}

func (m *Model) listKey(in Input) Action {
	l := m.cur()
	n := len(l.n.children)
	if in.Key != KeyRune || in.Rune < '0' || in.Rune > '9' {
		if in.Key != KeyEnter && in.Key != KeyBackspace {
			m.typed = ""
		}
	}
	const page = 10
	switch in.Key {
	case KeyUp:
		l.sel = max(l.sel-1, 0)
	case KeyDown:
		l.sel = min(l.sel+1, n-1)
	case KeyHome:
		l.sel = 0
	case KeyEnd:
		l.sel = n - 1
	case KeyPgUp:
		l.sel = max(l.sel-page, 0)
	case KeyPgDn:
		l.sel = min(l.sel+page, n-1)
	case KeyEsc, KeyLeft:
		m.leave()
	case KeyRight:
		if n > 0 && l.n.children[l.sel].entry < 0 {
			return m.activate(l.sel)
		}
	case KeyBackspace:
		if m.typed != "" {
			m.typed = m.typed[:len(m.typed)-1]
		} else {
			m.leave()
		}
	case KeyEnter:
		if m.typed != "" {
			i, _ := strconv.Atoi(m.typed)
			m.typed = ""
			if i < 1 || i > n {
				m.Message = fmt.Sprintf("no entry %d", i)
				return None
			}
			l.sel = i - 1
		}
		return m.activate(l.sel)
	case KeyRune:
		return m.runeKey(in.Rune)
	}
	if l.sel < 0 {
		l.sel = 0
	}
	return None
}

func (m *Model) runeKey(r rune) Action {
	l := m.cur()
	n := len(l.n.children)
	switch r {
	case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if len(m.typed) < 4 {
			m.typed += string(r)
		}
	case 'j':
		l.sel = min(l.sel+1, n-1)
	case 'k':
		l.sel = max(l.sel-1, 0)
	case 'e':
		i := m.Selected()
		switch {
		case i < 0:
			m.Message = "highlight an entry to edit its command line"
		case !m.opt.allowEdit:
			m.Message = "editing is not allowed by the configuration"
		case m.opt.password != nil:
			m.mode, m.pass = modePassword, nil
		default:
			m.startEdit(i)
		}
	case 'd':
		if m.Selected() >= 0 {
			m.mode, m.scroll = modeDetails, 0
		}
	case 'c':
		m.mode, m.scroll = modeConfig, 0
	case 'p':
		m.mode, m.scroll = modeProblems, 0
	case 'r':
		return Rescan
	case 's':
		if m.opt.allowShell {
			return Shell
		}
	case 'q':
		m.leave()
	}
	if l.sel < 0 {
		l.sel = 0
	}
	return None
}

func (m *Model) leave() {
	if len(m.stack) > 1 {
		m.stack = m.stack[:len(m.stack)-1]
	}
}

// activate opens a submenu or boots an entry.
func (m *Model) activate(i int) Action {
	l := m.cur()
	if i < 0 || i >= len(l.n.children) {
		return None
	}
	c := l.n.children[i]
	if c.entry >= 0 {
		return m.boot(c.entry, nil)
	}
	nl := level{n: c}
	for j, cc := range c.children {
		if cc.hasDef {
			nl.sel = j
		}
	}
	m.stack = append(m.stack, nl)
	return None
}

func (m *Model) startEdit(i int) {
	m.mode = modeEdit
	m.edit = []rune(m.Menu.Entries[i].Cmdline)
	m.cursor = len(m.edit)
}

func (m *Model) passwordKey(in Input) Action {
	switch in.Key {
	case KeyRune:
		if len(m.pass) < 256 {
			m.pass = append(m.pass, in.Rune)
		}
	case KeyBackspace:
		if len(m.pass) > 0 {
			m.pass = m.pass[:len(m.pass)-1]
		}
	case KeyEsc:
		m.mode, m.pass = modeList, nil
	case KeyEnter:
		ok := m.opt.password(string(m.pass))
		m.pass = nil
		if !ok {
			m.mode, m.Message = modeList, "wrong password"
			return None
		}
		m.Message = ""
		m.startEdit(m.Selected())
	}
	return None
}

func (m *Model) editKey(in Input) Action {
	switch in.Key {
	case KeyRune:
		if unicode.IsPrint(in.Rune) && len(m.edit) < 4096 {
			m.edit = append(m.edit[:m.cursor], append([]rune{in.Rune}, m.edit[m.cursor:]...)...)
			m.cursor++
		}
	case KeyLeft:
		m.cursor = max(m.cursor-1, 0)
	case KeyRight:
		m.cursor = min(m.cursor+1, len(m.edit))
	case KeyHome, KeyCtrlA:
		m.cursor = 0
	case KeyEnd, KeyCtrlE:
		m.cursor = len(m.edit)
	case KeyBackspace:
		if m.cursor > 0 {
			m.edit = append(m.edit[:m.cursor-1], m.edit[m.cursor:]...)
			m.cursor--
		}
	case KeyDelete:
		if m.cursor < len(m.edit) {
			m.edit = append(m.edit[:m.cursor], m.edit[m.cursor+1:]...)
		}
	case KeyCtrlK:
		m.edit = m.edit[:m.cursor]
	case KeyCtrlU:
		m.edit = m.edit[m.cursor:]
		m.cursor = 0
	case KeyEsc:
		m.mode = modeList
	case KeyEnter:
		m.mode = modeList
		s := string(m.edit)
		return m.boot(m.Selected(), &s)
	}
	return None
}

func (m *Model) viewKey(in Input) Action {
	switch {
	case in.Key == KeyUp || in.Key == KeyRune && in.Rune == 'k':
		m.scroll = max(m.scroll-1, 0)
	case in.Key == KeyDown || in.Key == KeyRune && in.Rune == 'j':
		m.scroll++
	case in.Key == KeyPgUp:
		m.scroll = max(m.scroll-10, 0)
	case in.Key == KeyPgDn:
		m.scroll += 10
	case in.Key == KeyHome:
		m.scroll = 0
	default:
		m.mode = modeList
	}
	return None
}

// Problems are the warnings and the menu's diagnostics.
func (m *Model) Problems() []string {
	p := append([]string(nil), m.opt.warnings...)
	for _, d := range m.Menu.Diagnostics {
		p = append(p, d.String())
	}
	return p
}

// StatusLine is the countdown, the digits typed and the message.
func (m *Model) StatusLine() string {
	// The countdown first: a long message must not hide it.
	var s []string
	if m.Counting {
		sec := (m.Left + time.Second - 1) / time.Second
		s = append(s, fmt.Sprintf("Booting %q in %d s.", m.Menu.Entries[m.Menu.Default].Title, sec))
	}
	if m.typed != "" {
		s = append(s, "Entry: "+m.typed)
	}
	if m.Message != "" {
		s = append(s, m.Message)
	}
	return strings.Join(s, " ")
}
