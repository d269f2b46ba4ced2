package bls

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/leapboot/leapboot/boot"
)

// TimeoutMode says how loader.conf's timeout shows the menu.
type TimeoutMode int

// The timeout modes of loader.conf.
const (
	TimeoutUnset        TimeoutMode = iota // no timeout key
	TimeoutSeconds                         // a number of seconds (0: boot at once, menu hidden)
	TimeoutMenuForce                       // "menu-force": show the menu, wait for the user
	TimeoutMenuHidden                      // "menu-hidden": boot at once unless a key is pressed
	TimeoutMenuDisabled                    // "menu-disabled": never show the menu
)

// LoaderConf is what systemd-boot reads from loader/loader.conf.
type LoaderConf struct {
	// Default is the default entry: a glob over entry IDs, or "@saved".
	Default     string
	DefaultLine int
	// Timeout and TimeoutMode: see TimeoutMode.
	Timeout     time.Duration
	TimeoutMode TimeoutMode
	// Editor is whether the command line may be edited (default true).
	Editor bool
	// Problems are the lines systemd-boot would complain about.
	Problems []LineProblem
}

// LineProblem is a problem on one line of a file.
type LineProblem struct {
	Line int
	Msg  string
}

// Keys systemd-boot knows in loader.conf; only some matter to leapboot.
var loaderKeys = map[string]bool{
	"default": true, "timeout": true, "editor": true, "auto-entries": true, "auto-firmware": true,
	"auto-poweroff": true, "auto-reboot": true, "beep": true, "reboot-for-bitlocker": true,
	"secure-boot-enroll": true, "console-mode": true, "random-seed-mode": true, "log-level": true,
	"reboot-on-error": true, "secure-boot-enroll-action": true, "secure-boot-enroll-timeout-sec": true,
}

// ParseLoaderConf parses loader.conf as systemd-boot does: the last valid
// value of each key wins and a bad value keeps the earlier one.
func ParseLoaderConf(data []byte) LoaderConf {
	c := LoaderConf{Editor: true}
	bad := func(kv KeyValue, what string) {
		c.Problems = append(c.Problems, LineProblem{kv.Line, fmt.Sprintf("bad %s value %q, ignored", kv.Key, kv.Value) + what})
	}
	for _, kv := range ParseKeyValues(data) {
		switch kv.Key {
		case "timeout":
			if d, mode, ok := parseTimeout(kv.Value); ok {
				c.Timeout, c.TimeoutMode = d, mode
			} else {
				bad(kv, "")
			}
		case "default":
			if strings.HasPrefix(kv.Value, "@") && !strings.EqualFold(kv.Value, "@saved") {
				bad(kv, ": the only special entry is @saved")
				continue
			}
			c.Default, c.DefaultLine = kv.Value, kv.Line
		case "editor":
			if b, ok := parseBool(kv.Value); ok {
				c.Editor = b
			} else {
				bad(kv, "")
			}
		default:
			if !loaderKeys[kv.Key] {
				c.Problems = append(c.Problems, LineProblem{kv.Line, fmt.Sprintf("unknown key %q, ignored", kv.Key)})
			}
		}
	}
	return c
}

func parseTimeout(s string) (time.Duration, TimeoutMode, bool) {
	switch s {
	case "menu-force":
		return 0, TimeoutMenuForce, true
	case "menu-hidden":
		return 0, TimeoutMenuHidden, true
	case "menu-disabled":
		return 0, TimeoutMenuDisabled, true
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, 0, false
	}
	return time.Duration(n) * time.Second, TimeoutSeconds, true
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "1", "yes", "y", "true", "t", "on":
		return true, true
	case "0", "no", "n", "false", "f", "off":
		return false, true
	}
	return false, false
}

// menuTimeout maps a loader.conf timeout onto boot.Menu's.
func menuTimeout(d time.Duration, mode TimeoutMode) boot.Timeout {
	switch mode {
	case TimeoutMenuForce:
		return boot.WaitForever
	case TimeoutSeconds:
		return d
	}
	return 0
}

func (p *parser) readLoaderConf(v *boot.Volume, file string) *LoaderConf {
	data, err := readSmall(v.FS, file)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			p.diag(v, file, 0, "cannot read: %v", err)
		}
		return nil
	}
	c := ParseLoaderConf(data)
	p.confOrigin = boot.Origin{Volume: v, Path: file}
	for _, pr := range c.Problems {
		p.diag(v, file, pr.Line, "%s", pr.Msg)
	}
	c.Problems = nil
	return &c
}

// efiVar reads a systemd-boot string variable from efivarfs: a 4-byte
// attribute word, then UTF-16LE text, usually NUL-terminated.
func (p *parser) efiVar(name string) (string, bool) {
	if p.o.efivars == nil {
		return "", false
	}
	file := name + "-" + LoaderGUID
	b, err := fs.ReadFile(p.o.efivars, file)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			p.diag(nil, path.Join("efivars", file), 0, "cannot read EFI variable: %v", err)
		}
		return "", false
	}
	s, err := DecodeEFIString(b)
	if err != nil {
		p.diag(nil, path.Join("efivars", file), 0, "%v", err)
		return "", false
	}
	return s, true
}

// DecodeEFIString decodes an efivarfs file that holds a string variable:
// 4 bytes of attributes, then UTF-16LE text up to a NUL or the end.
func DecodeEFIString(b []byte) (string, error) {
	if len(b) < 4 {
		return "", fmt.Errorf("EFI variable is %d bytes, shorter than its 4-byte attributes", len(b))
	}
	b = b[4:]
	if len(b)%2 != 0 {
		return "", errors.New("EFI variable has an odd number of bytes of UTF-16 text")
	}
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u)), nil
}

// selectDefault picks the default entry and the timeout as systemd-boot
// does: LoaderEntryOneShot, then LoaderEntryDefault (or, when it is
// "@saved", LoaderEntryLastBooted), then loader.conf's default (or the last
// booted entry for "@saved"), else the first entry. Patterns are globs
// matched without regard to case; the first entry in menu order that
// matches wins.
func (p *parser) selectDefault(m *boot.Menu, conf *LoaderConf) {
	if conf != nil && conf.TimeoutMode != TimeoutUnset {
		m.Timeout, m.TimeoutSet = menuTimeout(conf.Timeout, conf.TimeoutMode), true
	}
	for _, name := range []string{"LoaderConfigTimeout", "LoaderConfigTimeoutOneShot"} {
		if s, ok := p.efiVar(name); ok {
			if d, mode, ok := parseTimeout(s); ok {
				m.Timeout, m.TimeoutSet = menuTimeout(d, mode), true
			} else {
				p.diag(nil, "efivars/"+name+"-"+LoaderGUID, 0, "bad timeout %q, ignored", s)
			}
		}
	}
	saved, _ := p.efiVar("LoaderEntryLastBooted")
	type pattern struct {
		glob   string
		origin boot.Origin
	}
	var patterns []pattern
	efiOrigin := func(n string) boot.Origin { return boot.Origin{Path: "efivars/" + n + "-" + LoaderGUID} }
	if s, ok := p.efiVar("LoaderEntryOneShot"); ok {
		patterns = append(patterns, pattern{s, efiOrigin("LoaderEntryOneShot")})
	}
	if s, ok := p.efiVar("LoaderEntryDefault"); ok {
		o := efiOrigin("LoaderEntryDefault")
		if strings.EqualFold(s, "@saved") {
			s, o = saved, efiOrigin("LoaderEntryLastBooted")
		}
		patterns = append(patterns, pattern{s, o})
	}
	if conf != nil && conf.Default != "" {
		s, o := conf.Default, p.confOrigin
		o.Line = conf.DefaultLine
		if strings.EqualFold(s, "@saved") {
			s, o = saved, efiOrigin("LoaderEntryLastBooted")
		}
		patterns = append(patterns, pattern{s, o})
	}
	if len(m.Entries) > 0 {
		m.Default = 0
	}
	for _, pat := range patterns {
		if pat.glob == "" {
			continue
		}
		if i := p.find(m.Entries, pat.glob, pat.origin); i >= 0 {
			m.Default = i
			return
		}
		p.diags = append(p.diags, boot.Diagnostic{Origin: pat.origin,
			Message: fmt.Sprintf("default entry %q matches no entry", pat.glob)})
	}
}

// find returns the index of the first entry whose ID matches the glob
// pattern (case-insensitively). As in systemd-boot 252, "arch" does not
// match "arch.conf": IDs include the suffix.
func (p *parser) find(entries []boot.Entry, pattern string, o boot.Origin) int {
	if pattern == "" {
		return -1
	}
	pat := strings.ToLower(pattern)
	if _, err := path.Match(pat, ""); err != nil {
		p.diags = append(p.diags, boot.Diagnostic{Origin: o, Message: fmt.Sprintf("bad default entry pattern %q: %v", pattern, err)})
		return -1
	}
	for i, e := range entries {
		id := strings.ToLower(e.ID)
		if ok, _ := path.Match(pat, id); ok {
			return i
		}
	}
	return -1
}

// ReadLoaderConf finds and parses the loader.conf that Parse uses: the
// ESP's /loader/loader.conf, or when no volume is marked ESP or XBOOTLDR,
// the first plain volume's /loader/loader.conf or /boot/loader/loader.conf.
// ok is false when there is none. Problems are in LoaderConf.Problems.
func ReadLoaderConf(vols []*boot.Volume) (c LoaderConf, where boot.Origin, ok bool) {
	marked := false
	for _, v := range vols {
		if v != nil && (v.IsESP() || v.IsXBOOTLDR()) {
			marked = true
		}
	}
	for _, v := range vols {
		if v == nil || v.FS == nil || !(v.IsESP() || !marked) {
			continue
		}
		bases := []string{""}
		if !marked {
			bases = append(bases, "/boot")
		}
		for _, b := range bases {
			file := b + "/loader/loader.conf"
			if data, err := readSmall(v.FS, file); err == nil {
				return ParseLoaderConf(data), boot.Origin{Volume: v, Path: file}, true
			}
		}
	}
	return LoaderConf{Editor: true}, boot.Origin{}, false
}
