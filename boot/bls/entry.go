package bls

import (
	"fmt"
	"strconv"
	"strings"
)

// entryFile is the content of one Type #1 entry file.
type entryFile struct {
	Title, Version, MachineID, SortKey string
	Linux, EFI, UKI                    string
	Initrds                            []string
	Options                            string
	HasOptions                         bool
	Devicetree                         string
	Overlays                           []string
	Architecture                       string
	Profile                            string
	FirstLine                          int
}

// lineProblem is a problem on one line of a file.
type lineProblem struct {
	Line int
	Msg  string
}

// parseEntryFile reads a Type #1 entry as systemd-boot does: single-valued
// keys keep their last value, initrd and devicetree-overlay repeat, options
// lines are joined with a space.
func parseEntryFile(data []byte) (entryFile, []lineProblem) {
	var e entryFile
	var probs []lineProblem
	seen := map[string]int{}
	for _, kv := range ParseKeyValues(data) {
		if e.FirstLine == 0 {
			e.FirstLine = kv.Line
		}
		single := func(dst *string) {
			if prev, ok := seen[kv.Key]; ok {
				probs = append(probs, lineProblem{kv.Line, fmt.Sprintf("key %q repeated (first on line %d); the last one wins", kv.Key, prev)})
			}
			seen[kv.Key] = kv.Line
			*dst = kv.Value
		}
		switch kv.Key {
		case "title":
			single(&e.Title)
		case "version":
			single(&e.Version)
		case "machine-id":
			single(&e.MachineID)
		case "sort-key":
			single(&e.SortKey)
		case "linux":
			single(&e.Linux)
		case "efi":
			single(&e.EFI)
		case "uki":
			single(&e.UKI)
		case "devicetree":
			single(&e.Devicetree)
		case "architecture":
			single(&e.Architecture)
		case "profile":
			single(&e.Profile)
		case "initrd":
			// Fedora and others write several space-separated paths on one line.
			e.Initrds = append(e.Initrds, strings.Fields(kv.Value)...)
		case "devicetree-overlay":
			e.Overlays = append(e.Overlays, strings.Fields(kv.Value)...)
		case "options":
			if e.HasOptions {
				e.Options += " " + kv.Value
			} else {
				e.Options = kv.Value
			}
			e.HasOptions = true
		default:
			probs = append(probs, lineProblem{kv.Line, fmt.Sprintf("unknown key %q, ignored", kv.Key)})
			continue
		}
		if kv.Value == "" && kv.Key != "options" {
			probs = append(probs, lineProblem{kv.Line, fmt.Sprintf("key %q has no value", kv.Key)})
		}
	}
	return e, probs
}

// counter is a boot-counting suffix "+LEFT[-DONE]".
type counter struct {
	Left, Done int
	Set        bool
}

// splitCounter removes a boot-counting suffix from a file name ending in
// suffix ("name+3-1.conf" gives "name.conf", {3, 1}). A name without a valid
// counter just before the suffix is returned unchanged.
func splitCounter(name, suffix string) (string, counter) {
	base, ok := strings.CutSuffix(name, suffix)
	if !ok {
		if len(name) >= len(suffix) && strings.EqualFold(name[len(name)-len(suffix):], suffix) {
			base, suffix = name[:len(name)-len(suffix)], name[len(name)-len(suffix):]
		} else {
			return name, counter{}
		}
	}
	plus := strings.LastIndexByte(base, '+')
	if plus < 0 {
		return name, counter{}
	}
	left, done, hasDone := base[plus+1:], "", false
	if i := strings.IndexByte(left, '-'); i >= 0 {
		left, done, hasDone = left[:i], left[i+1:], true
	}
	l, ok1 := parseCount(left)
	d := 0
	ok2 := true
	if hasDone {
		d, ok2 = parseCount(done)
	}
	if !ok1 || !ok2 {
		return name, counter{}
	}
	return base[:plus] + suffix, counter{Left: l, Done: d, Set: true}
}

func parseCount(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int(n), true
}
