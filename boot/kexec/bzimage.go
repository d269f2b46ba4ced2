package kexec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// This file lays out an x86-64 bzImage for kexec_load, the syscall of
// kernels without kexec_file_load: kexec_file_load does the same work in
// the kernel. It follows the 64-bit boot protocol of
// Documentation/arch/x86/boot.rst: the protected-mode kernel at an aligned
// address with init_size bytes of room, a boot_params page ("zero page")
// holding the setup header, the e820 map, the command line and initrd
// addresses, and a small trampoline that loads a flat GDT, puts the
// boot_params address in %rsi and jumps to the 64-bit entry point. The
// kernel's own relocate_kernel jumps to the trampoline with paging
// identity-mapped and interrupts off.
//
// It is written here rather than taken from u-root's pkg/boot/linux because
// that loader brings ELF, xz and zstd readers and purgatory blobs, 120 KB
// of the compressed /init, for about 300 lines of layout.

// Offsets in the setup header, which lies at 0x1f1 of both the bzImage
// file and boot_params.
const (
	hdrSetupSects   = 0x1f1
	hdrJumpLen      = 0x201 // second byte of the jump at 0x200: the header ends at 0x202 + this
	hdrMagic        = 0x202
	hdrVersion      = 0x206
	hdrTypeOfLoader = 0x210
	hdrRamdiskImage = 0x218
	hdrRamdiskSize  = 0x21c
	hdrCmdLinePtr   = 0x228
	hdrInitrdMax    = 0x22c
	hdrKernelAlign  = 0x230
	hdrRelocatable  = 0x234
	hdrXLoadFlags   = 0x236
	hdrCmdlineSize  = 0x238
	hdrSetupData    = 0x250
	hdrPrefAddress  = 0x258
	hdrInitSize     = 0x260
	hdrMaxEnd       = 0x280

	bpACPIRSDP        = 0x070
	bpExtRamdiskImage = 0x0c0
	bpExtRamdiskSize  = 0x0c4
	bpExtCmdLinePtr   = 0x0c8
	bpE820Entries     = 0x1e8
	bpE820Table       = 0x2d0
	bpE820Max         = 128

	xlfKernel64       = 1 << 0 // has the 64-bit entry point at load address + 0x200
	xlfInitrdAbove4G  = 1 << 1
	loaderKexec       = 0xd0 // type_of_loader 0xD: kexec
	protocolMin       = 0x20c
	minLoadAddr       = 1 << 20
	pageSize          = 4096
	bootCS, bootDS    = 0x10, 0x18
	below4G           = 1 << 32
	maxLegacySegments = 16 // KEXEC_SEGMENT_MAX
)

// Segment is one entry of kexec_load's list: Buf is copied to the physical
// address Mem and the rest of Memsz is zeroed.
type Segment struct {
	Buf   []byte
	Mem   uint64
	Memsz uint64
}

// bzImageHeader is what loading reads from a bzImage's setup header.
type bzImageHeader struct {
	raw         []byte // the header, 0x1f1 up to its end
	codeOffset  int    // where the protected-mode kernel starts in the file
	version     uint16
	initrdMax   uint64 // highest byte address an initrd may use
	align       uint64
	relocatable bool
	xloadflags  uint16
	cmdlineMax  int
	prefAddress uint64
	initSize    uint64
}

func parseBzImageHeader(k []byte) (bzImageHeader, error) {
	var h bzImageHeader
	if len(k) < hdrMaxEnd || string(k[hdrMagic:hdrMagic+4]) != "HdrS" {
		return h, errors.New("not a bzImage (no HdrS setup header)")
	}
	le := binary.LittleEndian
	h.version = le.Uint16(k[hdrVersion:])
	if h.version < protocolMin {
		return h, fmt.Errorf("boot protocol %d.%02d is older than 2.12, which has no 64-bit entry point", h.version>>8, h.version&0xff)
	}
	end := 0x202 + int(k[hdrJumpLen])
	if end < hdrInitSize+4 || end > hdrMaxEnd {
		return h, fmt.Errorf("setup header ends at %#x, outside [%#x, %#x]", end, hdrInitSize+4, hdrMaxEnd)
	}
	h.raw = k[hdrSetupSects:end]
	sects := int(k[hdrSetupSects])
	if sects == 0 {
		sects = 4
	}
	h.codeOffset = (sects + 1) * 512
	if h.codeOffset >= len(k) {
		return h, fmt.Errorf("setup code (%d bytes) covers the whole %d-byte file", h.codeOffset, len(k))
	}
	h.initrdMax = uint64(le.Uint32(k[hdrInitrdMax:]))
	h.align = uint64(le.Uint32(k[hdrKernelAlign:]))
	if h.align < pageSize || h.align&(h.align-1) != 0 {
		return h, fmt.Errorf("kernel_alignment %#x is not a power of two of at least a page", h.align)
	}
	h.relocatable = k[hdrRelocatable] != 0
	h.xloadflags = le.Uint16(k[hdrXLoadFlags:])
	if h.xloadflags&xlfKernel64 == 0 {
		return h, errors.New("the kernel has no 64-bit entry point (a 32-bit kernel)")
	}
	h.cmdlineMax = int(le.Uint32(k[hdrCmdlineSize:]))
	h.prefAddress = le.Uint64(k[hdrPrefAddress:])
	h.initSize = uint64(le.Uint32(k[hdrInitSize:]))
	return h, nil
}

// memPool hands out page-aligned pieces of the RAM ranges of a memory map.
type memPool struct{ free []MemRange }

func newMemPool(mem []MemRange) *memPool {
	p := &memPool{}
	for _, r := range mem {
		if r.Type != E820RAM {
			continue
		}
		s, e := alignUp(max(r.Start, minLoadAddr), pageSize), r.End&^(pageSize-1)
		if s < e {
			p.free = append(p.free, MemRange{Start: s, End: e, Type: E820RAM})
		}
	}
	return p
}

// take reserves size bytes aligned to align within [lo, hi): the highest
// fit when top is set, else the lowest.
func (p *memPool) take(size, align, lo, hi uint64, top bool) (uint64, bool) {
	best, found := uint64(0), false
	for _, r := range p.free {
		s, e := max(r.Start, lo), min(r.End, hi)
		if e < s || e-s < size {
			continue
		}
		var a uint64
		if top {
			a = (e - size) &^ (align - 1)
		} else {
			a = alignUp(s, align)
		}
		if a < s || a+size > e {
			continue
		}
		if !found || (top && a > best) || (!top && a < best) {
			best, found = a, true
		}
	}
	if found {
		p.reserve(best, best+size)
	}
	return best, found
}

// reserve removes [s, e) from the free ranges.
func (p *memPool) reserve(s, e uint64) {
	var out []MemRange
	for _, r := range p.free {
		if e <= r.Start || s >= r.End {
			out = append(out, r)
			continue
		}
		if r.Start < s {
			out = append(out, MemRange{Start: r.Start, End: s, Type: r.Type})
		}
		if e < r.End {
			out = append(out, MemRange{Start: e, End: r.End, Type: r.Type})
		}
	}
	p.free = out
}

func (p *memPool) contains(s, e uint64) bool {
	for _, r := range p.free {
		if r.Start <= s && e <= r.End {
			return true
		}
	}
	return false
}

func alignUp(v, a uint64) uint64 { return (v + a - 1) &^ (a - 1) }

// layoutBzImage places kernel (a whole bzImage file), initrd and the
// command line in the RAM of mem and returns kexec_load's entry point and
// segments. rsdp, when not 0, is the ACPI RSDP's address for a kernel that
// will not see the EFI system table.
func layoutBzImage(kernel, initrd []byte, cmdline string, mem []MemRange, rsdp uint64) (uint64, []Segment, error) {
	h, err := parseBzImageHeader(kernel)
	if err != nil {
		return 0, nil, err
	}
	if len(cmdline) > h.cmdlineMax {
		return 0, nil, fmt.Errorf("the command line is %d bytes; this kernel takes at most %d", len(cmdline), h.cmdlineMax)
	}
	var e820 []MemRange
	for _, r := range mem {
		if n := len(e820); n > 0 && e820[n-1].Type == r.Type && e820[n-1].End == r.Start {
			e820[n-1].End = r.End
			continue
		}
		e820 = append(e820, r)
	}
	if len(e820) > bpE820Max {
		return 0, nil, fmt.Errorf("the memory map has %d ranges; boot_params holds %d", len(e820), bpE820Max)
	}
	pool := newMemPool(mem)

	code := kernel[h.codeOffset:]
	kmem := alignUp(max(h.initSize, uint64(len(code))), pageSize)
	var kaddr uint64
	switch {
	case h.prefAddress != 0 && h.prefAddress%h.align == 0 && pool.contains(h.prefAddress, h.prefAddress+kmem):
		kaddr = h.prefAddress
		pool.reserve(kaddr, kaddr+kmem)
	case h.relocatable:
		var ok bool
		if kaddr, ok = pool.take(kmem, h.align, 0, ^uint64(0), false); !ok {
			return 0, nil, fmt.Errorf("no free RAM holds the kernel's %d bytes", kmem)
		}
	default:
		return 0, nil, fmt.Errorf("the kernel is not relocatable and its address %#x is not free RAM", h.prefAddress)
	}
	segs := []Segment{{Buf: code, Mem: kaddr, Memsz: kmem}}

	var iaddr uint64
	if len(initrd) > 0 {
		isize := alignUp(uint64(len(initrd)), pageSize)
		var ok bool
		iaddr, ok = pool.take(isize, pageSize, 0, h.initrdMax+1, true)
		if !ok && h.xloadflags&xlfInitrdAbove4G != 0 {
			iaddr, ok = pool.take(isize, pageSize, 0, ^uint64(0), true)
		}
		if !ok {
			return 0, nil, fmt.Errorf("no free RAM below %#x holds the %d-byte initrd", h.initrdMax+1, len(initrd))
		}
		segs = append(segs, Segment{Buf: initrd, Mem: iaddr, Memsz: isize})
	}

	// One segment: boot_params, the command line, then the trampoline.
	cmdOff := uint64(pageSize)
	trOff := alignUp(cmdOff+uint64(len(cmdline))+1, 16)
	setupSize := alignUp(trOff+trampolineSize, pageSize)
	base, ok := pool.take(setupSize, pageSize, 0, below4G, true)
	if !ok {
		return 0, nil, errors.New("no free RAM below 4 GiB for boot_params")
	}
	setup := make([]byte, setupSize)
	bp := setup[:pageSize]
	copy(bp[hdrSetupSects:], h.raw)
	le := binary.LittleEndian
	bp[hdrTypeOfLoader] = loaderKexec
	le.PutUint64(bp[hdrSetupData:], 0)
	cmdAddr := base + cmdOff
	le.PutUint32(bp[hdrCmdLinePtr:], uint32(cmdAddr))
	le.PutUint32(bp[bpExtCmdLinePtr:], uint32(cmdAddr>>32))
	le.PutUint32(bp[hdrRamdiskImage:], uint32(iaddr))
	le.PutUint32(bp[bpExtRamdiskImage:], uint32(iaddr>>32))
	le.PutUint32(bp[hdrRamdiskSize:], uint32(len(initrd)))
	le.PutUint32(bp[bpExtRamdiskSize:], uint32(uint64(len(initrd))>>32))
	le.PutUint64(bp[bpACPIRSDP:], rsdp)
	bp[bpE820Entries] = byte(len(e820))
	for i, r := range e820 {
		e := bp[bpE820Table+20*i:]
		le.PutUint64(e, r.Start)
		le.PutUint64(e[8:], r.End-r.Start)
		le.PutUint32(e[16:], uint32(r.Type))
	}
	copy(setup[cmdOff:], cmdline)
	entry := base + trOff
	copy(setup[trOff:], trampoline(entry, base, kaddr+0x200))
	segs = append(segs, Segment{Buf: setup, Mem: base, Memsz: setupSize})
	return entry, segs, nil
}

const trampolineSize = 128

// trampoline returns x86-64 code, to run at address at, that loads a GDT
// with the boot protocol's flat __BOOT_CS and __BOOT_DS, loads the data
// segments and CS from it, sets %rsi to the boot_params address and jumps
// to the kernel's 64-bit entry point.
func trampoline(at, bootParams, entry uint64) []byte {
	le := binary.LittleEndian
	imm := func(b []byte, v uint64) []byte { return le.AppendUint64(b, v) }
	const (
		gdtOff  = 80
		gdtrOff = gdtOff + 32
	)
	var c []byte
	c = append(c, 0xfa)       // cli
	c = append(c, 0x48, 0xb8) // mov rax, imm64: the GDT pointer
	c = imm(c, at+gdtrOff)
	c = append(c, 0x0f, 0x01, 0x10) // lgdt [rax]
	c = append(c, 0xb8, bootDS, 0, 0, 0)
	c = append(c, 0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0, 0x8e, 0xe0, 0x8e, 0xe8) // mov ds/es/ss/fs/gs, eax
	c = append(c, 0x6a, bootCS)                                               // push __BOOT_CS
	c = append(c, 0x48, 0xb8)                                                 // mov rax, imm64: the code after retfq
	next := len(c) + 8 + 1 + 2
	c = imm(c, at+uint64(next))
	c = append(c, 0x50)       // push rax
	c = append(c, 0x48, 0xcb) // retfq: loads CS
	c = append(c, 0x48, 0xbe) // mov rsi, imm64
	c = imm(c, bootParams)
	c = append(c, 0x48, 0xb8) // mov rax, imm64
	c = imm(c, entry)
	c = append(c, 0xff, 0xe0) // jmp rax
	c = append(c, make([]byte, gdtOff-len(c))...)
	// The GDT: null, unused, 64-bit code, flat data.
	c = le.AppendUint64(c, 0)
	c = le.AppendUint64(c, 0)
	c = le.AppendUint64(c, 0x00af9a000000ffff)
	c = le.AppendUint64(c, 0x00cf92000000ffff)
	// The GDT pointer: limit, base.
	c = le.AppendUint16(c, 4*8-1)
	c = imm(c, at+gdtOff)
	return c
}
