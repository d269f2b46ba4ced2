package grub

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/leapboot/leapboot/boot"
)

// devices maps GRUB device names onto the volumes. Disks are numbered in
// the order they first appear in the volume slice (hd0, hd1, …); a
// partition is named by its table type and number (hd0,gpt2 or
// hd0,msdos1). Whole-disk iso9660/udf volumes are also cd0, cd1, ….
type devices struct {
	vols  []*boot.Volume
	names []string
	byKey map[string]*boot.Volume
}

func newDevices(vols []*boot.Volume) *devices {
	d := &devices{vols: vols, byKey: map[string]*boot.Volume{}}
	disks := map[string]int{}
	cd := 0
	for idx, v := range vols {
		if v == nil {
			d.names = append(d.names, "")
			continue
		}
		key := v.Disk
		if key == "" {
			key = v.Device
		}
		if key == "" {
			key = "#" + strconv.Itoa(idx)
		}
		n, ok := disks[key]
		if !ok {
			n = len(disks)
			disks[key] = n
		}
		disk := "hd" + strconv.Itoa(n)
		name := disk
		if v.Partition > 0 {
			scheme := "gpt"
			if strings.HasPrefix(v.PartType, "0x") {
				scheme = "msdos"
			}
			name = fmt.Sprintf("%s,%s%d", disk, scheme, v.Partition)
			// "hd0,2" finds the partition whatever its table type.
			d.byKey[fmt.Sprintf("%s,%d", disk, v.Partition)] = v
		} else if t := strings.ToLower(v.FSType); t == "iso9660" || t == "udf" {
			d.byKey["cd"+strconv.Itoa(cd)] = v
			cd++
		}
		d.names = append(d.names, name)
		if _, dup := d.byKey[name]; !dup {
			d.byKey[name] = v
		}
	}
	return d
}

// name is the GRUB device name of v ("hd0,gpt2"), or "" if unknown.
func (d *devices) name(v *boot.Volume) string {
	for i, w := range d.vols {
		if w == v {
			return d.names[i]
		}
	}
	return ""
}

// lookup finds the volume a GRUB device name refers to. It accepts the
// name with or without parentheses.
func (d *devices) lookup(dev string) *boot.Volume {
	dev = strings.TrimSpace(dev)
	if strings.HasPrefix(dev, "(") && strings.HasSuffix(dev, ")") {
		dev = dev[1 : len(dev)-1]
	}
	if v, ok := d.byKey[dev]; ok {
		return v
	}
	// (hd0,gpt2) spelled with another table type or nested names.
	disk, rest, ok := strings.Cut(dev, ",")
	if !ok {
		return nil
	}
	first, _, _ := strings.Cut(rest, ",")
	num := strings.TrimLeft(first, "abcdefghijklmnopqrstuvwxyz")
	if n, err := strconv.Atoi(num); err == nil {
		return d.byKey[disk+","+strconv.Itoa(n)]
	}
	return nil
}

// errNotFound is a missing file; it matches fs.ErrNotExist.
type notFoundError struct{ name string }

func (e *notFoundError) Error() string        { return e.name + ": file not found" }
func (e *notFoundError) Is(target error) bool { return target == fs.ErrNotExist }

// errNoDevice is an unknown GRUB device.
type noDeviceError struct{ name string }

func (e *noDeviceError) Error() string { return "no such device: " + e.name }

// splitDevice splits "(dev)/path" into "dev" and "/path". A path without
// a device gives ok == false.
func splitDevice(p string) (dev, rest string, ok bool) {
	if !strings.HasPrefix(p, "(") {
		return "", p, false
	}
	end := strings.IndexByte(p, ')')
	if end < 0 {
		return p[1:], "", true
	}
	return p[1:end], p[end+1:], true
}

// cleanPath makes p an absolute, clean path that cannot leave the volume.
func cleanPath(p string) string {
	return path.Clean("/" + p)
}

// fsName converts a clean absolute path to an fs.FS name.
func fsName(p string) string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return "."
	}
	return p
}

// resolve finds the volume and clean path a GRUB file name refers to.
// Names without a device are on $root.
func (i *interp) resolve(name string) (*boot.Volume, string, error) {
	dev, rest, ok := splitDevice(name)
	if !ok || dev == "" {
		dev = i.get("root")
		if dev == "" {
			return nil, "", errors.New("no device is set ($root is empty)")
		}
	}
	v := i.devs.lookup(dev)
	if v == nil {
		return nil, "", &noDeviceError{name: "(" + strings.Trim(dev, "()") + ")"}
	}
	if !strings.HasPrefix(rest, "/") {
		// GRUB's file systems want an absolute path: "vmlinuz" or a bare
		// "(hd0,1)" is "invalid file name".
		return v, cleanPath(rest), fmt.Errorf("invalid file name `%s'", name)
	}
	return v, i.btrfsPath(v, cleanPath(rest)), nil
}

// statCost is the steps one file lookup costs: it reads the volume, so a
// loop of `test -f` must run out of budget long before it has made
// millions of lookups.
const statCost = 8

// stat returns the file info for a GRUB file name.
func (i *interp) stat(name string) (*boot.Volume, string, fs.FileInfo, error) {
	v, p, err := i.resolve(name)
	if err != nil {
		return v, p, nil, err
	}
	if !i.charge(statCost) {
		return v, p, nil, errBudget
	}
	if v.FS == nil {
		return v, p, nil, &notFoundError{name: name}
	}
	fi, err := fs.Stat(v.FS, fsName(p))
	if err != nil {
		return v, p, nil, &notFoundError{name: name}
	}
	return v, p, fi, nil
}

// readFile reads a GRUB file, refusing files larger than the cap: it
// never reads more than the cap.
func (i *interp) readFile(name string) (*boot.Volume, string, []byte, error) {
	v, p, fi, err := i.stat(name)
	if err != nil {
		return v, p, nil, err
	}
	if fi.IsDir() {
		return v, p, nil, fmt.Errorf("%s: is a directory", name)
	}
	b, err := readCapped(v.FS, p, i.o.limits.FileSize)
	if err != nil {
		return v, p, nil, fmt.Errorf("%s: %w", name, err)
	}
	// Reading (and then parsing) costs work too: a loop that sources a
	// big file must run out of budget.
	if !i.charge(1 + len(b)/256) {
		return v, p, nil, errBudget
	}
	return v, p, b, nil
}

var errTooBig = errors.New("file is larger than the size limit")

func readCapped(fsys fs.FS, p string, limit int64) ([]byte, error) {
	f, err := fsys.Open(fsName(p))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return nil, fmt.Errorf("%w (%d > %d bytes)", errTooBig, fi.Size(), limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return nil, err
	}
	return b, nil
}
