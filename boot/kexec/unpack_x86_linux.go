//go:build 386 || amd64

package kexec

import (
	"fmt"
	"io"
	"runtime"
)

// unpackKernel refuses the compressed Image formats of arm64 and riscv64
// on x86, whose kernels are bzImages that unpack themselves. Refusing here
// keeps the decompressors out of x86 builds.
func unpackKernel(_ io.ReaderAt, _ int64, f Format) (io.Reader, error) {
	return nil, fmt.Errorf("kexec: the kernel is an %s image of arm64 or riscv64, which cannot run on %s", f, runtime.GOARCH)
}
