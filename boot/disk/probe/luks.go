package probe

import (
	"bytes"
	"strconv"
)

// LUKS1 and LUKS2 headers start with "LUKS\xba\xbe" and a big-endian
// version; both keep the UUID as text at offset 168. LUKS2 adds a label
// and a subsystem, and a secondary header (magic "SKUL\xba\xbe") at one of
// a few fixed offsets, used when the primary one is gone.

const luksHeaderSize = 4096

var (
	luksMagic  = []byte("LUKS\xba\xbe")
	luksMagic2 = []byte("SKUL\xba\xbe")
	// luks2Secondary are the offsets a LUKS2 secondary header may be at.
	luks2Secondary = []int64{0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000, 0x400000}
)

func luksValid(h, magic []byte, off int64) bool {
	if !bytes.Equal(h[:6], magic) {
		return false
	}
	if be.Uint16(h[6:]) != 2 {
		return true
	}
	return be.Uint64(h[256:]) == uint64(off)
}

func luksIdentity(h []byte) *Identity {
	v := be.Uint16(h[6:])
	id := &Identity{Version: strconv.Itoa(int(v))}
	switch v {
	case 1:
		id.UUID = string(cString(h[168 : 168+40]))
	case 2:
		id.UUID = string(cString(h[168 : 168+40]))
		id.Label = label(h[24 : 24+48])
		id.Subsystem = label(h[208 : 208+48])
	}
	return id
}

func probeLUKS(d *dev) (*Identity, error) {
	h, err := d.read(0, luksHeaderSize)
	if h == nil || err != nil {
		return nil, err
	}
	if luksValid(h, luksMagic, 0) {
		return luksIdentity(h), nil
	}
	for _, off := range luks2Secondary {
		m, err := d.read(off, len(luksMagic2))
		if m == nil || err != nil {
			return nil, err
		}
		if !bytes.Equal(m, luksMagic2) {
			continue
		}
		h, err := d.read(off, luksHeaderSize)
		if h == nil || err != nil {
			return nil, err
		}
		if luksValid(h, luksMagic2, off) {
			return luksIdentity(h), nil
		}
	}
	return nil, nil
}
