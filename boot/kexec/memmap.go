package kexec

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// E820Type is the firmware's name for a physical memory range, as numbered
// in the x86 e820 table that boot_params carries.
type E820Type uint32

// The e820 types Linux names in /sys/firmware/memmap and /proc/iomem.
const (
	E820RAM          E820Type = 1
	E820Reserved     E820Type = 2
	E820ACPI         E820Type = 3
	E820NVS          E820Type = 4
	E820Unusable     E820Type = 5
	E820PMEM         E820Type = 7
	E820PRAM         E820Type = 12
	E820SoftReserved E820Type = 0xefffffff
)

// e820Names are the kernel's strings for the types (e820_type_to_string).
var e820Names = map[string]E820Type{
	"System RAM":                 E820RAM,
	"Reserved":                   E820Reserved,
	"reserved":                   E820Reserved,
	"ACPI Tables":                E820ACPI,
	"ACPI Non-volatile Storage":  E820NVS,
	"Unusable memory":            E820Unusable,
	"Persistent Memory":          E820PMEM,
	"Persistent Memory (legacy)": E820PRAM,
	"Soft Reserved":              E820SoftReserved,
}

// MemRange is the physical range [Start, End) and its type.
type MemRange struct {
	Start, End uint64
	Type       E820Type
}

func (r MemRange) String() string { return fmt.Sprintf("[%#x-%#x) type %d", r.Start, r.End, r.Type) }

// ParseMemmap reads the firmware's memory map as the kernel exports it in
// /sys/firmware/memmap: one directory per range holding start, end
// (inclusive) and type. fsys is rooted at that directory. A type the
// kernel names but this table does not know counts as reserved.
func ParseMemmap(fsys fs.FS) ([]MemRange, error) {
	dirs, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("kexec: memmap: %w", err)
	}
	var out []MemRange
	for _, d := range dirs {
		read := func(name string) (string, error) {
			b, err := fs.ReadFile(fsys, d.Name()+"/"+name)
			if err != nil {
				return "", fmt.Errorf("kexec: memmap: %w", err)
			}
			return strings.TrimSpace(string(b)), nil
		}
		var s [3]string
		for i, name := range []string{"start", "end", "type"} {
			if s[i], err = read(name); err != nil {
				return nil, err
			}
		}
		r, err := memRange(s[0], s[1], s[2])
		if err != nil {
			return nil, fmt.Errorf("kexec: memmap/%s: %w", d.Name(), err)
		}
		out = append(out, r)
	}
	return sortRanges(out)
}

// ParseIomem reads the top-level ranges of /proc/iomem that are firmware
// memory map entries, for kernels without /sys/firmware/memmap. Nested
// (indented) lines and bus windows are left out.
func ParseIomem(r io.Reader) ([]MemRange, error) {
	var out []MemRange
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || line[0] == ' ' {
			continue
		}
		span, name, ok := strings.Cut(line, " : ")
		if !ok {
			return nil, fmt.Errorf("kexec: /proc/iomem:%d: no \" : \" in %q", n, line)
		}
		if _, known := e820Names[name]; !known {
			continue
		}
		start, end, ok := strings.Cut(span, "-")
		if !ok {
			return nil, fmt.Errorf("kexec: /proc/iomem:%d: no range in %q", n, line)
		}
		r, err := memRange("0x"+start, "0x"+end, name)
		if err != nil {
			return nil, fmt.Errorf("kexec: /proc/iomem:%d: %w", n, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("kexec: /proc/iomem: %w", err)
	}
	return sortRanges(out)
}

func memRange(start, end, name string) (MemRange, error) {
	s, err := strconv.ParseUint(start, 0, 64)
	if err != nil {
		return MemRange{}, err
	}
	e, err := strconv.ParseUint(end, 0, 64)
	if err != nil {
		return MemRange{}, err
	}
	if e < s || e == ^uint64(0) {
		return MemRange{}, fmt.Errorf("bad range %s-%s", start, end)
	}
	t, ok := e820Names[name]
	if !ok {
		t = E820Reserved
	}
	return MemRange{Start: s, End: e + 1, Type: t}, nil
}

func sortRanges(rs []MemRange) ([]MemRange, error) {
	if len(rs) == 0 {
		return nil, fmt.Errorf("kexec: the firmware memory map is empty")
	}
	slices.SortFunc(rs, func(a, b MemRange) int { return cmp.Compare(a.Start, b.Start) })
	return rs, nil
}

// ParseSystab returns the ACPI RSDP address that /sys/firmware/efi/systab
// lists (ACPI20 before ACPI), or 0.
func ParseSystab(r io.Reader) uint64 {
	sc := bufio.NewScanner(r)
	var acpi1, acpi2 uint64
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(v, 0, 64)
		if err != nil {
			continue
		}
		switch k {
		case "ACPI20":
			acpi2 = n
		case "ACPI":
			acpi1 = n
		}
	}
	if acpi2 != 0 {
		return acpi2
	}
	return acpi1
}
