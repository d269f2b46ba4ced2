package kexec

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"testing/fstest"
)

// fakeBzImage returns a bzImage of protocol 2.15 whose protected-mode part
// is code, as a 64-bit relocatable kernel built for 16 MiB.
func fakeBzImage(code []byte, edit func(k []byte)) []byte {
	k := make([]byte, 5*512, 5*512+len(code))
	le := binary.LittleEndian
	k[hdrSetupSects] = 4
	k[0x200], k[hdrJumpLen] = 0xeb, 0x66 // the header ends at 0x268
	copy(k[hdrMagic:], "HdrS")
	le.PutUint16(k[hdrVersion:], 0x20f)
	le.PutUint32(k[hdrInitrdMax:], 0x7fffffff)
	le.PutUint32(k[hdrKernelAlign:], 0x200000)
	k[hdrRelocatable] = 1
	le.PutUint16(k[hdrXLoadFlags:], xlfKernel64|xlfInitrdAbove4G)
	le.PutUint32(k[hdrCmdlineSize:], 2047)
	le.PutUint64(k[hdrPrefAddress:], 0x1000000)
	le.PutUint32(k[hdrInitSize:], 0x2000000)
	if edit != nil {
		edit(k)
	}
	return append(k, code...)
}

// qemuMem is the memory map SeaBIOS gives a 512 MiB QEMU machine.
var qemuMem = []MemRange{
	{0, 0x9fc00, E820RAM},
	{0x9fc00, 0xa0000, E820Reserved},
	{0xf0000, 0x100000, E820Reserved},
	{0x100000, 0x1ffe0000, E820RAM},
	{0x1ffe0000, 0x20000000, E820Reserved},
	{0xfffc0000, 0x100000000, E820Reserved},
}

func TestLayoutBzImage(t *testing.T) {
	code := bytes.Repeat([]byte{0x90}, 5000)
	initrd := bytes.Repeat([]byte{7}, 3<<20+5)
	cmdline := "console=ttyS0 root=UUID=1234 quiet"
	entry, segs, err := layoutBzImage(fakeBzImage(code, nil), initrd, cmdline, qemuMem, 0xf5a40)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != 3 {
		t.Fatalf("%d segments, want kernel, initrd, setup", len(segs))
	}
	k, i, s := segs[0], segs[1], segs[2]
	if k.Mem != 0x1000000 || k.Memsz != 0x2000000 || !bytes.Equal(k.Buf, code) {
		t.Errorf("kernel at %#x+%#x (%d bytes), want the code at the preferred 0x1000000 with init_size room", k.Mem, k.Memsz, len(k.Buf))
	}
	if i.Mem+i.Memsz != 0x1ffe0000 || i.Memsz != 0x301000 || !bytes.Equal(i.Buf, initrd) {
		t.Errorf("initrd at %#x+%#x, want the top of RAM", i.Mem, i.Memsz)
	}
	// Every segment page-aligned, in RAM, apart from the others.
	for n, a := range segs {
		if a.Mem%pageSize != 0 || a.Memsz%pageSize != 0 || uint64(len(a.Buf)) > a.Memsz {
			t.Errorf("segment %d %#x+%#x (%d bytes) is not page-aligned or overflows", n, a.Mem, a.Memsz, len(a.Buf))
		}
		if a.Mem < 0x100000 || a.Mem+a.Memsz > 0x1ffe0000 {
			t.Errorf("segment %d %#x+%#x is outside RAM above 1 MiB", n, a.Mem, a.Memsz)
		}
		for _, b := range segs[n+1:] {
			if a.Mem < b.Mem+b.Memsz && b.Mem < a.Mem+a.Memsz {
				t.Errorf("segments %#x+%#x and %#x+%#x overlap", a.Mem, a.Memsz, b.Mem, b.Memsz)
			}
		}
	}
	le := binary.LittleEndian
	bp := s.Buf
	u32 := func(off int) uint64 { return uint64(le.Uint32(bp[off:])) }
	if bp[hdrTypeOfLoader] != loaderKexec || string(bp[hdrMagic:hdrMagic+4]) != "HdrS" {
		t.Error("boot_params lacks the setup header or the loader type")
	}
	cmdAddr := u32(hdrCmdLinePtr) | u32(bpExtCmdLinePtr)<<32
	if off := cmdAddr - s.Mem; off >= uint64(len(bp)) || !strings.HasPrefix(string(bp[off:]), cmdline+"\x00") {
		t.Errorf("cmd_line_ptr %#x does not point at the command line", cmdAddr)
	}
	if u32(hdrRamdiskImage)|u32(bpExtRamdiskImage)<<32 != i.Mem || u32(hdrRamdiskSize) != uint64(len(initrd)) {
		t.Errorf("ramdisk %#x+%d, want %#x+%d", u32(hdrRamdiskImage), u32(hdrRamdiskSize), i.Mem, len(initrd))
	}
	if le.Uint64(bp[bpACPIRSDP:]) != 0xf5a40 {
		t.Error("acpi_rsdp_addr not set")
	}
	if n := int(bp[bpE820Entries]); n != len(qemuMem) {
		t.Fatalf("%d e820 entries, want %d", n, len(qemuMem))
	}
	for n, r := range qemuMem {
		e := bp[bpE820Table+20*n:]
		if le.Uint64(e) != r.Start || le.Uint64(e[8:]) != r.End-r.Start || E820Type(le.Uint32(e[16:])) != r.Type {
			t.Errorf("e820[%d] = %x, want %v", n, e[:20], r)
		}
	}
	// The trampoline: at the entry, loads rsi with boot_params and jumps
	// to the 64-bit entry point; its GDT pointer points at its GDT.
	tr := bp[entry-s.Mem:]
	if tr[0] != 0xfa {
		t.Errorf("entry %#x does not start with cli", entry)
	}
	want := func(op []byte, v uint64) {
		t.Helper()
		pat := le.AppendUint64(append([]byte{}, op...), v)
		if !bytes.Contains(tr[:trampolineSize], pat) {
			t.Errorf("trampoline lacks % x", pat)
		}
	}
	want([]byte{0x48, 0xbe}, s.Mem)       // mov rsi, boot_params
	want([]byte{0x48, 0xb8}, k.Mem+0x200) // mov rax, startup_64
	want([]byte{0x1f, 0x00}, entry+80)    // lgdt operand: 4 descriptors at entry+80
	if gdt := tr[80:112]; le.Uint64(gdt[16:]) != 0x00af9a000000ffff || le.Uint64(gdt[24:]) != 0x00cf92000000ffff {
		t.Errorf("GDT % x lacks the flat __BOOT_CS and __BOOT_DS", gdt)
	}
	if len(trampoline(0, 0, 0)) > trampolineSize {
		t.Errorf("the trampoline is %d bytes, more than the %d reserved", len(trampoline(0, 0, 0)), trampolineSize)
	}
}

func TestLayoutBzImageErrors(t *testing.T) {
	le := binary.LittleEndian
	code := make([]byte, 100)
	for _, tc := range []struct {
		name    string
		kernel  []byte
		initrd  []byte
		cmdline string
		mem     []MemRange
		want    string
	}{
		{"not a bzImage", []byte("MZ garbage"), nil, "", qemuMem, "not a bzImage"},
		{"old protocol", fakeBzImage(code, func(k []byte) { le.PutUint16(k[hdrVersion:], 0x20a) }), nil, "", qemuMem, "older than 2.12"},
		{"32-bit kernel", fakeBzImage(code, func(k []byte) { le.PutUint16(k[hdrXLoadFlags:], 0) }), nil, "", qemuMem, "no 64-bit entry"},
		{"short header", fakeBzImage(code, func(k []byte) { k[hdrJumpLen] = 0x10 }), nil, "", qemuMem, "setup header ends"},
		{"bad alignment", fakeBzImage(code, func(k []byte) { le.PutUint32(k[hdrKernelAlign:], 3) }), nil, "", qemuMem, "kernel_alignment"},
		{"setup covers the file", fakeBzImage(nil, func(k []byte) { k[hdrSetupSects] = 200 }), nil, "", qemuMem, "covers the whole"},
		{"long cmdline", fakeBzImage(code, nil), nil, strings.Repeat("x", 2048), qemuMem, "at most 2047"},
		{"initrd too big", fakeBzImage(code, nil), make([]byte, 20<<20), "", []MemRange{{0x100000, 0x2800000, E820RAM}}, "20971520-byte initrd"},
		{"no RAM", fakeBzImage(code, nil), nil, "", []MemRange{{0, 0x9fc00, E820RAM}}, "no free RAM"},
		{"fixed address taken", fakeBzImage(code, func(k []byte) {
			k[hdrRelocatable] = 0
			le.PutUint64(k[hdrPrefAddress:], 0x30000000)
		}), nil, "", qemuMem, "not relocatable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := layoutBzImage(tc.kernel, tc.initrd, tc.cmdline, tc.mem, 0)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestLayoutRelocates: a kernel whose preferred address is not free RAM
// goes to the lowest aligned free RAM instead.
func TestLayoutRelocates(t *testing.T) {
	mem := []MemRange{{0x100000, 0x1000000, E820Reserved}, {0x1000000, 0x1400000, E820Reserved}, {0x1400000, 0x20000000, E820RAM}}
	_, segs, err := layoutBzImage(fakeBzImage(make([]byte, 10), nil), nil, "", mem, 0)
	if err != nil {
		t.Fatal(err)
	}
	if segs[0].Mem != 0x1400000 {
		t.Errorf("kernel at %#x, want 0x1400000 (first 2 MiB-aligned RAM)", segs[0].Mem)
	}
	if len(segs) != 2 {
		t.Errorf("%d segments, want kernel and setup (no initrd)", len(segs))
	}
}

func TestParseMemmap(t *testing.T) {
	m := fstest.MapFS{}
	for n, r := range []struct{ start, end, typ string }{
		{"0x100000", "0x1ffdffff", "System RAM"},
		{"0x0", "0x9fbff", "System RAM"},
		{"0x9fc00", "0x9ffff", "Reserved"},
		{"0xfffc0000", "0xffffffff", "Some new type"},
	} {
		d := string(rune('0' + n))
		m[d+"/start"] = &fstest.MapFile{Data: []byte(r.start + "\n")}
		m[d+"/end"] = &fstest.MapFile{Data: []byte(r.end + "\n")}
		m[d+"/type"] = &fstest.MapFile{Data: []byte(r.typ + "\n")}
	}
	got, err := ParseMemmap(m)
	if err != nil {
		t.Fatal(err)
	}
	want := []MemRange{{0, 0x9fc00, E820RAM}, {0x9fc00, 0xa0000, E820Reserved}, {0x100000, 0x1ffe0000, E820RAM}, {0xfffc0000, 0x100000000, E820Reserved}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("range %d = %v, want %v", i, got[i], want[i])
		}
	}
	m["0/end"] = &fstest.MapFile{Data: []byte("0x10")}
	if _, err := ParseMemmap(m); err == nil || !strings.Contains(err.Error(), "memmap/0") {
		t.Errorf("an end before the start: err = %v, want one naming memmap/0", err)
	}
	if _, err := ParseMemmap(fstest.MapFS{}); err == nil {
		t.Error("an empty map parsed")
	}
}

func TestParseIomem(t *testing.T) {
	iomem := `00000000-00000fff : Reserved
00001000-0009fbff : System RAM
000a0000-000bffff : PCI Bus 0000:00
000f0000-000fffff : Reserved
  000f0000-000fffff : System ROM
00100000-1ffdffff : System RAM
  01000000-01e00c56 : Kernel code
1ffe0000-1fffffff : Reserved
`
	got, err := ParseIomem(strings.NewReader(iomem))
	if err != nil {
		t.Fatal(err)
	}
	want := []MemRange{{0, 0x1000, E820Reserved}, {0x1000, 0x9fc00, E820RAM}, {0xf0000, 0x100000, E820Reserved}, {0x100000, 0x1ffe0000, E820RAM}, {0x1ffe0000, 0x20000000, E820Reserved}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("range %d = %v, want %v", i, got[i], want[i])
		}
	}
	if _, err := ParseIomem(strings.NewReader("00000000-00000fff Reserved\n")); err == nil || !strings.Contains(err.Error(), "iomem:1") {
		t.Errorf("err = %v, want one naming line 1", err)
	}
}

func TestParseSystab(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
	}{
		{"MPS=0xfc000\nACPI=0x7f77e000\nACPI20=0x7f77e014\nSMBIOS=0x7f9a6000\n", 0x7f77e014},
		{"ACPI=0x7f77e000\n", 0x7f77e000},
		{"SMBIOS=0x7f9a6000\nACPI20=junk\n", 0},
		{"", 0},
	} {
		if got := ParseSystab(strings.NewReader(tc.in)); got != tc.want {
			t.Errorf("ParseSystab(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}
