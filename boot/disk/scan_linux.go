package disk

import (
	"bufio"
	"context"
	"errors"
	"fmt"
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

// listBlock reads /sys/class/block below sysroot.
func listBlock(sysroot string) ([]blockDev, error) {
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
	sort.Slice(out, func(i, j int) bool {
		if out[i].disk != out[j].disk {
			return out[i].disk < out[j].disk
		}
		return out[i].partition < out[j].partition
	})
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
func Scan(ctx context.Context, opts ...Option) (*Scanned, error) {
	o := newOptions(opts)
	began := time.Now()
	devs, err := listBlock("/sys")
	if err != nil {
		return nil, err
	}
	mounts := mountedAt()
	res := &Scanned{}

	// Partition tables of the disks that have partitions.
	hasParts := map[string]bool{}
	for _, d := range devs {
		if d.partition > 0 {
			hasParts[d.disk] = true
		}
	}
	tables := map[string]probe.Table{}
	type result struct {
		v   *boot.Volume
		err error
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	// At most o.parallel devices at once: enough to overlap slow devices,
	// few enough that each device's timeout measures that device.
	sem := make(chan struct{}, o.parallel)
	results := make([]*result, len(devs))
	for _, d := range devs {
		if d.partition == 0 && hasParts[d.name] {
			wg.Add(1)
			go func(d blockDev) {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				tbl, err := withTimeout(ctx, o.timeout, func() (probe.Table, error) {
					f, err := os.Open("/dev/" + d.name)
					if err != nil {
						return probe.Table{}, err
					}
					defer f.Close()
					return probe.ReadPartitions(f, d.size, 512)
				})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					tables[d.name] = tbl
				} else if !errors.Is(err, probe.ErrUnknown) {
					res.Problems = append(res.Problems, fmt.Errorf("disk: /dev/%s: partition table: %w", d.name, err))
				}
			}(d)
		}
	}
	wg.Wait()

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
		wg.Add(1)
		go func(i int, d blockDev, v *boot.Volume) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := withTimeout(ctx, o.timeout, func() (struct{}, error) {
				f, err := os.Open(v.Device)
				if err != nil {
					return struct{}{}, err
				}
				defer f.Close()
				id, err := probe.Probe(f, d.size)
				if err != nil {
					return struct{}{}, err
				}
				v.FSType, v.UUID, v.Label = id.Type, id.UUID, id.Label
				return struct{}{}, nil
			})
			mu.Lock()
			results[i] = &result{v: v, err: err}
			mu.Unlock()
		}(i, d, v)
	}
	wg.Wait()
	o.log.Debug("identified", "devices", len(devs), "after", time.Since(began).Round(time.Millisecond))

	// Mount in parallel too; the modules a type needs are loaded first,
	// once per type.
	loadedFS := map[string]bool{}
	type mountJob struct {
		v   *boot.Volume
		dir string
		err error
	}
	var jobs []*mountJob
	for i, r := range results {
		if r == nil {
			continue
		}
		if r.err != nil {
			if errors.Is(r.err, probe.ErrUnknown) {
				continue // no filesystem: nothing to read
			}
			res.Problems = append(res.Problems, fmt.Errorf("disk: %s: %w", r.v.Device, r.err))
			continue
		}
		v := r.v
		res.Volumes = append(res.Volumes, v)
		switch mp, mounted := mounts[devs[i].devno]; {
		case !mountable(v.FSType):
			v.Err = fmt.Errorf("disk: %s: %s is not readable here", v.Device, v.FSType)
		case mounted:
			v.FS, v.Mount = dirFS(mp), mp
		default:
			if o.modules != nil && !loadedFS[v.FSType] {
				loadedFS[v.FSType] = true
				o.modules(FSModules(v.FSType)...)
			}
			jobs = append(jobs, &mountJob{v: v, dir: filepath.Join(o.mountAt, devs[i].name)})
		}
	}
	for _, j := range jobs {
		wg.Add(1)
		go func(j *mountJob) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, j.err = withTimeout(ctx, o.mountTimeout, func() (struct{}, error) { return struct{}{}, mountRO(j.v.Device, j.dir, j.v.FSType) })
		}(j)
	}
	wg.Wait()
	o.log.Debug("mounted all", "filesystems", len(jobs), "after", time.Since(began).Round(time.Millisecond))
	for _, j := range jobs {
		if j.err != nil {
			j.v.Err = fmt.Errorf("disk: mount %s (%s): %w", j.v.Device, j.v.FSType, j.err)
			continue
		}
		res.mounted = append(res.mounted, j.dir)
		j.v.FS, j.v.Mount = dirFS(j.dir), j.dir
		o.log.Debug("mounted", "device", j.v.Device, "type", j.v.FSType, "at", j.dir)
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
		// without subvolumes); "nologreplay" keeps a dirty log unread.
		data = "subvolid=5,nologreplay"
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
