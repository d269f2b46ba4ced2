package probe

import (
	"bytes"
	"encoding/binary"
)

// ISO 9660: volume descriptors are 2 KiB sectors from 32 KiB on, ended by
// a type-255 one. The primary descriptor (type 1) holds the label and the
// identifier fields; a Joliet supplementary descriptor (type 2, with a
// UCS-2 escape sequence) holds them in UTF-16BE, and blkid merges the two
// (Joliet keeps case and non-ASCII characters, the primary one is longer).
// The UUID is the modification date (else the creation date) as
// "YYYY-MM-DD-HH-MM-SS-CC". High Sierra ("CDROM") is the format before.

const (
	isoSuperOff   = 0x8000
	isoSectorSize = 0x800
	isoVDMax      = 16
	isoDescSize   = 2048
	isoMergeMax   = 128 * 5 / 2
)

func probeISO9660(d *dev) (*Identity, error) {
	hs, err := d.read(isoSuperOff, 48+32)
	if hs == nil || err != nil {
		return nil, err
	}
	if string(hs[9:14]) == "CDROM" && string(hs[1:6]) != "CD001" {
		return &Identity{Version: "High Sierra", Label: label(hs[48 : 48+32]), BlockSize: isoSectorSize}, nil
	}
	if string(hs[1:6]) != "CD001" {
		return nil, nil
	}
	var boot, pvd, joliet []byte
	for i := int64(0); i < isoVDMax; i++ {
		if boot != nil && pvd != nil && joliet != nil {
			break
		}
		desc, err := d.read(isoSuperOff+i*isoSectorSize, isoDescSize)
		if err != nil {
			return nil, err
		}
		if desc == nil || desc[0] == 0xFF {
			break
		}
		switch desc[0] {
		case 0:
			if boot == nil {
				boot = desc
			}
		case 1:
			if pvd == nil {
				pvd = desc
			}
		case 2:
			if esc := string(desc[88:91]); joliet == nil && (esc == "%/@" || esc == "%/C" || esc == "%/E") {
				joliet = desc
			}
		}
	}
	if pvd == nil {
		return nil, nil
	}
	id := &Identity{}
	if bs := int(le.Uint16(pvd[128:])); bs > 0 {
		id.BlockSize = bs
	}
	id.SystemID = isoMergedAlways(pvd, joliet, 8, 32)
	id.VolumeSetID = isoMergedAlways(pvd, joliet, 190, 128)
	id.PublisherID = isoMergedIfSet(pvd, joliet, 318)
	id.DataPreparerID = isoMergedIfSet(pvd, joliet, 446)
	id.ApplicationID = isoMergedIfSet(pvd, joliet, 574)
	if u, ok := isoDateUUID(pvd[830 : 830+17]); ok {
		id.UUID = u
	} else if u, ok := isoDateUUID(pvd[813 : 813+17]); ok {
		id.UUID = u
	}
	if boot != nil {
		id.BootSystemID = label(boot[7 : 7+32])
	}
	if joliet != nil {
		id.Version = "Joliet Extension"
	}
	id.Label = isoMergedAlways(pvd, joliet, 40, 32)
	return id, nil
}

// isoDateUUID formats a 17-byte descriptor date as blkid's UUID; ok is
// false for an unset date (all '0' digits and a zero offset).
func isoDateUUID(date []byte) (string, bool) {
	digits := date[:16]
	if bytes.Count(digits, []byte("0")) == 16 && date[16] == 0 {
		return "", false
	}
	var b []byte
	for k, c := range digits {
		if k == 4 || k == 6 || k == 8 || k == 10 || k == 12 || k == 14 {
			b = append(b, '-')
		}
		b = append(b, c)
	}
	// blkid formats with %c: a NUL digit ends the string.
	return string(cString(b)), true
}

// isoMergedAlways is the field at pvd[at:at+n], merged with Joliet's copy
// when there is one.
func isoMergedAlways(pvd, joliet []byte, at, n int) string {
	if joliet == nil {
		return label(pvd[at : at+n])
	}
	if m, ok := isoMerge(joliet[at:at+n], pvd[at:at+n]); ok {
		return utf16Label(m, binary.BigEndian)
	}
	return utf16Label(joliet[at:at+n], binary.BigEndian)
}

// isoMergedIfSet is like isoMergedAlways for the 128-byte publisher,
// preparer and application fields, which are unset when empty or when
// they start with '_' (a file reference).
func isoMergedIfSet(pvd, joliet []byte, at int) string {
	ascii := pvd[at : at+128]
	asciiEmpty := isStrEmpty(ascii) || ascii[0] == '_'
	var uni []byte
	uniEmpty := true
	if joliet != nil {
		uni = joliet[at : at+128]
		uniEmpty = isUTF16BEEmpty(uni) || (uni[0] == 0 && uni[1] == '_')
	}
	switch {
	case !uniEmpty && !asciiEmpty:
		if m, ok := isoMerge(uni, ascii); ok {
			return utf16Label(m, binary.BigEndian)
		}
		return utf16Label(uni, binary.BigEndian)
	case !uniEmpty:
		return utf16Label(uni, binary.BigEndian)
	case !asciiEmpty:
		return label(ascii)
	}
	return ""
}

func isStrEmpty(s []byte) bool {
	if len(s) == 0 || s[0] == 0 {
		return true
	}
	for _, c := range s {
		if !isCSpace(c) {
			return false
		}
	}
	return true
}

func isUTF16BEEmpty(s []byte) bool {
	for i := 0; i+1 < len(s); i += 2 {
		if s[i] != 0 || !isCSpace(s[i+1]) {
			return false
		}
	}
	return true
}

// isoMerge combines a Joliet UTF-16BE field with the primary descriptor's
// ASCII copy of the same length n (in bytes): where the ASCII one has '_'
// (a character it cannot hold) Joliet's character is used, where Joliet's
// has '_' the ASCII one is, where they are the same letter Joliet's case
// wins over an upper-case ASCII one, and the ASCII field's tail beyond
// Joliet's (which holds half as many characters) is appended. ok is false
// when the two disagree. The result is UTF-16BE.
func isoMerge(utf16, ascii []byte) ([]byte, bool) {
	n := len(ascii)
	out := make([]byte, 0, isoMergeMax)
	a, u := 0, 0
	for u+1 < n && a < n && len(out)+1 < isoMergeMax {
		if utf16[u] >= 0xD8 && utf16[u] <= 0xDB && u+3 < n && utf16[u+2] >= 0xDC && utf16[u+2] <= 0xDF {
			out = append(out, utf16[u], utf16[u+1])
			u += 2
		}
		c, hi, lo := ascii[a], utf16[u], utf16[u+1]
		switch {
		case c == '_':
			out = append(out, hi, lo)
		case hi == 0 && lo == '_':
			out = append(out, 0, c)
		case hi == 0 && toLowerASCII(c) == toLowerASCII(lo):
			if c >= 'A' && c <= 'Z' {
				out = append(out, 0, lo)
			} else {
				out = append(out, 0, c)
			}
		default:
			return nil, false
		}
		a++
		u += 2
	}
	for a < n && len(out)+1 < isoMergeMax {
		out = append(out, 0, ascii[a])
		a++
	}
	if len(out) == 0 {
		return nil, false
	}
	return out, true
}

func toLowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
