package unpack

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

func TestUnpack(t *testing.T) {
	image := make([]byte, 0x1000) // an arm64 Image header
	copy(image[0x38:], "ARM\x64")

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
		unpack func(r io.ReaderAt, size int64) (io.Reader, error)
		want   []byte
		err    string
	}{
		{"Image.gz", gz(t, image), gzipper, image, ""},
		{"zboot", zboot, Zboot, image, ""},
		{"zboot past the end", zboot[:0x120], Zboot, nil, "outside"},
		{"not zboot", image, Zboot, nil, "not an EFI zboot"},
		{"not gzip", image, gzipper, nil, "Image.gz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.unpack(bytes.NewReader(tc.file), int64(len(tc.file)))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Errorf("unpacked %d bytes (%v), want %d", len(got), err, len(tc.want))
			}
		})
	}
}

func gzipper(r io.ReaderAt, size int64) (io.Reader, error) {
	return Gzip(io.NewSectionReader(r, 0, size))
}

// TestUnpackLimit: a kernel that unpacks past the cap is an error, not a
// memfd that fills RAM.
func TestUnpackLimit(t *testing.T) {
	r := limited(bytes.NewReader(make([]byte, 10)))
	r.(*limitReader).n = 4
	if _, err := io.ReadAll(r); err == nil || !strings.Contains(err.Error(), "unpacks to more") {
		t.Errorf("err = %v, want the size cap", err)
	}
}
