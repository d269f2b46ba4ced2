package disk

import (
	"errors"
	"io"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// directAlign is the alignment of direct reads: the largest logical block
// size of Linux block devices (a page).
const directAlign = 4096

// directDev reads a block device with O_DIRECT: each read goes to the
// device as one request, with no readahead and nothing left in the page
// cache. A probe reads a few KiB at a few places; a buffered read
// would read ahead 128 KiB or more at each and fill the cache, which
// the kernel then drops again when a filesystem is mounted with another
// block size. Where the device refuses direct reads, it reads through the
// page cache.
type directDev struct {
	f      *os.File
	mu     sync.Mutex
	direct bool
}

// openDirect opens a block device for reading, directly where possible.
func openDirect(name string) (*directDev, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|unix.O_DIRECT, 0)
	if err == nil {
		return &directDev{f: f, direct: true}, nil
	}
	f, err = os.Open(name)
	if err != nil {
		return nil, err
	}
	return &directDev{f: f}, nil
}

func (d *directDev) Close() error { return d.f.Close() }

// bufPool holds aligned buffers of the size most reads need (a probe's
// first 68 KiB, rounded to the alignment).
var bufPool = sync.Pool{New: func() any { b := alignedBuf(pooledSize); return &b }}

const pooledSize = 72 << 10

// alignedBuf returns n bytes (a multiple of directAlign) starting at an
// address that is a multiple of directAlign.
func alignedBuf(n int) []byte {
	b := make([]byte, n+directAlign)
	off := int(uintptr(unsafe.Pointer(&b[0])) & (directAlign - 1))
	if off != 0 {
		off = directAlign - off
	}
	return b[off : off+n : off+n]
}

// ReadAt reads len(p) bytes at off, through an aligned buffer when direct.
func (d *directDev) ReadAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	direct := d.direct
	d.mu.Unlock()
	if !direct || off < 0 {
		return d.f.ReadAt(p, off)
	}
	start := off &^ (directAlign - 1)
	end := (off + int64(len(p)) + directAlign - 1) &^ (directAlign - 1)
	if start == off && end == off+int64(len(p)) && len(p) > 0 && uintptr(unsafe.Pointer(&p[0]))&(directAlign-1) == 0 {
		// p is aligned already (a probe's 68 KiB head: Go puts objects
		// over 32 KiB at the start of a page): the device writes into it
		// and nothing is copied.
		n, err := d.f.ReadAt(p, off)
		if !errors.Is(err, unix.EINVAL) {
			return n, err
		}
	}
	var buf []byte
	if n := end - start; n <= pooledSize {
		pooled := bufPool.Get().(*[]byte)
		defer bufPool.Put(pooled)
		buf = (*pooled)[:n]
	} else {
		buf = alignedBuf(int(n))
	}
	n, err := d.f.ReadAt(buf, start)
	if errors.Is(err, unix.EINVAL) {
		// The device wants another alignment: read it through the
		// page cache from now on.
		if _, ferr := unix.FcntlInt(d.f.Fd(), unix.F_SETFL, 0); ferr != nil {
			return 0, err
		}
		d.mu.Lock()
		d.direct = false
		d.mu.Unlock()
		return d.f.ReadAt(p, off)
	}
	got := min(max(int64(n)-(off-start), 0), int64(len(p)))
	copy(p, buf[off-start:off-start+got])
	switch {
	case got == int64(len(p)):
		return len(p), nil
	case err == nil:
		err = io.EOF
	}
	return int(got), err
}
