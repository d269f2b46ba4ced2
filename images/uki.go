package images

// This file builds Unified Kernel Images.
//
// A UKI is the systemd-boot-efi stub (a PE32+ EFI application) with the
// kernel, initrd, command line and os-release added as PE sections. The
// stub is read with the standard library's debug/pe. No well-kept Go
// library writes PE files, and objcopy is an external tool whose output
// depends on its version, so the new section headers are written here by
// hand: they are placed as systemd's ukify places them (after the stub's
// last section, aligned to the stub's section alignment, in the free space
// after the stub's section table), and SizeOfImage is updated to match.

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// UKIOption configures BuildUKI.
type UKIOption func(*ukiOptions)

type ukiOptions struct {
	initrd    []byte
	cmdline   string
	osRelease string
	uname     string
	noUname   bool
}

// WithUKIInitrd sets the .initrd section (the leapboot initramfs).
func WithUKIInitrd(b []byte) UKIOption { return func(o *ukiOptions) { o.initrd = b } }

// WithUKICmdline sets the .cmdline section, the kernel command line.
func WithUKICmdline(s string) UKIOption { return func(o *ukiOptions) { o.cmdline = s } }

// WithUKIOSRelease sets the .osrel section (os-release syntax); the
// default is DefaultUKIOSRelease.
func WithUKIOSRelease(s string) UKIOption { return func(o *ukiOptions) { o.osRelease = s } }

// WithUKIUname sets the .uname section, the kernel release. By default it is
// read from the kernel's setup header; "" leaves the section out.
func WithUKIUname(s string) UKIOption {
	return func(o *ukiOptions) { o.uname, o.noUname = s, s == "" }
}

// DefaultUKIOSRelease is the .osrel section of a leapboot UKI.
const DefaultUKIOSRelease = "ID=leapboot\nNAME=leapboot\nPRETTY_NAME=\"leapboot\"\n"

// PE section characteristics, as ukify sets them.
const (
	scnCode     = pe.IMAGE_SCN_CNT_CODE | pe.IMAGE_SCN_MEM_READ
	scnData     = pe.IMAGE_SCN_CNT_INITIALIZED_DATA | pe.IMAGE_SCN_MEM_READ
	sectionSize = 40 // bytes of one section header
)

// BuildUKI writes to w a unified kernel image made of stub (systemd's
// linuxx64.efi.stub, from the systemd-boot-efi package) and kernel (a bzImage
// with an EFI stub), with the sections .osrel, .cmdline, .uname, .linux and
// .initrd, those given, in that order. Two builds of the same inputs are
// byte-identical.
func BuildUKI(w io.Writer, stub, kernel []byte, opts ...UKIOption) error {
	o := ukiOptions{osRelease: DefaultUKIOSRelease}
	for _, opt := range opts {
		opt(&o)
	}
	if len(kernel) == 0 {
		return errors.New("images: uki: no kernel")
	}
	if o.uname == "" && !o.noUname {
		o.uname = KernelRelease(kernel)
	}
	type section struct {
		name  string
		data  []byte
		flags uint32
	}
	var add []section
	for _, s := range []section{
		{".osrel", []byte(o.osRelease), scnData},
		{".cmdline", []byte(o.cmdline), scnData},
		{".uname", []byte(o.uname), scnData},
		{".linux", kernel, scnCode},
		{".initrd", o.initrd, scnData},
	} {
		if len(s.data) > 0 || s.name == ".linux" {
			add = append(add, s)
		}
	}

	f, err := pe.NewFile(bytes.NewReader(stub))
	if err != nil {
		return fmt.Errorf("images: uki: reading the stub: %w", err)
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		return errors.New("images: uki: the stub is not a PE32+ (64-bit) image")
	}
	if oh.Subsystem != pe.IMAGE_SUBSYSTEM_EFI_APPLICATION {
		return fmt.Errorf("images: uki: the stub is not an EFI application (subsystem %d)", oh.Subsystem)
	}
	if oh.NumberOfRvaAndSizes > pe.IMAGE_DIRECTORY_ENTRY_SECURITY && oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_SECURITY].Size != 0 {
		return errors.New("images: uki: the stub is signed; use the unsigned stub and sign the UKI afterwards")
	}
	for _, s := range f.Sections {
		for _, a := range add {
			if s.Name == a.name {
				return fmt.Errorf("images: uki: the stub already has a %s section", a.name)
			}
		}
	}
	salign, falign := oh.SectionAlignment, oh.FileAlignment
	if salign == 0 || falign == 0 || salign&(salign-1) != 0 || falign&(falign-1) != 0 {
		return fmt.Errorf("images: uki: the stub's alignments (section %#x, file %#x) are not powers of two", salign, falign)
	}

	// Where the headers are in the file.
	peOff := int64(binary.LittleEndian.Uint32(stub[0x3c:]))
	fileHdr := peOff + 4
	optHdr := fileHdr + int64(binary.Size(pe.FileHeader{}))
	table := optHdr + int64(f.FileHeader.SizeOfOptionalHeader)
	tableEnd := table + int64(len(f.Sections))*sectionSize
	need := tableEnd + int64(len(add))*sectionSize
	if need > int64(oh.SizeOfHeaders) {
		return fmt.Errorf("images: uki: the stub's headers (%d bytes) have no room for %d more section headers (%d bytes needed)",
			oh.SizeOfHeaders, len(add), need)
	}
	firstData := int64(oh.SizeOfHeaders)
	for _, s := range f.Sections {
		if s.Size > 0 && int64(s.Offset) < firstData {
			firstData = int64(s.Offset)
		}
	}
	if need > firstData {
		return fmt.Errorf("images: uki: the stub's section data starts at %#x, before the room %d new section headers need", firstData, len(add))
	}
	for _, b := range stub[tableEnd:need] {
		if b != 0 {
			return errors.New("images: uki: the space after the stub's section table is not empty")
		}
	}

	// The new sections go after everything the stub has, in the file and in
	// memory.
	va := uint64(oh.SizeOfImage)
	for _, s := range f.Sections {
		va = max(va, uint64(s.VirtualAddress)+uint64(s.VirtualSize))
	}
	va = alignUp(va, uint64(salign))
	off := alignUp(uint64(len(stub)), uint64(falign))

	out := make([]byte, off, off+uint64(len(kernel)+len(o.initrd))+1<<16)
	copy(out, stub)
	le := binary.LittleEndian
	initData := uint64(oh.SizeOfInitializedData)
	for i, s := range add {
		var h pe.SectionHeader32
		copy(h.Name[:], s.name)
		size := uint64(len(s.data))
		raw := alignUp(size, uint64(falign))
		if va+alignUp(size, uint64(salign)) > 1<<32-1 || off+raw > 1<<32-1 {
			return fmt.Errorf("images: uki: section %s (%d bytes) does not fit in a PE image", s.name, size)
		}
		h.VirtualSize, h.VirtualAddress = uint32(size), uint32(va)
		h.SizeOfRawData, h.PointerToRawData = uint32(raw), uint32(off)
		h.Characteristics = s.flags
		var hb bytes.Buffer
		_ = binary.Write(&hb, le, h)
		copy(out[tableEnd+int64(i)*sectionSize:], hb.Bytes())
		out = append(out, s.data...)
		out = append(out, make([]byte, raw-size)...)
		initData += size
		off += raw
		va = alignUp(va+size, uint64(salign))
	}
	le.PutUint16(out[fileHdr+2:], uint16(len(f.Sections)+len(add)))
	// PE32+ optional header: SizeOfInitializedData at 8, SizeOfImage at 56,
	// CheckSum at 64 (zeroed as ukify does: EFI loaders do not check it).
	le.PutUint32(out[optHdr+8:], uint32(min(initData, 1<<32-1)))
	le.PutUint32(out[optHdr+56:], uint32(va))
	le.PutUint32(out[optHdr+64:], 0)
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("images: uki: %w", err)
	}
	return nil
}

func alignUp(v, a uint64) uint64 { return (v + a - 1) &^ (a - 1) }

// KernelRelease reads the kernel release ("6.1.0-27-amd64") from an x86
// bzImage's setup header, "" if the image has none.
func KernelRelease(bzImage []byte) string {
	const hdrS, versionPtr = 0x202, 0x20e
	if len(bzImage) < versionPtr+2 || string(bzImage[hdrS:hdrS+4]) != "HdrS" {
		return ""
	}
	p := int(binary.LittleEndian.Uint16(bzImage[versionPtr:]))
	if p == 0 || 0x200+p >= len(bzImage) {
		return ""
	}
	s := bzImage[0x200+p:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	} else {
		return ""
	}
	// "6.1.0-27-amd64 (debian-kernel@lists.debian.org) #1 SMP ..."
	if i := bytes.IndexByte(s, ' '); i >= 0 {
		s = s[:i]
	}
	return string(s)
}
