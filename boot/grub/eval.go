package grub

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/leapboot/leapboot/boot"
)

// variable is one GRUB environment variable.
type variable struct {
	val      string
	exported bool
}

// envContext is a GRUB environment context: the variables and the menu
// being built. configfile and submenu open a new one that inherits only
// the exported variables.
type envContext struct {
	vars map[string]*variable
	menu *menuList
}

func (c *envContext) clone() *envContext {
	n := &envContext{vars: make(map[string]*variable, len(c.vars)), menu: c.menu}
	for k, v := range c.vars {
		cp := *v
		n.vars[k] = &cp
	}
	return n
}

// child is the new context GRUB opens for configfile and submenu.
func (c *envContext) child() *envContext {
	n := &envContext{vars: map[string]*variable{}, menu: &menuList{}}
	for k, v := range c.vars {
		if v.exported || btrfsVars[k] {
			cp := *v
			n.vars[k] = &cp
		}
	}
	return n
}

// menuList is the menu a context builds.
type menuList struct {
	items []*menuItem
}

// menuItem is one menuentry or submenu, with its body kept for later.
type menuItem struct {
	title   string
	id      string
	args    []string
	submenu bool
	body    []node
	origin  boot.Origin
	version string // BLS "version", for Entry.Version
}

// srcRef is the file being executed, for diagnostics.
type srcRef struct {
	vol  *boot.Volume
	path string
}

type ctl int

const (
	ctlNone ctl = iota
	ctlBreak
	ctlContinue
	ctlReturn
	ctlExit
	ctlAbort
)

// interp is the evaluator's state for one Parse call.
type interp struct {
	ctx   context.Context
	o     options
	vols  []*boot.Volume
	devs  *devices
	funcs map[string][]node
	diags []boot.Diagnostic

	steps     int
	stepLimit int
	abortMsg  string
	depth     int

	cur    *envContext
	args   []string // positional parameters
	file   srcRef
	line   int
	status int
	breakN int

	boot  *bootState // set while an entry's body runs
	saves []EnvWrite
	// replaced is set when configfile produced a menu: it replaces the
	// current one and execution of the outer script stops.
	replaced *menuResult
	// loaded records every config file executed (volume + path), so that
	// the same menu is not listed twice.
	loaded      map[fileKey]bool
	countItems  int
	lastCheck   int
	seenDiag    map[boot.Diagnostic]bool
	entryIndex  int
	entryWrites map[int][]EnvWrite
	// inherited are the writes of the submenus and configfile entries
	// the entries being flattened sit under, outermost first.
	inherited []EnvWrite
	// writesKept counts the writes kept for entries (Limits.EnvWrites).
	writesKept  int
	btrfsMounts []btrfsMount
}

type fileKey struct {
	vol  *boot.Volume
	path string
}

// menuResult is a finished menu: its items and the context they run in.
type menuResult struct {
	ctx  *envContext
	file srcRef
	// writes are the grubenv writes the entry that ran configfile made
	// before its menu showed (save_env before configfile, and the file's
	// own top level): they happen when any entry of that menu boots.
	writes []EnvWrite
}

var errBudget = errors.New("step budget exhausted")

func (i *interp) diag(line int, format string, args ...any) {
	if len(i.diags) >= i.o.limits.Diagnostics {
		return
	}
	d := boot.Diagnostic{
		Origin:  boot.Origin{Volume: i.file.vol, Path: i.file.path, Line: line},
		Message: fmt.Sprintf(format, args...),
	}
	if i.seenDiag == nil {
		i.seenDiag = map[boot.Diagnostic]bool{}
	}
	if i.seenDiag[d] {
		return
	}
	i.seenDiag[d] = true
	i.diags = boot.AppendDiagnostic(i.diags, i.o.limits.Diagnostics, d)
}

// step charges one unit of work. It returns false when the budget is
// spent or the context is done; the caller then unwinds with ctlAbort.
func (i *interp) step() bool { return i.charge(1) }

// charge charges n units of work (expanding 256 bytes costs one unit).
func (i *interp) charge(n int) bool {
	if i.abortMsg != "" {
		return false
	}
	i.steps += n
	if i.steps > i.stepLimit {
		i.abortMsg = fmt.Sprintf("%v (%d steps); stopped here", errBudget, i.stepLimit)
		i.diag(i.line, "%s", i.abortMsg)
		return false
	}
	if i.steps-i.lastCheck >= 1024 {
		i.lastCheck = i.steps
	} else {
		return true
	}
	if i.ctx.Err() != nil {
		i.abortMsg = "cancelled: " + i.ctx.Err().Error()
		i.diag(i.line, "%s", i.abortMsg)
		return false
	}
	return true
}

func (i *interp) get(name string) string {
	switch name {
	case "?":
		return strconv.Itoa(i.status)
	case "#":
		if len(i.args) == 0 {
			return "0"
		}
		return strconv.Itoa(len(i.args) - 1)
	case "@", "*":
		if len(i.args) <= 1 {
			return ""
		}
		return strings.Join(i.args[1:], " ")
	}
	if name == "" {
		return ""
	}
	if isDigit(name[0]) {
		n, err := strconv.Atoi(name)
		if err != nil || n <= 0 || n >= len(i.args) {
			return ""
		}
		return i.args[n]
	}
	if v, ok := i.cur.vars[name]; ok {
		return v.val
	}
	return ""
}

func (i *interp) set(name, val string) {
	if len(val) > i.o.limits.ValueSize {
		i.diag(i.line, "value of %s is longer than %d bytes; truncated", name, i.o.limits.ValueSize)
		val = val[:i.o.limits.ValueSize]
	}
	if name == "root" {
		// GRUB's root hook drops the parentheses: set root=(hd0,1).
		if strings.HasPrefix(val, "(") && strings.HasSuffix(val, ")") {
			val = val[1 : len(val)-1]
		}
	}
	if v, ok := i.cur.vars[name]; ok {
		v.val = val
		return
	}
	i.cur.vars[name] = &variable{val: val}
}

func (i *interp) unset(name string) { delete(i.cur.vars, name) }

func (i *interp) export(name string) {
	v, ok := i.cur.vars[name]
	if !ok {
		v = &variable{}
		i.cur.vars[name] = v
	}
	v.exported = true
}

// expandWord turns one word into zero or more fields. Unquoted variable
// values are split on blanks; an unquoted empty value adds no field, a
// quoted one adds an empty field.
func (i *interp) expandWord(w word, fields []string) []string {
	var cur strings.Builder
	have := false
	total := 0
	for _, p := range w.parts {
		if p.kind == partVar && p.quoted && p.text == "@" {
			// "$@" is each positional parameter as its own field (one
			// empty field when there are none, as grub-emu 2.06 shows).
			have = true
			for k, a := range i.args[min(1, len(i.args)):] {
				if k > 0 {
					fields = append(fields, cur.String())
					cur.Reset()
				}
				cur.WriteString(a)
				have = true
				total += len(a)
			}
			continue
		}
		var s string
		if p.kind == partLit {
			s = p.text
		} else {
			s = i.get(p.text)
		}
		total += len(s)
		if total > i.o.limits.ValueSize {
			i.diag(w.line, "word is longer than %d bytes; truncated", i.o.limits.ValueSize)
			break
		}
		if p.quoted || p.kind == partLit {
			cur.WriteString(s)
			have = true
			continue
		}
		// Unquoted variable: split on blanks.
		for j := 0; j < len(s); {
			c := s[j]
			if c == ' ' || c == '\t' || c == '\n' {
				if have {
					fields = append(fields, cur.String())
					cur.Reset()
					have = false
				}
				j++
				continue
			}
			k := j
			for k < len(s) && s[k] != ' ' && s[k] != '\t' && s[k] != '\n' {
				k++
			}
			cur.WriteString(s[j:k])
			have = true
			j = k
		}
	}
	if have {
		fields = append(fields, cur.String())
	}
	i.charge(total / 256)
	return fields
}

func (i *interp) expand(ws []word) []string {
	var out []string
	for _, w := range ws {
		n := len(out)
		out = i.expandWord(w, out)
		if hasWildcard(w) {
			out = i.globFields(out, n)
		}
		if len(out) > i.o.limits.ValueSize/8 {
			i.diag(w.line, "too many arguments; truncated")
			break
		}
	}
	return out
}

// execList runs statements in order and returns the first control signal.
func (i *interp) execList(nodes []node) ctl {
	for _, n := range nodes {
		if c := i.exec(n); c != ctlNone {
			return c
		}
	}
	return ctlNone
}

func (i *interp) exec(n node) ctl {
	i.line = n.nodeLine()
	if !i.step() {
		return ctlAbort
	}
	switch n := n.(type) {
	case *cmdNode:
		return i.execCmd(n)
	case *blockNode:
		return i.execList(n.body)
	case *ifNode:
		for k, cond := range n.conds {
			if c := i.execList(cond); c != ctlNone {
				return c
			}
			if i.status == 0 {
				return i.execList(n.bodies[k])
			}
		}
		if n.els != nil {
			return i.execList(n.els)
		}
		i.status = 0
		return ctlNone
	case *loopNode:
		for {
			if !i.step() {
				return ctlAbort
			}
			if c := i.execList(n.cond); c != ctlNone {
				return c
			}
			ok := i.status == 0
			if n.until {
				ok = !ok
			}
			if !ok {
				break
			}
			c := i.execList(n.body)
			if stop, ret := i.loopCtl(c); stop {
				return ret
			}
		}
		i.status = 0
		return ctlNone
	case *forNode:
		items := i.expand(n.items)
		for _, it := range items {
			if !i.step() {
				return ctlAbort
			}
			i.set(n.name, it)
			c := i.execList(n.body)
			if stop, ret := i.loopCtl(c); stop {
				return ret
			}
		}
		return ctlNone
	case *funcNode:
		i.funcs[n.name] = n.body
		i.status = 0
		return ctlNone
	case *menuNode:
		i.defineMenu(n)
		return ctlNone
	}
	return ctlNone
}

// loopCtl handles a body's control signal inside a loop. stop says the
// loop ends; ret is what the loop statement returns.
func (i *interp) loopCtl(c ctl) (stop bool, ret ctl) {
	switch c {
	case ctlNone:
		return false, ctlNone
	case ctlBreak:
		i.breakN--
		if i.breakN > 0 {
			return true, ctlBreak
		}
		return true, ctlNone
	case ctlContinue:
		i.breakN--
		if i.breakN > 0 {
			return true, ctlContinue
		}
		return false, ctlNone
	}
	return true, c
}

func (i *interp) execCmd(n *cmdNode) ctl {
	if len(n.words) == 0 {
		return ctlNone
	}
	argv := i.expand(n.words)
	if len(argv) == 0 {
		return ctlNone
	}
	if argv[0] == "!" {
		// "! cmd" inverts the command's status.
		if len(argv) == 1 {
			i.status = 1
			return ctlNone
		}
		c := i.call(argv[1:], n.line)
		if i.status == 0 {
			i.status = 1
		} else {
			i.status = 0
		}
		return c
	}
	return i.call(argv, n.line)
}

// call runs a command: a builtin, else a function, else a known no-op.
func (i *interp) call(argv []string, line int) ctl {
	name := argv[0]
	if b, ok := builtins[name]; ok {
		c, err := b(i, argv)
		if err != nil {
			i.status = 1
			if !errors.Is(err, errFalse) {
				i.diag(line, "%s: %v", name, err)
			}
		} else {
			i.status = 0
		}
		return c
	}
	if body, ok := i.funcs[name]; ok {
		return i.callFunc(name, body, argv, line)
	}
	if eq := strings.IndexByte(name, '='); eq >= 0 {
		// As a last resort GRUB takes "name=value" (the first expanded
		// word; other words are ignored) as an assignment.
		i.set(name[:eq], name[eq+1:])
		i.status = 0
		return ctlNone
	}
	if ignored[name] || strings.HasPrefix(name, "terminal_") {
		i.status = 0
		return ctlNone
	}
	if name == "savedefault" {
		i.saves = append(i.saves, EnvWrite{Command: "savedefault", Origin: i.origin(line)})
		i.status = 0
		return ctlNone
	}
	// GRUB prints "can't find command" and leaves $? at 0.
	i.status = 0
	i.diag(line, "unknown command %q", name)
	return ctlNone
}

func (i *interp) origin(line int) boot.Origin {
	return boot.Origin{Volume: i.file.vol, Path: i.file.path, Line: line}
}

func (i *interp) callFunc(name string, body []node, argv []string, line int) ctl {
	if i.depth >= i.o.limits.Depth {
		i.diag(line, "%s: recursion deeper than %d levels", name, i.o.limits.Depth)
		i.status = 1
		return ctlNone
	}
	i.depth++
	saved, savedBreak := i.args, i.breakN
	i.args = argv
	c := i.execList(body)
	i.args, i.breakN = saved, savedBreak
	i.depth--
	switch c {
	case ctlReturn, ctlBreak, ctlContinue:
		return ctlNone
	}
	return c
}

// defineMenu handles menuentry and submenu: the arguments are expanded
// now, the body runs when the entry is chosen.
func (i *interp) defineMenu(n *menuNode) {
	kind := "menuentry"
	if n.submenu {
		kind = "submenu"
	}
	argv := append([]string{kind}, i.expand(n.args)...)
	opts, pos, err := parseOptions(argv, menuOptions, true)
	if err != nil {
		i.status = 1
		i.diag(n.line, "%s: %v", kind, err)
		return
	}
	if len(pos) == 0 {
		i.status = 1
		i.diag(n.line, "%s: missing title", kind)
		return
	}
	if n.hidden {
		// hiddenentry (SUSE, NixOS, GRUB 2.12): reachable only by hotkey.
		i.status = 0
		return
	}
	if i.cur.menu == nil {
		i.cur.menu = &menuList{}
	}
	if i.countItems >= i.o.limits.Entries {
		if i.countItems == i.o.limits.Entries {
			i.diag(n.line, "more than %d menu entries; the rest are ignored", i.o.limits.Entries)
		}
		i.countItems++
		return
	}
	i.countItems++
	it := &menuItem{
		title:   pos[0],
		args:    pos,
		submenu: n.submenu,
		body:    n.body,
		origin:  i.origin(n.line),
	}
	if ids := opts["id"]; len(ids) > 0 {
		it.id = ids[len(ids)-1]
	}
	i.cur.menu.items = append(i.cur.menu.items, it)
	i.status = 0
}

// runFile executes a config file in the current context, statement by
// statement as GRUB's normal mode does: a syntax error spoils only the
// statement it is in.
func (i *interp) runFile(vol *boot.Volume, p string, src []byte) ctl {
	savedFile, savedLine := i.file, i.line
	i.file = srcRef{vol: vol, path: p}
	defer func() { i.file, i.line = savedFile, savedLine }()
	i.loaded[fileKey{vol, p}] = true
	ps := newParser(string(src), i.o.limits.Nesting, i.o.limits.Statements)
	for {
		n, err := ps.parseOne()
		if err != nil {
			se := err.(*syntaxError)
			i.diag(se.line, "%s", se.msg)
			if ps.nodes > i.o.limits.Statements {
				return ctlNone
			}
			if !i.step() {
				return ctlAbort
			}
			continue
		}
		if n == nil {
			return ctlNone
		}
		c := i.exec(n)
		switch c {
		case ctlAbort, ctlExit:
			return c
		case ctlReturn:
			// return outside a function ends the sourced file.
			return ctlNone
		}
	}
}

// sortedKeys is used for deterministic output.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// hasWildcard reports whether an unquoted literal part of w has a
// wildcard character.
func hasWildcard(w word) bool {
	for _, p := range w.parts {
		if p.kind == partLit && !p.quoted && strings.ContainsAny(p.text, "*?[") {
			return true
		}
	}
	return false
}

// globFields expands the fields from index n on as file name patterns,
// as GRUB does for unquoted words once its wildcard translator (the
// regexp module) is loaded. A pattern that matches nothing stays as is.
// Matches are sorted (GRUB lists them in directory order); patterns
// with more than two wildcard components are not expanded.
func (i *interp) globFields(fields []string, n int) []string {
	out := append([]string{}, fields[:n]...)
	for _, f := range fields[n:] {
		if !strings.ContainsAny(f, "*?[") || !strings.HasPrefix(f, "/") && !strings.HasPrefix(f, "(") {
			out = append(out, f)
			continue
		}
		dev, rest, hasDev := splitDevice(f)
		if !hasDev {
			rest = f
		}
		op := cleanPath(rest)
		v, p, err := i.resolve(f)
		var matches []string
		wild := 0
		for _, c := range strings.Split(p, "/") {
			if strings.ContainsAny(c, "*?[") {
				wild++
			}
		}
		// At most two wildcard components: "/*/*/*/*" on a root file
		// system would walk most of it.
		if err == nil && v.FS != nil && wild <= 2 {
			matches, _ = fs.Glob(v.FS, fsName(p))
		}
		if len(matches) == 0 {
			out = append(out, f)
			continue
		}
		if len(matches) > 1000 {
			matches = matches[:1000]
		}
		i.charge(len(matches))
		for _, m := range matches {
			m = strings.TrimPrefix(i.btrfsUnmap(v, op, "/"+m), "/")
			if hasDev {
				m = "(" + dev + ")/" + m
			} else {
				m = "/" + m
			}
			out = append(out, m)
		}
	}
	return out
}
