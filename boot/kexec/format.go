package kexec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Format is what kind of kernel file a header shows.
type Format string

// The kernel formats leapboot knows. kexec_file_load takes a bzImage (x86)
// or an uncompressed Image (arm64, riscv); the others are unpacked first.
const (
	FormatBzImage Format = "bzImage"
	FormatImage   Format = "Image"   // arm64 or riscv, uncompressed
	FormatGzip    Format = "gzip"    // Image.gz
	FormatZboot   Format = "zboot"   // EFI zboot: a PE stub around a compressed Image
	FormatUnknown Format = "unknown" // left to the kernel to judge
)

// Detect reads a kernel file's header.
func Detect(hdr []byte) Format {
	switch {
	case len(hdr) >= 0x206 && string(hdr[0x202:0x206]) == "HdrS":
		return FormatBzImage
	case len(hdr) >= 0x18 && string(hdr[:2]) == "MZ" && string(hdr[4:8]) == "zimg":
		return FormatZboot
	case len(hdr) >= 0x3c && (string(hdr[0x38:0x3c]) == "ARM\x64" || string(hdr[0x38:0x3c]) == "RSC\x05"):
		return FormatImage
	case len(hdr) >= 2 && hdr[0] == 0x1f && hdr[1] == 0x8b:
		return FormatGzip
	}
	return FormatUnknown
}

// maxUnpacked bounds what a compressed kernel may unpack to.
const maxUnpacked = 256 << 20

// Unpack returns a reader of the kernel kexec_file_load wants for a file of
// the given size and format: nil when the file can go as it is, else the
// decompressed Image (Image.gz, or the payload of an EFI zboot image).
func Unpack(r io.ReaderAt, size int64, f Format) (io.Reader, error) {
	switch f {
	case FormatGzip:
		zr, err := gzip.NewReader(io.NewSectionReader(r, 0, size))
		if err != nil {
			return nil, fmt.Errorf("kexec: Image.gz: %w", err)
		}
		return limited(zr), nil
	case FormatZboot:
		var h [0x20]byte
		if _, err := r.ReadAt(h[:], 0); err != nil {
			return nil, fmt.Errorf("kexec: zboot header: %w", err)
		}
		off, n := int64(binary.LittleEndian.Uint32(h[8:])), int64(binary.LittleEndian.Uint32(h[12:]))
		if off <= 0 || n <= 0 || off+n > size {
			return nil, fmt.Errorf("kexec: zboot payload at %d+%d lies outside the %d-byte file", off, n, size)
		}
		payload := io.NewSectionReader(r, off, n)
		kind := string(bytes.TrimRight(h[0x18:0x20], "\x00"))
		switch kind {
		case "gzip":
			zr, err := gzip.NewReader(payload)
			if err != nil {
				return nil, fmt.Errorf("kexec: zboot gzip: %w", err)
			}
			return limited(zr), nil
		case "zstd", "zstd22":
			zr, err := zstd.NewReader(payload, zstd.WithDecoderConcurrency(1))
			if err != nil {
				return nil, fmt.Errorf("kexec: zboot zstd: %w", err)
			}
			return limited(zr.IOReadCloser()), nil
		case "xzkern", "xz":
			zr, err := xz.NewReader(payload)
			if err != nil {
				return nil, fmt.Errorf("kexec: zboot xz: %w", err)
			}
			return limited(zr), nil
		}
		return nil, fmt.Errorf("kexec: zboot image compressed with %q, which leapboot cannot unpack", kind)
	}
	return nil, nil
}

type limitReader struct {
	r io.Reader
	n int64
}

func limited(r io.Reader) io.Reader { return &limitReader{r, maxUnpacked} }

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, fmt.Errorf("kexec: kernel unpacks to more than %d MiB", maxUnpacked>>20)
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
