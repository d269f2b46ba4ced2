package images

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os/exec"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// lz4Input is more than two legacy blocks: random (incompressible) bytes
// across the first block boundary, then text.
func lz4Input() []byte {
	b := make([]byte, lz4LegacyBlock+1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return append(b, bytes.Repeat([]byte("leapboot initramfs "), 500_000)...)
}

func TestLZ4Legacy(t *testing.T) {
	in := lz4Input()
	var a, b bytes.Buffer
	if err := writeLZ4Legacy(&a, in); err != nil {
		t.Fatal(err)
	}
	if err := writeLZ4Legacy(&b, in); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two compressions differ")
	}
	// The layout the kernel's unlz4 walks: magic, then (size, block)
	// pairs up to the end of the input, each block unpacking to at most
	// 8 MiB.
	out := a.Bytes()
	if binary.LittleEndian.Uint32(out) != lz4LegacyMagic {
		t.Fatalf("magic % x", out[:4])
	}
	var blocks int
	var got []byte
	for p := out[4:]; len(p) > 0; blocks++ {
		if len(p) < 4 {
			t.Fatalf("block %d: %d stray bytes", blocks, len(p))
		}
		n := int(binary.LittleEndian.Uint32(p))
		if n <= 0 || n > len(p)-4 || n > lz4.CompressBlockBound(lz4LegacyBlock) {
			t.Fatalf("block %d: size %d with %d bytes left", blocks, n, len(p)-4)
		}
		dst := make([]byte, lz4LegacyBlock)
		m, err := lz4.UncompressBlock(p[4:4+n], dst)
		if err != nil {
			t.Fatalf("block %d: %v", blocks, err)
		}
		got = append(got, dst[:m]...)
		p = p[4+n:]
	}
	if blocks != 3 || !bytes.Equal(got, in) {
		t.Fatalf("%d blocks, %d bytes back of %d, equal %v", blocks, len(got), len(in), bytes.Equal(got, in))
	}
	// (pierrec/lz4's Reader is not used here: it refuses blocks larger
	// than 8 MiB, which incompressible input gives, as `lz4 -l` does too,
	// and which the kernel and the lz4 tool read.)
}

// TestLZ4CLI checks the output against the reference tool, `lz4 -dc`
// (Debian: lz4), which reads the legacy format as the kernel does.
func TestLZ4CLI(t *testing.T) {
	if _, err := exec.LookPath("lz4"); err != nil {
		if testing.Short() {
			t.Skip("no lz4 command (short mode; make test installs lz4)")
		}
		t.Fatal("no lz4 command (Debian: apt-get install lz4; make test installs it)")
	}
	in := lz4Input()
	var a bytes.Buffer
	if err := writeLZ4Legacy(&a, in); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("lz4", "-dc")
	cmd.Stdin = &a
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("lz4 -dc: %v", err)
	}
	if !bytes.Equal(out, in) {
		t.Fatalf("lz4 -dc gave %d bytes, want the %d put in", len(out), len(in))
	}
}
