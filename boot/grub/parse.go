package grub

import (
	"fmt"
)

// The AST. Statements are values of these types; a list is a []node.
type node interface{ nodeLine() int }

type cmdNode struct {
	words []word
	line  int
}

type ifNode struct {
	conds  [][]node // if and each elif
	bodies [][]node
	els    []node // nil when there is no else
	line   int
}

type loopNode struct {
	until bool
	cond  []node
	body  []node
	line  int
}

type forNode struct {
	name  string
	items []word
	body  []node
	line  int
}

type funcNode struct {
	name string
	body []node
	line int
}

type menuNode struct {
	submenu bool
	hidden  bool
	args    []word
	body    []node
	line    int
}

type blockNode struct {
	body []node
	line int
}

func (n *cmdNode) nodeLine() int   { return n.line }
func (n *ifNode) nodeLine() int    { return n.line }
func (n *loopNode) nodeLine() int  { return n.line }
func (n *forNode) nodeLine() int   { return n.line }
func (n *funcNode) nodeLine() int  { return n.line }
func (n *menuNode) nodeLine() int  { return n.line }
func (n *blockNode) nodeLine() int { return n.line }

// parser is a recursive-descent parser over the lexer's tokens, with a
// one-token lookahead and a nesting limit.
type parser struct {
	lx       *lexer
	tok      token
	depth    int
	maxDepth int
	nodes    int
	maxNodes int
}

func newParser(src string, maxDepth, maxNodes int) *parser {
	p := &parser{lx: newLexer(src), maxDepth: maxDepth, maxNodes: maxNodes}
	p.advance()
	return p
}

func (p *parser) advance() { p.tok = p.lx.next() }

func (p *parser) fail(line int, format string, args ...any) {
	panic(&syntaxError{line: line, msg: fmt.Sprintf(format, args...)})
}

// kw reports whether the current token is the unquoted keyword k.
func (p *parser) kw(k string) bool {
	if p.tok.kind != tokWord {
		return false
	}
	s, ok := p.tok.word.literal()
	return ok && s == k
}

func (p *parser) skipSeps() {
	for p.tok.kind == tokNewline || p.tok.kind == tokSemi {
		p.advance()
	}
}

func (p *parser) skipNewlines() {
	for p.tok.kind == tokNewline {
		p.advance()
	}
}

// parseOne parses the next top-level statement, as GRUB's normal mode
// does: it reads one complete command (pulling more lines if the command
// is not finished) and returns it. It returns nil at the end of input.
// A syntax error is returned as *syntaxError; the parser then resumes at
// the next line.
func (p *parser) parseOne() (n node, err error) {
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*syntaxError)
			if !ok {
				panic(r)
			}
			err = se
			p.resync()
		}
	}()
	p.skipSeps()
	if p.lx.err != nil {
		e := p.lx.err
		p.lx.err = nil
		return nil, e
	}
	if p.tok.kind == tokEOF {
		return nil, nil
	}
	p.depth = 0
	n = p.statement(nil)
	if p.lx.err != nil {
		e := p.lx.err
		p.lx.err = nil
		return nil, e
	}
	if n == nil {
		// A stray terminator keyword or '}' at top level.
		line := p.tok.line
		desc := p.describe()
		p.advance()
		return nil, &syntaxError{line: line, msg: "syntax error: unexpected " + desc}
	}
	return n, nil
}

// resync skips to the start of the next line after a syntax error.
func (p *parser) resync() {
	if p.lx.err != nil {
		p.lx.err = nil
		p.tok = token{kind: tokEOF, line: p.lx.line}
		return
	}
	for p.tok.kind != tokNewline && p.tok.kind != tokEOF {
		p.advance()
		if p.lx.err != nil {
			p.lx.err = nil
			p.tok = token{kind: tokEOF, line: p.lx.line}
			return
		}
	}
}

func (p *parser) describe() string {
	switch p.tok.kind {
	case tokEOF:
		return "end of file"
	case tokNewline:
		return "newline"
	case tokSemi:
		return "';'"
	case tokLBrace:
		return "'{'"
	case tokRBrace:
		return "'}'"
	}
	if s, ok := p.tok.word.literal(); ok {
		return fmt.Sprintf("%q", s)
	}
	return "word"
}

// list parses statements until one of the terminator keywords (or '}'
// when rbrace is set) is the current token.
func (p *parser) list(terms []string, rbrace bool) []node {
	var out []node
	for {
		p.skipSeps()
		if p.lx.err != nil {
			p.fail(p.lx.err.line, "%s", p.lx.err.msg)
		}
		if p.tok.kind == tokEOF {
			return out
		}
		if rbrace && p.tok.kind == tokRBrace {
			return out
		}
		for _, t := range terms {
			if p.kw(t) {
				return out
			}
		}
		n := p.statement(terms)
		if n == nil {
			p.fail(p.tok.line, "syntax error: unexpected %s", p.describe())
		}
		out = append(out, n)
	}
}

func (p *parser) enter(line int) {
	p.depth++
	if p.depth > p.maxDepth {
		p.fail(line, "nesting deeper than %d levels", p.maxDepth)
	}
}

func (p *parser) count(line int) {
	p.nodes++
	if p.maxNodes > 0 && p.nodes > p.maxNodes {
		p.fail(line, "more than %d statements", p.maxNodes)
	}
}

var terminators = map[string]bool{"then": true, "elif": true, "else": true, "fi": true, "do": true, "done": true}

// statement parses one statement. It returns nil (consuming nothing) when
// the current token cannot start a statement.
func (p *parser) statement(terms []string) node {
	line := p.tok.line
	p.count(line)
	switch p.tok.kind {
	case tokLBrace:
		p.enter(line)
		p.advance()
		body := p.list(nil, true)
		p.expectRBrace(line)
		p.depth--
		return &blockNode{body: body, line: line}
	case tokWord:
	default:
		return nil
	}
	kw, _ := p.tok.word.literal()
	if terminators[kw] {
		return nil
	}
	switch kw {
	case "if":
		return p.ifStmt()
	case "while", "until":
		p.enter(line)
		p.advance()
		cond := p.list([]string{"do"}, false)
		p.expectKw("do", line)
		body := p.list([]string{"done"}, false)
		p.expectKw("done", line)
		p.depth--
		return &loopNode{until: kw == "until", cond: cond, body: body, line: line}
	case "for":
		return p.forStmt()
	case "function":
		p.enter(line)
		p.advance()
		if p.tok.kind != tokWord {
			p.fail(line, "syntax error: function needs a name")
		}
		name, ok := p.tok.word.literal()
		if !ok || !validFuncName(name) {
			p.fail(line, "syntax error: bad function name")
		}
		p.advance()
		p.skipNewlines()
		if p.tok.kind != tokLBrace {
			p.fail(line, "syntax error: function %s needs a { body }", name)
		}
		p.advance()
		body := p.list(nil, true)
		p.expectRBrace(line)
		p.depth--
		return &funcNode{name: name, body: body, line: line}
	case "menuentry", "submenu", "hiddenentry":
		p.enter(line)
		p.advance()
		var args []word
		for p.tok.kind == tokWord {
			args = append(args, p.tok.word)
			p.advance()
		}
		p.skipNewlines()
		if p.tok.kind != tokLBrace {
			p.fail(line, "syntax error: %s needs a { body }", kw)
		}
		p.advance()
		body := p.list(nil, true)
		p.expectRBrace(line)
		p.depth--
		return &menuNode{submenu: kw == "submenu", hidden: kw == "hiddenentry", args: args, body: body, line: line}
	}
	// A simple command: words up to a separator.
	var words []word
	for p.tok.kind == tokWord {
		words = append(words, p.tok.word)
		p.advance()
	}
	if p.tok.kind == tokLBrace {
		p.fail(p.tok.line, "syntax error: unexpected '{'")
	}
	return &cmdNode{words: words, line: line}
}

func validFuncName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isNameChar(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func (p *parser) expectKw(k string, line int) {
	if !p.kw(k) {
		p.fail(p.tok.line, "syntax error: expected %q (for the statement on line %d), found %s", k, line, p.describe())
	}
	p.advance()
}

func (p *parser) expectRBrace(line int) {
	if p.tok.kind != tokRBrace {
		if p.lx.err != nil {
			p.fail(p.lx.err.line, "%s", p.lx.err.msg)
		}
		p.fail(p.tok.line, "syntax error: missing '}' for the '{' on line %d", line)
	}
	p.advance()
}

func (p *parser) ifStmt() node {
	line := p.tok.line
	p.enter(line)
	p.advance()
	n := &ifNode{line: line}
	for {
		cond := p.list([]string{"then"}, false)
		p.expectKw("then", line)
		body := p.list([]string{"elif", "else", "fi"}, false)
		n.conds = append(n.conds, cond)
		n.bodies = append(n.bodies, body)
		if p.kw("elif") {
			p.advance()
			continue
		}
		if p.kw("else") {
			p.advance()
			n.els = p.list([]string{"fi"}, false)
			if n.els == nil {
				n.els = []node{}
			}
		}
		p.expectKw("fi", line)
		p.depth--
		return n
	}
}

func (p *parser) forStmt() node {
	line := p.tok.line
	p.enter(line)
	p.advance()
	if p.tok.kind != tokWord {
		p.fail(line, "syntax error: for needs a variable name")
	}
	name, ok := p.tok.word.literal()
	if !ok || !validVarName(name) {
		p.fail(line, "syntax error: bad for variable")
	}
	p.advance()
	p.skipNewlines()
	if !p.kw("in") {
		p.fail(line, "syntax error: expected \"in\" after for %s", name)
	}
	p.advance()
	var items []word
	for p.tok.kind == tokWord {
		items = append(items, p.tok.word)
		p.advance()
	}
	p.skipSeps()
	p.expectKw("do", line)
	body := p.list([]string{"done"}, false)
	p.expectKw("done", line)
	p.depth--
	return &forNode{name: name, items: items, body: body, line: line}
}

// parseAll parses a whole script, collecting syntax errors and skipping
// the statements they spoil. Used for fuzzing and for bodies.
func parseAll(src string, maxDepth, maxNodes int) ([]node, []*syntaxError) {
	p := newParser(src, maxDepth, maxNodes)
	var out []node
	var errs []*syntaxError
	for {
		n, err := p.parseOne()
		if err != nil {
			errs = append(errs, err.(*syntaxError))
			if p.nodes > maxNodes && maxNodes > 0 {
				return out, errs
			}
			continue
		}
		if n == nil {
			return out, errs
		}
		out = append(out, n)
	}
}
