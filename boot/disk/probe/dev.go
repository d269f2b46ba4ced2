package probe

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// DefaultReadLimit is how many bytes one Probe or ReadPartitions call may
// read at most, unless WithReadLimit says otherwise.
const DefaultReadLimit = 4 << 20

// headSize is how much of the device start is read once and shared by all
// superblock probes: it covers every superblock this package knows
// (the btrfs one ends at 64 KiB + 4 KiB).
const headSize = 68 << 10

var (
	// errBudget is returned by dev.read when the read limit is used up.
	errBudget = errors.New("probe: read limit reached")
	// errRead marks failed reads of the device.
	errRead = errors.New("read error")
)

// Option configures Probe and ReadPartitions.
type Option func(*options)

type options struct {
	readLimit int64
}

// WithReadLimit caps the number of bytes one call reads (DefaultReadLimit
// when not given). Values below 64 KiB are raised to 64 KiB.
func WithReadLimit(n int64) Option {
	return func(o *options) {
		o.readLimit = max(n, 64<<10)
	}
}

func newOptions(opts []Option) options {
	o := options{readLimit: DefaultReadLimit}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// dev is a bounded view of the device being probed.
type dev struct {
	r      io.ReaderAt
	size   int64
	budget int64
	head   []byte // the first min(size, headSize) bytes, or nil if not read yet
	pooled *[]byte
}

// headPool keeps head buffers between calls: probing many devices would
// otherwise allocate (and clear) 68 KiB for each.
var headPool = sync.Pool{New: func() any { b := make([]byte, headSize); return &b }}

// release gives the head buffer back; nothing read from d may be used
// after it (results hold strings, never slices of the head).
func (d *dev) release() {
	if d.pooled != nil {
		headPool.Put(d.pooled)
		d.pooled, d.head = nil, nil
	}
}

func newDev(r io.ReaderAt, size int64, o options) *dev {
	return &dev{r: r, size: max(size, 0), budget: o.readLimit}
}

// read returns the n bytes at off. It returns (nil, nil) when that range
// is not entirely inside the device (the caller treats that as "no such
// structure"), and an error for I/O failures and an exhausted read limit.
func (d *dev) read(off int64, n int) ([]byte, error) {
	if off < 0 || n < 0 || off > d.size || int64(n) > d.size-off {
		return nil, nil
	}
	if d.head == nil && d.size > 0 {
		hn := min(d.size, headSize)
		var b []byte
		var err error
		if hn == headSize {
			p := headPool.Get().(*[]byte)
			if b, err = d.readInto(*p, 0); b != nil {
				d.pooled = p
			} else {
				headPool.Put(p)
			}
		} else {
			b, err = d.readRaw(0, int(hn))
		}
		if err != nil {
			return nil, err
		}
		if b == nil {
			b = []byte{} // short device: read everything piecewise
		}
		d.head = b
	}
	if off+int64(n) <= int64(len(d.head)) {
		return d.head[off : off+int64(n) : off+int64(n)], nil
	}
	return d.readRaw(off, n)
}

func (d *dev) readRaw(off int64, n int) ([]byte, error) {
	if int64(n) > d.budget {
		return nil, errBudget
	}
	return d.readInto(make([]byte, n), off)
}

// readInto reads len(b) bytes at off into b, counting them against the
// read limit.
func (d *dev) readInto(b []byte, off int64) ([]byte, error) {
	n := len(b)
	if int64(n) > d.budget {
		return nil, errBudget
	}
	d.budget -= int64(n)
	m, err := d.r.ReadAt(b, off)
	if m == n {
		return b, nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		// The device is shorter than it said: treat as absent.
		return nil, nil
	}
	return nil, fmt.Errorf("%w: %d bytes at offset %d: %w", errRead, n, off, err)
}
