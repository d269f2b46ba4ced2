package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/leapboot/leapboot/boot"
)

// Load is the whole chain: the baked-in file (nil: none; bakedName is its
// name in diagnostics, usually Path), then the ESP file when the baked-in
// file allows it (nil: none), then leapboot.* kernel
// parameters when allowed. A file with any error is ignored whole, so a
// half-read file never boots something the owner did not mean: the result
// is what came before it, and the diagnostics say so. Load never fails.
func Load(bakedName string, baked []byte, espName string, esp []byte, cmdline string) (Config, []boot.Diagnostic) {
	c := Defaults()
	var diags []boot.Diagnostic
	if baked != nil {
		got, ds := Parse(bakedName, baked, c)
		if len(ds) > 0 {
			diags = append(diags, ds...)
			diags = append(diags, boot.Diagnostic{Origin: boot.Origin{Path: bakedName}, Message: "the file has errors: using the built-in defaults"})
		} else {
			c = got
		}
	}
	if esp != nil {
		if !c.Override.ESP {
			diags = append(diags, boot.Diagnostic{Origin: boot.Origin{Path: espName}, Message: "ignored: override.esp is not set in " + Path})
		} else {
			got, ds := Parse(espName, esp, c)
			if got.Edit != c.Edit || got.Shell != c.Shell || got.Writes != c.Writes || got.Override != c.Override {
				ds = append(ds, boot.Diagnostic{Origin: boot.Origin{Path: espName}, Message: "edit, shell, writes and override can only be set in " + Path})
			}
			if len(ds) > 0 {
				diags = append(diags, ds...)
				diags = append(diags, boot.Diagnostic{Origin: boot.Origin{Path: espName}, Message: "the file has errors: ignored"})
			} else {
				c = got
			}
		}
	}
	if cmdline != "" {
		var ds []boot.Diagnostic
		c, ds = ParseCmdline(cmdline, c)
		diags = append(diags, ds...)
	}
	return c, diags
}

// ParseCmdline applies leapboot.timeout, leapboot.timeout_style,
// leapboot.default, leapboot.sources (comma-separated), leapboot.log_level
// and leapboot.kexec from a kernel command line, when c allows it. A bad
// value is reported and ignored; the other parameters still apply.
func ParseCmdline(cmdline string, c Config) (Config, []boot.Diagnostic) {
	var diags []boot.Diagnostic
	say := func(format string, args ...any) {
		diags = append(diags, boot.Diagnostic{Origin: boot.Origin{Path: "/proc/cmdline"}, Message: fmt.Sprintf(format, args...)})
	}
	for _, w := range strings.Fields(cmdline) {
		k, v, _ := strings.Cut(w, "=")
		switch k {
		case "leapboot.timeout", "leapboot.timeout_style", "leapboot.default", "leapboot.sources", "leapboot.log_level", "leapboot.kexec":
		default:
			continue
		}
		if !c.Override.Cmdline {
			say("ignoring %s: override.cmdline is not set in %s", w, Path)
			continue
		}
		next := c
		switch k {
		case "leapboot.timeout":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				say("ignoring %s: want seconds", w)
				continue
			}
			next.Timeout = &f
		case "leapboot.timeout_style":
			next.TimeoutStyle = v
		case "leapboot.default":
			next.Default = v
		case "leapboot.sources":
			next.Sources = strings.Split(v, ",")
		case "leapboot.log_level":
			next.LogLevel = v
		case "leapboot.kexec":
			next.Kexec = v
		}
		if ps := next.check(); len(ps) > 0 {
			say("ignoring %s: %s", w, ps[0].msg)
			continue
		}
		c = next
	}
	return c, diags
}
