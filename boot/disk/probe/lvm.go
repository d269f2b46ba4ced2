package probe

import (
	"bytes"
	"hash/crc32"
)

// LVM2 physical volumes carry a 512-byte label in one of the first four
// sectors: "LABELONE", the sector number, a CRC of the rest of the label,
// the offset of the PV header, "LVM2 001", then the PV UUID (32 ASCII
// characters, printed by LVM as 6-4-4-4-4-4-6).

const lvmInitialCRC = 0xf597a6cf

// lvmCRC is LVM's CRC: the reflected CRC-32 polynomial with LVM's own
// initial value and no final inversion.
func lvmCRC(b []byte) uint32 {
	return ^crc32.Update(^uint32(lvmInitialCRC), crc32.IEEETable, b)
}

func probeLVM2(d *dev) (*Identity, error) {
	// The order libblkid tries the label positions in.
	for _, sector := range []int64{1, 0, 2, 3} {
		b, err := d.read(sector*512, 512)
		if b == nil || err != nil {
			return nil, err
		}
		if !bytes.Equal(b[0:8], []byte("LABELONE")) || !bytes.Equal(b[24:32], []byte("LVM2 001")) {
			continue
		}
		if le.Uint64(b[8:]) != uint64(sector) {
			continue
		}
		if lvmCRC(b[20:512]) != le.Uint32(b[16:]) {
			continue
		}
		id := &Identity{Version: "LVM2 001"}
		if u := b[32:64]; !isZero(u) {
			f := string(u[0:6]) + "-" + string(u[6:10]) + "-" + string(u[10:14]) + "-" +
				string(u[14:18]) + "-" + string(u[18:22]) + "-" + string(u[22:26]) + "-" + string(u[26:32])
			id.UUID = string(cString([]byte(f)))
		}
		return id, nil
	}
	return nil, nil
}
