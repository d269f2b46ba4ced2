package grub

import (
	"fmt"
	"strings"
)

// optSpec describes one option of a GRUB extended command.
type optSpec struct {
	long     string
	short    byte
	arg      bool // takes a value
	optional bool // the value may be absent
}

var menuOptions = []optSpec{
	{long: "class", arg: true},
	{long: "users", arg: true},
	{long: "unrestricted"},
	{long: "hotkey", arg: true},
	{long: "source", arg: true},
	{long: "id", arg: true},
}

// parseOptions parses argv[1:] as GRUB 2.06's grub_arg_parse does: a long
// option with a value takes "--opt=value" or the next argument when that
// does not start with '-'; "--" ends the options. Options whose spec long
// name ends in '*' match any long name with that prefix (--hint-bios=…).
// With acceptDash (GRUB_COMMAND_ACCEPT_DASH), unknown options are
// positional arguments. The result maps the long name (or the matched prefix without '*') to
// its values, in order; a flag without a value maps to [""].
func parseOptions(argv []string, specs []optSpec, acceptDash ...bool) (map[string][]string, []string, error) {
	set := map[string][]string{}
	var pos []string
	if len(argv) == 0 {
		return set, nil, nil
	}
	dash := len(acceptDash) > 0 && acceptDash[0]
	args := argv[1:]
	for k := 0; k < len(args); k++ {
		a := args[k]
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		if a == "--" {
			pos = append(pos, args[k+1:]...)
			break
		}
		if a[1] != '-' {
			if dash {
				known := true
				for j := 1; j < len(a); j++ {
					if findShort(specs, a[j]) == nil {
						known = false
					}
				}
				if !known {
					pos = append(pos, a)
					continue
				}
			}
			// Short options, possibly grouped.
			for j := 1; j < len(a); j++ {
				sp := findShort(specs, a[j])
				if sp == nil {
					return nil, nil, fmt.Errorf("unknown argument `-%c'", a[j])
				}
				if !sp.arg {
					set[sp.long] = append(set[sp.long], "")
					continue
				}
				if j+1 < len(a) {
					if !sp.optional {
						return nil, nil, fmt.Errorf("missing mandatory option for `%s'", sp.long)
					}
					set[sp.long] = append(set[sp.long], "")
					continue
				}
				if k+1 < len(args) {
					next := args[k+1]
					if !sp.optional || len(next) < 2 || next[0] != '-' {
						set[sp.long] = append(set[sp.long], next)
						k++
						continue
					}
				}
				if !sp.optional {
					return nil, nil, fmt.Errorf("missing mandatory option for `%s'", sp.long)
				}
				set[sp.long] = append(set[sp.long], "")
			}
			continue
		}
		name, val, hasVal := strings.Cut(a[2:], "=")
		sp, key := findLong(specs, name)
		if sp == nil && dash {
			pos = append(pos, a)
			continue
		}
		if sp == nil {
			return nil, nil, fmt.Errorf("unknown argument `%s'", a)
		}
		if !hasVal && sp.arg && k+1 < len(args) && (args[k+1] == "" || args[k+1][0] != '-') {
			val, hasVal = args[k+1], true
			k++
		}
		switch {
		case !sp.arg && hasVal:
			return nil, nil, fmt.Errorf("a value was assigned to the argument `%s' while it doesn't require an argument", a)
		case sp.arg && !hasVal && !sp.optional:
			return nil, nil, fmt.Errorf("missing mandatory option for `%s'", sp.long)
		}
		set[key] = append(set[key], val)
	}
	return set, pos, nil
}

func findShort(specs []optSpec, c byte) *optSpec {
	for k := range specs {
		if specs[k].short == c && c != 0 {
			return &specs[k]
		}
	}
	return nil
}

func findLong(specs []optSpec, name string) (*optSpec, string) {
	for k := range specs {
		l := specs[k].long
		if strings.HasSuffix(l, "*") {
			if strings.HasPrefix(name, strings.TrimSuffix(l, "*")) {
				return &specs[k], strings.TrimSuffix(l, "*")
			}
			continue
		}
		if l == name {
			return &specs[k], l
		}
	}
	return nil, ""
}
