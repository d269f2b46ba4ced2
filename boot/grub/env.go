package grub

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/leapboot/leapboot/boot"
)

// EnvSignature starts every GRUB environment block.
const EnvSignature = "# GRUB Environment Block\n"

// EnvBlockSize is the size grub-editenv gives a new grubenv.
const EnvBlockSize = 1024

// ErrBadEnv is returned for a block without the signature.
var ErrBadEnv = errors.New("invalid environment block")

type envVar struct{ name, value string }

// parseEnv walks a block as GRUB 2.06's grub_envblk_iterate does. Lines
// starting with '#' are comments (the padding is one); a variable is
// NAME=VALUE up to an unescaped newline; a backslash escapes the next
// byte. A variable whose value is not ended by a newline is dropped, as
// GRUB drops it (broken is set then).
func parseEnv(b []byte) (vars []envVar, broken bool, err error) {
	if len(b) < len(EnvSignature) || string(b[:len(EnvSignature)]) != EnvSignature {
		return nil, false, ErrBadEnv
	}
	p := len(EnvSignature)
	end := len(b)
	for p < end {
		if b[p] == '#' {
			for p < end {
				if b[p] == '\\' {
					p += 2
					continue
				}
				if b[p] == '\n' {
					break
				}
				p++
			}
			p++
			continue
		}
		nameStart := p
		for p < end && b[p] != '=' {
			p++
		}
		if p >= end {
			return vars, p > nameStart, nil
		}
		name := string(b[nameStart:p])
		p++
		var val strings.Builder
		for p < end && b[p] != '\n' {
			if b[p] == '\\' {
				p++
				if p >= end {
					break
				}
			}
			val.WriteByte(b[p])
			p++
		}
		if p >= end {
			return vars, true, nil
		}
		vars = append(vars, envVar{name, val.String()})
		p++
	}
	return vars, false, nil
}

// ReadEnv reads a GRUB environment block (grubenv) exactly as GRUB does.
// The block may have any size; GRUB itself does not insist on 1024
// bytes. A later variable with the same name wins.
func ReadEnv(b []byte) (map[string]string, error) {
	vars, _, err := parseEnv(b)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(vars))
	for _, v := range vars {
		m[v.name] = v.value
	}
	return m, nil
}

func escapeEnv(s string) string {
	var b strings.Builder
	for k := 0; k < len(s); k++ {
		if s[k] == '\\' || s[k] == '\n' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[k])
	}
	return b.String()
}

func encodeVars(vars []envVar, size int) ([]byte, error) {
	if size <= 0 {
		size = EnvBlockSize
	}
	var b strings.Builder
	b.WriteString(EnvSignature)
	for _, v := range vars {
		if v.name == "" || strings.ContainsAny(v.name, "=\n\\") || v.name[0] == '#' {
			return nil, fmt.Errorf("grubenv: bad variable name %q", v.name)
		}
		b.WriteString(v.name)
		b.WriteByte('=')
		b.WriteString(escapeEnv(v.value))
		b.WriteByte('\n')
	}
	if b.Len() > size {
		return nil, fmt.Errorf("grubenv: %d bytes of variables do not fit in a %d-byte block", b.Len(), size)
	}
	out := []byte(b.String())
	for len(out) < size {
		out = append(out, '#')
	}
	return out, nil
}

// EncodeEnv writes vars as a GRUB environment block of exactly size bytes
// (EnvBlockSize if size <= 0), names sorted, padded with '#' as
// grub-editenv pads. It fails if the variables do not fit.
func EncodeEnv(vars map[string]string, size int) ([]byte, error) {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	list := make([]envVar, 0, len(names))
	for _, n := range names {
		list = append(list, envVar{n, vars[n]})
	}
	return encodeVars(list, size)
}

// UpdateEnv returns a copy of the block old with the variables in set
// changed or added and those in unset removed, keeping the order of the
// existing variables and the block's size, as grub-editenv does.
func UpdateEnv(old []byte, set map[string]string, unset []string) ([]byte, error) {
	vars, _, err := parseEnv(old)
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, u := range unset {
		drop[u] = true
	}
	done := map[string]bool{}
	var out []envVar
	for _, v := range vars {
		if drop[v.name] || done[v.name] {
			continue
		}
		if nv, ok := set[v.name]; ok {
			v.value = nv
		}
		done[v.name] = true
		out = append(out, v)
	}
	names := make([]string, 0, len(set))
	for k := range set {
		if !done[k] && !drop[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, envVar{n, set[n]})
	}
	return encodeVars(out, len(old))
}

// ApplyEnv returns a copy of the block old after one save_env: each
// variable, in order, replaces its value in place or is added after the
// others, and an Unset variable is removed; the block keeps its size.
// It fails, as GRUB does, when the variables no longer fit.
func ApplyEnv(old []byte, vars []boot.EnvVar) ([]byte, error) {
	list, _, err := parseEnv(old)
	if err != nil {
		return nil, err
	}
	for _, v := range vars {
		k := slices.IndexFunc(list, func(e envVar) bool { return e.name == v.Name })
		switch {
		case v.Unset && k >= 0:
			list = slices.Delete(list, k, k+1)
		case v.Unset:
		case k >= 0:
			list[k].value = v.Value
		default:
			list = append(list, envVar{v.Name, v.Value})
		}
	}
	return encodeVars(list, len(old))
}

// maxEnvFile bounds the environment blocks EnvChanges reads; GRUB's are
// 1024 bytes.
const maxEnvFile = 64 << 10

// EnvChange is the new contents of one environment block file: New has
// Old's size, so it can be written in place.
type EnvChange struct {
	Volume   *boot.Volume
	Path     string
	Old, New []byte
	Origins  []boot.Origin // the save_env lines that changed it
}

// EnvChanges applies an entry's updates (boot.Entry.EnvUpdates), in
// order, to the blocks they name, read from each volume's files, and
// returns the files whose bytes change. Nothing is written. An update
// GRUB could not make (no such device, no block, block too small) is an
// error naming the save_env line, and no change is returned: GRUB skips
// only that save_env, but a half-applied set is worse than none here.
func EnvChanges(updates []boot.EnvUpdate) ([]EnvChange, error) {
	var out []EnvChange
	find := func(v *boot.Volume, p string) int {
		return slices.IndexFunc(out, func(c EnvChange) bool { return c.Volume == v && c.Path == p })
	}
	for _, u := range updates {
		where := fmt.Sprintf("grub: %s:%d: save_env", u.Origin.Path, u.Origin.Line)
		if u.Err != nil {
			return nil, fmt.Errorf("%s: %w", where, u.Err)
		}
		if u.Volume == nil || u.Volume.FS == nil {
			return nil, fmt.Errorf("%s: %s: volume not readable", where, u.Path)
		}
		k := find(u.Volume, u.Path)
		if k < 0 {
			b, err := boot.ReadFile(u.Volume.FS, u.Path, maxEnvFile)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			out = append(out, EnvChange{Volume: u.Volume, Path: u.Path, Old: b, New: b})
			k = len(out) - 1
		}
		nb, err := ApplyEnv(out[k].New, u.Vars)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", where, u.Path, err)
		}
		out[k].New = nb
		out[k].Origins = append(out[k].Origins, u.Origin)
	}
	return slices.DeleteFunc(out, func(c EnvChange) bool { return string(c.Old) == string(c.New) }), nil
}
