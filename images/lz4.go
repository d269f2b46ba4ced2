package images

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/pierrec/lz4/v4"
)

// The kernel's legacy LZ4 format (what `lz4 -l` writes and
// lib/decompress_unlz4.c reads): a magic number, then blocks that each
// hold at most 8 MiB of input as a little-endian compressed size followed
// by a raw LZ4 block. There is no end mark, no checksum and no
// uncompressed-block flag, so every block is compressed, even when that
// makes it larger.
const (
	lz4LegacyMagic = 0x184C2102
	lz4LegacyBlock = 8 << 20 // the kernel decompresses each block into 8 MiB
)

// writeLZ4Legacy compresses b in the legacy format with LZ4 HC at its
// highest level. The output depends only on b.
func writeLZ4Legacy(w io.Writer, b []byte) error {
	var hdr [4]byte
	binary.LittleEndian.PutUint32(hdr[:], lz4LegacyMagic)
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	c := lz4.CompressorHC{Level: lz4.Level9}
	dst := make([]byte, lz4.CompressBlockBound(lz4LegacyBlock))
	for len(b) > 0 {
		src := b[:min(len(b), lz4LegacyBlock)]
		b = b[len(src):]
		n, err := c.CompressBlock(src, dst[:lz4.CompressBlockBound(len(src))])
		if err != nil {
			return err
		}
		if n == 0 {
			// Cannot happen with a CompressBlockBound buffer; the
			// format has no way to store a block uncompressed.
			return fmt.Errorf("lz4 block of %d bytes did not compress", len(src))
		}
		binary.LittleEndian.PutUint32(hdr[:], uint32(n))
		if _, err := w.Write(hdr[:]); err != nil {
			return err
		}
		if _, err := w.Write(dst[:n]); err != nil {
			return err
		}
	}
	return nil
}
