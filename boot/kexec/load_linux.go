package kexec

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/leapboot/leapboot/boot"
)

// Load loads the plan with kexec_file_load. After it returns nil,
// Reboot starts the new kernel.
func Load(p Plan) error {
	kfd, kclose, err := fileFD(p.Kernel, "kernel")
	if err != nil {
		return err
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
			return err
		}
		defer iclose()
	}
	if err := unix.KexecFileLoad(kfd, ifd, p.Cmdline, flags); err != nil {
		e := Explain("kexec_file_load", err).(*Error)
		if mode := Lockdown(); err == unix.EPERM && mode != "" && mode != "none" {
			e.Advice = fmt.Sprintf("the running kernel is locked down (lockdown=%s, often because of Secure Boot): "+
				"it only kexecs kernels signed by a key it trusts, and %s was refused. Boot that kernel through the firmware, "+
				"or sign it with a key in the kernel's keyring", mode, p.Kernel)
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
