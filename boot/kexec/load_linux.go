package kexec

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/uki"
)

// Load loads the plan with kexec_file_load, or with kexec_load when the
// kernel has no kexec_file_load (ENOSYS) and is not locked down (a locked
// down kernel refuses kexec_load anyway, and only kexec_file_load can check
// signatures), or when p.Syscall asks for it. It returns the syscall used.
// After it returns, Reboot starts the new kernel.
func Load(p Plan) (string, error) {
	if p.UKI != nil {
		return loadUKI(p)
	}
	kfd, kclose, err := kernelFD(p.Kernel)
	if err != nil {
		return "", err
	}
	defer kclose()
	ifd, flags := -1, unix.KEXEC_FILE_NO_INITRAMFS
	if len(p.Initrds) > 0 {
		flags = 0
		var iclose func()
		if len(p.Initrds) == 1 {
			ifd, iclose, err = fileFD(p.Initrds[0], "initrd")
		} else {
			ifd, iclose, err = memfd("initrds", func(w io.Writer) error { _, err := Concat(w, p.Initrds); return err })
		}
		if err != nil {
			return "", err
		}
		defer iclose()
	}
	return load(kfd, ifd, flags, p)
}

// loadUKI loads the kernel and initrds embedded in a unified kernel image:
// the .linux section becomes the kernel, .ucode and .initrd (then any extra
// initrds) the initramfs, each copied into a memfd.
func loadUKI(p Plan) (string, error) {
	f, err := Open(*p.UKI)
	if err != nil {
		return "", &Error{Op: "open UKI " + p.UKI.String(), Err: err}
	}
	defer f.Close()
	ra, ok := f.(io.ReaderAt)
	if !ok {
		// A file inside a disk image: take a copy to read at offsets.
		fd, closeCopy, err := memfd("uki", func(w io.Writer) error { _, err := io.Copy(w, f); return err })
		if err != nil {
			return "", &Error{Op: "read UKI " + p.UKI.String(), Err: err}
		}
		defer closeCopy()
		ra = os.NewFile(uintptr(fd), "uki")
	}
	st, err := f.Stat()
	if err != nil {
		return "", &Error{Op: "stat UKI " + p.UKI.String(), Err: err}
	}
	im, err := uki.Open(ra, st.Size())
	if err != nil {
		return "", &Error{Op: "read UKI " + p.UKI.String(), Err: err}
	}
	b, err := im.Boot(p.UKIProfile)
	if err != nil {
		return "", &Error{Op: "read UKI " + p.UKI.String(), Err: err}
	}
	kfd, kclose, err := memfd("uki-kernel", func(w io.Writer) error { _, err := io.Copy(w, b.Kernel); return err })
	if err != nil {
		return "", err
	}
	defer kclose()
	ifd, flags := -1, unix.KEXEC_FILE_NO_INITRAMFS
	if len(b.Initrds)+len(p.Initrds) > 0 {
		var iclose func()
		ifd, iclose, err = memfd("uki-initrds", func(w io.Writer) error {
			var n int64
			for _, r := range b.Initrds {
				m, err := io.Copy(w, r)
				if n += m; err != nil {
					return &Error{Op: "read UKI initrd", Err: err}
				}
				if pad := (4 - n%4) % 4; pad != 0 {
					w.Write(make([]byte, pad))
					n += pad
				}
			}
			_, err := Concat(w, p.Initrds)
			return err
		})
		if err != nil {
			return "", err
		}
		defer iclose()
		flags = 0
	}
	return load(kfd, ifd, flags, p)
}

// load tries kexec_file_load, then kexec_load as Load says.
func load(kfd, ifd, flags int, p Plan) (string, error) {
	if p.Syscall == SyscallLegacy || (p.Devicetree != nil && runtime.GOARCH == "arm64") {
		return SyscallLegacy, legacyLoad(kfd, ifd, p)
	}
	err := fileLoad(kfd, ifd, flags, p)
	if errors.Is(err, unix.ENOSYS) && p.Syscall == "" {
		if mode := Lockdown(); mode == "" || mode == "none" {
			return SyscallLegacy, legacyLoad(kfd, ifd, p)
		}
	}
	return SyscallFile, err
}

func fileLoad(kfd, ifd, flags int, p Plan) error {
	if err := unix.KexecFileLoad(kfd, ifd, p.Cmdline, flags); err != nil {
		e := Explain("kexec_file_load", err).(*Error)
		if mode := Lockdown(); err == unix.EPERM && mode != "" && mode != "none" {
			e.Advice = fmt.Sprintf("the running kernel is locked down (lockdown=%s, often because of Secure Boot): "+
				"it only kexecs kernels signed by a key it trusts, and %s was refused. Boot that kernel through the firmware, "+
				"or sign it with a key in the kernel's keyring", mode, p.what())
		}
		return e
	}
	return nil
}

// Unload drops a loaded kexec image.
func Unload() error {
	if err := unix.KexecFileLoad(-1, -1, "", unix.KEXEC_FILE_UNLOAD); err != nil {
		return Explain("unload", err)
	}
	return nil
}

// Reboot jumps into the loaded kernel. Unmount and sync before.
func Reboot() error {
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_KEXEC); err != nil {
		return Explain("reboot(LINUX_REBOOT_CMD_KEXEC)", err)
	}
	return nil
}

// kernelFD is fileFD for a kernel: a compressed arm64 Image (Image.gz, EFI
// zboot) is unpacked into a memfd first, as kexec_file_load wants.
func kernelFD(f boot.File) (int, func(), error) {
	r, err := Open(f)
	if err != nil {
		return -1, nil, &Error{Op: "open kernel " + f.String(), Err: err}
	}
	hdr := make([]byte, 0x240)
	n, _ := io.ReadFull(r, hdr)
	st, serr := r.Stat()
	r.Close()
	format := Detect(hdr[:n])
	if format != FormatGzip && format != FormatZboot {
		return fileFD(f, "kernel")
	}
	if serr != nil {
		return -1, nil, &Error{Op: "stat kernel " + f.String(), Err: serr}
	}
	r, err = Open(f)
	if err != nil {
		return -1, nil, &Error{Op: "open kernel " + f.String(), Err: err}
	}
	defer r.Close()
	ra, ok := r.(io.ReaderAt)
	if !ok {
		return -1, nil, &Error{Op: "read kernel " + f.String(), Err: errors.ErrUnsupported}
	}
	un, err := unpackKernel(ra, st.Size(), format)
	if err != nil {
		return -1, nil, &Error{Op: "unpack kernel " + f.String(), Err: err}
	}
	return memfd("kernel", func(w io.Writer) error {
		if _, err := io.Copy(w, un); err != nil {
			return &Error{Op: "unpack kernel " + f.String(), Err: err}
		}
		return nil
	})
}

// fileFD returns a file descriptor for f: the file's own when the volume is
// a kernel mount, else a memfd copy.
func fileFD(f boot.File, what string) (int, func(), error) {
	r, err := Open(f)
	if err != nil {
		return -1, nil, &Error{Op: "open " + what + " " + f.String(), Err: err}
	}
	if osf, ok := r.(*os.File); ok {
		return int(osf.Fd()), func() { osf.Close() }, nil
	}
	defer r.Close()
	return memfd(what, func(w io.Writer) error {
		if _, err := io.Copy(w, r); err != nil {
			return &Error{Op: "read " + what + " " + f.String(), Err: err}
		}
		return nil
	})
}

func memfd(name string, fill func(io.Writer) error) (int, func(), error) {
	fd, err := unix.MemfdCreate("leapboot-"+name, unix.MFD_CLOEXEC)
	if err != nil {
		return -1, nil, fmt.Errorf("kexec: memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:"+name)
	if err := fill(f); err != nil {
		f.Close()
		return -1, nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return -1, nil, fmt.Errorf("kexec: %w", err)
	}
	return int(f.Fd()), func() { f.Close() }, nil
}
