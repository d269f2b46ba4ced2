package kexec

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// legacyLoad loads a bzImage with kexec_load: layoutBzImage places it, and
// the kernel copies the segments at reboot. The kernel and initrd are
// mapped, not read into the heap.
func legacyLoad(kfd, ifd int, p Plan) error {
	if p.Devicetree != nil {
		return &Error{Op: SyscallLegacy, Err: fmt.Errorf("devicetree %s: x86 kernels take none", p.Devicetree)}
	}
	kernel, kunmap, err := mapFD(kfd)
	if err != nil {
		return &Error{Op: "map kernel", Err: err}
	}
	defer kunmap()
	var initrd []byte
	if ifd >= 0 {
		var iunmap func()
		if initrd, iunmap, err = mapFD(ifd); err != nil {
			return &Error{Op: "map initrd", Err: err}
		}
		defer iunmap()
	}
	mem, err := ParseMemmap(os.DirFS("/sys/firmware/memmap"))
	if err != nil {
		f, ierr := os.Open("/proc/iomem")
		if ierr != nil {
			return &Error{Op: SyscallLegacy, Err: err}
		}
		mem, err = ParseIomem(f)
		f.Close()
		if err != nil {
			return &Error{Op: SyscallLegacy, Err: err}
		}
	}
	entry, segs, err := layoutBzImage(kernel, initrd, p.Cmdline, mem, efiRSDP())
	if err != nil {
		return &Error{Op: SyscallLegacy, Err: fmt.Errorf("%s: %w", p.Kernel, err)}
	}
	if err := kexecLoad(entry, segs); err != nil {
		return Explain(SyscallLegacy, err)
	}
	return nil
}

// kexecSegment is the kernel's struct kexec_segment.
type kexecSegment struct {
	buf   unsafe.Pointer
	bufsz uintptr
	mem   uintptr
	memsz uintptr
}

func kexecLoad(entry uint64, segs []Segment) error {
	if len(segs) > maxLegacySegments {
		return fmt.Errorf("%d segments, more than kexec_load takes", len(segs))
	}
	ks := make([]kexecSegment, len(segs))
	for i, s := range segs {
		ks[i] = kexecSegment{unsafe.Pointer(unsafe.SliceData(s.Buf)), uintptr(len(s.Buf)), uintptr(s.Mem), uintptr(s.Memsz)}
	}
	_, _, errno := unix.Syscall6(unix.SYS_KEXEC_LOAD, uintptr(entry), uintptr(len(ks)), uintptr(unsafe.Pointer(unsafe.SliceData(ks))), 0, 0, 0)
	runtime.KeepAlive(segs)
	runtime.KeepAlive(ks)
	if errno != 0 {
		return errno
	}
	return nil
}

// mapFD maps a whole file read-only.
func mapFD(fd int) ([]byte, func(), error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, nil, err
	}
	if st.Size == 0 {
		return nil, func() {}, nil
	}
	b, err := unix.Mmap(fd, 0, int(st.Size), unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		return nil, nil, err
	}
	return b, func() { unix.Munmap(b) }, nil
}

// efiRSDP returns the ACPI RSDP address from the EFI system table, which a
// kernel started by kexec_load does not see; 0 on a BIOS machine, where the
// kernel finds the RSDP by scanning low memory.
func efiRSDP() uint64 {
	f, err := os.Open("/sys/firmware/efi/systab")
	if err != nil {
		return 0
	}
	defer f.Close()
	return ParseSystab(f)
}
