package probe

import "fmt"

// squashfs has no UUID and no label: only its version. Version 4 is
// little-endian "hsqs"; older versions (squashfs3) may be big-endian
// ("sqsh").

func probeSquashfs(d *dev) (*Identity, error) {
	b, err := d.read(0, 96)
	if b == nil || err != nil {
		return nil, err
	}
	if string(b[0:4]) != "hsqs" {
		return nil, nil
	}
	major, minor := le.Uint16(b[28:]), le.Uint16(b[30:])
	if major < 4 {
		return nil, nil
	}
	return &Identity{Version: fmt.Sprintf("%d.%d", major, minor)}, nil
}

func probeSquashfs3(d *dev) (*Identity, error) {
	b, err := d.read(0, 96)
	if b == nil || err != nil {
		return nil, err
	}
	var major, minor uint16
	switch string(b[0:4]) {
	case "hsqs":
		major, minor = le.Uint16(b[28:]), le.Uint16(b[30:])
	case "sqsh":
		major, minor = be.Uint16(b[28:]), be.Uint16(b[30:])
	default:
		return nil, nil
	}
	if major > 3 {
		return nil, nil
	}
	return &Identity{Version: fmt.Sprintf("%d.%d", major, minor)}, nil
}
