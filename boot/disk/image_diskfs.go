//go:build !tiny

package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"

	"github.com/diskfs/go-diskfs/backend"
	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem"
	"github.com/diskfs/go-diskfs/filesystem/ext4"
	"github.com/diskfs/go-diskfs/filesystem/fat12"
	"github.com/diskfs/go-diskfs/filesystem/fat16"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"
)

// This file reads filesystems inside image files through go-diskfs. The
// slim /init build (-tags tiny) leaves it out: /init mounts filesystems
// with the kernel (see image_tiny.go).

// openDiskfs opens a filesystem through go-diskfs. warn is a problem that
// was worked around.
func openDiskfs(f *os.File, fstype string, start, size int64) (_ fs.FS, warn, _ error) {
	b := file.New(f, true)
	var fsys filesystem.FileSystem
	err := guard("open "+fstype, func() error {
		var err error
		switch fstype {
		case "vfat":
			// go-diskfs has one reader per FAT width; the superblock
			// probe does not say which, so try them widest first. It
			// follows cluster chains without end, so each reader gets
			// the FAT with its loops cut (see cutFATLoops).
			readers := []struct {
				bits int
				read func(backend.Storage, int64, int64, int64) (filesystem.FileSystem, error)
			}{
				{32, func(b backend.Storage, size, start, bs int64) (filesystem.FileSystem, error) {
					return fat32.Read(b, size, start, bs)
				}},
				{16, func(b backend.Storage, size, start, bs int64) (filesystem.FileSystem, error) {
					return fat16.Read(b, size, start, bs)
				}},
				{12, func(b backend.Storage, size, start, bs int64) (filesystem.FileSystem, error) {
					return fat12.Read(b, size, start, bs)
				}},
			}
			for _, r := range readers {
				st, loops, cerr := cutFATLoops(b, start, size, r.bits)
				if cerr != nil {
					err = cerr
					continue
				}
				if fsys, err = r.read(st, size, start, 512); err == nil {
					if len(loops) > 0 {
						warn = fmt.Errorf("FAT: %d cluster chain(s) loop (first at cluster %d); cut there, files on them read short", len(loops), loops[0])
					}
					return nil
				}
			}
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
		return nil, nil, err
	}
	return guardedFS{fsys}, warn, nil
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

// readLinker is a go-diskfs filesystem with symbolic links (ext4).
type readLinker interface {
	ReadLink(name string) (string, error)
}

// resolve replaces the symbolic links in name by their targets, inside the
// volume, giving up after maxSymlinks: go-diskfs's ext4 Open follows links
// by calling itself, without a bound, so a link to itself would grow the
// stack until the program dies. Names on filesystems without links are
// returned as they are.
func (g guardedFS) resolve(op, name string) (string, error) {
	rl, ok := g.fsys.(readLinker)
	if !ok {
		return name, nil
	}
	var done []string
	todo := strings.Split(name, "/")
	links := 0
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
			continue
		}
		p := strings.Join(append(done, c), "/")
		var target string
		err := guard("readlink "+p, func() error {
			var err error
			target, err = rl.ReadLink(p)
			return err
		})
		if err != nil { // not a link, or not there: Open will say
			done = append(done, c)
			continue
		}
		if links++; links > maxSymlinks {
			return "", &fs.PathError{Op: op, Path: name, Err: syscall.ELOOP}
		}
		if strings.HasPrefix(target, "/") {
			done = done[:0]
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return strings.Join(done, "/"), nil
}

func (g guardedFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	name, err := g.resolve("open", name)
	if err != nil {
		return nil, err
	}
	var f fs.File
	err = guard("open "+name, func() error {
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
	name, err := g.resolve("readdir", name)
	if err != nil {
		return nil, err
	}
	var ents []fs.DirEntry
	err = guard("readdir "+name, func() error {
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
	name, err := g.resolve("stat", name)
	if err != nil {
		return nil, err
	}
	var fi fs.FileInfo
	err = guard("stat "+name, func() error {
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

// maxFATBytes bounds the FAT leapboot reads from an image (go-diskfs reads
// it whole into memory); real FATs are a few MiB.
const maxFATBytes = 256 << 20

// cutFATLoops reads the first FAT of the FAT filesystem at start, taking
// its entries to be bits wide as the go-diskfs reader of that width does,
// and finds the cluster chains that loop (go-diskfs would follow them
// forever, growing a list without bound). It returns b unchanged when there
// is none; otherwise a Storage that shows both FAT copies with an
// end-of-chain mark where each loop closes, and the clusters cut.
func cutFATLoops(b backend.Storage, start, size int64, bits int) (backend.Storage, []uint32, error) {
	var bs [512]byte
	if _, err := b.ReadAt(bs[:], start); err != nil {
		return nil, nil, fmt.Errorf("FAT: boot sector: %w", err)
	}
	le := binary.LittleEndian
	bps := int64(le.Uint16(bs[11:]))
	reserved := int64(le.Uint16(bs[14:]))
	sectors := int64(le.Uint16(bs[22:]))
	if bits == 32 {
		sectors = int64(le.Uint32(bs[36:]))
	}
	fatBytes := sectors * bps
	fatStart := reserved * bps
	switch {
	case bps == 0 || fatBytes == 0:
		return nil, nil, fmt.Errorf("FAT%d: no FAT (bytes per sector %d, FAT sectors %d)", bits, bps, sectors)
	case fatBytes > maxFATBytes:
		return nil, nil, fmt.Errorf("FAT%d: a FAT of %d bytes, more than the %d leapboot reads", bits, fatBytes, maxFATBytes)
	case fatStart+2*fatBytes > size:
		return nil, nil, fmt.Errorf("FAT%d: the FATs run past the end of the volume", bits)
	}
	fat := make([]byte, fatBytes)
	if _, err := b.ReadAt(fat, start+fatStart); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("FAT%d: reading the FAT: %w", bits, err)
	}
	n := int64(len(fat)) * 8 / int64(bits) // entries
	// The values that are end-of-chain or bad-cluster marks.
	marks := map[int]uint32{12: 0xFF7, 16: 0xFFF7, 32: 0x0FFFFFF7}[bits]
	get := func(i int64) uint32 {
		switch bits {
		case 12:
			v := uint32(le.Uint16(fat[i*3/2:]))
			if i%2 == 1 {
				return v >> 4
			}
			return v & 0xFFF
		case 16:
			return uint32(le.Uint16(fat[i*2:]))
		}
		return le.Uint32(fat[i*4:])
	}
	if bits == 12 && n*3/2+1 >= int64(len(fat)) {
		n-- // the last 12-bit entry must have both its bytes
	}
	// next is the cluster a cluster links to, -1 at the end of a chain.
	next := func(i int64) int64 {
		v := get(i)
		if v < 2 || int64(v) >= n || v >= marks {
			return -1
		}
		return int64(v)
	}
	var cuts []uint32
	state := make([]uint8, n) // 0 unseen, 1 on the chain being walked, 2 done
	for c := int64(2); c < n; c++ {
		if state[c] != 0 {
			continue
		}
		for x := c; ; {
			state[x] = 1
			y := next(x)
			if y < 0 || state[y] == 2 {
				break
			}
			if state[y] == 1 {
				cuts = append(cuts, uint32(x))
				setFATEntry(fat, x, bits)
				break
			}
			x = y
		}
		for x := c; x >= 0 && state[x] == 1; x = next(x) {
			state[x] = 2
		}
	}
	if len(cuts) == 0 {
		return b, nil, nil
	}
	// go-diskfs's FAT32 reader wants both copies equal: cut the second
	// copy at the same clusters.
	fat2 := make([]byte, fatBytes)
	if _, err := b.ReadAt(fat2, start+fatStart+fatBytes); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("FAT%d: reading the second FAT: %w", bits, err)
	}
	for _, x := range cuts {
		setFATEntry(fat2, int64(x), bits)
	}
	return overlay{Storage: b, parts: []overlayPart{{start + fatStart, fat}, {start + fatStart + fatBytes, fat2}}}, cuts, nil
}

// setFATEntry marks entry i of a FAT as the end of its chain.
func setFATEntry(fat []byte, i int64, bits int) {
	le := binary.LittleEndian
	switch bits {
	case 12:
		v := le.Uint16(fat[i*3/2:])
		if i%2 == 1 {
			v = v&0x000F | 0xFFF0
		} else {
			v |= 0x0FFF
		}
		le.PutUint16(fat[i*3/2:], v)
	case 16:
		le.PutUint16(fat[i*2:], 0xFFFF)
	default:
		le.PutUint32(fat[i*4:], 0x0FFFFFFF)
	}
}

// overlay is a Storage whose reads show other bytes in some places.
type overlay struct {
	backend.Storage
	parts []overlayPart
}

type overlayPart struct {
	off  int64
	data []byte
}

func (o overlay) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.Storage.ReadAt(p, off)
	for _, part := range o.parts {
		lo, hi := max(off, part.off), min(off+int64(n), part.off+int64(len(part.data)))
		if lo < hi {
			copy(p[lo-off:hi-off], part.data[lo-part.off:hi-part.off])
		}
	}
	return n, err
}
