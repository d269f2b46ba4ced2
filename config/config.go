// Package config reads the owner's leapboot configuration: one TOML file
// baked into the image as /etc/leapboot.toml, optionally overridden, when
// that file allows it, by a file on the ESP and by leapboot.* kernel
// parameters. It also holds the policy step (Apply) that sits between the
// parsers and the menu: source and device filters, the default choice and
// command-line edits.
//
// TOML is parsed with github.com/pelletier/go-toml/v2, which reports the
// line of every syntax error, wrongly typed value and unknown key; the
// checks of the values themselves are here. Parsing is pure: bytes in,
// Config and diagnostics (with file and line) out.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/leapboot/leapboot/boot"
)

// Path is where the image keeps the config file.
const Path = "/etc/leapboot.toml"

// ESPPath is where, on an ESP, a file may override it (when allowed).
const ESPPath = "/leapboot/leapboot.toml"

// Config is the owner's settings. The zero value is not useful: start
// from Defaults.
type Config struct {
	// Timeout in seconds before the default boots; nil keeps what the boot
	// loader configs say; negative waits for the user.
	Timeout *float64 `toml:"timeout,omitempty"`
	// TimeoutStyle is "menu", "countdown" or "hidden", as GRUB's; ""
	// keeps what the boot loader configs say (GRUB's timeout_style).
	TimeoutStyle string `toml:"timeout_style"`
	// Default is an entry ID, a title or glob, a 1-based number, a kernel
	// version, or "saved" (what the boot loader configs say; also "").
	Default string `toml:"default"`
	// Sources are read in this order: "grub", "bls", "uki", "syslinux".
	Sources []string `toml:"sources"`
	// Shell allows the rescue shell (when the image has one).
	Shell bool `toml:"shell"`
	// LogLevel is "error", "warn", "info" or "debug".
	LogLevel string `toml:"log_level"`
	// Kexec picks the syscall: "kexec_file_load", "kexec_load" (for kernels
	// built without KEXEC_FILE, or whose kexec_file_load refuses a kernel),
	// or "" for kexec_file_load with kexec_load when the kernel lacks it.
	Kexec string `toml:"kexec"`

	Devices  Devices  `toml:"devices"`
	Cmdline  Cmdline  `toml:"cmdline"`
	Edit     Edit     `toml:"edit"`
	Writes   Writes   `toml:"writes"`
	Override Override `toml:"override"`
}

// Devices filters entries by the volume their kernel is on. Patterns are
// globs matched against the device ("/dev/sda*"), the disk, the filesystem
// label and UUID, the partition label and PARTUUID, the filesystem type,
// and "bus:" and the bus the disk is on ("bus:usb", "bus:nvme").
type Devices struct {
	Allow []string `toml:"allow"` // empty: every device
	Deny  []string `toml:"deny"`
}

// Cmdline edits every entry's command line.
type Cmdline struct {
	// Append adds words that are not there yet ("console=ttyS0,115200").
	Append []string `toml:"append"`
	// Remove drops words: "quiet" drops "quiet", "console=" every console=.
	Remove []string `toml:"remove"`
}

// Edit says whether the menu may edit a command line.
type Edit struct {
	Allowed bool `toml:"allowed"`
	// Password, when set, is a hash made by `leapboot passwd`
	// (grub.pbkdf2.sha512.ITERATIONS.SALT.HASH, as grub-mkpasswd-pbkdf2).
	Password string `toml:"password"`
}

// Writes allows writing to disks (off by default).
type Writes struct {
	Grubenv      bool `toml:"grubenv"`
	BootCounters bool `toml:"boot_counters"`
}

// Override says what may override this file.
type Override struct {
	// ESP allows ESPPath on an ESP to change timeout, timeout_style,
	// default, sources, devices and cmdline (never edit, shell or writes).
	ESP bool `toml:"esp"`
	// Cmdline allows leapboot.timeout, leapboot.timeout_style,
	// leapboot.default, leapboot.sources, leapboot.log_level and
	// leapboot.kexec.
	Cmdline bool `toml:"cmdline"`
}

// Defaults is the configuration without a file.
func Defaults() Config {
	return Config{
		Sources:  []string{"grub", "bls", "uki", "syslinux"},
		Shell:    true,
		LogLevel: "info",
		Edit:     Edit{Allowed: true},
		Override: Override{Cmdline: true},
	}
}

// String is the configuration as TOML.
func (c *Config) String() string {
	b, err := toml.Marshal(c)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// Duration is the timeout as a boot.Timeout, and whether it is set.
func (c *Config) Duration() (boot.Timeout, bool) {
	if c.Timeout == nil {
		return 0, false
	}
	if *c.Timeout < 0 {
		return boot.WaitForever, true
	}
	return time.Duration(*c.Timeout * float64(time.Second)), true
}

// Parse reads a config file over base (usually Defaults()). name is the
// file name the diagnostics carry. On any problem the returned Config is
// still base with what could be read; callers that want all-or-nothing
// check the diagnostics and fall back to Defaults.
func Parse(name string, data []byte, base Config) (Config, []boot.Diagnostic) {
	c := base
	// Lists replace, not extend: decode into fresh slices.
	var diags []boot.Diagnostic
	diag := func(line int, format string, args ...any) {
		diags = append(diags, boot.Diagnostic{Origin: boot.Origin{Path: name, Line: line}, Message: fmt.Sprintf(format, args...)})
	}
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	out := c
	out.Sources, out.Devices.Allow, out.Devices.Deny, out.Cmdline.Append, out.Cmdline.Remove = nil, nil, nil, nil, nil
	err := dec.Decode(&out)
	var se *toml.StrictMissingError
	var de *toml.DecodeError
	switch {
	case err == nil:
	case errors.As(err, &se):
		for _, e := range se.Errors {
			row, _ := e.Position()
			diag(row, "unknown setting %q", strings.Join(e.Key(), "."))
		}
	case errors.As(err, &de):
		row, _ := de.Position()
		diag(row, "%s", decodeMessage(de))
		return c, diags
	default:
		diag(0, "%v", err)
		return c, diags
	}
	keep := func(dst *[]string, src []string, key string) {
		if keyLine(data, key) > 0 {
			*dst = src
		}
	}
	keep(&c.Sources, out.Sources, "sources")
	keep(&c.Devices.Allow, out.Devices.Allow, "devices.allow")
	keep(&c.Devices.Deny, out.Devices.Deny, "devices.deny")
	keep(&c.Cmdline.Append, out.Cmdline.Append, "cmdline.append")
	keep(&c.Cmdline.Remove, out.Cmdline.Remove, "cmdline.remove")
	out.Sources, out.Devices, out.Cmdline = c.Sources, c.Devices, c.Cmdline
	c = out
	for _, p := range c.check() {
		diag(keyLine(data, p.key), "%s", p.msg)
	}
	sort.SliceStable(diags, func(i, j int) bool { return diags[i].Origin.Line < diags[j].Origin.Line })
	return c, diags
}

type problem struct{ key, msg string }

// check validates the values.
func (c *Config) check() []problem {
	var ps []problem
	bad := func(key, format string, args ...any) {
		ps = append(ps, problem{key, key + ": " + fmt.Sprintf(format, args...)})
	}
	if c.Timeout != nil && (*c.Timeout > 86400 || *c.Timeout != *c.Timeout) {
		bad("timeout", "%v seconds is too long (at most 86400; -1 waits for the user)", *c.Timeout)
	}
	switch c.TimeoutStyle {
	case "", "menu", "countdown", "hidden":
	default:
		bad("timeout_style", "%q is not menu, countdown or hidden", c.TimeoutStyle)
	}
	seen := map[string]bool{}
	for _, s := range c.Sources {
		switch s {
		case "grub", "bls", "uki", "syslinux":
		default:
			bad("sources", "unknown source %q (want grub, bls, uki or syslinux)", s)
		}
		if seen[s] {
			bad("sources", "%q is listed twice", s)
		}
		seen[s] = true
	}
	switch c.LogLevel {
	case "error", "warn", "info", "debug":
	default:
		bad("log_level", "%q is not error, warn, info or debug", c.LogLevel)
	}
	switch c.Kexec {
	case "", "kexec_file_load", "kexec_load":
	default:
		bad("kexec", "%q is not kexec_file_load or kexec_load", c.Kexec)
	}
	for _, p := range append(append([]string(nil), c.Devices.Allow...), c.Devices.Deny...) {
		if !validGlob(p) {
			bad("devices", "bad pattern %q", p)
		}
	}
	for _, w := range c.Cmdline.Append {
		if w == "" || strings.ContainsAny(w, " \t\n") {
			bad("cmdline.append", "%q is not one word", w)
		}
	}
	for _, w := range c.Cmdline.Remove {
		if w == "" || strings.ContainsAny(w, " \t\n") {
			bad("cmdline.remove", "%q is not one word", w)
		}
	}
	if c.Edit.Password != "" {
		if _, err := parseHash(c.Edit.Password); err != nil {
			bad("edit.password", "%v (make one with `leapboot passwd`)", err)
		}
	}
	return ps
}

func validGlob(p string) bool {
	if p == "" {
		return false
	}
	// boot.Glob swallows pattern errors; a bad pattern matches nothing,
	// which would silently allow or deny nothing.
	_, err := path.Match(p, "")
	return err == nil
}

var typeWord = regexp.MustCompile(`cannot decode TOML (\w+)`)

func decodeMessage(de *toml.DecodeError) string {
	key := strings.Join(de.Key(), ".")
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	if m := typeWord.FindStringSubmatch(msg); m != nil && key != "" {
		return fmt.Sprintf("%s: a %s is not allowed here (want %s)", key, m[1], want(key))
	}
	if key != "" {
		return key + ": " + msg
	}
	return msg
}

func want(key string) string {
	switch key {
	case "timeout":
		return "seconds, a number"
	case "sources", "devices.allow", "devices.deny", "cmdline.append", "cmdline.remove":
		return "a list of strings"
	case "shell", "edit.allowed", "writes.grubenv", "writes.boot_counters", "override.esp", "override.cmdline":
		return "true or false"
	}
	return "a string"
}

var header = regexp.MustCompile(`^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]`)

// keyLine finds the line that sets key ("timeout", "edit.password") in a
// TOML file, 0 when it is not there. It follows [table] headers; that is
// enough for this file's flat layout.
func keyLine(data []byte, key string) int {
	table, name := "", key
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		table, name = key[:i], key[i+1:]
	}
	cur := ""
	for i, l := range strings.Split(string(data), "\n") {
		if m := header.FindStringSubmatch(l); m != nil {
			cur = m[1]
			continue
		}
		k, _, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if cur == table && k == name || cur == "" && table != "" && k == key {
			return i + 1
		}
	}
	if key == "devices" {
		return max(keyLine(data, "devices.allow"), keyLine(data, "devices.deny"))
	}
	return 0
}
