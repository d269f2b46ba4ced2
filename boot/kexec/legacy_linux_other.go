//go:build !amd64

package kexec

import (
	"bytes"
	"errors"
	"io"
	"os"
	"syscall"

	"github.com/u-root/u-root/pkg/boot/linux"
	"golang.org/x/sys/unix"
)

// legacyLoad loads with kexec_load through u-root's bzImage/Image loader,
// which builds the segments and purgatory that kexec_file_load would.
func legacyLoad(kfd, ifd int, p Plan) error {
	// The loader takes *os.File and reads from the start: give it
	// duplicates, so the callers' files stay theirs to close.
	dup := func(fd int, name string) (*os.File, error) {
		d, err := unix.Dup(fd)
		if err != nil {
			return nil, &Error{Op: SyscallLegacy, Err: err}
		}
		f := os.NewFile(uintptr(d), name)
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, &Error{Op: SyscallLegacy, Err: err}
		}
		return f, nil
	}
	k, err := dup(kfd, "kernel")
	if err != nil {
		return err
	}
	defer k.Close()
	var i *os.File
	if ifd >= 0 {
		if i, err = dup(ifd, "initrd"); err != nil {
			return err
		}
		defer i.Close()
	}
	var dtb io.ReaderAt
	if p.Devicetree != nil {
		f, err := Open(*p.Devicetree)
		if err != nil {
			return &Error{Op: "open devicetree " + p.Devicetree.String(), Err: err}
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, 16<<20))
		if err != nil {
			return &Error{Op: "read devicetree " + p.Devicetree.String(), Err: err}
		}
		dtb = bytes.NewReader(b)
	}
	if err := linux.KexecLoad(k, i, p.Cmdline, dtb, nil); err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return Explain(SyscallLegacy, errno)
		}
		return &Error{Op: SyscallLegacy, Err: err}
	}
	return nil
}
