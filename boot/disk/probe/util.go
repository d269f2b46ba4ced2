package probe

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
	"unicode/utf16"
)

var (
	le = binary.LittleEndian
	be = binary.BigEndian

	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

// cString is b up to its first NUL byte.
func cString(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// isCSpace is C's isspace in the "C" locale.
func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// label is a fixed-size on-disk label as blkid prints it: up to the first
// NUL, trailing white space removed.
func label(b []byte) string {
	b = cString(b)
	for len(b) > 0 && isCSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return string(b)
}

// trimRight removes trailing C white space from a decoded string.
func trimRight(s string) string {
	return strings.TrimRightFunc(s, func(r rune) bool { return r < 0x80 && isCSpace(byte(r)) })
}

// utf16Label decodes a UTF-16 label (little or big endian) up to its first
// NUL, trailing white space removed.
func utf16Label(b []byte, order binary.ByteOrder) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := order.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return trimRight(string(utf16.Decode(u)))
}

// isZero reports whether b is all zero bytes.
func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// uuidString formats 16 bytes as a lowercase 8-4-4-4-12 UUID, byte order
// as stored (ext4, xfs, btrfs, swap).
func uuidString(b []byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// guidString formats a 16-byte GUID stored in the mixed-endian EFI layout
// as a lowercase 8-4-4-4-12 string.
func guidString(b []byte) string {
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x",
		le.Uint32(b[0:4]), le.Uint16(b[4:6]), le.Uint16(b[6:8]), b[8:10], b[10:16])
}
