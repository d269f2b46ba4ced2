package grub

import (
	"strings"
)

// partKind says how one piece of a word is expanded.
type partKind uint8

const (
	partLit partKind = iota // literal text
	partVar                 // $name or ${name}
)

// part is one piece of a word. Quoted parts are never split into fields.
type part struct {
	kind   partKind
	text   string // literal text, or the variable name
	quoted bool
}

// word is one shell word as written: a sequence of parts.
type word struct {
	parts []part
	line  int
}

// literal returns the word's text when it is one unquoted, unescaped
// literal (the form keywords and assignments must have).
func (w word) literal() (string, bool) {
	if len(w.parts) != 1 || w.parts[0].kind != partLit || w.parts[0].quoted {
		return "", false
	}
	return w.parts[0].text, true
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokWord
	tokNewline
	tokSemi
	tokLBrace
	tokRBrace
)

type token struct {
	kind tokKind
	word word
	line int
	off  int // byte offset of the token's start
}

// lexer splits GRUB script text into tokens. It follows GRUB 2.06's
// yylex.l: blanks separate words; ';', newline, '{' and '}' are tokens;
// quotes and backslashes may appear anywhere inside a word; '#' starts a
// comment only at the start of a word.
type lexer struct {
	src  string
	pos  int
	line int
	err  *syntaxError
}

type syntaxError struct {
	line int
	msg  string
}

func (e *syntaxError) Error() string { return e.msg }

func newLexer(src string) *lexer { return &lexer{src: src, line: 1} }

func isNameStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isNameChar(c byte) bool { return isNameStart(c) || c >= '0' && c <= '9' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// next returns the next token. On a lexical error (an unterminated quote)
// it records l.err and returns EOF.
func (l *lexer) next() token {
	for {
		// Skip blanks and line continuations.
		for l.pos < len(l.src) {
			c := l.src[l.pos]
			if c == ' ' || c == '\t' || c == '\r' {
				l.pos++
				continue
			}
			if c == '\\' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\n' {
				l.pos += 2
				l.line++
				continue
			}
			break
		}
		if l.pos >= len(l.src) {
			return token{kind: tokEOF, line: l.line, off: l.pos}
		}
		c := l.src[l.pos]
		start := l.pos
		switch c {
		case '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
			continue
		case '\n':
			l.pos++
			l.line++
			return token{kind: tokNewline, line: l.line - 1, off: start}
		case ';':
			l.pos++
			return token{kind: tokSemi, line: l.line, off: start}
		case '{':
			l.pos++
			return token{kind: tokLBrace, line: l.line, off: start}
		case '}':
			l.pos++
			return token{kind: tokRBrace, line: l.line, off: start}
		}
		line := l.line
		w, ok := l.word()
		if !ok {
			return token{kind: tokEOF, line: l.line, off: l.pos}
		}
		w.line = line
		return token{kind: tokWord, word: w, line: line, off: start}
	}
}

// word reads one word starting at l.pos.
func (l *lexer) word() (word, bool) {
	var w word
	var lit strings.Builder
	quoted := false
	flush := func() {
		if lit.Len() > 0 {
			w.parts = append(w.parts, part{kind: partLit, text: lit.String(), quoted: quoted})
			lit.Reset()
		}
	}
	addVar := func(name string, q bool) {
		flush()
		w.parts = append(w.parts, part{kind: partVar, text: name, quoted: q})
	}
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch c {
		case ' ', '\t', '\r', '\n', ';', '{', '}':
			flush()
			return w, true
		case '\\':
			if l.pos+1 >= len(l.src) {
				l.pos++
				continue
			}
			n := l.src[l.pos+1]
			if n == 'x' && l.pos+3 < len(l.src) && isHex(l.src[l.pos+2]) && isHex(l.src[l.pos+3]) {
				// \xHH stays as written, as in the GRUB of Red Hat,
				// Fedora and CentOS ("Pass \x[[:hex:]][[:hex:]] straight
				// through unmolested"), whose install media rely on it
				// (inst.stage2=hd:LABEL=CentOS\x207\x20x86_64);
				// loaderCmdline passes it on to the kernel the same way.
				flush()
				quoted = true
				lit.WriteString(l.src[l.pos : l.pos+4])
				flush()
				quoted = false
				l.pos += 4
				continue
			}
			l.pos += 2
			if n == '\n' {
				l.line++
				continue
			}
			// An escaped character is literal; mark it quoted so it is
			// neither split nor taken as a keyword.
			flush()
			quoted = true
			lit.WriteByte(n)
			flush()
			quoted = false
		case '\'':
			flush()
			end := strings.IndexByte(l.src[l.pos+1:], '\'')
			if end < 0 {
				l.err = &syntaxError{line: l.line, msg: "unterminated single quote"}
				l.pos = len(l.src)
				return w, false
			}
			s := l.src[l.pos+1 : l.pos+1+end]
			l.line += strings.Count(s, "\n")
			l.pos += end + 2
			// An empty '' still makes the word exist.
			w.parts = append(w.parts, part{kind: partLit, text: s, quoted: true})
		case '"':
			flush()
			l.pos++
			if !l.dquote(&w) {
				return w, false
			}
		case '$':
			if name, ok := l.variable(); ok {
				addVar(name, false)
			} else {
				lit.WriteByte('$')
				l.pos++
			}
		default:
			lit.WriteByte(c)
			l.pos++
		}
	}
	flush()
	return w, true
}

// dquote reads the inside of a double-quoted string (after the opening
// quote) and appends its parts to w.
func (l *lexer) dquote(w *word) bool {
	var lit strings.Builder
	any := false
	flush := func() {
		if lit.Len() > 0 {
			w.parts = append(w.parts, part{kind: partLit, text: lit.String(), quoted: true})
			lit.Reset()
			any = true
		}
	}
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch c {
		case '"':
			l.pos++
			flush()
			if !any {
				w.parts = append(w.parts, part{kind: partLit, text: "", quoted: true})
			}
			return true
		case '\\':
			if l.pos+1 < len(l.src) {
				n := l.src[l.pos+1]
				switch n {
				case '\n':
					l.pos += 2
					l.line++
					continue
				case '"', '\\', '$':
					lit.WriteByte(n)
					l.pos += 2
					continue
				}
			}
			lit.WriteByte('\\')
			l.pos++
		case '$':
			if name, ok := l.variable(); ok {
				flush()
				w.parts = append(w.parts, part{kind: partVar, text: name, quoted: true})
				any = true
			} else {
				lit.WriteByte('$')
				l.pos++
			}
		case '\n':
			l.line++
			lit.WriteByte(c)
			l.pos++
		default:
			lit.WriteByte(c)
			l.pos++
		}
	}
	l.err = &syntaxError{line: l.line, msg: "unterminated double quote"}
	return false
}

// variable reads a variable reference at l.pos ('$'). It returns false,
// consuming nothing, when the '$' does not start one.
func (l *lexer) variable() (string, bool) {
	s := l.src
	i := l.pos + 1
	if i >= len(s) {
		return "", false
	}
	c := s[i]
	switch {
	case c == '{':
		end := strings.IndexByte(s[i+1:], '}')
		if end < 0 {
			return "", false
		}
		name := s[i+1 : i+1+end]
		if !validVarName(name) {
			return "", false
		}
		l.pos = i + 1 + end + 1
		return name, true
	case c == '?' || c == '#' || c == '@' || c == '*':
		l.pos = i + 1
		return string(c), true
	case isDigit(c):
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		l.pos = j
		return s[i:j], true
	case isNameStart(c):
		j := i
		for j < len(s) && isNameChar(s[j]) {
			j++
		}
		l.pos = j
		return s[i:j], true
	}
	return "", false
}

func validVarName(name string) bool {
	if name == "" {
		return false
	}
	if name == "?" || name == "#" || name == "@" || name == "*" {
		return true
	}
	if isDigit(name[0]) {
		for i := 0; i < len(name); i++ {
			if !isDigit(name[i]) {
				return false
			}
		}
		return true
	}
	if !isNameStart(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if !isNameChar(name[i]) {
			return false
		}
	}
	return true
}
