package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/disk/probe"
)

// Image reads the disk image file at path: its partition table (or a
// filesystem on the whole image) and the filesystems go-diskfs can read.
// Volumes it cannot read are returned with Err set. Close the returned
// closer when the volumes are no longer used.
func Image(path string, opts ...Option) ([]*boot.Volume, io.Closer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("disk: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("disk: %w", err)
	}
	size := st.Size()
	o := newOptions(opts)
	// Probing reads a few scattered KiB per partition: no readahead
	// then (a disk's read_ahead_kb can be MiBs, for each read), the
	// default again for reading files once the volumes are open.
	adviseRandom(f)
	defer adviseNormal(f)
	tbl, terr := probe.ReadPartitions(f, size, 512)
	if terr == nil && len(tbl.Partitions) > 0 {
		// Up to imageParallel partitions are read at once, so that a cold
		// image's reads overlap instead of waiting for each other (and a
		// table of 128 partitions does not hold 128 FATs in memory).
		vols := make([]*boot.Volume, len(tbl.Partitions))
		var wg sync.WaitGroup
		sem := make(chan struct{}, imageParallel)
		for i, p := range tbl.Partitions {
			v := &boot.Volume{
				Device:    fmt.Sprintf("%s:%d", path, p.Number),
				Disk:      path,
				Partition: p.Number,
				PartUUID:  p.PartUUID,
				PartLabel: p.Name,
				PartType:  p.Type,
			}
			vols[i] = v
			if p.Start < 0 || p.Size <= 0 || p.Start+p.Size > size {
				v.Err = fmt.Errorf("disk: %s: partition %d runs past the end of the disk", path, p.Number)
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				imageVolume(v, f, p.Start, p.Size, o)
				switch {
				case p.Err != nil && v.Err == nil:
					// Read anyway, as Linux does; the volume says what is wrong.
					v.Err = fmt.Errorf("disk: %s: %w (read anyway)", path, p.Err)
				case p.Err != nil:
					v.Err = fmt.Errorf("disk: %s: %w; %w", path, p.Err, v.Err)
				}
			}()
		}
		wg.Wait()
		return vols, f, nil
	}
	v := &boot.Volume{Device: path, Disk: path}
	imageVolume(v, f, 0, size, o)
	if v.FSType == "" {
		f.Close()
		if terr != nil && !errors.Is(terr, probe.ErrUnknown) {
			return nil, nil, fmt.Errorf("disk: %s: no partition table (%v) and no filesystem", path, terr)
		}
		return nil, nil, fmt.Errorf("disk: %s: no partition table and no filesystem found", path)
	}
	return []*boot.Volume{v}, f, nil
}

// imageParallel is how many partitions of one image Image reads at once.
const imageParallel = 4

// Images reads several disk images at once, one goroutine each, and
// returns their volumes in the order of paths. It fails if any image
// cannot be opened at all.
func Images(paths []string, opts ...Option) ([]*boot.Volume, []io.Closer, error) {
	type res struct {
		vols []*boot.Volume
		c    io.Closer
		err  error
	}
	out := make([]res, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, c, err := Image(p, opts...)
			out[i] = res{v, c, err}
		}()
	}
	wg.Wait()
	var vols []*boot.Volume
	var closers []io.Closer
	var errs []error
	for _, r := range out {
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		vols, closers = append(vols, r.vols...), append(closers, r.c)
	}
	if len(errs) > 0 {
		for _, c := range closers {
			c.Close()
		}
		return nil, nil, errors.Join(errs...)
	}
	return vols, closers, nil
}

// imageVolume identifies the filesystem at [start, start+size) of f and
// opens it through go-diskfs. A filesystem that is read with a repair
// (a FAT whose cluster chains loop) gets an FS and an Err saying so.
func imageVolume(v *boot.Volume, f *os.File, start, size int64, o options) {
	id, err := probe.Probe(io.NewSectionReader(f, start, size), size)
	if err != nil {
		v.Err = fmt.Errorf("disk: %s: %w", v.Device, err)
		return
	}
	v.FSType, v.UUID, v.Label = id.Type, id.UUID, id.Label
	if o.identifyOnly {
		return
	}
	fsys, warn, err := openDiskfs(f, id.Type, start, size)
	if err != nil {
		v.Err = fmt.Errorf("disk: %s: %w", v.Device, err)
		return
	}
	if warn == nil {
		warn = cutShort(f, id.Type, start, size)
	}
	if warn != nil {
		v.Err = fmt.Errorf("disk: %s: %w", v.Device, warn)
	}
	v.FS = fsys
}

// cutShort says when an ext2/3/4 filesystem is larger than the space it
// was found in (a truncated image): files past the end cannot be read.
func cutShort(f io.ReaderAt, fstype string, start, size int64) error {
	switch fstype {
	case "ext2", "ext3", "ext4":
	default:
		return nil
	}
	var sb [1024]byte
	if _, err := f.ReadAt(sb[:], start+1024); err != nil {
		return nil // the probe read it; nothing more to say
	}
	le := binary.LittleEndian
	blocks := uint64(le.Uint32(sb[4:]))
	if le.Uint32(sb[0x60:])&0x80 != 0 { // INCOMPAT_64BIT
		blocks |= uint64(le.Uint32(sb[0x150:])) << 32
	}
	logSize := le.Uint32(sb[24:])
	if logSize > 6 {
		return nil
	}
	if need := blocks << (10 + logSize); need > uint64(size) {
		return fmt.Errorf("%s: the filesystem is %d bytes but only %d are there: cut short, files past the end cannot be read", fstype, need, size)
	}
	return nil
}

// Dir returns a volume for a directory tree.
func Dir(path string) (*boot.Volume, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("disk: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("disk: %s is not a directory", path)
	}
	return &boot.Volume{Device: path, Disk: path, FSType: "dir", FS: dirFS{root: path}}, nil
}

// maxSymlinks is how many symbolic links one name may go through, as
// Linux's limit.
const maxSymlinks = 40

// errNotRegular refuses to open FIFOs, sockets and devices on a volume.
var errNotRegular = errors.New("not a regular file or directory")

// dirFS reads a volume from a directory (a kernel mount, or --dir). Unlike
// os.DirFS it never leaves the directory: symbolic links resolve inside
// the volume, as a boot loader reading the filesystem itself resolves them
// (an absolute target starts at the volume's root, ".." stops there), a
// name going through more than maxSymlinks links fails with ELOOP, and
// only regular files and directories open: a FIFO named grub.cfg is
// refused instead of blocking the boot.
//
// With names set (filesystems Scan mounted read-only itself, whose names
// nothing changes while leapboot runs), a name that is not in its
// directory's listing is answered "not there" from that listing: the
// configuration readers look for some 25 files on every volume, and most
// volumes have none of them.
type dirFS struct {
	root  string
	names *nameCache
}

// resolve returns the host path of name with every symbolic link resolved
// inside the volume, and what it is.
func (d dirFS) resolve(op, name string) (string, fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return "", nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	var done []string
	todo := strings.Split(name, "/")
	links := 0
	var fi fs.FileInfo
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			fi = nil
			continue
		}
		rel := filepath.Join(done...)
		// The listing is asked only below a directory (a FIFO is
		// never opened to be listed).
		if d.names != nil && (fi == nil || fi.IsDir()) && d.names.absent(d.root, rel, c) {
			return "", nil, &fs.PathError{Op: op, Path: name, Err: syscall.ENOENT}
		}
		host := filepath.Join(d.root, rel, c)
		var err error
		if fi, err = os.Lstat(host); err != nil {
			return "", nil, &fs.PathError{Op: op, Path: name, Err: underlying(err)}
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = append(done, c)
			continue
		}
		if links++; links > maxSymlinks {
			return "", nil, &fs.PathError{Op: op, Path: name, Err: syscall.ELOOP}
		}
		target, err := os.Readlink(host)
		if err != nil {
			return "", nil, &fs.PathError{Op: op, Path: name, Err: underlying(err)}
		}
		if strings.HasPrefix(target, "/") {
			done = done[:0]
		}
		fi = nil
		todo = append(strings.Split(target, "/"), todo...)
	}
	p := filepath.Join(d.root, filepath.Join(done...))
	if fi == nil {
		var err error
		if fi, err = os.Lstat(p); err != nil {
			return "", nil, &fs.PathError{Op: op, Path: name, Err: underlying(err)}
		}
	}
	return p, fi, nil
}

// underlying strips the host path from an error of the os package.
func underlying(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (d dirFS) Open(name string) (fs.File, error) {
	p, fi, err := d.resolve("open", name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errNotRegular}
	}
	// O_NONBLOCK and the check after opening: should the file change
	// into a FIFO meanwhile, opening it must not wait for a writer.
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: underlying(err)}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: underlying(err)}
	}
	if !st.Mode().IsRegular() && !st.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: errNotRegular}
	}
	return f, nil
}

func (d dirFS) Stat(name string) (fs.FileInfo, error) {
	_, fi, err := d.resolve("stat", name)
	if err != nil {
		return nil, err
	}
	if base := path.Base(name); name != "." && fi.Name() != base {
		fi = namedInfo{fi, base} // a link's target: under the link's name, as os.Stat
	}
	return fi, nil
}

type namedInfo struct {
	fs.FileInfo
	name string
}

func (n namedInfo) Name() string { return n.name }

func (d dirFS) ReadDir(name string) ([]fs.DirEntry, error) {
	p, _, err := d.resolve("readdir", name)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: underlying(err)}
	}
	return ents, nil
}
