// Package ukitest builds small synthetic PE files with chosen sections, for
// tests of UKI readers. The files are valid enough for debug/pe and for
// systemd's tools to read their sections; they are not runnable.
package ukitest

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
)

// Section is one section to put in the image.
type Section struct {
	Name string
	Data []byte
}

const fileAlign = 512

// Build returns a PE32+ (x86-64 EFI application) image holding sections in
// order, each aligned to 512 bytes in the file.
func Build(sections ...Section) []byte {
	const peOff = 0x80
	hdrSize := peOff + 4 + binary.Size(pe.FileHeader{}) + binary.Size(pe.OptionalHeader64{}) + 40*len(sections)
	dataStart := align(hdrSize)

	var sh []pe.SectionHeader32
	off := dataStart
	va := uint32(0x1000)
	for _, s := range sections {
		var name [8]uint8
		copy(name[:], s.Name)
		raw := align(len(s.Data))
		sh = append(sh, pe.SectionHeader32{
			Name: name, VirtualSize: uint32(len(s.Data)), VirtualAddress: va,
			SizeOfRawData: uint32(raw), PointerToRawData: uint32(off),
			Characteristics: pe.IMAGE_SCN_CNT_INITIALIZED_DATA | pe.IMAGE_SCN_MEM_READ,
		})
		if raw == 0 {
			sh[len(sh)-1].PointerToRawData = 0
		}
		off += raw
		va += uint32((len(s.Data) + 0xfff) &^ 0xfff)
		if len(s.Data) == 0 {
			va += 0x1000
		}
	}
	var b bytes.Buffer
	dos := make([]byte, peOff)
	copy(dos, "MZ")
	binary.LittleEndian.PutUint32(dos[0x3c:], peOff)
	b.Write(dos)
	b.WriteString("PE\x00\x00")
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	w(pe.FileHeader{
		Machine: pe.IMAGE_FILE_MACHINE_AMD64, NumberOfSections: uint16(len(sections)),
		SizeOfOptionalHeader: uint16(binary.Size(pe.OptionalHeader64{})),
		Characteristics:      pe.IMAGE_FILE_EXECUTABLE_IMAGE | pe.IMAGE_FILE_LARGE_ADDRESS_AWARE,
	})
	w(pe.OptionalHeader64{
		Magic: 0x20b, ImageBase: 0x10000000, SectionAlignment: 0x1000, FileAlignment: fileAlign,
		SizeOfImage: va, SizeOfHeaders: uint32(dataStart), Subsystem: pe.IMAGE_SUBSYSTEM_EFI_APPLICATION,
		NumberOfRvaAndSizes: 16,
	})
	for _, h := range sh {
		w(h)
	}
	b.Write(make([]byte, dataStart-b.Len()))
	for _, s := range sections {
		b.Write(s.Data)
		b.Write(make([]byte, align(len(s.Data))-len(s.Data)))
	}
	return b.Bytes()
}

func align(n int) int { return (n + fileAlign - 1) &^ (fileAlign - 1) }

// UKI is the usual set of sections of a unified kernel image.
func UKI(osrel, cmdline string, kernel, initrd []byte) []byte {
	s := []Section{{".osrel", []byte(osrel)}}
	if cmdline != "" {
		s = append(s, Section{".cmdline", []byte(cmdline)})
	}
	s = append(s, Section{".linux", kernel})
	if initrd != nil {
		s = append(s, Section{".initrd", initrd})
	}
	return Build(s...)
}
