package kexec

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestDetectAndUnpack(t *testing.T) {
	image := make([]byte, 0x1000) // an arm64 Image header
	copy(image[0x38:], "ARM\x64")
	bz := make([]byte, 0x400)
	copy(bz[0x202:], "HdrS")

	// An EFI zboot file: "MZ", "zimg", payload offset and size, "gzip".
	payload := gz(t, image)
	zboot := make([]byte, 0x100)
	copy(zboot, "MZ\x00\x00zimg")
	binary.LittleEndian.PutUint32(zboot[8:], uint32(len(zboot)))
	binary.LittleEndian.PutUint32(zboot[12:], uint32(len(payload)))
	copy(zboot[0x18:], "gzip")
	zboot = append(zboot, payload...)

	for _, tc := range []struct {
		name   string
		file   []byte
		format Format
		want   []byte // unpacked; nil when it goes as it is
		err    string
	}{
		{"bzImage", bz, FormatBzImage, nil, ""},
		{"Image", image, FormatImage, nil, ""},
		{"Image.gz", gz(t, image), FormatGzip, image, ""},
		{"zboot", zboot, FormatZboot, image, ""},
		{"garbage", []byte("not a kernel"), FormatUnknown, nil, ""},
		{"zboot past the end", zboot[:0x120], FormatZboot, nil, "outside"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if f := Detect(tc.file); f != tc.format {
				t.Fatalf("Detect = %s, want %s", f, tc.format)
			}
			r, err := Unpack(bytes.NewReader(tc.file), int64(len(tc.file)), tc.format)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Unpack err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil {
				if r != nil {
					t.Fatal("Unpack returned a reader for a kernel that needs none")
				}
				return
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Errorf("unpacked %d bytes (%v), want %d", len(got), err, len(tc.want))
			}
		})
	}
}
