// Package uki reads Unified Kernel Images (UAPI Type #2 boot entries): PE
// files that hold a Linux kernel (.linux), its initrd (.initrd, after a
// microcode .ucode), command line (.cmdline), os-release (.osrel), kernel
// release (.uname), devicetrees (.dtb) and, in multi-profile UKIs, several
// .profile sections that override the base sections.
//
// The PE headers are parsed with the standard library's debug/pe. Every
// section's place in the file is checked against the file size and against
// the other sections before anything is read, so a truncated or hostile file
// gives an error, never a panic or a huge allocation. Section contents are
// handed out as io.SectionReaders; only small text sections are read into
// memory, and only up to a limit.
package uki

import (
	"bytes"
	"debug/pe"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// MaxTextSection bounds the text sections (.cmdline, .osrel, .uname,
// .profile) that are read into memory.
const MaxTextSection = 1 << 20

// ErrNotUKI is returned for a valid PE file that has no .linux section.
var ErrNotUKI = errors.New("uki: no .linux section: not a unified kernel image")

// Section is one PE section's data in the file.
type Section struct {
	Name   string
	Offset int64 // file offset of the data
	Size   int64 // bytes of data (the section's virtual size)
	// Profile is -1 for the base profile, else the index of the .profile
	// section this section follows (the .profile section itself included).
	Profile int
}

// Image is an opened UKI.
type Image struct {
	r        io.ReaderAt
	size     int64
	sections []Section
	profiles int // number of .profile sections
}

// Open reads the PE headers of a UKI of the given size from r and checks
// its section table. It returns ErrNotUKI (wrapped) when the PE file is
// valid but has no .linux section.
func Open(r io.ReaderAt, size int64) (im *Image, err error) {
	defer func() {
		// debug/pe is robust, but a boot loader must never die on a file.
		if p := recover(); p != nil {
			im, err = nil, fmt.Errorf("uki: malformed PE file: %v", p)
		}
	}()
	if size < 64 {
		return nil, fmt.Errorf("uki: file too small for a PE image (%d bytes)", size)
	}
	var mz [2]byte
	if _, err := r.ReadAt(mz[:], 0); err != nil {
		return nil, fmt.Errorf("uki: reading header: %w", err)
	}
	if string(mz[:]) != "MZ" {
		return nil, errors.New("uki: not a PE file (no MZ signature)")
	}
	f, err := pe.NewFile(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("uki: malformed PE file: %w", err)
	}
	im = &Image{r: r, size: size}
	profile := -1
	for _, s := range f.Sections {
		h := s.SectionHeader
		n := int64(h.VirtualSize)
		if n == 0 {
			n = int64(h.Size)
		}
		off := int64(h.Offset)
		if n > int64(h.Size) {
			return nil, fmt.Errorf("uki: section %q: virtual size %d is larger than its %d bytes in the file", h.Name, n, h.Size)
		}
		if n > 0 && (off <= 0 || off > size || n > size-off) {
			return nil, fmt.Errorf("uki: section %q: bytes %d..%d lie outside the %d-byte file", h.Name, off, off+n, size)
		}
		if h.Name == ".profile" {
			profile++
			im.profiles++
		}
		im.sections = append(im.sections, Section{Name: h.Name, Offset: off, Size: n, Profile: profile})
	}
	if err := checkOverlap(im.sections); err != nil {
		return nil, err
	}
	if !im.anyNamed(".linux") {
		return nil, ErrNotUKI
	}
	return im, nil
}

func checkOverlap(secs []Section) error {
	s := make([]Section, 0, len(secs))
	for _, x := range secs {
		if x.Size > 0 {
			s = append(s, x)
		}
	}
	sort.Slice(s, func(i, j int) bool { return s[i].Offset < s[j].Offset })
	for i := 1; i < len(s); i++ {
		if s[i].Offset < s[i-1].Offset+s[i-1].Size {
			return fmt.Errorf("uki: sections %q and %q overlap in the file", s[i-1].Name, s[i].Name)
		}
	}
	return nil
}

func (im *Image) anyNamed(name string) bool {
	for _, s := range im.sections {
		if s.Name == name {
			return true
		}
	}
	return false
}

// find returns the section called name that applies to a profile: the
// profile's own section if it has one, else the base profile's. profile -1
// looks in the base profile only.
func (im *Image) find(name string, profile int) *Section {
	var base *Section
	for i := range im.sections {
		s := &im.sections[i]
		if s.Name != name {
			continue
		}
		if profile >= 0 && s.Profile == profile {
			return s
		}
		if s.Profile == -1 && base == nil {
			base = s
		}
	}
	return base
}

// Size is the size of the file.
func (im *Image) Size() int64 { return im.size }

// Sections lists every section in file order.
func (im *Image) Sections() []Section { return append([]Section(nil), im.sections...) }

// Profiles is the number of .profile sections; 0 for a plain UKI, which has
// only the base profile. Profile numbers run from 0 to Profiles()-1.
func (im *Image) Profiles() int { return im.profiles }

// Section returns a reader for the named section as seen by profile (-1 or
// 0 for a plain UKI), or nil if there is no such section.
func (im *Image) Section(name string, profile int) *io.SectionReader {
	s := im.find(name, profile)
	if s == nil {
		return nil
	}
	return io.NewSectionReader(im.r, s.Offset, s.Size)
}

// Text returns the named section as text, for profile: NUL bytes and
// what follows them are dropped, as is trailing white space. ok is false if
// there is no such section. Sections over MaxTextSection are an error.
func (im *Image) Text(name string, profile int) (text string, ok bool, err error) {
	s := im.find(name, profile)
	if s == nil {
		return "", false, nil
	}
	if s.Size > MaxTextSection {
		return "", true, fmt.Errorf("uki: section %s is %d bytes, more than the %d allowed for text", name, s.Size, MaxTextSection)
	}
	b := make([]byte, s.Size)
	if _, err := im.r.ReadAt(b, s.Offset); err != nil && !(errors.Is(err, io.EOF) && s.Size == 0) {
		return "", true, fmt.Errorf("uki: reading section %s: %w", name, err)
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimRight(string(b), " \t\r\n"), true, nil
}

// Boot is what a kexec loader needs from a UKI for one profile.
type Boot struct {
	Kernel *io.SectionReader
	// Initrds are the .ucode then the .initrd section, those present.
	Initrds []*io.SectionReader
	// Cmdline is the .cmdline section, "" if absent.
	Cmdline    string
	HasCmdline bool
	// Devicetree is the first .dtb section, nil if none.
	Devicetree *io.SectionReader
}

// Boot gathers the kernel, initrds, command line and devicetree of a
// profile (-1 or 0 selects the default for a plain UKI; a multi-profile UKI
// boots profile 0 by default).
func (im *Image) Boot(profile int) (Boot, error) {
	if profile < -1 || profile >= max(im.profiles, 1) {
		return Boot{}, fmt.Errorf("uki: no profile @%d (the image has %d)", profile, im.profiles)
	}
	if profile < 0 && im.profiles > 0 {
		profile = 0
	}
	var b Boot
	if b.Kernel = im.Section(".linux", profile); b.Kernel == nil {
		return Boot{}, fmt.Errorf("uki: profile @%d has no .linux section", profile)
	}
	for _, n := range []string{".ucode", ".initrd"} {
		if r := im.Section(n, profile); r != nil {
			b.Initrds = append(b.Initrds, r)
		}
	}
	var err error
	b.Cmdline, b.HasCmdline, err = im.Text(".cmdline", profile)
	if err != nil {
		return Boot{}, err
	}
	b.Devicetree = im.Section(".dtb", profile)
	return b, nil
}

// OSRelease parses the .osrel section (os-release syntax), nil if absent.
func (im *Image) OSRelease() (map[string]string, error) {
	t, ok, err := im.Text(".osrel", -1)
	if err != nil || !ok {
		return nil, err
	}
	return ParseEnv(t), nil
}

// ProfileInfo is what a .profile section says about its profile.
type ProfileInfo struct {
	Index     int
	ID, Title string
}

// ProfileInfo reads the .profile section of profile i.
func (im *Image) ProfileInfo(i int) (ProfileInfo, error) {
	n := -1
	for _, s := range im.sections {
		if s.Name != ".profile" {
			continue
		}
		if n++; n != i {
			continue
		}
		t, _, err := im.Text(".profile", i)
		if err != nil {
			return ProfileInfo{Index: i}, err
		}
		kv := ParseEnv(t)
		return ProfileInfo{Index: i, ID: kv["ID"], Title: kv["TITLE"]}, nil
	}
	return ProfileInfo{}, fmt.Errorf("uki: no profile @%d", i)
}

// ParseEnv parses os-release style KEY=VALUE lines: blank lines and '#'
// comments are skipped, and a value in single or double quotes is unquoted
// (backslash escapes the next character inside double quotes).
func ParseEnv(s string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		m[strings.TrimSpace(k)] = unquote(strings.TrimSpace(v))
	}
	return m
}

func unquote(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1]
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		if u, err := strconv.Unquote(v); err == nil {
			return u
		}
		var b strings.Builder
		in := v[1 : len(v)-1]
		for i := 0; i < len(in); i++ {
			if in[i] == '\\' && i+1 < len(in) {
				i++
			}
			b.WriteByte(in[i])
		}
		return b.String()
	}
	return v
}
