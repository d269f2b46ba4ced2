package disk

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem"
	"github.com/diskfs/go-diskfs/filesystem/ext4"
	"github.com/diskfs/go-diskfs/filesystem/fat12"
	"github.com/diskfs/go-diskfs/filesystem/fat16"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"

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
	var vols []*boot.Volume
	tbl, terr := probe.ReadPartitions(f, size, 512)
	if terr == nil && len(tbl.Partitions) > 0 {
		for _, p := range tbl.Partitions {
			v := &boot.Volume{
				Device:    fmt.Sprintf("%s:%d", path, p.Number),
				Disk:      path,
				Partition: p.Number,
				PartUUID:  p.PartUUID,
				PartLabel: p.Name,
				PartType:  p.Type,
			}
			if p.Start < 0 || p.Size <= 0 || p.Start+p.Size > size {
				v.Err = fmt.Errorf("disk: %s: partition %d runs past the end of the disk", path, p.Number)
				vols = append(vols, v)
				continue
			}
			imageVolume(v, f, p.Start, p.Size)
			vols = append(vols, v)
		}
		return vols, f, nil
	}
	v := &boot.Volume{Device: path, Disk: path}
	imageVolume(v, f, 0, size)
	if v.FSType == "" {
		f.Close()
		if terr != nil && !errors.Is(terr, probe.ErrUnknown) {
			return nil, nil, fmt.Errorf("disk: %s: no partition table (%v) and no filesystem", path, terr)
		}
		return nil, nil, fmt.Errorf("disk: %s: no partition table and no filesystem found", path)
	}
	return []*boot.Volume{v}, f, nil
}

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
// opens it through go-diskfs.
func imageVolume(v *boot.Volume, f *os.File, start, size int64) {
	id, err := probe.Probe(io.NewSectionReader(f, start, size), size)
	if err != nil {
		v.Err = fmt.Errorf("disk: %s: %w", v.Device, err)
		return
	}
	v.FSType, v.UUID, v.Label = id.Type, id.UUID, id.Label
	fsys, err := openDiskfs(f, id.Type, start, size)
	if err != nil {
		v.Err = fmt.Errorf("disk: %s: %w", v.Device, err)
		return
	}
	v.FS = fsys
}

func openDiskfs(f *os.File, fstype string, start, size int64) (fs.FS, error) {
	b := file.New(f, true)
	var fsys filesystem.FileSystem
	err := guard("open "+fstype, func() error {
		var err error
		switch fstype {
		case "vfat":
			// go-diskfs has one reader per FAT width; the superblock
			// probe does not say which, so try them widest first.
			if fsys, err = fat32.Read(b, size, start, 512); err == nil {
				return nil
			}
			if fsys, err = fat16.Read(b, size, start, 512); err == nil {
				return nil
			}
			fsys, err = fat12.Read(b, size, start, 512)
		case "ext4", "ext3", "ext2":
			fsys, err = ext4.Read(b, size, start, 512)
			if err != nil {
				err = fmt.Errorf("cannot read this %s from an image (%w); go-diskfs reads only ext4 with metadata_csum: boot it under the kernel instead", fstype, err)
			}
		case "iso9660":
			fsys, err = iso9660.Read(b, size, start, 2048)
		default:
			err = fmt.Errorf("%s cannot be read from an image file; boot it under the kernel instead", fstype)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return guardedFS{fsys}, nil
}

// guard runs fn and turns a panic in it into an error.
func guard(what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: go-diskfs failed on this filesystem: %v", what, r)
		}
	}()
	return fn()
}

// guardedFS wraps a go-diskfs filesystem: it recovers from panics, makes
// missing files satisfy errors.Is(err, fs.ErrNotExist), and exposes only
// reading.
type guardedFS struct{ fsys filesystem.FileSystem }

func notExist(name string, err error) error {
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return err
	}
	s := strings.ToLower(err.Error())
	if strings.Contains(s, "not found") || strings.Contains(s, "does not exist") || strings.Contains(s, "no such") || strings.Contains(s, "not exist") || strings.Contains(s, "could not find") {
		return &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return err
}

func (g guardedFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	var f fs.File
	err := guard("open "+name, func() error {
		var err error
		f, err = g.fsys.Open(name)
		return err
	})
	if err != nil {
		return nil, notExist(name, err)
	}
	return &guardedFile{f: f, name: name}, nil
}

func (g guardedFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	var ents []fs.DirEntry
	err := guard("readdir "+name, func() error {
		var err error
		ents, err = g.fsys.ReadDir(name)
		return err
	})
	return ents, notExist(name, err)
}

func (g guardedFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	var fi fs.FileInfo
	err := guard("stat "+name, func() error {
		var err error
		fi, err = g.fsys.Stat(name)
		return err
	})
	return fi, notExist(name, err)
}

type guardedFile struct {
	f    fs.File
	name string
	mu   sync.Mutex // ReadAt's seek and read go together
}

// ReadAt lets readers that need random access (the UKI reader) work on
// files in images: go-diskfs files seek but have no ReadAt.
func (g *guardedFile) ReadAt(p []byte, off int64) (n int, err error) {
	if ra, ok := g.f.(io.ReaderAt); ok {
		gerr := guard("read "+g.name, func() error { n, err = ra.ReadAt(p, off); return nil })
		if gerr != nil {
			return 0, gerr
		}
		return n, err
	}
	sk, ok := g.f.(io.Seeker)
	if !ok {
		return 0, &fs.PathError{Op: "readat", Path: g.name, Err: errors.ErrUnsupported}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	gerr := guard("read "+g.name, func() error {
		if _, err = sk.Seek(off, io.SeekStart); err != nil {
			return nil
		}
		n, err = io.ReadFull(g.f, p)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		return nil
	})
	if gerr != nil {
		return 0, gerr
	}
	return n, err
}

// Seek passes through to files that seek.
func (g *guardedFile) Seek(off int64, whence int) (n int64, err error) {
	sk, ok := g.f.(io.Seeker)
	if !ok {
		return 0, &fs.PathError{Op: "seek", Path: g.name, Err: errors.ErrUnsupported}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	gerr := guard("seek "+g.name, func() error { n, err = sk.Seek(off, whence); return nil })
	if gerr != nil {
		return 0, gerr
	}
	return n, err
}

func (g *guardedFile) Stat() (fi fs.FileInfo, err error) {
	err = guard("stat "+g.name, func() error { fi, err = g.f.Stat(); return err })
	return fi, err
}

func (g *guardedFile) Read(p []byte) (n int, err error) {
	gerr := guard("read "+g.name, func() error { n, err = g.f.Read(p); return nil })
	if gerr != nil {
		return 0, gerr
	}
	return n, err
}

func (g *guardedFile) Close() error {
	return guard("close "+g.name, func() error { return g.f.Close() })
}

// ReadDir lets fs.ReadDir work on directories opened through Open.
func (g *guardedFile) ReadDir(n int) (ents []fs.DirEntry, err error) {
	d, ok := g.f.(fs.ReadDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: g.name, Err: errors.New("not a directory")}
	}
	gerr := guard("readdir "+g.name, func() error { ents, err = d.ReadDir(n); return nil })
	if gerr != nil {
		return nil, gerr
	}
	return ents, err
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
	return &boot.Volume{Device: path, Disk: path, FSType: "dir", FS: os.DirFS(path)}, nil
}
