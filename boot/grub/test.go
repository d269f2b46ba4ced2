package grub

import (
	"strings"
)

// cmdTest is test and [. It follows GRUB 2.06's commands/test.c: the
// arguments are read left to right; -a binds tighter than -o; a lone
// string is true when it is not empty; and no arguments at all is true.
func cmdTest(i *interp, argv []string) (ctl, error) {
	args := argv[1:]
	if argv[0] == "[" {
		if len(args) > 0 && args[len(args)-1] == "]" {
			args = args[:len(args)-1]
		}
	}
	n := 0
	if i.testParse(args, &n, 0) {
		return ctlNone, nil
	}
	return ctlNone, errFalse
}

func (i *interp) testParse(args []string, n *int, depth int) bool {
	and, or, invert := true, false, false
	update := func(v bool) {
		if invert {
			v = !v
		}
		invert = false
		and = and && v
	}
	for *n < len(args) {
		a := args[*n]
		if *n+2 < len(args) {
			if v, ok := i.testBinary(args[*n], args[*n+1], args[*n+2]); ok {
				update(v)
				*n += 3
				continue
			}
		}
		if *n+1 < len(args) {
			if v, ok := i.testUnary(a, args[*n+1]); ok {
				update(v)
				*n += 2
				continue
			}
		}
		switch a {
		case "!":
			invert = !invert
			*n++
			continue
		case "(":
			*n++
			if depth > 64 {
				update(false)
				*n = len(args)
				continue
			}
			update(i.testParse(args, n, depth+1))
			continue
		case ")":
			*n++
			return or || and
		case "-a":
			*n++
			continue
		case "-o":
			or = or || and
			and = true
			*n++
			continue
		}
		update(a != "")
		*n++
	}
	return or || and
}

func (i *interp) testBinary(a, op, b string) (bool, bool) {
	switch op {
	case "=", "==":
		return a == b, true
	case "!=":
		return a != b, true
	case "<":
		return a < b, true
	case "<=":
		return a <= b, true
	case ">":
		return a > b, true
	case ">=":
		return a >= b, true
	case "-eq":
		return strtosl(a) == strtosl(b), true
	case "-ne":
		return strtosl(a) != strtosl(b), true
	case "-lt":
		return strtosl(a) < strtosl(b), true
	case "-le":
		return strtosl(a) <= strtosl(b), true
	case "-gt":
		return strtosl(a) > strtosl(b), true
	case "-ge":
		return strtosl(a) >= strtosl(b), true
	case "-pgt":
		return prefixNum(a) > prefixNum(b), true
	case "-plt":
		return prefixNum(a) < prefixNum(b), true
	case "-nt", "-ot":
		_, _, fa, ea := i.stat(a)
		_, _, fb, eb := i.stat(b)
		if ea != nil || eb != nil {
			return false, true
		}
		if op == "-nt" {
			return fa.ModTime().After(fb.ModTime()), true
		}
		return fa.ModTime().Before(fb.ModTime()), true
	}
	return false, false
}

func (i *interp) testUnary(op, a string) (bool, bool) {
	switch op {
	case "-n":
		return a != "", true
	case "-z":
		return a == "", true
	case "-e", "-d", "-f", "-s":
	default:
		return false, false
	}
	// A device alone, or a path ending in the device's root, is a directory.
	dev, rest, hasDev := splitDevice(a)
	if hasDev && strings.Trim(rest, "/") == "" {
		if dev == "" || i.devs.lookup(dev) == nil {
			return false, true
		}
		return op == "-e" || op == "-d", true
	}
	_, _, fi, err := i.stat(a)
	if err != nil {
		return false, true
	}
	switch op {
	case "-e":
		return true, true
	case "-d":
		return fi.IsDir(), true
	case "-f":
		return !fi.IsDir(), true
	}
	return !fi.IsDir() && fi.Size() > 0, true
}

// strtosl parses a number the way grub_strtosl(s, 0, 0) does: optional
// sign, 0x for hex, leading 0 for octal, stopping at the first bad digit.
func strtosl(s string) int64 {
	s = strings.TrimLeft(s, " \t")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := int64(10)
	switch {
	case len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	var v int64
	for k := 0; k < len(s); k++ {
		d := int64(-1)
		c := s[k]
		switch {
		case c >= '0' && c <= '9':
			d = int64(c - '0')
		case c >= 'a' && c <= 'f':
			d = int64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = int64(c-'A') + 10
		}
		if d < 0 || d >= base {
			break
		}
		if v > (1<<62)/base {
			break
		}
		v = v*base + d
	}
	if neg {
		return -v
	}
	return v
}

// prefixNum is -pgt/-plt's number: the digits after a non-digit prefix.
func prefixNum(s string) int64 {
	k := 0
	for k < len(s) && !isDigit(s[k]) {
		k++
	}
	return strtosl(s[k:])
}

// strtoul parses an unsigned number the way grub_strtoul(s, &end, 0)
// does: leading blanks, then 0x for hex, a leading 0 for octal, else
// decimal; rest is what follows the digits. ok is false when there are
// no digits, a sign, or an overflow (GRUB's "unrecognized number").
func strtoul(s string) (v uint64, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t\n")
	base := uint64(10)
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isHex(s[2]):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base = 8
	}
	k := 0
	for ; k < len(s); k++ {
		c := s[k]
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			d = 99
		}
		if d >= base {
			break
		}
		if v > (1<<63)/base {
			return 0, s[k:], false
		}
		v = v*base + d
	}
	if k == 0 {
		return 0, s, false
	}
	return v, s[k:], true
}
