package bls

import "strings"

// KeyValue is one meaningful line of a Boot Loader Specification file
// (a Type #1 entry or loader.conf): a key and the rest of the line.
type KeyValue struct {
	Line  int // 1-based line number
	Key   string
	Value string
}

// ParseLine splits one line of BLS key/value syntax, as systemd-boot reads
// it: leading and trailing spaces and tabs are dropped, a line that is empty
// or starts with '#' is not meaningful (ok is false), the key runs up to the
// first space or tab and the value is the rest after the spaces and tabs
// that follow. A value that both starts and ends with a double quote loses
// those two quotes (systemd-boot does this; its bootctl does not). A key
// with no value gives Value "".
func ParseLine(line string) (key, value string, ok bool) {
	line = strings.Trim(line, " \t")
	if line == "" || line[0] == '#' {
		return "", "", false
	}
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		return line, "", true
	}
	key = line[:i]
	value = strings.TrimLeft(line[i:], " \t")
	if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
		value = value[1 : len(value)-1]
	}
	return key, value, true
}

// ParseKeyValues splits data into lines (at "\n", "\r\n" or "\r") and
// returns the meaningful ones in order, parsed with ParseLine.
func ParseKeyValues(data []byte) []KeyValue {
	var out []KeyValue
	s := string(data)
	n := 0
	for len(s) > 0 {
		n++
		i := strings.IndexAny(s, "\r\n")
		line := s
		if i < 0 {
			s = ""
		} else {
			line = s[:i]
			if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			s = s[i+1:]
		}
		if k, v, ok := ParseLine(line); ok {
			out = append(out, KeyValue{Line: n, Key: k, Value: v})
		}
	}
	return out
}
