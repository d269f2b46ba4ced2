// Package unpack turns the compressed kernel images of arm64 and riscv64
// (Image.gz, and EFI zboot: a PE stub around a gzip, zstd or xz payload)
// into the plain Image that kexec_file_load takes. It is its own package so
// that x86 builds, whose kernels are bzImages the kernel unpacks itself,
// link none of the decompressors.
package unpack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// maxUnpacked bounds what a compressed kernel may unpack to.
const maxUnpacked = 256 << 20

// Gzip unpacks an Image.gz.
func Gzip(r io.Reader) (io.Reader, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("unpack: Image.gz: %w", err)
	}
	return limited(zr), nil
}

// Zboot unpacks the payload of an EFI zboot image of the given size: its
// header names the payload's offset, length and compression.
func Zboot(r io.ReaderAt, size int64) (io.Reader, error) {
	var h [0x20]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("unpack: zboot header: %w", err)
	}
	if string(h[:2]) != "MZ" || string(h[4:8]) != "zimg" {
		return nil, fmt.Errorf("unpack: not an EFI zboot image")
	}
	off, n := int64(binary.LittleEndian.Uint32(h[8:])), int64(binary.LittleEndian.Uint32(h[12:]))
	if off <= 0 || n <= 0 || off+n > size {
		return nil, fmt.Errorf("unpack: zboot payload at %d+%d lies outside the %d-byte file", off, n, size)
	}
	payload := io.NewSectionReader(r, off, n)
	kind := string(bytes.TrimRight(h[0x18:0x20], "\x00"))
	switch kind {
	case "gzip":
		zr, err := gzip.NewReader(payload)
		if err != nil {
			return nil, fmt.Errorf("unpack: zboot gzip: %w", err)
		}
		return limited(zr), nil
	case "zstd", "zstd22":
		zr, err := zstd.NewReader(payload, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("unpack: zboot zstd: %w", err)
		}
		return limited(zr.IOReadCloser()), nil
	case "xzkern", "xz":
		zr, err := xz.NewReader(payload)
		if err != nil {
			return nil, fmt.Errorf("unpack: zboot xz: %w", err)
		}
		return limited(zr), nil
	}
	return nil, fmt.Errorf("unpack: zboot image compressed with %q, which leapboot cannot unpack", kind)
}

type limitReader struct {
	r io.Reader
	n int64
}

func limited(r io.Reader) io.Reader { return &limitReader{r, maxUnpacked} }

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, fmt.Errorf("unpack: kernel unpacks to more than %d MiB", maxUnpacked>>20)
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
