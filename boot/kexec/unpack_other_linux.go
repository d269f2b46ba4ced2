//go:build !386 && !amd64

package kexec

import (
	"io"

	"github.com/leapboot/leapboot/boot/kexec/unpack"
)

// unpackKernel unpacks an Image.gz or EFI zboot kernel for kexec_file_load.
func unpackKernel(r io.ReaderAt, size int64, f Format) (io.Reader, error) {
	if f == FormatZboot {
		return unpack.Zboot(r, size)
	}
	return unpack.Gzip(io.NewSectionReader(r, 0, size))
}
