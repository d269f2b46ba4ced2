package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/leapboot/leapboot/boot"
)

// SourceOrder is the order the sources are read in, for boot/sources.
// "uki" and "bls" are read together; Apply drops the one not asked for.
func (c *Config) SourceOrder() []boot.Source {
	var out []boot.Source
	seen := map[boot.Source]bool{}
	for _, s := range c.Sources {
		src := boot.Source(s)
		if src == boot.SourceUKI {
			src = boot.SourceBLS
		}
		if !seen[src] {
			seen[src] = true
			out = append(out, src)
		}
	}
	return out
}

// Apply is the policy step between the parsers and the menu: it drops the
// entries of sources that are off and those on denied devices, picks the
// default, sets the timeout and edits every command line. It is pure: the
// input menu is not changed. What it did that a person should know (hidden
// entries, a default that matched nothing) comes back as diagnostics,
// which are also added to the returned menu.
func Apply(m boot.Menu, c *Config) boot.Menu {
	out := m
	out.Entries = nil
	out.Diagnostics = append([]boot.Diagnostic(nil), m.Diagnostics...)
	note := func(format string, args ...any) {
		out.Diagnostics = append(out.Diagnostics, boot.Diagnostic{Origin: boot.Origin{Path: Path}, Message: fmt.Sprintf(format, args...)})
	}
	on := map[boot.Source]bool{}
	for _, s := range c.Sources {
		on[boot.Source(s)] = true
	}
	out.Default = -1
	hidden := map[string]int{}
	for i, e := range m.Entries {
		if !on[e.Source] {
			hidden["source "+string(e.Source)+" is off"]++
			continue
		}
		if why := c.deviceDenied(volumeOf(&e)); why != "" {
			hidden[why]++
			continue
		}
		if i == m.Default {
			out.Default = len(out.Entries)
		}
		e.Cmdline = EditCmdline(e.Cmdline, c.Cmdline)
		out.Entries = append(out.Entries, e)
	}
	whys := make([]string, 0, len(hidden))
	for why := range hidden {
		whys = append(whys, why)
	}
	sort.Strings(whys)
	for _, why := range whys {
		note("%d entries hidden: %s", hidden[why], why)
	}
	switch c.Default {
	case "", "saved":
	default:
		if i, err := out.Find(c.Default); err != nil {
			note("default %q: %v", c.Default, err)
		} else {
			out.Default = i
		}
	}
	if d, ok := c.Duration(); ok {
		out.Timeout, out.TimeoutSet = d, true
	}
	if c.TimeoutStyle != "" {
		out.TimeoutStyle = c.TimeoutStyle
	}
	return out
}

func volumeOf(e *boot.Entry) *boot.Volume {
	if e.UKI != nil && e.UKI.Volume != nil {
		return e.UKI.Volume
	}
	if e.Kernel.Volume != nil {
		return e.Kernel.Volume
	}
	return e.Origin.Volume
}

// deviceDenied says why a volume is not allowed, or "".
func (c *Config) deviceDenied(v *boot.Volume) string {
	if v == nil {
		return ""
	}
	names := []string{v.Device, v.Disk, v.Label, v.UUID, v.PartUUID, v.PartLabel, v.FSType}
	if v.Bus != "" {
		names = append(names, "bus:"+v.Bus)
	}
	match := func(p string) bool {
		for _, n := range names {
			if n != "" && boot.Glob(p, n) {
				return true
			}
		}
		return false
	}
	for _, p := range c.Devices.Deny {
		if match(p) {
			return fmt.Sprintf("device %s is denied by %q", v.Device, p)
		}
	}
	if len(c.Devices.Allow) == 0 {
		return ""
	}
	for _, p := range c.Devices.Allow {
		if match(p) {
			return ""
		}
	}
	return fmt.Sprintf("device %s is not in devices.allow", v.Device)
}

// EditCmdline removes and appends words. A remove word ending in '='
// ("console=") drops every word with that key; otherwise a word is dropped
// when it equals the remove word or has it as key ("quiet", "init" drops
// "init=/bin/sh"). Append adds words not already present, in order.
func EditCmdline(cmdline string, e Cmdline) string {
	if len(e.Append) == 0 && len(e.Remove) == 0 {
		return cmdline
	}
	var out []string
	for _, w := range strings.Fields(cmdline) {
		key, _, _ := strings.Cut(w, "=")
		drop := false
		for _, r := range e.Remove {
			if w == r || key == strings.TrimSuffix(r, "=") && (strings.HasSuffix(r, "=") || !strings.Contains(r, "=")) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, w)
		}
	}
	for _, a := range e.Append {
		present := false
		for _, w := range out {
			if w == a {
				present = true
			}
		}
		if !present {
			out = append(out, a)
		}
	}
	return strings.Join(out, " ")
}
