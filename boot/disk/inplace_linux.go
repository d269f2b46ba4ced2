package disk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/leapboot/leapboot/boot"
)

// ErrNotWritable is wrapped by WriteInPlace when the file cannot be
// changed safely where it lies.
var ErrNotWritable = errors.New("cannot be written in place")

// Extent is a byte range of a file and where it lies on its volume's
// block device.
type Extent struct {
	Logical, Physical, Length int64
}

// WriteInPlace replaces the contents of the file name on v, which must be
// exactly old, with b of the same size, changing no other byte of the
// disk: the way GRUB's save_env writes its environment block. It is for
// the owner-enabled writes (grubenv), never for discovery.
//
// On a filesystem the system has mounted read-write, the file is
// rewritten through it (no truncation, then fsync). On one mounted
// read-only (as Scan mounts everything), the filesystem is not remounted,
// which could replay a journal: the file's extents are read with FIEMAP
// (FIBMAP where the filesystem has no FIEMAP), the device bytes there are
// checked to equal old, as GRUB checks its blocklists, and only then are
// those bytes of the block device overwritten and flushed. Files that are
// inline, compressed, encrypted, shared, sparse or on a filesystem that
// checksums data (btrfs) are refused.
func WriteInPlace(v *boot.Volume, name string, old, b []byte) error {
	wrap := func(err error) error { return fmt.Errorf("disk: %s:%s: %w", v.Device, name, err) }
	if len(old) != len(b) {
		return wrap(fmt.Errorf("%w: new contents are %d bytes, the file %d", ErrNotWritable, len(b), len(old)))
	}
	if v.Mount == "" {
		return wrap(fmt.Errorf("%w: not mounted by the kernel", ErrNotWritable))
	}
	switch v.FSType {
	case "ext2", "ext3", "ext4", "vfat", "xfs":
	default:
		return wrap(fmt.Errorf("%w: %s is not supported (GRUB cannot write there either)", ErrNotWritable, v.FSType))
	}
	p := filepath.Join(v.Mount, boot.FSPath(name))
	f, err := os.Open(p)
	if err != nil {
		return wrap(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return wrap(err)
	} else if !fi.Mode().IsRegular() || fi.Size() != int64(len(old)) {
		return wrap(fmt.Errorf("%w: not a regular file of %d bytes", ErrNotWritable, len(old)))
	}
	cur := make([]byte, len(old))
	if _, err := f.ReadAt(cur, 0); err != nil {
		return wrap(err)
	}
	if !bytes.Equal(cur, old) {
		return wrap(fmt.Errorf("%w: the file changed since it was read", ErrNotWritable))
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return wrap(err)
	}
	if st.Flags&unix.ST_RDONLY == 0 {
		w, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return wrap(err)
		}
		defer w.Close()
		if _, err := w.WriteAt(b, 0); err != nil {
			return wrap(err)
		}
		if err := w.Sync(); err != nil {
			return wrap(err)
		}
		return nil
	}
	exts, err := FileExtents(f, int64(len(old)))
	if err != nil {
		return wrap(err)
	}
	dev, err := os.OpenFile(v.Device, os.O_RDWR, 0)
	if err != nil {
		return wrap(err)
	}
	defer dev.Close()
	// GRUB's check: the device bytes where the file lies are the file.
	for _, e := range exts {
		got := make([]byte, e.Length)
		if _, err := dev.ReadAt(got, e.Physical); err != nil {
			return wrap(err)
		}
		if !bytes.Equal(got, old[e.Logical:e.Logical+e.Length]) {
			return wrap(fmt.Errorf("%w: the device at byte %d does not hold the file (invalid blocklist)", ErrNotWritable, e.Physical))
		}
	}
	for _, e := range exts {
		if _, err := dev.WriteAt(b[e.Logical:e.Logical+e.Length], e.Physical); err != nil {
			return wrap(err)
		}
	}
	if err := dev.Sync(); err != nil {
		return wrap(err)
	}
	// The mount's page cache still holds the old block.
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
	return nil
}

const (
	fsIOCFiemap    = 0xc020660b // _IOWR('f', 11, struct fiemap)
	fibmap         = 1
	figetbsz       = 2
	fiemapFlagSync = 1
	fiemapLast     = 0x1
	// Extents GRUB-style writing must not touch: unknown location,
	// delayed allocation, encoded, encrypted, not block-aligned, inline,
	// tail-packed, unwritten (reads as zeros), shared with another file.
	fiemapRefuse = 0x2 | 0x4 | 0x8 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800 | 0x2000
)

// FileExtents says where the first size bytes of f lie on its block
// device, from FIEMAP, or FIBMAP where the filesystem lacks FIEMAP. The
// extents cover every byte, in order; a hole or an extent that cannot be
// written in place is ErrNotWritable.
func FileExtents(f *os.File, size int64) ([]Extent, error) {
	exts, err := fiemap(f, size)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL) {
		exts, err = fibmapExtents(f, size)
	}
	if err != nil {
		return nil, err
	}
	return checkExtents(exts, size)
}

// checkExtents clips extents to [0, size) and checks that they cover it
// without gaps or overlaps.
func checkExtents(exts []Extent, size int64) ([]Extent, error) {
	var out []Extent
	var at int64
	for _, e := range exts {
		if e.Logical >= size {
			break
		}
		if e.Logical != at || e.Length <= 0 || e.Physical < 0 {
			return nil, fmt.Errorf("%w: the file has a hole or overlapping extents at byte %d", ErrNotWritable, at)
		}
		if e.Logical+e.Length > size {
			e.Length = size - e.Logical
		}
		out = append(out, e)
		at += e.Length
	}
	if at != size {
		return nil, fmt.Errorf("%w: only %d of %d bytes are mapped (sparse file)", ErrNotWritable, at, size)
	}
	return out, nil
}

func fiemap(f *os.File, size int64) ([]Extent, error) {
	const max = 64
	buf := make([]byte, 32+56*max)
	binary.NativeEndian.PutUint64(buf[0:], 0)
	binary.NativeEndian.PutUint64(buf[8:], uint64(size))
	binary.NativeEndian.PutUint32(buf[16:], fiemapFlagSync)
	binary.NativeEndian.PutUint32(buf[24:], max)
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), fsIOCFiemap, uintptr(unsafe.Pointer(&buf[0]))); e != 0 {
		return nil, fmt.Errorf("FIEMAP: %w", e)
	}
	n := binary.NativeEndian.Uint32(buf[20:])
	if n > max {
		return nil, fmt.Errorf("FIEMAP: %d extents", n)
	}
	var out []Extent
	for k := range int(n) {
		x := buf[32+56*k:]
		flags := binary.NativeEndian.Uint32(x[40:])
		if flags&fiemapRefuse != 0 {
			return nil, fmt.Errorf("%w: extent flags %#x (inline, encoded, unwritten or shared data)", ErrNotWritable, flags)
		}
		out = append(out, Extent{
			Logical:  int64(binary.NativeEndian.Uint64(x[0:])),
			Physical: int64(binary.NativeEndian.Uint64(x[8:])),
			Length:   int64(binary.NativeEndian.Uint64(x[16:])),
		})
	}
	return out, nil
}

func fibmapExtents(f *os.File, size int64) ([]Extent, error) {
	bsz, err := unix.IoctlGetInt(int(f.Fd()), figetbsz)
	if err != nil {
		return nil, fmt.Errorf("FIGETBSZ: %w", err)
	}
	if bsz <= 0 || bsz > 1<<16 {
		return nil, fmt.Errorf("FIGETBSZ: block size %d", bsz)
	}
	var out []Extent
	for blk := int64(0); blk*int64(bsz) < size; blk++ {
		v := int32(blk)
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), fibmap, uintptr(unsafe.Pointer(&v))); e != 0 {
			return nil, fmt.Errorf("FIBMAP: %w", e)
		}
		if v == 0 {
			return nil, fmt.Errorf("%w: block %d is a hole", ErrNotWritable, blk)
		}
		phys := int64(v) * int64(bsz)
		if n := len(out); n > 0 && out[n-1].Physical+out[n-1].Length == phys {
			out[n-1].Length += int64(bsz)
			continue
		}
		out = append(out, Extent{Logical: blk * int64(bsz), Physical: phys, Length: int64(bsz)})
	}
	return out, nil
}
