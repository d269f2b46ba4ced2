package probe

// Linux swap: the signature "SWAPSPACE2" (or the old "SWAP-SPACE") ends
// the first page, whose size is not known, so every page size Linux uses
// is tried. The v1 header at 1 KiB holds the version, the last page, the
// UUID and the label.

var swapPageSizes = []int64{4096, 8192, 16384, 32768, 65536}

func probeSwap(d *dev) (*Identity, error) {
	for _, ps := range swapPageSizes {
		m, err := d.read(ps-10, 10)
		if err != nil {
			return nil, err
		}
		if m == nil {
			return nil, nil
		}
		var version string
		switch string(m) {
		case "SWAPSPACE2":
			version = "1"
		case "SWAP-SPACE":
			version = "0"
		default:
			continue
		}
		h, err := d.read(1024, 512)
		if h == nil || err != nil {
			return nil, err
		}
		if version == "1" {
			v := le.Uint32(h[0:])
			if v != 1 && v != 0x01000000 {
				return nil, nil
			}
			if le.Uint32(h[4:]) == 0 {
				return nil, nil
			}
		}
		id := &Identity{Version: version}
		// Two zero words in the padding: the uuid and label are valid.
		if le.Uint32(h[44+128:]) == 0 && le.Uint32(h[44+132:]) == 0 {
			id.Label = label(h[28:44])
			if u := h[12:28]; !isZero(u) {
				id.UUID = uuidString(u)
			}
		}
		return id, nil
	}
	return nil, nil
}
