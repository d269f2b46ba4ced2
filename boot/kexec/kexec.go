// Package kexec turns a boot.Entry into a loaded kexec image and jumps to it.
//
// Files are opened through the entry's Volume.FS only when an entry is booted.
// A file that already is an *os.File (a kernel mount) goes to
// kexec_file_load as it is; anything else (a file inside a disk image read
// by go-diskfs) and a list of several initrds (concatenated in order, each
// padded to 4 bytes) are streamed into a memfd, so nothing is held in the Go
// heap. Errors from the kernel are translated into sentences that say what
// to do next; the same mapping serves /init and `leapboot reboot`.
package kexec

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"syscall"

	"github.com/leapboot/leapboot/boot"
)

// MaxCmdline is x86's COMMAND_LINE_SIZE less the terminating NUL.
const MaxCmdline = 2047

// Error is a kexec failure with the step that failed and advice.
type Error struct {
	Op     string // "open kernel", "kexec_file_load", …
	Err    error
	Advice string
}

func (e *Error) Error() string {
	s := "kexec: " + e.Op + ": " + e.Err.Error()
	if e.Advice != "" {
		s += " (" + e.Advice + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Explain wraps an error from the kexec syscalls with advice a person can
// act on, chosen by errno.
func Explain(op string, err error) error {
	var errno syscall.Errno
	advice := ""
	if errors.As(err, &errno) {
		switch errno {
		case syscall.EPERM:
			advice = "the kernel refused: either this process lacks CAP_SYS_BOOT, or the kernel is locked down " +
				"(lockdown=integrity/confidentiality or Secure Boot) and only a kernel signed by a trusted key can be kexec'd; " +
				"check /sys/kernel/security/lockdown and /proc/sys/kernel/kexec_load_disabled"
		case syscall.EKEYREJECTED:
			advice = "the kernel's signature was rejected by the running kernel's keyring; boot a kernel signed by a trusted key"
		case syscall.ENOEXEC:
			advice = "the file is not a kernel image this kernel can load (x86 needs a bzImage, arm64 an uncompressed Image)"
		case syscall.EBUSY:
			advice = "another kexec image is being loaded or is loaded; run `leapboot unload` and try again"
		case syscall.EADDRNOTAVAIL, syscall.ENOMEM:
			advice = "the kernel and initrd do not fit in the memory the running kernel can use for kexec; try a smaller initrd or more RAM"
		case syscall.EINVAL:
			advice = "the kernel rejected the arguments: the command line may be too long or the image malformed"
		case syscall.ENOSYS:
			advice = "this kernel has no kexec_file_load (CONFIG_KEXEC_FILE)"
		}
	}
	return &Error{Op: op, Err: err, Advice: advice}
}

// Plan is what an entry loads: the kernel, the initrds in order and the
// command line. It is checked before anything is read.
type Plan struct {
	Kernel boot.File
	// UKI, when set, is a unified kernel image whose kernel and initrds
	// (.ucode, .initrd) are loaded, followed by Initrds.
	UKI        *boot.File
	UKIProfile int
	Initrds    []boot.File
	Cmdline    string
	// Devicetree replaces the running kernel's devicetree (arm64); it
	// needs kexec_load, since kexec_file_load passes the running one on.
	Devicetree *boot.File
	// Syscall forces SyscallFile or SyscallLegacy; empty means the file
	// interface, falling back to the legacy one where the kernel lacks it.
	Syscall string
}

// The two ways into kexec.
const (
	SyscallFile   = "kexec_file_load"
	SyscallLegacy = "kexec_load"
)

// PlanFor checks an entry and returns its plan.
func PlanFor(e *boot.Entry) (Plan, error) {
	if e.Err != nil {
		return Plan{}, fmt.Errorf("kexec: entry %q cannot boot: %w", e.Title, e.Err)
	}
	if e.UKI != nil {
		if e.UKI.Volume == nil || e.UKI.Volume.FS == nil {
			return Plan{}, fmt.Errorf("kexec: entry %q has no readable unified kernel image", e.Title)
		}
	} else if e.Kernel.Volume == nil || e.Kernel.Volume.FS == nil || e.Kernel.Path == "" {
		return Plan{}, fmt.Errorf("kexec: entry %q has no readable kernel", e.Title)
	}
	for _, f := range e.Initrds {
		if f.Volume == nil || f.Volume.FS == nil {
			return Plan{}, fmt.Errorf("kexec: entry %q: initrd %s is on no readable volume", e.Title, f.Path)
		}
	}
	if len(e.Cmdline) > MaxCmdline {
		return Plan{}, &Error{Op: "check command line", Err: syscall.EINVAL,
			Advice: fmt.Sprintf("the command line is %d bytes; the kernel takes at most %d", len(e.Cmdline), MaxCmdline)}
	}
	if strings.ContainsRune(e.Cmdline, 0) {
		return Plan{}, fmt.Errorf("kexec: entry %q: command line contains a NUL byte", e.Title)
	}
	if e.Devicetree != nil && (e.Devicetree.Volume == nil || e.Devicetree.Volume.FS == nil) {
		return Plan{}, fmt.Errorf("kexec: entry %q: devicetree %s is on no readable volume", e.Title, e.Devicetree.Path)
	}
	return Plan{Kernel: e.Kernel, UKI: e.UKI, UKIProfile: e.UKIProfile, Initrds: e.Initrds, Cmdline: e.Cmdline, Devicetree: e.Devicetree}, nil
}

// Open opens a file of a plan on its volume.
func Open(f boot.File) (fs.File, error) {
	r, err := f.Volume.FS.Open(strings.TrimPrefix(f.Path, "/"))
	if err != nil {
		return nil, err
	}
	if st, err := r.Stat(); err == nil && st.IsDir() {
		r.Close()
		return nil, fmt.Errorf("%s is a directory", f.Path)
	}
	return r, nil
}

// Concat copies the initrds into w in order, each padded with zeros to a
// multiple of 4 bytes as the kernel's initramfs unpacker expects between
// archives. It returns the bytes written.
func Concat(w io.Writer, initrds []boot.File) (int64, error) {
	var total int64
	for _, f := range initrds {
		r, err := Open(f)
		if err != nil {
			return total, &Error{Op: "open initrd " + f.String(), Err: err}
		}
		n, err := io.Copy(w, r)
		r.Close()
		total += n
		if err != nil {
			return total, &Error{Op: "read initrd " + f.String(), Err: err}
		}
		if pad := (4 - total%4) % 4; pad != 0 {
			m, err := w.Write(make([]byte, pad))
			total += int64(m)
			if err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// what names the kernel a plan loads, for messages.
func (p Plan) what() string {
	if p.UKI != nil {
		return p.UKI.String()
	}
	return p.Kernel.String()
}
