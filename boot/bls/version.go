package bls

// CompareVersions compares two version strings as systemd 252 does
// (strverscmp_improved, used by systemd-boot and bootctl to sort entries,
// and by `systemd-analyze compare-versions`), which implements the UAPI
// Version Format Specification. It returns -1, 0 or +1 when a is older
// than, equal to or newer than b.
//
// Characters other than ASCII letters, digits and "~-^." are separators and
// are skipped. At each step: '~' sorts lower than anything, including the
// end of the string; then the end of a string sorts lower than anything
// else; then '-' sorts lower than what the other string has; then '^'
// sorts lower (so "1 < 1^p < 1.1"); then '.' sorts lower; digit runs compare
// numerically (leading zeros ignored) and beat letter runs; letter runs
// compare by ASCII value ("A" < "a"), a longer run being newer when one is
// a prefix of the other.
//
// Two places where systemd 252 and the specification's text differ, and
// this function follows systemd 252 (the specification's examples pass
// otherwise): the empty string compares higher than "~" (the spec's example
// says lower), and '^' sorts below '.', letters and digits (the spec's text
// says '^' always compares higher).
func CompareVersions(a, b string) int {
	i, j := 0, 0
	// Every round consumes at least one byte of a or b, or returns; the
	// bound is a guard against mistakes, not a limit on valid input.
	for guard := 0; guard <= 2*(len(a)+len(b))+4; guard++ {
		for i < len(a) && !isVersionChar(a[i]) {
			i++
		}
		for j < len(b) && !isVersionChar(b[j]) {
			j++
		}
		// '~' starts a pre-release: it sorts lower than everything.
		if at(a, i) == '~' || at(b, j) == '~' {
			if r := cmpBool(at(a, i) != '~', at(b, j) != '~'); r != 0 {
				return r
			}
			i++
			j++
		}
		// When one string ends, the longer one is newer.
		if i >= len(a) || j >= len(b) {
			return cmpInt(len(a)-i, len(b)-j)
		}
		if at(a, i) == '-' || at(b, j) == '-' {
			if r := cmpBool(at(a, i) != '-', at(b, j) != '-'); r != 0 {
				return r
			}
			i++
			j++
		}
		if at(a, i) == '^' || at(b, j) == '^' {
			if r := cmpBool(at(a, i) != '^', at(b, j) != '^'); r != 0 {
				return r
			}
			i++
			j++
		}
		if at(a, i) == '.' || at(b, j) == '.' {
			if r := cmpBool(at(a, i) != '.', at(b, j) != '.'); r != 0 {
				return r
			}
			i++
			j++
		}
		if isDigit(at(a, i)) || isDigit(at(b, j)) {
			ae, be := i, j
			for ae < len(a) && isDigit(a[ae]) {
				ae++
			}
			for be < len(b) && isDigit(b[be]) {
				be++
			}
			// A number is newer than no number.
			if r := cmpBool(ae > i, be > j); r != 0 {
				return r
			}
			for i < ae && a[i] == '0' {
				i++
			}
			for j < be && b[j] == '0' {
				j++
			}
			if r := cmpInt(ae-i, be-j); r != 0 {
				return r
			}
			if r := cmpString(a[i:ae], b[j:be]); r != 0 {
				return r
			}
			i, j = ae, be
			continue
		}
		ae, be := i, j
		for ae < len(a) && isAlpha(a[ae]) {
			ae++
		}
		for be < len(b) && isAlpha(b[be]) {
			be++
		}
		n := min(ae-i, be-j)
		if r := cmpString(a[i:i+n], b[j:j+n]); r != 0 {
			return r
		}
		if r := cmpInt(ae-i, be-j); r != 0 {
			return r
		}
		i, j = ae, be
	}
	return 0
}

// at returns s[i], or 0 past the end (like a C string's terminator).
func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isVersionChar(c byte) bool {
	return isDigit(c) || isAlpha(c) || c == '~' || c == '-' || c == '^' || c == '.'
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
