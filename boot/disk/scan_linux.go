package disk

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/disk/probe"
)

// Scanned is the result of Scan. Close unmounts what Scan mounted.
type Scanned struct {
	Volumes []*boot.Volume
	// Problems are devices that could not be probed (I/O errors, timeouts).
	Problems []error
	mounted  []string
}

// Close unmounts every filesystem Scan mounted, in reverse order.
func (s *Scanned) Close() error {
	var errs []error
	for i := len(s.mounted) - 1; i >= 0; i-- {
		if err := unix.Unmount(s.mounted[i], 0); err != nil {
			if err2 := unix.Unmount(s.mounted[i], unix.MNT_DETACH); err2 != nil {
				errs = append(errs, fmt.Errorf("disk: unmount %s: %w", s.mounted[i], err))
			}
		}
	}
	s.mounted = nil
	return errors.Join(errs...)
}

// blockDev is one entry of /sys/class/block.
type blockDev struct {
	name      string // "vda2"
	disk      string // "vda"
	partition int    // 0 for a whole disk
	size      int64  // bytes
	devno     string // "253:2"
	bus       string // "usb", "nvme", …
}

// Bus says how a disk is attached, from its name and its sysfs device path
// (the target of /sys/class/block/NAME).
func Bus(name, devpath string) string {
	switch {
	case strings.Contains(devpath, "/usb"):
		return "usb"
	case strings.HasPrefix(name, "nvme"):
		return "nvme"
	case strings.HasPrefix(name, "mmcblk"):
		return "mmc"
	case strings.HasPrefix(name, "vd"):
		return "virtio"
	case strings.Contains(devpath, "/ata"):
		return "ata"
	case strings.HasPrefix(name, "sd"), strings.HasPrefix(name, "sr"):
		return "scsi"
	}
	return ""
}

// listBlock lists the block devices of the running kernel: names, device
// numbers and sizes from /proc/partitions (every device with a non-zero
// size, in one read), and which of them are whole disks from /sys/block
// (one directory read). A partition's disk and number come from its
// name, which the kernel makes from them ("sda1", "nvme0n1p2"); a disk's
// bus from its /sys/block link (one readlink per disk). A device that fits
// neither has its /sys/class/block link read, which says where it is.
// Without /proc/partitions it reads sysfs attributes instead, which takes
// a dozen system calls per device.
func listBlock(sysroot, procPartitions string) ([]blockDev, error) {
	b, err := os.ReadFile(procPartitions)
	if err != nil {
		return listBlockSysfs(sysroot)
	}
	type entry struct {
		name, devno string
		size        int64
	}
	var ents []entry
	known := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		w := strings.Fields(line)
		if len(w) != 4 {
			continue
		}
		blocks, err := strconv.ParseInt(w[2], 10, 64)
		if err != nil { // the header line
			continue
		}
		name := w[3]
		if strings.HasPrefix(name, "ram") || strings.HasPrefix(name, "zram") {
			continue
		}
		ents = append(ents, entry{name: name, devno: w[0] + ":" + w[1], size: blocks * 1024})
		known[name] = true
	}
	linked := false
	wholeDisk := map[string]bool{}
	if des, err := os.ReadDir(filepath.Join(sysroot, "block")); err == nil {
		for _, de := range des {
			wholeDisk[de.Name()] = true
		}
	}
	// diskOf is the disk a partition's name was made from: the longest
	// whole disk whose name, followed by a number (after a "p" when the
	// disk's name ends in a digit), is the partition's.
	diskOf := func(name string) (string, int) {
		for i := len(name) - 1; i > 0; i-- {
			if d := name[:i]; wholeDisk[d] && known[d] {
				if n := partitionNumber(name, d); n > 0 {
					return d, n
				}
			}
		}
		return "", 0
	}
	buses := map[string]string{}
	out := make([]blockDev, 0, len(ents))
	for _, e := range ents {
		d := blockDev{name: e.name, disk: e.name, size: e.size, devno: e.devno}
		if wholeDisk[e.name] {
			if link, err := os.Readlink(filepath.Join(sysroot, "block", e.name)); err == nil {
				linked = true
				d.bus = Bus(e.name, link)
			}
			buses[e.name] = d.bus
			out = append(out, d)
			continue
		}
		if disk, n := diskOf(e.name); n > 0 {
			d.disk, d.partition = disk, n
			out = append(out, d)
			continue
		}
		// "../../devices/pci0000:00/…/block/sda/sda1": a partition's
		// directory is inside its disk's.
		dir := filepath.Join(sysroot, "class/block")
		link, err := os.Readlink(filepath.Join(dir, e.name))
		if err == nil {
			linked = true
			d.bus = Bus(e.name, link)
			if parent := filepath.Base(filepath.Dir(link)); parent != e.name && known[parent] {
				d.disk = parent
				d.partition = partitionNumber(e.name, parent)
				if d.partition <= 0 {
					n, err := readInt(filepath.Join(dir, e.name, "partition"))
					if err != nil || n <= 0 {
						d.disk, d.partition = e.name, 0
					} else {
						d.partition = int(n)
					}
				}
			}
		}
		out = append(out, d)
	}
	for i := range out {
		if out[i].partition > 0 && out[i].bus == "" {
			out[i].bus = buses[out[i].disk]
		}
	}
	if !linked && len(ents) > 0 {
		// No sysfs links (sysfs not mounted, or an old layout): without
		// them partitions would pass for disks; read sysfs as it is.
		return listBlockSysfs(sysroot)
	}
	sortDevs(out)
	return out, nil
}

// partitionNumber is the number in a partition's name after its disk's
// name, as the kernel makes it: "sda1" of "sda", and after a "p" when the
// disk's name ends in a digit ("nvme0n1p2" of "nvme0n1"); 0 for any other
// name.
func partitionNumber(name, disk string) int {
	rest, ok := strings.CutPrefix(name, disk)
	if !ok || disk == "" {
		return 0
	}
	if c := disk[len(disk)-1]; c >= '0' && c <= '9' {
		if rest, ok = strings.CutPrefix(rest, "p"); !ok {
			return 0
		}
	}
	if rest == "" || rest[0] < '1' || rest[0] > '9' {
		return 0
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

func sortDevs(out []blockDev) {
	sort.Slice(out, func(i, j int) bool {
		if out[i].disk != out[j].disk {
			return out[i].disk < out[j].disk
		}
		return out[i].partition < out[j].partition
	})
}

// listBlockSysfs reads /sys/class/block below sysroot.
func listBlockSysfs(sysroot string) ([]blockDev, error) {
	dir := filepath.Join(sysroot, "class/block")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("disk: %w", err)
	}
	var out []blockDev
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, "ram") || strings.HasPrefix(name, "zram") {
			continue
		}
		p := filepath.Join(dir, name)
		sectors, err := readInt(filepath.Join(p, "size"))
		if err != nil || sectors == 0 {
			continue // empty drive, unused loop device
		}
		d := blockDev{name: name, disk: name, size: sectors * 512}
		d.devno = strings.TrimSpace(readFile(filepath.Join(p, "dev")))
		if real, err := filepath.EvalSymlinks(p); err == nil {
			d.bus = Bus(name, real)
		}
		if n, err := readInt(filepath.Join(p, "partition")); err == nil {
			d.partition = int(n)
			if real, err := filepath.EvalSymlinks(p); err == nil {
				d.disk = filepath.Base(filepath.Dir(real))
			}
		}
		out = append(out, d)
	}
	sortDevs(out)
	return out, nil
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func readInt(p string) (int64, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// mountedAt maps "major:minor" to the mount point of filesystems already
// mounted (at their root) on this system, from /proc/self/mountinfo.
func mountedAt() map[string]string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) < 5 || w[3] != "/" {
			continue
		}
		if _, ok := m[w[2]]; !ok {
			m[w[2]] = unescapeMount(w[4])
		}
	}
	return m
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Scan finds the block devices the kernel knows, identifies their
// filesystems and mounts each read-only. A filesystem the system already
// has mounted is read through its existing mount. Each device gets the
// option's timeout; one that does not answer in time is reported in
// Problems and left out.
//
// Every device is read once, all of them at once (up to the option's
// parallel count): a partitioned disk for its partition table, anything
// else for its superblocks (the first 68 KiB, one read, shared by every
// prober). Partitions do not wait for their disk's table; the table's
// names and GUIDs are joined afterwards. Then the filesystems are mounted,
// again in parallel. Their FS lists a directory the first time a name in
// it is looked up, so that the configuration readers' many lookups of
// files that are not there are answered from memory (see dirFS).
func Scan(ctx context.Context, opts ...Option) (*Scanned, error) {
	o := newOptions(opts)
	began := time.Now()
	devs, err := listBlock("/sys", "/proc/partitions")
	if err != nil {
		return nil, err
	}
	o.log.Debug("enumerated", "devices", len(devs), "after", time.Since(began).Round(time.Millisecond))
	mounts := mountedAt()
	res := &Scanned{}

	hasParts := map[string]bool{}
	for _, d := range devs {
		if d.partition > 0 {
			hasParts[d.disk] = true
		}
	}
	// What reading one device found: a partition table (partitioned
	// disks) or an identity (everything else).
	type found struct {
		table probe.Table
		id    probe.Identity
		size  int64
	}
	results := make([]found, len(devs))
	errs := make([]error, len(devs))
	var wg sync.WaitGroup
	// At most o.parallel devices at once: enough to overlap slow devices,
	// few enough that each device's timeout measures that device.
	sem := make(chan struct{}, o.parallel)
	for i, d := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			table := d.partition == 0 && hasParts[d.name]
			results[i], errs[i] = withTimeout(ctx, o.timeout, func() (found, error) {
				r, err := openDirect("/dev/" + d.name)
				if err != nil {
					return found{}, err
				}
				defer r.Close()
				// The exact size (/proc/partitions counts KiB).
				size, err := r.f.Seek(0, io.SeekEnd)
				if err != nil || size <= 0 {
					size = d.size
				}
				if table {
					t, err := probe.ReadPartitions(r, size, 512)
					return found{table: t, size: size}, err
				}
				id, err := probe.Probe(r, size)
				return found{id: id, size: size}, err
			})
		}()
	}
	wg.Wait()
	o.log.Debug("identified", "devices", len(devs), "after", time.Since(began).Round(time.Millisecond))

	tables := map[string]probe.Table{}
	for i, d := range devs {
		if d.partition != 0 || !hasParts[d.name] {
			continue
		}
		switch err := errs[i]; {
		case err == nil:
			tables[d.name] = results[i].table
		case !errors.Is(err, probe.ErrUnknown):
			res.Problems = append(res.Problems, fmt.Errorf("disk: /dev/%s: partition table: %w", d.name, err))
		}
	}

	// Mount in parallel too; the modules a type needs are loaded first,
	// once per type.
	loadedFS := map[string]bool{}
	type mountJob struct {
		v      *boot.Volume
		dir    string
		fs     dirFS
		err    error
		subvol string // btrfs: the default subvolume
		subErr error
	}
	var jobs []*mountJob
	for i, d := range devs {
		if d.partition == 0 && hasParts[d.name] {
			continue
		}
		v := &boot.Volume{Device: "/dev/" + d.name, Disk: "/dev/" + d.disk, Partition: d.partition, Bus: d.bus}
		if tbl, ok := tables[d.disk]; ok {
			for _, p := range tbl.Partitions {
				if p.Number == d.partition {
					v.PartUUID, v.PartLabel, v.PartType = p.PartUUID, p.Name, p.Type
				}
			}
		}
		if err := errs[i]; err != nil {
			if errors.Is(err, probe.ErrUnknown) {
				continue // no filesystem: nothing to read
			}
			res.Problems = append(res.Problems, fmt.Errorf("disk: %s: %w", v.Device, err))
			continue
		}
		id := results[i].id
		v.FSType, v.UUID, v.Label = id.Type, id.UUID, id.Label
		res.Volumes = append(res.Volumes, v)
		switch mp, mounted := mounts[d.devno]; {
		case !mountable(v.FSType):
			v.Err = fmt.Errorf("disk: %s: %s is not readable here", v.Device, v.FSType)
		case mounted:
			v.FS, v.Mount = dirFS{root: mp}, mp
		default:
			if o.modules != nil && !loadedFS[v.FSType] {
				loadedFS[v.FSType] = true
				o.modules(FSModules(v.FSType)...)
			}
			dir := filepath.Join(o.mountAt, d.name)
			jobs = append(jobs, &mountJob{v: v, dir: dir, fs: dirFS{root: dir, names: &nameCache{fat: v.FSType == "vfat"}}})
		}
	}
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			type mounted struct {
				subvol string
				err    error
			}
			var m mounted
			m, j.err = withTimeout(ctx, o.mountTimeout, func() (mounted, error) {
				if err := mountRO(j.v.Device, j.dir, j.v.FSType); err != nil {
					return mounted{}, err
				}
				if j.v.FSType != "btrfs" {
					return mounted{}, nil
				}
				// GRUB reads the top level; SUSE's GRUB reads relative to
				// the default subvolume, so say which one that is.
				p, err := btrfsDefaultSubvol(j.v.Device, j.dir+".default")
				return mounted{p, err}, nil
			})
			j.subvol, j.subErr = m.subvol, m.err
		}()
	}
	wg.Wait()
	o.log.Debug("mounted all", "filesystems", len(jobs), "after", time.Since(began).Round(time.Millisecond))
	for _, j := range jobs {
		if j.err != nil {
			j.v.Err = fmt.Errorf("disk: mount %s (%s): %w", j.v.Device, j.v.FSType, j.err)
			continue
		}
		res.mounted = append(res.mounted, j.dir)
		j.v.FS, j.v.Mount = j.fs, j.dir
		o.log.Debug("mounted", "device", j.v.Device, "type", j.v.FSType, "at", j.dir)
		if j.v.FSType == "btrfs" {
			if j.subErr != nil {
				o.log.Warn("btrfs default subvolume unknown; SUSE-style relative paths read from the top level", "device", j.v.Device, "err", j.subErr)
			} else {
				j.v.BtrfsDefault = j.subvol
				o.log.Debug("btrfs default subvolume", "device", j.v.Device, "path", "/"+j.subvol)
			}
		}
	}
	return res, nil
}

func mountable(t string) bool {
	switch t {
	case "ext2", "ext3", "ext4", "vfat", "xfs", "btrfs", "iso9660", "squashfs":
		return true
	}
	return false
}

// mountRO mounts dev at dir read-only, never replaying a journal.
func mountRO(dev, dir, fstype string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data := ""
	switch fstype {
	case "ext2", "ext3", "ext4":
		fstype, data = "ext4", "noload"
	case "xfs":
		data = "norecovery"
	case "btrfs":
		// The top level, where GRUB's paths start (/@/boot/... on
		// Ubuntu, /@rootfs/boot/... or /@boot/... elsewhere, /boot/...
		// without subvolumes), its log left unread.
		if err := mountBtrfs(dev, dir, "subvolid=5"); err != nil {
			os.Remove(dir)
			return err
		}
		return nil
	}
	flags := uintptr(unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if err := unix.Mount(dev, dir, fstype, flags, data); err != nil {
		os.Remove(dir)
		return err
	}
	return nil
}

// withTimeout runs fn and gives up waiting after d. The function keeps
// running in the background (a read stuck in the kernel cannot be
// interrupted), but the caller moves on.
func withTimeout[T any](ctx context.Context, d time.Duration, fn func() (T, error)) (T, error) {
	type res struct {
		v   T
		err error
	}
	ch := make(chan res, 1)
	go func() {
		v, err := fn()
		ch <- res{v, err}
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
		var zero T
		return zero, fmt.Errorf("no answer within %v", d)
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
